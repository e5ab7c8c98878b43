/**
 * The public shapes of chat objects (messages, room summaries, files, invitations,
 * notifications): what the API, the WebSocket and the CLI show. Rooms are addressed by
 * their GUID, which never changes (names can).
 */
import type {
  FileRecord,
  InvitationRecord,
  KeywordAlertRecord,
  MessageRecord,
  NotificationRecord,
  PrincipalRecord,
  RoomRecord,
  Store,
  TopicFeedRecord,
} from '../store/types.js';
import type { RoomPrivacy, RoomType } from '../domain/rooms.js';

export interface FileView {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export interface MessageView {
  id: number;
  chatId: number;
  roomId: string;
  room: string;
  author: string;
  authorName: string;
  postedAt: string;
  text: string;
  alert: boolean;
  story: { title: string } | null;
  file: FileView | null;
  replaced: boolean;
}

export interface RoomSummary {
  id: string;
  name: string;
  description: string;
  category: string;
  privacy: RoomPrivacy;
  type: RoomType;
  participants: number;
}

export interface InvitationView {
  id: number;
  room: RoomSummary;
  createdAt: string;
}

export interface NotificationView {
  id: number;
  kind: NotificationRecord['kind'];
  detail: string;
  createdAt: string;
  message: MessageView;
}

export interface KeywordAlertView {
  id: number;
  keyword: string;
}

export interface TopicFeedView {
  id: number;
  name: string;
  query: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function presentFile(f: FileRecord): FileView {
  return { id: f.guid, name: f.name, contentType: f.contentType, size: f.sizeBytes, sha256: f.sha256, uploadedAt: iso(f.createdAt) };
}

/** What the caller already has: the rooms, and where authors are looked up (the access cache). */
export interface Known {
  rooms?: readonly RoomRecord[];
  principals?: (ids: readonly number[]) => Promise<PrincipalRecord[]>;
}

/** Messages with their rooms, authors and files in a constant number of queries. */
export async function presentMessages(store: Store, messages: readonly MessageRecord[], known: Known = {}): Promise<MessageView[]> {
  if (messages.length === 0) return [];
  const knownRooms = new Set(known.rooms?.map((r) => r.id));
  const missingRooms = [...new Set(messages.map((m) => m.roomId))].filter((id) => !knownRooms.has(id));
  const [found, authors, files] = await Promise.all([
    missingRooms.length === 0 ? [] : store.rooms.getManyByIds(missingRooms),
    (known.principals ?? ((ids) => store.principals.getManyByIds(ids)))(messages.map((m) => m.authorId)),
    store.files.getManyByIds(messages.map((m) => m.fileId).filter((id): id is number => id !== null)),
  ]);
  const roomById = new Map([...(known.rooms ?? []), ...found].map((r) => [r.id, r]));
  const authorById = new Map(authors.map((a) => [a.id, a]));
  const fileById = new Map(files.map((f) => [f.id, f]));
  return messages.map((m) => {
    const room = roomById.get(m.roomId);
    const author = authorById.get(m.authorId);
    const file = m.fileId === null ? undefined : fileById.get(m.fileId);
    return {
      id: m.id,
      chatId: m.chatId,
      roomId: room?.guid ?? '',
      room: room?.name ?? '',
      author: author?.key ?? '',
      authorName: author?.displayName ?? author?.name ?? '',
      postedAt: iso(m.postedAt),
      text: m.content,
      alert: m.isAlert,
      story: m.storyTitle === null ? null : { title: m.storyTitle },
      file: file === undefined ? null : presentFile(file),
      replaced: m.replacedAt !== null,
    };
  });
}

export async function presentRoomSummaries(
  store: Store,
  rooms: readonly RoomRecord[],
  participants: (roomId: number) => number,
  /** The categories when the caller has them (the access cache). */
  known?: ReadonlyMap<number, { name: string }>,
): Promise<RoomSummary[]> {
  const categories = new Map(
    known !== undefined && rooms.every((r) => known.has(r.categoryId))
      ? rooms.map((r) => [r.categoryId, (known.get(r.categoryId) as { name: string }).name])
      : (await store.categories.getManyByIds(rooms.map((r) => r.categoryId))).map((c) => [c.id, c.name]),
  );
  return rooms.map((r) => ({
    id: r.guid,
    name: r.name,
    description: r.description,
    category: categories.get(r.categoryId) ?? '',
    privacy: r.privacy,
    type: r.type,
    participants: participants(r.id),
  }));
}

export async function presentInvitations(
  store: Store,
  invitations: readonly InvitationRecord[],
  rooms: readonly RoomRecord[],
  participants: (roomId: number) => number,
): Promise<InvitationView[]> {
  const summaries = new Map((await presentRoomSummaries(store, rooms, participants)).map((s, i) => [(rooms[i] as RoomRecord).id, s]));
  return invitations.flatMap((inv) => {
    const room = summaries.get(inv.roomId);
    return room === undefined ? [] : [{ id: inv.id, room, createdAt: iso(inv.createdAt) }];
  });
}

/**
 * Notifications with their messages. `keptOnly`: leave out messages of categories that
 * keep no history — those are told live, never listed later.
 */
export async function presentNotifications(
  store: Store,
  notifications: readonly NotificationRecord[],
  options: { keptOnly?: boolean } = {},
): Promise<NotificationView[]> {
  const messages = (await store.messages.getManyByIds(notifications.map((n) => n.messageId))).filter((m) => options.keptOnly !== true || m.inHistory);
  const views = new Map((await presentMessages(store, messages)).map((v) => [v.id, v]));
  return notifications.flatMap((n) => {
    const message = views.get(n.messageId);
    return message === undefined ? [] : [{ id: n.id, kind: n.kind, detail: n.detail, createdAt: iso(n.createdAt), message }];
  });
}

export const presentKeywordAlert = (k: KeywordAlertRecord): KeywordAlertView => ({ id: k.id, keyword: k.keyword });
export const presentTopicFeed = (f: TopicFeedRecord): TopicFeedView => ({ id: f.id, name: f.name, query: f.query });

/**
 * Posting and reading messages: post (text, alert, story, file), the backchat on join,
 * history pages, and full-text search over every room the actor may read.
 */
import type { MessageRecord, RoomRecord } from '../store/types.js';
import { AppError } from '../domain/errors.js';
import { validateMessage, type MessageInput } from '../domain/messages.js';
import { parseSearchQuery } from '../domain/search-query.js';
import { nameKey } from '../domain/names.js';
import { normaliseSipUri } from '../domain/principals.js';
import { accessRoomById, type LoadedRoom } from '../access/rooms.js';
import { accessibleRoomQuery } from '../access/room-sets.js';
import { configurations } from './configurations.js';
import { runWrite, type Actor, type Capture, type Services } from './context.js';
import { presentMessages, type Known, type MessageView } from './chat-views.js';
import { doNotify } from './notify.js';

export interface PostInput extends MessageInput {
  /** A file uploaded to this room by the poster and not yet posted. */
  fileId?: string;
}

/** Posts a message; resolves only once it is committed (the acknowledgement). */
export async function checkPostMessage(services: Services, actor: Actor, roomId: string, input: PostInput): Promise<MessageView> {
  if (actor.kind !== 'user') throw new AppError('PERMISSION_DENIED', 'only users post messages');
  const valid = validateMessage(input);
  const outcome = await runWrite(services, actor, {}, async (tx) => {
    const facts = await services.access.actorFacts(actor, tx.store);
    const loaded = await accessRoomById(tx.store, facts, roomId, 'post', { categories: await services.access.categorySnapshot(tx.store) });
    let fileId: number | null = null;
    if (input.fileId !== undefined) {
      const file = await tx.store.files.getByGuid(input.fileId);
      if (file === undefined || file.roomId !== loaded.room.id || file.uploaderId !== actor.principalId) {
        throw new AppError('FILE_NOT_FOUND', 'there is no file with that id uploaded by you to this room');
      }
      fileId = file.id;
    }
    const message = await tx.store.messages.append({
      roomId: loaded.room.id,
      authorId: actor.principalId,
      postedAt: tx.now,
      content: valid.text,
      isAlert: valid.isAlert,
      storyTitle: valid.storyTitle,
      fileId,
      inHistory: loaded.category.chatHistory,
    });
    const [view] = (await presentMessages(tx.store, [message], known(services, [loaded.room], tx.store))) as [MessageView];
    await doNotify(tx, loaded, message, view);
    tx.capture({
      type: 'CHAT',
      actorUri: view.author,
      room: loaded.room,
      messageId: message.id,
      content: message.content,
      details: chatDetails(message),
    });
    tx.emit({ type: 'message.posted', roomId: loaded.room.id, message: view, inHistory: message.inHistory });
    return view;
  });
  return outcome.result;
}

/** What compliance keeps of a message beside its text. */
function chatDetails(m: MessageRecord): Record<string, unknown> {
  return {
    chatId: m.chatId,
    ...(m.isAlert ? { alert: true } : {}),
    ...(m.storyTitle === null ? {} : { storyTitle: m.storyTitle }),
    ...(m.fileId === null ? {} : { fileId: m.fileId }),
    ...(m.inHistory ? {} : { inHistory: false }),
  };
}

/**
 * A read of chat history is itself a compliance event (BACKCHAT, 01 §5.1): what was
 * delivered, by message id, recorded before the reply leaves.
 */
export function backchatCapture(room: { id: number; guid: string }, how: string, messages: readonly { id: number; chatId: number }[]): Capture {
  const chatIds = messages.map((m) => m.chatId);
  return {
    type: 'BACKCHAT',
    room,
    content: messages.length === 0 ? `${how}: no messages` : `${how}: ${messages.length} message(s), chat ids ${Math.min(...chatIds)}–${Math.max(...chatIds)}`,
    details: { how, messageIds: messages.map((m) => m.id), chatIds },
  };
}

const HISTORY_PAGE_MAX = 200;

/** The last DefaultChatHistory messages (what a client shows on join); recording the read is the caller's. */
export async function getBackchat(services: Services, loaded: LoadedRoom): Promise<readonly MessageView[]> {
  if (!loaded.category.chatHistory) return [];
  const config = await services.access.chatConfiguration(() => configurations.effective(services.store, services.poolFqdn));
  return newest(services, loaded.room, config.defaultChatHistory);
}

/** The newest messages of a room's history, from memory when the node has them (recent-messages.ts). */
function newest(services: Services, room: RoomRecord, count: number): Promise<readonly MessageView[]> {
  return services.recent.latest(room.id, count, async (n) => presentMessages(services.store, await services.store.messages.latest(room.id, n), known(services, [room])));
}

/**
 * A room's history strictly between two chat ids, oldest first, at most HISTORY_PAGE_MAX
 * (the live delivery's fill of a gap, realtime/sequencer.ts). No read is recorded: the
 * messages reach people already in the room, as live messages do.
 */
export async function messagesBetween(services: Services, roomId: number, afterChatId: number, beforeChatId: number): Promise<MessageView[]> {
  const found = await services.store.messages.page({ roomId, afterChatId, beforeChatId, limit: HISTORY_PAGE_MAX });
  return presentMessages(services.store, found, { principals: (ids) => services.access.principalsByIds(ids) });
}

export interface HistoryPage {
  messages: readonly MessageView[];
  /** More messages exist beyond this page in the direction asked. */
  more: boolean;
}

/**
 * The newest page and its compliance record, by the slice of recent messages it came from
 * (the same array until the room changes): every reader of a room's newest page shares one
 * page object, so the reply serialised for it (room-routes.ts) and the record's details are
 * made once per change of the room, not once per read.
 */
const newestPages = new WeakMap<readonly MessageView[], { page: HistoryPage; capture: Capture }>();

function newestPage(room: RoomRecord, views: readonly MessageView[], limit: number): { page: HistoryPage; capture: Capture } {
  let made = newestPages.get(views);
  if (made === undefined) {
    const more = views.length > limit;
    const messages = more ? views.slice(1) : views;
    const capture = backchatCapture(room, 'history', messages);
    // Frozen: shared by every read of this page (context.ts serialises frozen details once).
    if (capture.details !== undefined) Object.freeze(capture.details);
    made = { page: Object.freeze({ messages, more }), capture: Object.freeze(capture) };
    newestPages.set(views, made);
  }
  return made;
}

export async function getHistory(
  services: Services,
  actor: Actor,
  roomId: string,
  page: { before?: number; after?: number; limit?: number },
): Promise<HistoryPage> {
  const facts = await services.access.actorFacts(actor);
  // The room as loaded for this reader is kept between pages (a read: nothing is written from it).
  const loaded = await accessRoomById(services.store, facts, roomId, 'readHistory', {
    categories: await services.access.categorySnapshot(),
    ...(actor.kind === 'user' ? { remembered: (load: () => Promise<LoadedRoom | undefined>) => services.access.readerRoom(actor.principalId, roomId, load) } : {}),
  });
  const limit = clampLimit(page.limit, 50);
  if (page.before === undefined && page.after === undefined) {
    // The newest page: from memory when the node has it.
    const { page, capture } = newestPage(loaded.room, await newest(services, loaded.room, limit + 1), limit);
    await services.reads.record(actor, [capture]);
    return page;
  }
  const rows = await services.store.messages.page({
    roomId: loaded.room.id,
    ...(page.before === undefined ? {} : { beforeChatId: page.before }),
    ...(page.after === undefined ? {} : { afterChatId: page.after }),
    limit: limit + 1,
  });
  const backwards = page.after === undefined;
  const more = rows.length > limit;
  const kept = more ? (backwards ? rows.slice(1) : rows.slice(0, limit)) : rows;
  const messages = await presentMessages(services.store, kept, known(services, [loaded.room]));
  await services.reads.record(actor, [backchatCapture(loaded.room, 'history', kept)]);
  return { messages, more };
}

/** Rooms at hand, and authors from the access cache. */
function known(services: Services, rooms: readonly RoomRecord[], via = services.store): Known {
  return { rooms, principals: (ids) => services.access.principalsByIds(ids, via) };
}

function clampLimit(limit: number | undefined, dflt: number): number {
  if (limit === undefined) return dflt;
  if (!Number.isInteger(limit) || limit < 1) throw new AppError('INVALID_VALUE', 'limit must be a positive whole number');
  return Math.min(limit, HISTORY_PAGE_MAX);
}

export interface SearchResult {
  messages: MessageView[];
  /** More results exist: ask again with `before` = the last message's id. */
  more: boolean;
}

/** Readable rooms a search takes as a list of ids (more: as a condition on the rooms). */
const MAX_LISTED_ROOMS = 10_000;

/**
 * Searches every room the actor may read (never others): words, "phrases", substrings
 * and CJK text, with room:, category:, from:, after:, before: and has:file.
 */
export async function searchMessages(
  services: Services,
  actor: Actor,
  request: { q: string; limit?: number; before?: number },
): Promise<SearchResult> {
  const store = services.store;
  const query = parseSearchQuery(request.q);
  const facts = await services.access.actorFacts(actor);
  const categories = await services.access.categorySnapshot();
  let categoryIds: number[] | undefined;
  if (query.categories.length > 0) {
    const wanted = new Set(query.categories.map(nameKey));
    categoryIds = categories.all.filter((c) => wanted.has(c.nameKey)).map((c) => c.id);
  }
  let rooms = await accessibleRoomQuery(
    store,
    facts,
    'readHistory',
    {
      ...(categoryIds === undefined ? {} : { categoryIds }),
      ...(query.rooms.length === 0 ? {} : { nameKeys: query.rooms.map(nameKey) }),
    },
    categories,
  );
  // A user's readable rooms (not narrowed by in:/category:) are listed once and kept with
  // the access cache, so a search does not work out its rooms again, room by room of every
  // allowed category; past MAX_LISTED_ROOMS the selection stays a condition.
  if (rooms !== undefined && actor.kind === 'user' && categoryIds === undefined && query.rooms.length === 0) {
    const selection = rooms;
    const ids = await services.access.readableRooms(actor.principalId, () => store.rooms.listIds(selection, MAX_LISTED_ROOMS));
    if (ids.length <= MAX_LISTED_ROOMS) rooms = ids.length === 0 ? undefined : { ids };
  }
  if (rooms === undefined) {
    await services.reads.record(actor, [searchCapture(request.q, [])]);
    return { messages: [], more: false };
  }
  let authorIds: number[] | undefined;
  if (query.authors.length > 0) {
    // A SIP address, or a user part alone (from:bruno: every user sip:bruno@...).
    const keys = query.authors.filter((a) => a.includes('@')).flatMap((a) => {
      try {
        return [normaliseSipUri(a)];
      } catch {
        return [];
      }
    });
    const parts = query.authors.filter((a) => !a.includes('@')).map((a) => a.replace(/^sip:/i, '').toLowerCase());
    const [byKey, byPart] = await Promise.all([store.principals.getManyByKeys(keys), parts.length === 0 ? [] : store.principals.usersByUserPart(parts)]);
    authorIds = [...new Set([...byKey, ...byPart].map((p) => p.id))];
  }
  const limit = clampLimit(request.limit, 50);
  const words = await services.words.plan(query.terms);
  const rows: MessageRecord[] = await store.messages.search({
    rooms,
    terms: query.terms,
    ...(words === undefined ? {} : { words }),
    ...(authorIds === undefined ? {} : { authorIds }),
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
    ...(query.hasFile === undefined ? {} : { hasFile: query.hasFile }),
    ...(request.before === undefined ? {} : { beforeId: request.before }),
    limit: limit + 1,
  });
  const more = rows.length > limit;
  const found = more ? rows.slice(0, limit) : rows;
  // The search itself, and a BACKCHAT in each room whose messages it showed.
  const byRoom = new Map<number, MessageRecord[]>();
  for (const m of found) byRoom.set(m.roomId, [...(byRoom.get(m.roomId) ?? []), m]);
  const roomRecords = byRoom.size === 0 ? [] : await store.rooms.getManyByIds([...byRoom.keys()]);
  const messages = await presentMessages(store, found, known(services, roomRecords));
  await services.reads.record(actor, [searchCapture(request.q, found), ...roomRecords.map((room) => backchatCapture(room, 'search', byRoom.get(room.id) ?? []))]);
  return { messages, more };
}

function searchCapture(q: string, found: readonly MessageRecord[]): Capture {
  return { type: 'SEARCH', content: q, details: { results: found.length, messageIds: found.map((m) => m.id) } };
}

/**
 * Finding rooms (01 §3.3, §4.2): the directory search, "my rooms", "rooms I manage",
 * followed rooms with unread counts, and invitations since the last one seen.
 */
import type { RoomRecord } from '../store/types.js';
import { canManage, canSee, isAdmin } from '../domain/permissions.js';
import { AppError } from '../domain/errors.js';
import { accessibleRooms } from '../access/room-sets.js';
import { accessRoomById, loadRooms } from '../access/rooms.js';
import { runWrite, type Actor, type Services } from './context.js';
import { presentInvitations, presentRoomSummaries, type InvitationView, type RoomSummary } from './chat-views.js';

const DIRECTORY_MAX = 500;

function resultSize(limit: number | undefined, dflt = 100): number {
  if (limit === undefined) return dflt;
  if (!Number.isInteger(limit) || limit < 1) throw new AppError('INVALID_VALUE', 'limit must be a positive whole number');
  return Math.min(limit, DIRECTORY_MAX);
}

const summaries = (services: Services, rooms: readonly RoomRecord[]) =>
  presentRoomSummaries(services.store, rooms, (id) => services.presence.participants(id));

/**
 * Rooms the actor may find: Open and Closed rooms of categories whose scope includes them,
 * Secret rooms they are a member of; never disabled rooms. The text matches the name
 * (and, for administrators, the description).
 */
export async function searchDirectory(services: Services, actor: Actor, request: { text?: string; limit?: number }): Promise<RoomSummary[]> {
  const facts = await services.access.actorFacts(actor);
  const text = request.text?.trim();
  const rooms = await accessibleRooms(services.store, facts, 'see', {
    ...(text ? { text: { value: text, description: isAdmin(facts) } } : {}),
    limit: resultSize(request.limit),
  }, await services.access.categorySnapshot());
  return summaries(services, rooms);
}

/** Rooms where the actor holds the member role (Secret ones included). */
export async function myRooms(services: Services, actor: Actor, limit?: number): Promise<RoomSummary[]> {
  const facts = await services.access.actorFacts(actor);
  if (facts.kind !== 'user') return [];
  const rooms = await accessibleRooms(services.store, facts, 'see', {
    role: { role: 'member', principalIds: [...facts.principal.affiliations] },
    limit: resultSize(limit),
  }, await services.access.categorySnapshot());
  return summaries(services, rooms);
}

/** Rooms the actor manages, disabled ones included (so they can be enabled again). */
/**
 * The rooms the actor manages, disabled ones included, optionally those whose name holds
 * `text`. Administrators manage every room (D1), so they get every room, by name.
 */
export async function roomsIManage(services: Services, actor: Actor, limit?: number, text?: string): Promise<(RoomSummary & { disabled: boolean })[]> {
  const facts = await services.access.actorFacts(actor);
  if (facts.kind !== 'user') return [];
  const named = text === undefined || text.trim() === '' ? {} : { text: { value: text.trim(), description: false } };
  let rooms: RoomRecord[];
  if (isAdmin(facts)) {
    rooms = await services.store.rooms.list({ ...named, limit: resultSize(limit) });
  } else {
    const candidates = await services.store.rooms.list({ ...named, role: { role: 'manager', principalIds: [...facts.principal.affiliations] } });
    rooms = (await loadRooms(services.store, candidates))
      .filter((l) => canManage(facts, l.facts))
      .slice(0, resultSize(limit))
      .map((l) => l.room);
  }
  const views = await summaries(services, rooms);
  return views.map((v, i) => ({ ...v, disabled: (rooms[i] as RoomRecord).disabled }));
}

export interface FollowedRoom extends RoomSummary {
  unread: number;
  lastReadChatId: number;
}

/** Followed rooms the actor may still join, with the number of messages after the read mark. */
export async function followedRooms(services: Services, actor: Actor): Promise<FollowedRoom[]> {
  if (actor.kind !== 'user') return [];
  const store = services.store;
  const follows = await store.follows.list(actor.principalId);
  if (follows.length === 0) return [];
  const facts = await services.access.actorFacts(actor);
  const joinable = await accessibleRooms(store, facts, 'join', { ids: follows.map((f) => f.roomId) }, await services.access.categorySnapshot());
  const byRoom = new Map(follows.map((f) => [f.roomId, f]));
  const unread = await store.messages.countAfter(joinable.map((r) => ({ roomId: r.id, afterChatId: byRoom.get(r.id)?.lastReadChatId ?? 0 })));
  const views = await summaries(services, joinable);
  return views.map((v, i) => {
    const room = joinable[i] as RoomRecord;
    return { ...v, unread: unread.get(room.id) ?? 0, lastReadChatId: byRoom.get(room.id)?.lastReadChatId ?? 0 };
  });
}

/** Following is server-side: every client of the user follows the same rooms. */
export async function followRoom(services: Services, actor: Actor, roomId: string): Promise<FollowedRoom> {
  if (actor.kind !== 'user') throw new AppError('PERMISSION_DENIED', 'only users follow rooms');
  const facts = await services.access.actorFacts(actor);
  const loaded = await accessRoomById(services.store, facts, roomId, 'join', { categories: await services.access.categorySnapshot() });
  await runWrite(services, actor, {}, async (tx) => {
    await tx.store.follows.follow({ principalId: actor.principalId, roomId: loaded.room.id, lastReadChatId: loaded.room.lastChatId, createdAt: tx.now });
    tx.emit({ type: 'follows.changed', principalId: actor.principalId, roomId: loaded.room.id, room: loaded.room.guid, lastReadChatId: loaded.room.lastChatId });
  });
  const followed = (await followedRooms(services, actor)).find((f) => f.id === loaded.room.guid);
  if (followed === undefined) throw new AppError('ROOM_NOT_FOUND', `there is no room with id '${roomId}'`);
  return followed;
}

export async function unfollowRoom(services: Services, actor: Actor, roomId: string): Promise<void> {
  if (actor.kind !== 'user') return;
  const room = await services.store.rooms.getByGuid(roomId);
  const gone = new AppError('ROOM_NOT_FOUND', `you do not follow a room with id '${roomId}'`);
  if (room === undefined) throw gone;
  await runWrite(services, actor, {}, async (tx) => {
    if (!(await tx.store.follows.unfollow(actor.principalId, room.id))) throw gone;
    tx.emit({ type: 'follows.changed', principalId: actor.principalId, roomId: room.id, room: room.guid, lastReadChatId: null });
  });
}

/** Moves the read mark of a followed room forward (never back). */
export async function markRead(services: Services, actor: Actor, roomId: string, chatId: number): Promise<void> {
  if (actor.kind !== 'user') return;
  if (!Number.isInteger(chatId) || chatId < 0) throw new AppError('INVALID_VALUE', 'chatId must be a whole number');
  const facts = await services.access.actorFacts(actor);
  const loaded = await accessRoomById(services.store, facts, roomId, 'join', { categories: await services.access.categorySnapshot() });
  const mark = Math.min(chatId, loaded.room.lastChatId);
  await runWrite(services, actor, {}, async (tx) => {
    if (await tx.store.follows.markRead(actor.principalId, loaded.room.id, mark)) {
      tx.emit({ type: 'follows.changed', principalId: actor.principalId, roomId: loaded.room.id, room: loaded.room.guid, lastReadChatId: mark });
    }
  });
}

/** Invitations newer than `since` (the last id the client saw), for rooms still visible. */
export async function listInvitations(services: Services, actor: Actor, since = 0, limit?: number): Promise<InvitationView[]> {
  if (actor.kind !== 'user') return [];
  const store = services.store;
  const invitations = await store.invitations.since(actor.principalId, since, resultSize(limit));
  const facts = await services.access.actorFacts(actor);
  const loaded = await loadRooms(store, await store.rooms.getManyByIds(invitations.map((i) => i.roomId)));
  const visible = loaded.filter((l) => canSee(facts, l.facts)).map((l) => l.room);
  return presentInvitations(store, invitations, visible, (id) => services.presence.participants(id));
}

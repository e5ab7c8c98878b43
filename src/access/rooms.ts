import type { Store, RoomRecord, CategoryLists, RoomRoles, CategoryRecord } from '../store/types.js';
import type { ActorFacts, RoomFacts } from '../domain/permissions.js';
import {
  canDelete,
  canJoin,
  canManage,
  canPost,
  canReadHistory,
  canSee,
} from '../domain/permissions.js';
import { AppError } from '../domain/errors.js';
import { nameKey } from '../domain/names.js';
import { parseIdentity } from '../domain/identity.js';
import { categoryFacts } from './categories.js';

export interface LoadedRoom {
  room: RoomRecord;
  category: CategoryRecord;
  roles: RoomRoles;
  facts: RoomFacts;
}

/** Loads rooms with their roles and categories in a constant number of queries. */
export async function loadRooms(store: Store, rooms: readonly RoomRecord[]): Promise<LoadedRoom[]> {
  const ids = rooms.map((r) => r.id);
  const categoryIds = [...new Set(rooms.map((r) => r.categoryId))];
  const [roles, lists, categories] = await Promise.all([
    store.rooms.roles(ids),
    store.categories.lists(categoryIds),
    store.categories.getManyByIds(categoryIds),
  ]);
  const byId = new Map(categories.map((c) => [c.id, c]));
  return rooms.map((room) => {
    const category = byId.get(room.categoryId) as CategoryRecord;
    const roomRoles = roles.get(room.id) as RoomRoles;
    return {
      room,
      category,
      roles: roomRoles,
      facts: {
        disabled: room.disabled,
        privacy: room.privacy,
        type: room.type,
        members: roomRoles.members,
        managers: roomRoles.managers,
        presenters: roomRoles.presenters,
        category: categoryFacts(category, lists.get(category.id) as CategoryLists),
      },
    };
  });
}

export type RoomNeed = 'see' | 'manage' | 'join' | 'readHistory' | 'post' | 'delete';

const CHECKS: Record<RoomNeed, (actor: ActorFacts, room: RoomFacts) => boolean> = {
  see: (a, r) => canSee(a, r) || canManage(a, r),
  manage: canManage,
  join: canJoin,
  readHistory: canReadHistory,
  post: canPost,
  delete: (a) => canDelete(a),
};

const REFUSALS: Record<RoomNeed, string> = {
  see: 'you may not see this room',
  manage: 'only managers of this room and administrators may change it',
  join: 'you may not join this room',
  readHistory: 'you may not read the history of this room',
  post: 'you may not post in this room',
  delete: 'only administrators may remove rooms',
};

/**
 * Finds a room by identity and checks the actor may do `need` to it. A room the actor
 * may neither see nor manage is answered exactly like a missing one, so secret rooms
 * cannot be probed.
 */
export async function accessRoom(
  store: Store,
  poolFqdn: string,
  actor: ActorFacts,
  identity: string,
  need: RoomNeed,
  options: { lock?: boolean } = {},
): Promise<LoadedRoom> {
  const name = parseIdentity(identity, poolFqdn);
  const notFound = new AppError('ROOM_NOT_FOUND', `there is no room named '${name}'`);
  return authorize(store, actor, await store.rooms.getByNameKey(nameKey(name)), need, notFound, options);
}

/** The same by the room's id as the API shows it (its GUID). */
export async function accessRoomById(
  store: Store,
  actor: ActorFacts,
  guid: string,
  need: RoomNeed,
  options: { lock?: boolean } = {},
): Promise<LoadedRoom> {
  const notFound = new AppError('ROOM_NOT_FOUND', `there is no room with id '${guid}'`);
  return authorize(store, actor, await store.rooms.getByGuid(guid), need, notFound, options);
}

async function authorize(
  store: Store,
  actor: ActorFacts,
  found: RoomRecord | undefined,
  need: RoomNeed,
  notFound: AppError,
  options: { lock?: boolean },
): Promise<LoadedRoom> {
  let room = found;
  if (room !== undefined && options.lock === true) {
    // A write reads the room and its roles only once it holds the row: edits computed
    // from what it read cannot overwrite a concurrent writer's.
    await store.rooms.lock(room.id);
    room = await store.rooms.getById(room.id);
  }
  if (room === undefined) throw notFound;
  const [loaded] = (await loadRooms(store, [room])) as [LoadedRoom];
  if (!CHECKS.see(actor, loaded.facts)) throw notFound;
  if (!CHECKS[need](actor, loaded.facts)) throw new AppError('PERMISSION_DENIED', REFUSALS[need]);
  return loaded;
}

export function roomVisible(actor: ActorFacts, room: RoomFacts): boolean {
  return CHECKS.see(actor, room);
}

/**
 * A disabled room is invisible (ROOM_NOT_FOUND) to everyone; this says whether the actor
 * holds a role in it all the same — someone who knew the room may be told it is disabled
 * rather than gone, without Secret rooms becoming probeable by others.
 */
export async function isDisabledRoomOf(store: Store, actor: ActorFacts, guid: string): Promise<boolean> {
  if (actor.kind !== 'user') return false;
  const room = await store.rooms.getByGuid(guid);
  if (room === undefined || !room.disabled) return false;
  const roles = (await store.rooms.roles([room.id])).get(room.id);
  return roles !== undefined && [...roles.members, ...roles.managers, ...roles.presenters].some((id) => actor.principal.affiliations.has(id));
}

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
import type { CategorySnapshot } from './cache.js';

export interface LoadedRoom {
  room: RoomRecord;
  category: CategoryRecord;
  /**
   * The room's role holders: every one, or (`entries: 'actor'`) only the entries held by
   * the checking actor's affiliations — which decide that actor's rights exactly, since a
   * role list only ever matters through `matches(actor, list)`.
   */
  roles: RoomRoles;
  facts: RoomFacts;
  entries: 'everyone' | 'actor';
}

/** Room facts from a room, its roles (all, or some principals' entries) and its category. */
export function roomFacts(room: RoomRecord, roles: RoomRoles, category: CategoryRecord, lists: CategoryLists): RoomFacts {
  return {
    disabled: room.disabled,
    privacy: room.privacy,
    type: room.type,
    members: roles.members,
    managers: roles.managers,
    presenters: roles.presenters,
    category: categoryFacts(category, lists),
  };
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
    return { room, category, roles: roomRoles, facts: roomFacts(room, roomRoles, category, lists.get(category.id) as CategoryLists), entries: 'everyone' };
  });
}

/**
 * A room as one actor's check needs it: the actor's own role entries (one statement,
 * whatever the room's size) and the category from the access cache when given.
 */
/** A room with its category and the actor's own role entries (all of them for the system): what access checks need. */
export async function loadRoomForActor(store: Store, actor: ActorFacts, room: RoomRecord, categories?: CategorySnapshot): Promise<LoadedRoom> {
  if (actor.kind !== 'user') return (await loadRooms(store, [room]))[0] as LoadedRoom;
  const [roles, category, lists] = await Promise.all([
    store.rooms.rolesFor(room.id, [...actor.principal.affiliations]),
    categories?.byId.get(room.categoryId) ?? store.categories.getById(room.categoryId),
    categories?.lists.get(room.categoryId) ?? store.categories.lists([room.categoryId]).then((m) => m.get(room.categoryId)),
  ]);
  if (category === undefined || lists === undefined) throw new Error(`room ${room.id} has no category ${room.categoryId}`);
  return { room, category, roles, facts: roomFacts(room, roles, category, lists), entries: 'actor' };
}

export interface AccessOptions {
  /** Lock the room row first (writes); implies `everyone`. */
  lock?: boolean;
  /** Load every role holder (room management), not only the actor's entries. */
  everyone?: boolean;
  /** The categories from the access cache (saves their statements). */
  categories?: CategorySnapshot;
  /**
   * Reads only: where the room as loaded for this actor is kept between requests (the
   * access cache); `load` reads it from the store when it is not there.
   */
  remembered?: (load: () => Promise<LoadedRoom | undefined>) => Promise<LoadedRoom | undefined>;
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
  options: AccessOptions = {},
): Promise<LoadedRoom> {
  const name = parseIdentity(identity, poolFqdn);
  // Built only when thrown: an AppError captures a stack trace.
  const notFound = () => new AppError('ROOM_NOT_FOUND', `there is no room named '${name}'`);
  return authorize(store, actor, await store.rooms.getByNameKey(nameKey(name)), need, notFound, options);
}

/** The same by the room's id as the API shows it (its GUID). */
export async function accessRoomById(
  store: Store,
  actor: ActorFacts,
  guid: string,
  need: RoomNeed,
  options: AccessOptions = {},
): Promise<LoadedRoom> {
  const notFound = () => new AppError('ROOM_NOT_FOUND', `there is no room with id '${guid}'`);
  if (options.remembered !== undefined && options.lock !== true && options.everyone !== true) {
    const loaded = await options.remembered(async () => {
      const room = await store.rooms.getByGuid(guid);
      return room === undefined ? undefined : loadRoomForActor(store, actor, room, options.categories);
    });
    if (loaded === undefined) throw notFound();
    return check(actor, loaded, need, notFound);
  }
  return authorize(store, actor, await store.rooms.getByGuid(guid), need, notFound, options);
}

async function authorize(
  store: Store,
  actor: ActorFacts,
  found: RoomRecord | undefined,
  need: RoomNeed,
  notFound: () => AppError,
  options: AccessOptions,
): Promise<LoadedRoom> {
  let room = found;
  if (room !== undefined && options.lock === true) {
    // A write reads the room and its roles only once it holds the row: edits computed
    // from what it read cannot overwrite a concurrent writer's.
    await store.rooms.lock(room.id);
    room = await store.rooms.getById(room.id);
  }
  if (room === undefined) throw notFound();
  const everyone = options.lock === true || options.everyone === true;
  const loaded = everyone ? ((await loadRooms(store, [room]))[0] as LoadedRoom) : await loadRoomForActor(store, actor, room, options.categories);
  return check(actor, loaded, need, notFound);
}

function check(actor: ActorFacts, loaded: LoadedRoom, need: RoomNeed, notFound: () => AppError): LoadedRoom {
  if (!CHECKS.see(actor, loaded.facts)) throw notFound();
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

/**
 * The reference permission algorithm of 01 §3.8 with the answers of decisions D1.
 * Pure functions over facts the access layer loads; no I/O here.
 *
 * matches(p, list): p itself, or a group/container/domain p is affiliated with, is listed.
 * Affiliation sets are transitive (nested groups, OU containment, domain suffix) and
 * always contain the principal itself.
 */
import type { RoomPrivacy, RoomType } from './rooms.js';

export interface PrincipalFacts {
  id: number;
  /** Ids of the principal itself and every group, container and domain it belongs to. */
  affiliations: ReadonlySet<number>;
}

/** A signed-in user, or the local system administrator (the CLI on the data dir). */
export type ActorFacts =
  | { kind: 'system' }
  | {
      kind: 'user';
      principal: PrincipalFacts;
      /** Member of the administrator role (directly or through a group). */
      isAdmin: boolean;
      /** The effective Persistent Chat policy (user → site → global) enables the service. */
      serviceEnabled: boolean;
      /** Not disabled, not deleted. */
      active: boolean;
    };

/** A category's scope: who may hold roles in its rooms. */
export interface Scope {
  allowed: readonly number[];
  denied: readonly number[];
}

export interface CategoryFacts extends Scope {
  creators: readonly number[];
  chatHistory: boolean;
  fileUpload: boolean;
  invitations: boolean;
}

export interface RoomFacts {
  disabled: boolean;
  privacy: RoomPrivacy;
  type: RoomType;
  members: readonly number[];
  managers: readonly number[];
  presenters: readonly number[];
  category: CategoryFacts;
}

export function matches(principal: PrincipalFacts, list: readonly number[]): boolean {
  for (const id of list) if (principal.affiliations.has(id)) return true;
  return false;
}

/** Scope = AllowedMembers − DeniedMembers; denied beats allowed. */
export function inScope(principal: PrincipalFacts, scope: Scope): boolean {
  return matches(principal, scope.allowed) && !matches(principal, scope.denied);
}

export type RoomRole = 'member' | 'manager' | 'presenter';

/** A role only counts while its holder is inside the category's current scope. */
export function hasRole(principal: PrincipalFacts, room: RoomFacts, role: RoomRole): boolean {
  const list = role === 'member' ? room.members : role === 'manager' ? room.managers : room.presenters;
  return matches(principal, list) && inScope(principal, room.category);
}

/** A user who may act at all: active and enabled by policy. The system actor always may. */
export function canUseService(actor: ActorFacts): boolean {
  return actor.kind === 'system' || usable(actor);
}

function usable(actor: ActorFacts): actor is Extract<ActorFacts, { kind: 'user' }> {
  return actor.kind === 'user' && actor.active && actor.serviceEnabled;
}

export function isAdmin(actor: ActorFacts): boolean {
  if (actor.kind === 'system') return true;
  return usable(actor) && actor.isAdmin;
}

/** May find the room in the directory (disabled rooms are found by nobody). */
export function canSee(actor: ActorFacts, room: RoomFacts): boolean {
  if (room.disabled) return false;
  if (isAdmin(actor)) return true;
  if (!usable(actor)) return false;
  return room.privacy === 'Secret'
    ? hasRole(actor.principal, room, 'member')
    : inScope(actor.principal, room.category);
}

/**
 * May join (receive live messages). Open rooms admit everyone in scope; other rooms
 * need the member role (managers and presenters too). Administrators may read every room.
 */
export function canJoin(actor: ActorFacts, room: RoomFacts): boolean {
  if (room.disabled) return false;
  if (isAdmin(actor)) return true;
  if (!usable(actor)) return false;
  return room.privacy === 'Open'
    ? inScope(actor.principal, room.category)
    : hasRole(actor.principal, room, 'member');
}

/**
 * May post once joined. Administrators post only where a member would (D1). Auditorium
 * rooms accept presenters only; presenters of non-Open rooms also need membership to join.
 */
export function canPost(actor: ActorFacts, room: RoomFacts): boolean {
  if (room.disabled || !usable(actor)) return false;
  const p = actor.principal;
  const admitted = room.privacy === 'Open' ? inScope(p, room.category) : hasRole(p, room, 'member');
  if (!admitted) return false;
  return room.type === 'Normal' || hasRole(p, room, 'presenter');
}

/** History is kept for users only when the category has chat history on. */
export function canReadHistory(actor: ActorFacts, room: RoomFacts): boolean {
  return canJoin(actor, room) && room.category.chatHistory;
}

/** Files stay downloadable by whoever may join, even after uploads are switched off. */
export function canDownload(actor: ActorFacts, room: RoomFacts): boolean {
  return canJoin(actor, room);
}

export function canUpload(
  actor: ActorFacts,
  room: RoomFacts,
  sizeBytes: number,
  maxFileSizeKB: number,
): boolean {
  return canPost(actor, room) && room.category.fileUpload && sizeBytes <= maxFileSizeKB * 1024;
}

/** Managers may change every room property (including disabled state) except deleting it. */
export function canManage(actor: ActorFacts, room: RoomFacts): boolean {
  if (isAdmin(actor)) return true;
  if (!usable(actor)) return false;
  return hasRole(actor.principal, room, 'manager');
}

export function canCreate(actor: ActorFacts, category: CategoryFacts): boolean {
  if (isAdmin(actor)) return true;
  if (!usable(actor)) return false;
  return matches(actor.principal, category.creators) && inScope(actor.principal, category);
}

/** A manager may move a room only into a category where they may create rooms. */
export function canMove(actor: ActorFacts, room: RoomFacts, destination: CategoryFacts): boolean {
  if (isAdmin(actor)) return true;
  return canManage(actor, room) && canCreate(actor, destination);
}

/** Deleting rooms, clearing history and removing messages are administrator powers. */
export function canDelete(actor: ActorFacts): boolean {
  return isAdmin(actor);
}

/** Categories, add-ins, policies, configuration, endpoints and the directory. */
export function canAdminister(actor: ActorFacts): boolean {
  return isAdmin(actor);
}

/**
 * Reading rooms the way Get-CsPersistentChatRoom does: by identity, or by any
 * combination of filters. Administrators see every room (disabled ones too); other users
 * see the rooms they may find in the directory plus the rooms they manage.
 */
import { AppError } from '../domain/errors.js';
import { nameKey, wildcardMatcher, LIMITS } from '../domain/names.js';
import { canCreate, isAdmin } from '../domain/permissions.js';
import type { RoomInvitations, RoomPrivacy, RoomType } from '../domain/rooms.js';
import { integerIn } from '../domain/settings.js';
import type { CategoryLists, RoomQuery, RoomRecord } from '../store/types.js';
import { categoryFacts, findCategory } from '../access/categories.js';
import { accessRoom, accessRoomById, loadRooms, roomVisible } from '../access/rooms.js';
import { resolvePrincipal } from './principal-refs.js';
import { presentRooms, type PrincipalLabels, type RoomView } from './views.js';
import type { Actor, Services } from './context.js';

export interface RoomFilters {
  category?: string;
  /** Wildcards `*` and `?`; without them, a substring of the name. */
  filter?: string;
  /** The filter also matches descriptions (administrators). */
  searchDescription?: boolean;
  privacy?: RoomPrivacy;
  type?: RoomType;
  disabled?: boolean;
  invitations?: RoomInvitations;
  addin?: string;
  /** Rooms where this principal, or a group/container/domain it belongs to, is a manager. */
  manager?: string;
  member?: string;
  chatContentExceedsMB?: number;
  /** 0..2147483647; 0 returns nothing (as the cmdlet). */
  resultSize?: number;
  /** Role lists by display name (`-AsObject`) rather than SIP address or DN. */
  labels?: PrincipalLabels;
}

const MB = 1024 * 1024;

export async function getRoom(services: Services, actor: Actor, identity: string, labels: PrincipalLabels = 'key'): Promise<RoomView> {
  const facts = await services.access.actorFacts(actor);
  const { room } = await accessRoom(services.store, services.poolFqdn, facts, identity, 'see');
  return (await presentRooms(services.store, services.poolFqdn, [room], labels))[0] as RoomView;
}

export async function listRooms(services: Services, actor: Actor, filters: RoomFilters = {}): Promise<RoomView[]> {
  const { store, poolFqdn } = services;
  const facts = await services.access.actorFacts(actor);
  const admin = isAdmin(facts);
  if (filters.searchDescription === true && !admin) {
    throw new AppError('PERMISSION_DENIED', 'only administrators search room descriptions');
  }
  const limit = filters.resultSize === undefined ? undefined : integerIn(filters.resultSize, 0, LIMITS.resultSize, 'ResultSize');
  if (limit === 0) return [];
  const query: RoomQuery = {};
  if (filters.category !== undefined) query.categoryId = (await findCategory(store, poolFqdn, filters.category)).id;
  if (filters.privacy !== undefined) query.privacy = filters.privacy;
  if (filters.type !== undefined) query.type = filters.type;
  if (filters.disabled !== undefined) query.disabled = filters.disabled;
  if (filters.invitations !== undefined) query.invitations = filters.invitations;
  if (filters.addin !== undefined) {
    const addin = await store.addins.getByNameKey(nameKey(filters.addin));
    if (addin === undefined) throw new AppError('ADDIN_NOT_FOUND', `there is no add-in named '${filters.addin}'`);
    query.addinId = addin.id;
  }
  if (filters.chatContentExceedsMB !== undefined) {
    query.contentExceedsBytes = integerIn(filters.chatContentExceedsMB, 0, LIMITS.resultSize, 'ChatContentExceedsMB') * MB;
  }
  const roleFilters: ['manager' | 'member', string | undefined][] = [['manager', filters.manager], ['member', filters.member]];
  let candidates: RoomRecord[] | undefined;
  for (const [role, written] of roleFilters) {
    if (written === undefined) continue;
    const principal = await resolvePrincipal(store, written);
    const affiliations = (await store.principals.affiliations([principal.id])).get(principal.id) as Set<number>;
    const rooms = await store.rooms.list({ ...query, role: { role, principalIds: [...affiliations] } });
    const ids = new Set(rooms.map((r) => r.id));
    candidates = candidates === undefined ? rooms : candidates.filter((c) => ids.has(c.id));
  }
  candidates ??= await store.rooms.list(query);

  if (filters.filter !== undefined) {
    const match = wildcardMatcher(filters.filter);
    candidates = candidates.filter((r) => match(r.name) || (filters.searchDescription === true && match(r.description)));
  }
  if (!admin) {
    const loaded = await loadRooms(store, candidates);
    candidates = loaded.filter((l) => roomVisible(facts, l.facts)).map((l) => l.room);
  }
  if (limit !== undefined) candidates = candidates.slice(0, limit);
  return presentRooms(store, poolFqdn, candidates, filters.labels);
}

/**
 * The room an API id names, as an identity the room actions take — answered like a
 * missing room to whoever may neither see nor manage it, so ids cannot be probed for
 * names either.
 */
export async function roomIdentityById(services: Services, actor: Actor, roomId: string): Promise<string> {
  const facts = await services.access.actorFacts(actor);
  const { room } = await accessRoomById(services.store, facts, roomId, 'see', { categories: await services.access.categorySnapshot() });
  return room.name;
}

/** A room's settings (roles included) by API id, for its managers and anyone who may find it. */
export async function getRoomById(services: Services, actor: Actor, roomId: string): Promise<RoomView> {
  return getRoom(services, actor, await roomIdentityById(services, actor, roomId));
}

export interface CreatableCategory {
  name: string;
  description: string;
  fileUpload: boolean;
  chatHistory: boolean;
  invitations: boolean;
}

/** FindCategoriesWithCreateRights: the categories the actor may create rooms in (empty: none). */
export async function creatableCategories(services: Services, actor: Actor): Promise<CreatableCategory[]> {
  const facts = await services.access.actorFacts(actor);
  const categories = await services.store.categories.list();
  const lists = await services.store.categories.lists(categories.map((c) => c.id));
  return categories
    .filter((c) => canCreate(facts, categoryFacts(c, lists.get(c.id) as CategoryLists)))
    .map((c) => ({ name: c.name, description: c.description, fileUpload: c.fileUpload, chatHistory: c.chatHistory, invitations: c.invitations }));
}

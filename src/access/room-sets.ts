/**
 * The rooms an actor may see, join or read, computed in the database: the category scope
 * test runs over the (few) categories in memory, and the room rule — privacy, or the
 * member role through any affiliation — is one SQL query. The per-room checks of
 * access/rooms.ts and this set agree (the model-based test compares both with 01 §3.8).
 */
import type { Store, RoomRecord, RoomQuery } from '../store/types.js';
import type { ActorFacts } from '../domain/permissions.js';
import { canUseService, inScope, isAdmin } from '../domain/permissions.js';
import type { RoomPrivacy } from '../domain/rooms.js';
import { categoryFacts } from './categories.js';
import type { CategorySnapshot } from './cache.js';

export type RoomSetNeed = 'see' | 'join' | 'readHistory';

type Narrowing = Pick<RoomQuery, 'categoryIds' | 'nameKeys' | 'ids' | 'text' | 'limit' | 'role'>;

export async function accessibleRooms(store: Store, actor: ActorFacts, need: RoomSetNeed, narrow: Narrowing = {}, categories?: CategorySnapshot): Promise<RoomRecord[]> {
  const query = await accessibleRoomQuery(store, actor, need, narrow, categories);
  return query === undefined ? [] : store.rooms.list(query);
}

/**
 * The same set as a room selection the database evaluates (a subquery wherever it narrows
 * something else, such as message search); undefined when the actor may use no room.
 */
export async function accessibleRoomQuery(
  store: Store,
  actor: ActorFacts,
  need: RoomSetNeed,
  narrow: Narrowing = {},
  snapshot?: CategorySnapshot,
): Promise<RoomQuery | undefined> {
  if (!canUseService(actor)) return undefined;
  const categories = snapshot?.all ?? (await store.categories.list());
  const lists = snapshot?.lists ?? (await store.categories.lists(categories.map((c) => c.id)));
  let allowed = categories;
  if (need === 'readHistory') allowed = allowed.filter((c) => c.chatHistory);
  const admin = isAdmin(actor);
  if (!admin && actor.kind === 'user') {
    allowed = allowed.filter((c) => {
      const l = lists.get(c.id);
      return l !== undefined && inScope(actor.principal, categoryFacts(c, l));
    });
  }
  let categoryIds = allowed.map((c) => c.id);
  if (narrow.categoryIds !== undefined) {
    const wanted = new Set(narrow.categoryIds);
    categoryIds = categoryIds.filter((id) => wanted.has(id));
  }
  const query: RoomQuery = { ...narrow, categoryIds, disabled: false };
  if (!admin && actor.kind === 'user') {
    const privacies: RoomPrivacy[] = need === 'see' ? ['Open', 'Closed'] : ['Open'];
    query.privacyOrMember = { privacies, principalIds: [...actor.principal.affiliations] };
  }
  return query;
}

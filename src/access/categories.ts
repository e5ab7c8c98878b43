import type { Store, CategoryRecord, CategoryLists } from '../store/types.js';
import type { ActorFacts, CategoryFacts } from '../domain/permissions.js';
import { canAdminister, canCreate } from '../domain/permissions.js';
import { AppError } from '../domain/errors.js';
import { nameKey } from '../domain/names.js';
import { parseIdentity } from '../domain/identity.js';

export function categoryFacts(category: CategoryRecord, lists: CategoryLists): CategoryFacts {
  return {
    allowed: lists.allowed,
    denied: lists.denied,
    creators: lists.creators,
    chatHistory: category.chatHistory,
    fileUpload: category.fileUpload,
    invitations: category.invitations,
  };
}

export async function findCategory(store: Store, poolFqdn: string, identity: string, options: { lock?: boolean } = {}): Promise<CategoryRecord> {
  const name = parseIdentity(identity, poolFqdn);
  let category = await store.categories.getByNameKey(nameKey(name));
  if (category !== undefined && options.lock === true) {
    await store.categories.lock(category.id);
    category = await store.categories.getById(category.id);
  }
  if (category === undefined) throw new AppError('CATEGORY_NOT_FOUND', `there is no category named '${name}'`);
  return category;
}

export async function loadCategoryFacts(store: Store, category: CategoryRecord): Promise<CategoryFacts> {
  const lists = (await store.categories.lists([category.id])).get(category.id) as CategoryLists;
  return categoryFacts(category, lists);
}

export type CategoryNeed = 'administer' | 'create';

/** Finds a category and checks the actor may administer it or create rooms in it. */
export async function accessCategory(
  store: Store,
  poolFqdn: string,
  actor: ActorFacts,
  identity: string,
  need: CategoryNeed,
  options: { lock?: boolean } = {},
): Promise<{ category: CategoryRecord; facts: CategoryFacts }> {
  const category = await findCategory(store, poolFqdn, identity, options);
  const facts = await loadCategoryFacts(store, category);
  const allowed = need === 'administer' ? canAdminister(actor) : canCreate(actor, facts);
  if (!allowed) {
    throw new AppError(
      'PERMISSION_DENIED',
      need === 'administer'
        ? 'only Persistent Chat administrators manage categories'
        : `you may not create rooms in category '${category.name}'`,
    );
  }
  return { category, facts };
}

export function requireAdministrator(actor: ActorFacts, what: string): void {
  if (!canAdminister(actor)) throw new AppError('PERMISSION_DENIED', `only Persistent Chat administrators ${what}`);
}

/** Any user the service is enabled for (or the local administrator). */
export function requireServiceUser(actor: ActorFacts): void {
  if (actor.kind === 'user' && !(actor.active && actor.serviceEnabled)) {
    throw new AppError('SERVICE_DISABLED', 'Persistent Chat is not enabled for this user');
  }
}

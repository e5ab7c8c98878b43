/**
 * The people picker of the web client's role, scope and creator fields: users, groups,
 * containers (OUs) and domains whose SIP address, DN, display name or e-mail contains
 * what was typed, limited, when a category is named, to those its scope (allowed −
 * denied members) covers — so that a manager is only offered people a role may name.
 */
import type { PrincipalKind } from '../domain/principals.js';
import type { Scope } from '../domain/permissions.js';
import { AppError } from '../domain/errors.js';
import { nameKey } from '../domain/names.js';
import { parseIdentity } from '../domain/identity.js';
import { categoryFacts, requireServiceUser } from '../access/categories.js';
import { outsideScope } from './scope.js';
import type { Actor, Services } from './context.js';

export interface PickedPrincipal {
  /** What a role list names it by: the SIP address, the DN or the domain. */
  key: string;
  kind: PrincipalKind;
  displayName: string | null;
  email: string | null;
}

export interface PickQuery {
  q: string;
  /** Only principals inside this category's scope. */
  category?: string;
  limit?: number;
}

export const PICK_LIMIT = 25;

export async function pickPrincipals(services: Services, actor: Actor, query: PickQuery): Promise<PickedPrincipal[]> {
  const { store, poolFqdn } = services;
  // Facts and categories from the node's caches: a picker asks at every pause in typing.
  requireServiceUser(await services.access.actorFacts(actor));
  const text = query.q.trim().replace(/^sip:/i, '').toLowerCase();
  const limit = Math.min(Math.max(query.limit ?? 10, 1), PICK_LIMIT);
  if (text === '') return [];
  let scope: Scope | undefined;
  if (query.category !== undefined) {
    const snapshot = await services.access.categorySnapshot();
    const key = nameKey(parseIdentity(query.category, poolFqdn));
    const category = snapshot.all.find((c) => c.nameKey === key);
    if (category === undefined) throw new AppError('CATEGORY_NOT_FOUND', `there is no category named '${query.category}'`);
    scope = categoryFacts(category, snapshot.lists.get(category.id) as NonNullable<ReturnType<typeof snapshot.lists.get>>);
  }
  // Out-of-scope matches are dropped after the query: read more than asked so that a
  // scope that leaves some out still fills the list.
  let found = await store.principals.list({ text, statuses: ['active'], limit: scope === undefined ? limit : limit * 4 });
  if (scope !== undefined) {
    const outside = new Set(await outsideScope(store, found.map((p) => p.id), scope));
    found = found.filter((p) => !outside.has(p.id));
  }
  // People first, then groups, OUs and domains.
  const order: Record<PrincipalKind, number> = { user: 0, group: 1, container: 2, domain: 3 };
  found.sort((a, b) => order[a.kind] - order[b.kind] || a.key.localeCompare(b.key));
  return found.slice(0, limit).map((p) => ({ key: p.name, kind: p.kind, displayName: p.displayName, email: p.email }));
}

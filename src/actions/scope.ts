/**
 * Scope on role assignment (01 §3.2): every member, manager, presenter and creator must be
 * inside the category's allowed − denied members, groups and OUs included.
 */
import type { PrincipalRecord, Store } from '../store/types.js';
import { AppError } from '../domain/errors.js';
import { inScope, type Scope } from '../domain/permissions.js';

/** The principals among `ids` that lie outside the scope. */
export async function outsideScope(store: Store, ids: readonly number[], scope: Scope): Promise<number[]> {
  if (ids.length === 0) return [];
  const affiliations = await store.principals.affiliations(ids);
  return ids.filter((id) => !inScope({ id, affiliations: affiliations.get(id) ?? new Set([id]) }, scope));
}

/** Refuses principals outside the scope for a role, naming each of them. */
export async function checkInScope(
  store: Store,
  ids: readonly number[],
  scope: Scope,
  role: string,
  named: readonly PrincipalRecord[],
  categoryName?: string,
): Promise<void> {
  const outside = await outsideScope(store, ids, scope);
  if (outside.length === 0) return;
  const names = outside.map((id) => named.find((p) => p.id === id)?.name ?? `#${id}`);
  throw new AppError(
    'PRINCIPAL_OUT_OF_SCOPE',
    `not in the scope (allowed members − denied members) of ${categoryName ? `category '${categoryName}'` : 'the category'}, so cannot be ${role}: ${names.join(', ')}`,
    { principals: names },
  );
}

import type { Store, PrincipalRecord, PolicyRecord } from '../store/types.js';
import type { ActorFacts } from '../domain/permissions.js';
import { matches } from '../domain/permissions.js';
import { GLOBAL_POLICY_DEFAULTS } from '../domain/settings.js';
import type { Actor } from '../actions/context.js';

/** The user's Persistent Chat policy: per-user (granted) → site → global (01 §2.5). */
export async function effectivePolicy(
  store: Store,
  user: PrincipalRecord,
): Promise<{ enablePersistentChat: boolean; identity: string }> {
  let policy: PolicyRecord | undefined;
  if (user.policyId !== null) policy = await store.policies.getById(user.policyId);
  if (policy === undefined && user.site !== null) policy = await store.policies.getByKey(`site:${user.site.toLowerCase()}`);
  policy ??= await store.policies.getByKey('global');
  if (policy === undefined) return { enablePersistentChat: GLOBAL_POLICY_DEFAULTS.enablePersistentChat, identity: 'Global' };
  const identity = policy.scope === 'global' ? 'Global' : `${policy.scope === 'site' ? 'Site' : 'Tag'}:${policy.name}`;
  return { enablePersistentChat: policy.enablePersistentChat, identity };
}

/**
 * Everything the permission algorithm needs to know about who is asking. A user that does
 * not exist (any more) is an inactive actor: it may do nothing.
 */
export async function loadActorFacts(store: Store, actor: Actor): Promise<ActorFacts> {
  if (actor.kind === 'system') return { kind: 'system' };
  const user = await store.principals.getById(actor.principalId);
  const affiliations = (await store.principals.affiliations([actor.principalId])).get(actor.principalId) ?? new Set<number>();
  const principal = { id: actor.principalId, affiliations };
  if (user === undefined || user.kind !== 'user') {
    return { kind: 'user', principal, isAdmin: false, serviceEnabled: false, active: false };
  }
  const [admins, policy] = await Promise.all([store.administrators.list(), effectivePolicy(store, user)]);
  return {
    kind: 'user',
    principal,
    isAdmin: matches(principal, admins),
    serviceEnabled: policy.enablePersistentChat,
    // Federated users are not supported (01 §2.1): kept in role lists, never active.
    active: user.status === 'active' && !user.federated,
  };
}

/**
 * Actor facts for many users at once (notification recipients): one query each for the
 * users, their affiliations, the administrators and the policies, however many users.
 */
export async function loadActorFactsMany(store: Store, ids: readonly number[]): Promise<Map<number, ActorFacts>> {
  const out = new Map<number, ActorFacts>();
  if (ids.length === 0) return out;
  const [users, affiliations, admins, policies] = await Promise.all([
    store.principals.getManyByIds(ids),
    store.principals.affiliations(ids),
    store.administrators.list(),
    store.policies.list(),
  ]);
  const byKey = new Map(policies.map((p) => [p.identityKey, p]));
  const byId = new Map(policies.map((p) => [p.id, p]));
  for (const user of users) {
    if (user.kind !== 'user') continue;
    const principal = { id: user.id, affiliations: affiliations.get(user.id) ?? new Set([user.id]) };
    const policy =
      (user.policyId === null ? undefined : byId.get(user.policyId)) ??
      (user.site === null ? undefined : byKey.get(`site:${user.site.toLowerCase()}`)) ??
      byKey.get('global');
    out.set(user.id, {
      kind: 'user',
      principal,
      isAdmin: matches(principal, admins),
      serviceEnabled: policy?.enablePersistentChat ?? GLOBAL_POLICY_DEFAULTS.enablePersistentChat,
      active: user.status === 'active' && !user.federated,
    });
  }
  return out;
}

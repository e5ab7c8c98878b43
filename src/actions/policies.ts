/**
 * Persistent Chat policies (01 §2.5): whether a user may use the service at all.
 * Resolution per user → site → global. New creates site or per-user (tag) policies only;
 * removing the global policy resets it; a tag policy still granted needs `force`.
 */
import type { PolicyRecord, Store } from '../store/types.js';
import { AppError } from '../domain/errors.js';
import {
  GLOBAL_POLICY_DEFAULTS,
  NEW_POLICY_DEFAULTS,
  normalisePolicyDescription,
  parsePolicyIdentity,
  type PolicySettings,
} from '../domain/settings.js';
import { definedOnly } from '../domain/objects.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import { resolvePrincipal } from './principal-refs.js';
import { presentPolicy, type PolicyView } from './views.js';
import { diff, runWrite, type Actor, type Outcome, type Services, type WriteOptions } from './context.js';

export interface PolicyInput {
  enablePersistentChat?: boolean;
  description?: string;
}

function validate(input: PolicyInput): PolicyInput {
  return input.description === undefined ? input : { ...input, description: normalisePolicyDescription(input.description) };
}

async function findPolicy(store: Store, identity: string): Promise<PolicyRecord> {
  const id = parsePolicyIdentity(identity);
  const policy = await store.policies.getByKey(id.key);
  if (policy === undefined) throw new AppError('POLICY_NOT_FOUND', `there is no Persistent Chat policy '${id.display}'`);
  return policy;
}

export async function checkCreatePolicy(
  services: Services,
  actor: Actor,
  identity: string,
  input: PolicyInput,
  options: WriteOptions = {},
): Promise<Outcome<PolicyView>> {
  const id = parsePolicyIdentity(identity);
  if (id.scope === 'global') {
    throw new AppError('SCOPE_NOT_ALLOWED', 'the global policy always exists: change it with stoa policy set global');
  }
  const valid = validate(input);
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage policies');
    if ((await tx.store.policies.getByKey(id.key)) !== undefined) {
      throw new AppError('ALREADY_EXISTS', `policy '${id.display}' already exists: change it with stoa policy set`);
    }
    const settings: PolicySettings = { ...NEW_POLICY_DEFAULTS, ...definedOnly(valid) };
    const policy = await tx.store.policies.insert({ identityKey: id.key, scope: id.scope, name: id.name, ...settings, updatedAt: tx.now });
    const view = presentPolicy(policy);
    tx.emit({ type: 'policy.changed', identity: view.identity });
    tx.record({ action: 'create', kind: 'policy', identity: view.identity, details: diff({} as PolicyView, view, ['identity', 'scope']) });
    return view;
  });
}

export async function checkUpdatePolicy(
  services: Services,
  actor: Actor,
  identity: string,
  input: PolicyInput,
  options: WriteOptions = {},
): Promise<Outcome<PolicyView>> {
  const valid = validate(input);
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage policies');
    const policy = await findPolicy(tx.store, identity);
    const updated = await tx.store.policies.update(policy.id, { ...valid, updatedAt: tx.now });
    const view = presentPolicy(updated);
    tx.emit({ type: 'policy.changed', identity: view.identity });
    tx.record({ action: 'update', kind: 'policy', identity: view.identity, details: diff(presentPolicy(policy), view) });
    return view;
  });
}

export async function checkRemovePolicy(
  services: Services,
  actor: Actor,
  identity: string,
  options: WriteOptions & { force?: boolean } = {},
): Promise<Outcome<PolicyView>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage policies');
    const policy = await findPolicy(tx.store, identity);
    const before = presentPolicy(policy);
    if (policy.scope === 'global') {
      const reset = await tx.store.policies.update(policy.id, { ...GLOBAL_POLICY_DEFAULTS, updatedAt: tx.now });
      const view = presentPolicy(reset);
      tx.emit({ type: 'policy.changed', identity: view.identity });
      tx.record({ action: 'reset', kind: 'policy', identity: view.identity, details: diff(before, view) });
      return view;
    }
    const assigned = await tx.store.principals.countAssignedPolicy(policy.id);
    if (assigned > 0 && options.force !== true) {
      throw new AppError(
        'POLICY_IN_USE',
        `policy '${before.identity}' is granted to ${assigned} user${assigned === 1 ? '' : 's'}; remove with --force to unassign them`,
      );
    }
    await tx.store.principals.clearPolicy(policy.id);
    await tx.store.policies.delete(policy.id);
    tx.emit({ type: 'policy.changed', identity: before.identity });
    const notes = assigned > 0 ? [`unassigned from ${assigned} user${assigned === 1 ? '' : 's'}`] : [];
    tx.record({ action: 'remove', kind: 'policy', identity: before.identity, ...(notes.length > 0 ? { notes } : {}) });
    return before;
  });
}

export async function listPolicies(services: Services, actor: Actor, identity?: string): Promise<PolicyView[]> {
  const { store } = services;
  requireAdministrator(await loadActorFacts(store, actor), 'manage policies');
  const policies = identity === undefined ? await store.policies.list() : [await findPolicy(store, identity)];
  return policies.map(presentPolicy);
}

/**
 * Grant-CsPersistentChatPolicy: assigns a per-user (tag) policy to a user, or with a null
 * name unassigns it so the site, then the global policy applies again.
 */
export async function checkGrantPolicy(
  services: Services,
  actor: Actor,
  user: string,
  policyName: string | null,
  options: WriteOptions = {},
): Promise<Outcome<{ user: string; policy: string | null }>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'grant policies');
    const principal = await resolvePrincipal(tx.store, user, ['user']);
    let policy: PolicyRecord | null = null;
    if (policyName !== null) {
      const id = parsePolicyIdentity(policyName);
      if (id.scope !== 'tag') {
        throw new AppError('SCOPE_NOT_ALLOWED', `only per-user policies are granted; '${id.display}' applies by itself`);
      }
      policy = await findPolicy(tx.store, policyName);
    }
    const previous = principal.policyId === null ? null : ((await tx.store.policies.getById(principal.policyId)) ?? null);
    await tx.store.principals.update(principal.id, { policyId: policy?.id ?? null }, tx.now);
    const from = previous === null ? null : presentPolicy(previous).identity;
    const to = policy === null ? null : presentPolicy(policy).identity;
    tx.emit({ type: 'principal.updated', principalId: principal.id, key: principal.key });
    tx.record({ action: 'grant', kind: 'policy', identity: principal.name, details: { policy: { from, to } } });
    return { user: principal.name, policy: to };
  });
}

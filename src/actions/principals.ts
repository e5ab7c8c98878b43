/**
 * The embedded directory (04 "principal", "group member", "user passwd"): the legacy
 * product read Active Directory; Stoa keeps its own list of users, groups, containers and
 * domains. Only principals in it can be named in lists ("provisioned", 01 §2.1).
 */
import type { PrincipalRecord, Store } from '../store/types.js';
import { AppError, Problems } from '../domain/errors.js';
import {
  dnKey,
  formOfKind,
  normaliseDn,
  parsePrincipalRef,
  sipDomain,
  type PrincipalKind,
} from '../domain/principals.js';
import { LIMITS, normaliseText } from '../domain/names.js';
import { normaliseSiteName } from '../domain/settings.js';
import { applyListEdit, type ListEdit } from '../domain/list-edit.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import { checkPasswordStrength, hashPassword } from '../auth/password.js';
import { ntHash } from '../auth/ntlm.js';
import { doInviteGainedMembers, snapshotAffiliations } from './invitations.js';
import { resolveListEdit, resolvePrincipal } from './principal-refs.js';
import { presentPrincipals, type PrincipalLabels, type PrincipalView } from './views.js';
import { diff, runWrite, type Actor, type Outcome, type Services, type Tx, type WriteOptions } from './context.js';

export interface PrincipalAttributes {
  displayName?: string;
  email?: string;
  /** Users only: where the user lies in the directory tree (e.g. CN=Ana,OU=IT,DC=contoso,DC=com). */
  dn?: string;
  site?: string;
  enabled?: boolean;
  federated?: boolean;
}

export interface PrincipalAddInput extends PrincipalAttributes {
  key: string;
  kind: PrincipalKind;
  memberOf?: string[];
}

export interface PrincipalUpdateInput extends PrincipalAttributes {
  memberOf?: ListEdit;
}

/** Principals that may be members of groups (as in Active Directory: users and groups). */
const GROUP_MEMBER_KINDS: PrincipalKind[] = ['user', 'group'];

function validEmail(raw: string | undefined): string | null | undefined {
  if (raw === undefined) return undefined;
  const email = normaliseText(raw, 'e-mail address', LIMITS.email);
  if (email !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new AppError('INVALID_VALUE', `'${raw}' is not an e-mail address`);
  }
  return email;
}

interface ValidAttributes {
  displayName?: string | null;
  email?: string | null;
  dn?: string | null;
  site?: string | null;
  enabled?: boolean;
  federated?: boolean;
}

function validateAttributes(kind: PrincipalKind, input: PrincipalAttributes, problems: Problems): ValidAttributes {
  const out: ValidAttributes = {};
  if (input.enabled !== undefined) out.enabled = input.enabled;
  if (input.federated !== undefined) out.federated = input.federated;
  problems.check(() => {
    if (input.displayName !== undefined) out.displayName = normaliseText(input.displayName, 'display name', LIMITS.displayName);
  });
  problems.check(() => {
    const email = validEmail(input.email);
    if (email !== undefined) out.email = email;
  });
  problems.check(() => {
    if (input.dn === undefined) return;
    if (kind !== 'user') throw new AppError('INVALID_INPUT', `a ${kind} is keyed by its own name; --dn is for users`);
    out.dn = input.dn.trim() === '' ? null : normaliseDn(input.dn);
  });
  problems.check(() => {
    if (input.site === undefined) return;
    if (kind !== 'user') throw new AppError('INVALID_INPUT', 'only users belong to a site');
    out.site = input.site.trim() === '' ? null : normaliseSiteName(input.site);
  });
  problems.check(() => {
    if ((input.enabled !== undefined || input.federated !== undefined) && kind !== 'user') {
      throw new AppError('INVALID_INPUT', 'only users are enabled, disabled or federated');
    }
  });
  return out;
}

function attributeColumns(v: ValidAttributes) {
  return {
    ...(v.displayName === undefined ? {} : { displayName: v.displayName }),
    ...(v.email === undefined ? {} : { email: v.email }),
    ...(v.dn === undefined ? {} : { dn: v.dn, dnKey: v.dn === null ? null : dnKey(v.dn) }),
    ...(v.site === undefined ? {} : { site: v.site }),
    ...(v.enabled === undefined ? {} : { status: v.enabled ? ('active' as const) : ('disabled' as const) }),
    ...(v.federated === undefined ? {} : { federated: v.federated }),
  };
}

async function present(store: Store, p: PrincipalRecord): Promise<PrincipalView> {
  return (await presentPrincipals(store, [p]))[0] as PrincipalView;
}

/** Everyone whose affiliations may have changed when this principal's place changed. */
async function emitDirectoryChanged(tx: Tx, ids: readonly number[]): Promise<void> {
  const affected = await tx.store.principals.expand(ids);
  tx.emit({ type: 'directory.changed', principalIds: [...affected] });
}

/** Refuses a membership that would make a group contain itself. */
async function checkNoCycle(store: Store, group: PrincipalRecord, member: PrincipalRecord): Promise<void> {
  if (member.kind !== 'group') return;
  const above = (await store.principals.affiliations([group.id])).get(group.id) ?? new Set<number>();
  if (member.id === group.id || above.has(member.id)) {
    throw new AppError('GROUP_CYCLE', `'${member.name}' already contains '${group.name}'; a group cannot contain itself`);
  }
}

/** A DN names one directory object: a user cannot take a DN another principal has. */
async function checkDnFree(store: Store, dn: string | null | undefined, self: number | undefined): Promise<void> {
  if (dn === undefined || dn === null) return;
  const holder = await store.principals.getByDnKey(dnKey(dn));
  if (holder !== undefined && holder.id !== self) {
    throw new AppError('ALREADY_EXISTS', `distinguished name ${dn} already belongs to '${holder.name}'`);
  }
}

/**
 * A principal a directory sync manages is changed in the directory, never here: the next
 * sync would undo the change (docs/directory.md).
 */
async function refuseManaged(store: Store, p: PrincipalRecord, what: string): Promise<void> {
  const link = await store.principals.directoryLinkOf(p.id);
  if (link !== undefined) {
    throw new AppError('DIRECTORY_MANAGED', `'${p.name}' comes from the directory (${link.source}): ${what} there; the next sync (stoa directory sync) brings the change here`);
  }
}

async function requireGroup(store: Store, written: string): Promise<PrincipalRecord> {
  const group = await resolvePrincipal(store, written);
  if (group.kind !== 'group') throw new AppError('NOT_A_GROUP', `'${group.name}' is a ${group.kind}, not a group`);
  return group;
}

export async function checkAddPrincipal(
  services: Services,
  actor: Actor,
  input: PrincipalAddInput,
  options: WriteOptions = {},
): Promise<Outcome<PrincipalView>> {
  const ref = parsePrincipalRef(input.key);
  if (ref.form !== formOfKind(input.kind)) {
    const expected = { sip: 'a SIP address (sip:user@domain)', dn: 'a distinguished name (CN=...,DC=...)', domain: 'a DNS domain name' }[formOfKind(input.kind)];
    throw new AppError('INVALID_PRINCIPAL', `a ${input.kind} is keyed by ${expected}; got '${input.key}'`);
  }
  const problems = new Problems();
  const attributes = validateAttributes(input.kind, input, problems);
  problems.throwIfAny();
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage the directory');
    const groups = await Promise.all((input.memberOf ?? []).map((g) => requireGroup(tx.store, g)));
    for (const g of groups) await refuseManaged(tx.store, g, 'change its members');
    if (groups.length > 0 && !GROUP_MEMBER_KINDS.includes(input.kind)) {
      throw new AppError('INVALID_INPUT', `a ${input.kind} cannot be a member of groups`);
    }
    const existing = await tx.store.principals.getByKey(ref.key);
    if (existing !== undefined) await refuseManaged(tx.store, existing, 'add it');
    if (existing !== undefined && existing.status !== 'deleted') {
      throw new AppError('ALREADY_EXISTS', `principal '${existing.name}' already exists: change it with stoa principal set`);
    }
    await checkDnFree(tx.store, attributes.dn, existing?.id);
    if (input.kind === 'user' && (await tx.store.endpoints.getByUri(ref.key)) !== undefined) {
      throw new AppError('NAME_TAKEN', `${ref.key} is the SIP address of a Persistent Chat endpoint`);
    }
    if (existing !== undefined && existing.kind !== input.kind) {
      throw new AppError('ALREADY_EXISTS', `'${existing.name}' was a ${existing.kind}; it cannot come back as a ${input.kind}`);
    }
    const columns = {
      name: ref.display,
      displayName: null,
      email: null,
      dn: input.kind === 'group' || input.kind === 'container' ? ref.display : null,
      dnKey: input.kind === 'group' || input.kind === 'container' ? ref.key : null,
      domain: input.kind === 'user' ? sipDomain(ref.key) : input.kind === 'domain' ? ref.key : null,
      site: null,
      status: 'active' as const,
      federated: false,
      policyId: null,
      passwordHash: null,
      ...attributeColumns(attributes),
    };
    // A deleted principal added again comes back under its old id, so history keeps its author.
    const principal = existing
      ? await tx.store.principals.update(existing.id, columns, tx.now)
      : await tx.store.principals.insert({ guid: services.newGuid(), kind: input.kind, key: ref.key, createdAt: tx.now, ...columns });
    for (const group of groups) {
      await checkNoCycle(tx.store, group, principal);
      await tx.store.principals.addGroupMember(group.id, principal.id);
    }
    // A new user belonged to nothing: every room it is now a member of (through its groups,
    // containers or domain) is membership gained.
    if (principal.kind === 'user') await doInviteGainedMembers(tx, new Map(), [principal.id]);
    const view = await present(tx.store, principal);
    tx.emit({ type: 'principal.created', principalId: principal.id, key: principal.key });
    await emitDirectoryChanged(tx, [principal.id]);
    tx.record({ action: existing ? 'update' : 'create', kind: input.kind, identity: view.key, details: diff({} as PrincipalView, view, ['id', 'guid', 'key']) });
    return view;
  });
}

export async function checkUpdatePrincipal(
  services: Services,
  actor: Actor,
  key: string,
  input: PrincipalUpdateInput,
  options: WriteOptions = {},
): Promise<Outcome<PrincipalView>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage the directory');
    const principal = await resolvePrincipal(tx.store, key);
    await refuseManaged(tx.store, principal, 'change it');
    const problems = new Problems();
    const attributes = validateAttributes(principal.kind, input, problems);
    problems.throwIfAny();
    await checkDnFree(tx.store, attributes.dn, principal.id);
    const before = await present(tx.store, principal);
    const affiliationsBefore = await snapshotAffiliations(tx, [principal.id]);
    const updated = await tx.store.principals.update(principal.id, attributeColumns(attributes), tx.now);
    if (input.memberOf !== undefined) {
      if (!GROUP_MEMBER_KINDS.includes(principal.kind)) throw new AppError('INVALID_INPUT', `a ${principal.kind} cannot be a member of groups`);
      const current = await tx.store.principals.groupsOf(principal.id);
      const { edit, named } = await resolveListEdit(tx.store, input.memberOf);
      const notGroup = named.find((p) => p.kind !== 'group');
      if (notGroup) throw new AppError('NOT_A_GROUP', `'${notGroup.name}' is a ${notGroup.kind}, not a group`);
      for (const g of named) await refuseManaged(tx.store, g, 'change its members');
      const next = applyListEdit(current, edit);
      for (const id of current.filter((g) => !next.includes(g))) await tx.store.principals.removeGroupMember(id, principal.id);
      for (const id of next.filter((g) => !current.includes(g))) {
        await checkNoCycle(tx.store, named.find((p) => p.id === id) as PrincipalRecord, principal);
        await tx.store.principals.addGroupMember(id, principal.id);
      }
    }
    await doInviteGainedMembers(tx, affiliationsBefore);
    const view = await present(tx.store, updated);
    tx.emit({ type: 'principal.updated', principalId: principal.id, key: principal.key });
    // A disabled account's sessions and API tokens end with it: enabling it again later
    // does not bring them back (the user signs in anew, tokens are issued anew).
    if (principal.status === 'active' && updated.status !== 'active') await doEndSessions(tx, principal.id, 'all');
    await emitDirectoryChanged(tx, [principal.id]);
    tx.record({ action: 'update', kind: principal.kind, identity: view.key, details: diff(before, view) });
    return view;
  });
}

/**
 * Removing a principal marks it deleted (legacy prinDisabled = 2) and takes it out of
 * every list, group and role; its row stays so that history keeps its author.
 */
export async function checkRemovePrincipal(
  services: Services,
  actor: Actor,
  key: string,
  options: WriteOptions = {},
): Promise<Outcome<PrincipalView>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage the directory');
    const principal = await resolvePrincipal(tx.store, key);
    await refuseManaged(tx.store, principal, 'remove it');
    const view = await present(tx.store, principal);
    const affected = await tx.store.principals.expand([principal.id]);
    await tx.store.principals.removeFromAllLists(principal.id);
    await tx.store.principals.update(principal.id, { status: 'deleted', passwordHash: null, policyId: null }, tx.now);
    await tx.store.principals.setLegacySecret(principal.id, null, tx.now);
    tx.emit({ type: 'principal.removed', principalId: principal.id, key: principal.key });
    tx.emit({ type: 'directory.changed', principalIds: [...affected] });
    tx.record({ action: 'remove', kind: principal.kind, identity: view.key });
    return view;
  });
}

export async function checkGroupMembership(
  services: Services,
  actor: Actor,
  groupName: string,
  memberName: string,
  change: 'add' | 'remove',
  options: WriteOptions = {},
): Promise<Outcome<PrincipalView>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage the directory');
    const group = await requireGroup(tx.store, groupName);
    await refuseManaged(tx.store, group, 'change its members');
    const member = await resolvePrincipal(tx.store, memberName);
    if (!GROUP_MEMBER_KINDS.includes(member.kind)) {
      throw new AppError('INVALID_INPUT', `a ${member.kind} cannot be a member of a group; only users and groups can`);
    }
    if (change === 'add') {
      await checkNoCycle(tx.store, group, member);
      const before = await snapshotAffiliations(tx, [member.id]);
      if (!(await tx.store.principals.addGroupMember(group.id, member.id))) {
        throw new AppError('ALREADY_EXISTS', `'${member.name}' is already a member of '${group.name}'`);
      }
      await doInviteGainedMembers(tx, before);
    } else if (!(await tx.store.principals.removeGroupMember(group.id, member.id))) {
      throw new AppError('PRINCIPAL_NOT_FOUND', `'${member.name}' is not a direct member of '${group.name}'`);
    }
    await emitDirectoryChanged(tx, [member.id]);
    tx.record({ action: change, kind: 'group member', identity: group.name, details: { member: change === 'add' ? { from: null, to: member.name } : { from: member.name, to: null } } });
    return present(tx.store, group);
  });
}

/**
 * Sets a user's password. `legacy` decides the NT hash legacy clients sign in with
 * (docs/legacy-clients.md): true stores it, false removes it, absent keeps it in step with
 * the new password when the user has one. Turning it on or off is for administrators: an
 * NT hash is password-equivalent for NTLM, so keeping one is a deployment decision.
 */
export async function checkSetPassword(
  services: Services,
  actor: Actor,
  user: string,
  password: string,
  options: WriteOptions & { legacy?: boolean; keepApiTokens?: boolean } = {},
): Promise<Outcome<{ user: string; legacySignIn: boolean; endedSessions: number }>> {
  checkPasswordStrength(password);
  const hash = await hashPassword(password);
  return runWrite(services, actor, options, async (tx) => {
    const facts = await loadActorFacts(tx.store, actor);
    const principal = await resolvePrincipal(tx.store, user, ['user']);
    const own = actor.kind === 'user' && actor.principalId === principal.id;
    if (!own) requireAdministrator(facts, "set other users' passwords");
    if (options.legacy !== undefined) requireAdministrator(facts, 'turn legacy sign-in on or off');
    await tx.store.principals.update(principal.id, { passwordHash: hash }, tx.now);
    const hadLegacy = (await tx.store.principals.legacySecrets([principal.id])).has(principal.id);
    const legacy = options.legacy ?? hadLegacy;
    await tx.store.principals.setLegacySecret(principal.id, legacy ? ntHash(password).toString('hex') : null, tx.now);
    // A new password signs the user out everywhere and revokes their API tokens (a
    // password change is what people do when they fear a leak), unless they keep them.
    const ended = await doEndSessions(tx, principal.id, options.keepApiTokens === true ? 'session' : 'all');
    tx.emit({ type: 'principal.updated', principalId: principal.id, key: principal.key });
    tx.record({
      action: 'set',
      kind: 'password',
      identity: principal.name,
      ...(legacy === hadLegacy ? {} : { details: { legacySignIn: { from: hadLegacy, to: legacy } } }),
      notes: [
        ...(legacy ? ['legacy clients sign in with this password too (NTLM; its NT hash is stored)'] : []),
        options.keepApiTokens === true ? 'sessions signed out; API tokens kept' : 'sessions signed out and API tokens revoked',
      ],
    });
    return { user: principal.name, legacySignIn: legacy, endedSessions: ended };
  });
}

export interface PrincipalFilters {
  key?: string;
  kind?: PrincipalKind;
  /** Substring of the key, display name or e-mail. */
  filter?: string;
  includeDeleted?: boolean;
  resultSize?: number;
  /** Group memberships by display name (`-AsObject`) rather than DN. */
  labels?: PrincipalLabels;
}

export async function listPrincipals(services: Services, actor: Actor, filters: PrincipalFilters = {}): Promise<PrincipalView[]> {
  const { store } = services;
  requireAdministrator(await loadActorFacts(store, actor), 'read the directory');
  if (filters.key !== undefined) return presentPrincipals(store, [await resolvePrincipal(store, filters.key)], filters.labels);
  const principals = await store.principals.list({
    ...(filters.kind === undefined ? {} : { kind: filters.kind }),
    ...(filters.filter === undefined ? {} : { text: filters.filter }),
    ...(filters.resultSize === undefined ? {} : { limit: filters.resultSize }),
    statuses: filters.includeDeleted ? ['active', 'disabled', 'deleted'] : ['active', 'disabled'],
  });
  return presentPrincipals(store, principals, filters.labels);
}


/** Ends a user's sessions (and API tokens, with 'all'): deleted, their connections closed after commit. */
export async function doEndSessions(tx: Tx, principalId: number, kind: 'session' | 'all'): Promise<number> {
  const sessions = await tx.store.sessions.list(principalId, kind === 'all' ? undefined : 'session');
  await tx.store.sessions.deleteForPrincipal(principalId, kind === 'all' ? undefined : 'session');
  if (sessions.length > 0) tx.emit({ type: 'session.ended', principalId, tokenHashes: sessions.map((s) => s.tokenHash) });
  return sessions.length;
}

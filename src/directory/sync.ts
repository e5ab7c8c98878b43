/**
 * A directory sync (D8, docs/directory.md): the directory's users, groups, OUs and domains
 * made Stoa's principals, in one transaction, as any other write — with --what-if, a
 * report, invitations for membership gained and live re-checks (kicks) for access lost.
 *
 * Each directory object is linked to its principal by its stable identity (objectGUID),
 * so a rename or a move keeps the principal; an object seen for the first time adopts the
 * principal that has its key already (made by a legacy migration or by hand) rather than
 * making a second one. What the legacy product did with leavers: a user gone from the
 * directory, or disabled there, is disabled (history and authorship stay); a group or OU
 * gone is removed from every scope, list and role, each removal reported. Incremental
 * passes read only what changed since the last one (uSNChanged / modifyTimestamp); only a
 * full pass can see what is gone.
 */
import type { Actor, Services, Tx } from '../actions/context.js';
import { runWrite } from '../actions/context.js';
import { doEndSessions } from '../actions/principals.js';
import { doInviteGainedMembers, snapshotAffiliations } from '../actions/invitations.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import { dnDomain, dnKey, normaliseDn, parsePrincipalRef, sipDomain, type PrincipalKind } from '../domain/principals.js';
import { LIMITS } from '../domain/names.js';
import type { PrincipalRecord } from '../store/types.js';
import type { DirectoryObject, DirectoryRead } from './ldap.js';

/** What a sync reads from: the LDAP directory, or anything that answers the same. */
export interface DirectorySource {
  readonly name: string;
  /** The base DNs read (each makes a domain principal). */
  readonly baseDns: readonly string[];
  read(since: string | null): Promise<DirectoryRead>;
}

export interface SyncOptions {
  /** Read everything (and find what is gone), not only what changed since the last pass. */
  full?: boolean;
  whatIf?: boolean;
}

export type SyncAction = 'create' | 'adopt' | 'update' | 'rename' | 'disable' | 'enable' | 'remove' | 'member added' | 'member removed';

export interface SyncChange {
  kind: PrincipalKind;
  key: string;
  action: SyncAction;
  details: string;
}

export interface SyncCounts {
  read: number;
  created: number;
  adopted: number;
  updated: number;
  unchanged: number;
  disabled: number;
  removed: number;
}

export interface SyncReport {
  source: string;
  mode: 'full' | 'incremental';
  whatIf: boolean;
  startedAt: string;
  finishedAt: string;
  counts: Record<'users' | 'groups' | 'containers' | 'domains', SyncCounts>;
  memberships: { added: number; removed: number };
  /** Every change, up to CHANGES_LISTED (then only counted). */
  changes: SyncChange[];
  changesOmitted: number;
  /** Scopes, lists and roles a group or OU gone from the directory was taken out of. */
  removals: { principal: string; on: string; name: string; list: string }[];
  /** Directory entries left out, each with its DN and why. */
  problems: string[];
  /** Where the next incremental pass starts. */
  highestChange: string | null;
}

const CHANGES_LISTED = 5_000;
const stateKey = (source: string) => `directory.${source}.highestChange`;
const emptyCounts = (): SyncCounts => ({ read: 0, created: 0, adopted: 0, updated: 0, unchanged: 0, disabled: 0, removed: 0 });
const countsKey = { user: 'users', group: 'groups', container: 'containers', domain: 'domains' } as const;

/** The principal a directory object should be: its key and attributes, or why it cannot be one. */
type Desired = Pick<PrincipalRecord, 'kind' | 'key' | 'name' | 'displayName' | 'email' | 'dn' | 'dnKey' | 'domain'> & {
  /** The directory object's stable identity. */
  id: string;
  status: 'active' | 'disabled';
};

const clip = (v: string | null, max: number) => (v === null ? null : [...v].slice(0, max).join(''));

function desiredOf(o: DirectoryObject): Desired | string {
  let dn: string;
  try {
    dn = normaliseDn(o.dn);
  } catch {
    return `${o.dn}: not a distinguished name Stoa can key: left out`;
  }
  if (o.kind !== 'user') {
    return { kind: o.kind, id: o.id, key: dnKey(dn), name: dn, displayName: clip(o.displayName, LIMITS.displayName), email: null, dn, dnKey: dnKey(dn), domain: null, status: 'active' };
  }
  if (o.sipAddress === null) return `${o.dn}: no SIP address: not a chat user, left out`;
  let ref;
  try {
    ref = parsePrincipalRef(o.sipAddress);
  } catch {
    ref = undefined;
  }
  if (ref?.form !== 'sip') return `${o.dn}: SIP address '${o.sipAddress.slice(0, 100)}' is not a sip: address, left out`;
  const email = o.mail !== null && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(o.mail) && o.mail.length <= LIMITS.email ? o.mail : null;
  return {
    kind: 'user',
    id: o.id,
    key: ref.key,
    name: ref.display,
    displayName: clip(o.displayName, LIMITS.displayName),
    email,
    dn,
    dnKey: dnKey(dn),
    domain: sipDomain(ref.key),
    status: o.enabled ? 'active' : 'disabled',
  };
}

function domainDesired(source: string, baseDn: string): Desired | undefined {
  const domain = dnDomain(baseDn);
  if (domain === null) return undefined;
  return { kind: 'domain', id: `${source}:domain:${domain}`, key: domain, name: domain, displayName: null, email: null, dn: null, dnKey: null, domain, status: 'active' };
}

const FIELDS = ['key', 'name', 'displayName', 'email', 'dn', 'dnKey', 'domain', 'status'] as const;

export async function syncDirectory(services: Services, actor: Actor, source: DirectorySource, options: SyncOptions = {}): Promise<SyncReport> {
  requireAdministrator(await loadActorFacts(services.store, actor), 'sync the directory');
  const startedAt = new Date(services.clock()).toISOString();
  const since = options.full === true ? null : ((await services.store.meta.get(stateKey(source.name))) ?? null);
  // The directory is read before the transaction: a slow or failing directory holds no lock.
  const read = await source.read(since);
  const mode = since === null ? 'full' : 'incremental';
  const outcome = await runWrite(services, actor, { whatIf: options.whatIf === true }, (tx) => apply(tx, source, read, mode));
  const report = outcome.result;
  report.whatIf = outcome.whatIf;
  report.startedAt = startedAt;
  report.finishedAt = new Date(services.clock()).toISOString();
  return report;
}

async function apply(tx: Tx, source: DirectorySource, read: DirectoryRead, mode: 'full' | 'incremental'): Promise<SyncReport> {
  const store = tx.store.principals;
  const report: SyncReport = {
    source: source.name,
    mode,
    whatIf: false,
    startedAt: '',
    finishedAt: '',
    counts: { users: emptyCounts(), groups: emptyCounts(), containers: emptyCounts(), domains: emptyCounts() },
    memberships: { added: 0, removed: 0 },
    changes: [],
    changesOmitted: 0,
    removals: [],
    problems: [...read.problems],
    highestChange: read.highestChange,
  };
  const change = (kind: PrincipalKind, key: string, action: SyncAction, details: string) => {
    if (report.changes.length < CHANGES_LISTED) report.changes.push({ kind, key, action, details });
    else report.changesOmitted += 1;
  };

  const desired: Desired[] = [];
  for (const base of source.baseDns) {
    const d = domainDesired(source.name, base);
    if (d !== undefined && !desired.some((x) => x.id === d.id)) desired.push(d);
  }
  for (const o of read.objects) {
    const d = desiredOf(o);
    if (typeof d === 'string') report.problems.push(d);
    else desired.push(d);
  }

  // A full pass needs every link (to find what is gone); an incremental one only those of what it read.
  const byDirectoryId = new Map<string, number>();
  if (mode === 'full') {
    for (const [principalId, link] of await store.directoryLinks()) if (link.source === source.name) byDirectoryId.set(link.directoryId, principalId);
  } else {
    for (const [directoryId, principalId] of await store.principalsByDirectoryIds(source.name, desired.map((d) => d.id))) byDirectoryId.set(directoryId, principalId);
  }
  const linked = new Map((await store.getManyByIds([...byDirectoryId.values()])).map((p) => [p.id, p]));
  const linkOf = async (principalId: number) => store.directoryLinkOf(principalId);

  // Who may gain or lose rooms: the users and groups this pass touches, and everyone in them.
  const touchedIds = desired.map((d) => byDirectoryId.get(d.id)).filter((id): id is number => id !== undefined);
  const before = await snapshotAffiliations(tx, touchedIds);
  const affected = new Set<number>(touchedIds);

  /** Principal id of each desired object, once it exists; those this pass created. */
  const idOf = new Map<string, number>();
  const created = new Set<number>();
  const keysTaken = new Map<string, string>();
  for (const d of desired) {
    const counts = report.counts[countsKey[d.kind]];
    counts.read += 1;
    const other = keysTaken.get(d.key);
    if (other !== undefined && other !== d.id) {
      report.problems.push(`${d.dn ?? d.key}: its key ${d.key} is also another directory object's: left out`);
      continue;
    }
    keysTaken.set(d.key, d.id);
    let current: PrincipalRecord | undefined = linked.get(byDirectoryId.get(d.id) ?? -1);
    let adopted = false;
    if (current === undefined) {
      const holder = await store.getByKey(d.key);
      if (holder !== undefined) {
        const holderLink = await linkOf(holder.id);
        if (holderLink !== undefined && (holderLink.source !== source.name || holderLink.directoryId !== d.id) && linkedElsewhere(holderLink, source.name, read, mode)) {
          report.problems.push(`${d.dn ?? d.key}: ${d.key} belongs to another directory object already: left out`);
          continue;
        }
        if (holder.kind !== d.kind) {
          report.problems.push(`${d.dn ?? d.key}: ${d.key} is a ${holder.kind} in Stoa, a ${d.kind} in the directory: left out`);
          continue;
        }
        current = holder;
        adopted = true;
      }
    } else if (current.key !== d.key) {
      const holder = await store.getByKey(d.key);
      if (holder !== undefined && holder.id !== current.id) {
        report.problems.push(`${d.dn ?? d.key}: renamed to ${d.key} in the directory, which another principal has in Stoa ('${holder.name}'): not renamed`);
        idOf.set(d.id, current.id);
        continue;
      }
    }
    if (d.dnKey !== null && d.kind === 'user') {
      const holder = await store.getByDnKey(d.dnKey);
      if (holder !== undefined && holder.id !== current?.id) {
        report.problems.push(`${d.dn}: this DN belongs to '${holder.name}' in Stoa: left out`);
        continue;
      }
    }
    const columns = { key: d.key, name: d.name, displayName: d.displayName, email: d.email, dn: d.dn, dnKey: d.dnKey, domain: d.domain, status: d.status };
    if (current === undefined) {
      const made = await store.insert({ guid: tx.services.newGuid(), kind: d.kind, createdAt: tx.now, site: null, federated: false, policyId: null, passwordHash: null, ...columns });
      await store.setDirectoryLink(made.id, { directoryId: d.id, source: source.name }, tx.now);
      idOf.set(d.id, made.id);
      created.add(made.id);
      affected.add(made.id);
      counts.created += 1;
      change(d.kind, d.key, 'create', d.kind === 'user' ? `${d.displayName ?? d.name} (${d.status})` : (d.dn ?? d.key));
      tx.emit({ type: 'principal.created', principalId: made.id, key: made.key });
      continue;
    }
    idOf.set(d.id, current.id);
    if (adopted || byDirectoryId.get(d.id) !== current.id) {
      await store.setDirectoryLink(current.id, { directoryId: d.id, source: source.name }, tx.now);
      counts.adopted += 1;
      change(d.kind, d.key, 'adopt', 'now managed by the directory (matched by its key)');
      affected.add(current.id);
    }
    const differs = FIELDS.filter((f) => current[f] !== columns[f]);
    if (differs.length === 0) {
      if (!adopted) counts.unchanged += 1;
      continue;
    }
    await store.update(current.id, columns, tx.now);
    affected.add(current.id);
    const was = current.status;
    if (was === 'active' && d.status === 'disabled') {
      counts.disabled += 1;
      change(d.kind, d.key, 'disable', 'disabled in the directory: signed out, history kept');
      await doEndSessions(tx, current.id, 'all');
    } else if (was !== 'active' && d.status === 'active') {
      change(d.kind, d.key, 'enable', was === 'deleted' ? 'back in the directory' : 'enabled in the directory');
    }
    if (current.key !== d.key) change(d.kind, d.key, 'rename', `was ${current.name}`);
    const rest = differs.filter((f) => f !== 'status' && f !== 'key' && f !== 'name');
    if (rest.length > 0) change(d.kind, d.key, 'update', rest.map((f) => `${f}: ${current[f] ?? '(none)'} → ${columns[f] ?? '(none)'}`).join('; '));
    if (!adopted) counts.updated += 1;
    tx.emit({ type: 'principal.updated', principalId: current.id, key: d.key });
  }

  // Group memberships: each group read gets exactly its directory members that are principals.
  // Members are found by DN among what this pass read first, in the store otherwise.
  const idByDnKey = new Map<string, number>();
  const nameById = new Map<number, string>();
  for (const d of desired) {
    const id = idOf.get(d.id);
    if (id === undefined || (d.kind !== 'user' && d.kind !== 'group')) continue;
    if (d.dnKey !== null) idByDnKey.set(d.dnKey, id);
    nameById.set(id, d.name);
  }
  const memberId = async (key: string): Promise<number | undefined> => {
    const known = idByDnKey.get(key);
    if (known !== undefined) return known;
    const member = (await store.getByDnKey(key)) ?? (await store.getByKey(key));
    if (member === undefined || member.status === 'deleted' || (member.kind !== 'user' && member.kind !== 'group')) return undefined;
    nameById.set(member.id, member.name);
    return member.id;
  };
  const nameOf = async (id: number) => nameById.get(id) ?? (await store.getById(id))?.name ?? String(id);
  // Planned for every group first, so that what members had before joining is read once,
  // before any of this pass's additions: what they gain is invited to.
  const plans: { groupKey: string; groupId: number; add: number[]; remove: number[] }[] = [];
  for (const o of read.objects) {
    if (o.kind !== 'group') continue;
    const groupId = idOf.get(o.id);
    if (groupId === undefined) continue;
    const want = new Set<number>();
    for (const memberDn of o.members) {
      let key: string;
      try {
        key = dnKey(normaliseDn(memberDn));
      } catch {
        continue;
      }
      const id = await memberId(key);
      if (id !== undefined) want.add(id);
    }
    const have = new Set(await store.membersOf(groupId));
    plans.push({ groupKey: dnKey(normaliseDn(o.dn)), groupId, add: [...want].filter((id) => !have.has(id)), remove: [...have].filter((id) => !want.has(id)) });
  }
  // Principals this pass created had nothing before (doInviteGainedMembers is told so below).
  const joining = [...new Set(plans.flatMap((p) => p.add))].filter((id) => !before.has(id) && !created.has(id));
  if (joining.length > 0) for (const [user, was] of await snapshotAffiliations(tx, joining)) if (!before.has(user) && !created.has(user)) before.set(user, was);
  for (const plan of plans) {
    for (const id of plan.add) {
      await store.addGroupMember(plan.groupId, id);
      report.memberships.added += 1;
      affected.add(id);
      change('group', plan.groupKey, 'member added', await nameOf(id));
    }
    for (const id of plan.remove) {
      await store.removeGroupMember(plan.groupId, id);
      report.memberships.removed += 1;
      affected.add(id);
      change('group', plan.groupKey, 'member removed', await nameOf(id));
    }
  }

  // Leavers: only a full pass sees what is gone.
  if (mode === 'full') {
    const seen = new Set(desired.map((d) => d.id));
    for (const [directoryId, principalId] of byDirectoryId) {
      if (seen.has(directoryId)) continue;
      const p = linked.get(principalId);
      if (p === undefined || p.status === 'deleted') continue;
      const counts = report.counts[countsKey[p.kind]];
      if (p.kind === 'user') {
        if (p.status !== 'active') continue;
        await store.update(p.id, { status: 'disabled' }, tx.now);
        await doEndSessions(tx, p.id, 'all');
        counts.disabled += 1;
        affected.add(p.id);
        change('user', p.key, 'disable', 'gone from the directory: disabled, history kept');
        tx.emit({ type: 'principal.updated', principalId: p.id, key: p.key });
        continue;
      }
      for (const l of await store.listsOf(p.id)) report.removals.push({ principal: p.name, on: l.on, name: l.name, list: l.list });
      for (const id of await tx.store.principals.expand([p.id])) affected.add(id);
      await store.removeFromAllLists(p.id);
      await store.update(p.id, { status: 'deleted' }, tx.now);
      await store.setDirectoryLink(p.id, null, tx.now);
      counts.removed += 1;
      change(p.kind, p.key, 'remove', 'gone from the directory: taken out of every scope, list and role');
      tx.emit({ type: 'principal.removed', principalId: p.id, key: p.key });
    }
  }

  await doInviteGainedMembers(tx, before, [...created]);
  if (affected.size > 0) tx.emit({ type: 'directory.changed', principalIds: [...(await tx.store.principals.expand([...affected]))] });
  if (read.highestChange !== null) await tx.store.meta.set(stateKey(source.name), read.highestChange);
  const total = report.changes.length + report.changesOmitted;
  tx.record({ action: 'update', kind: 'directory', identity: source.name, notes: [`${mode} sync: ${total} change(s)`] });
  return report;
}

/** Whether a principal's link to another object should stand (that object is still in the directory). */
function linkedElsewhere(link: { directoryId: string; source: string }, source: string, read: DirectoryRead, mode: 'full' | 'incremental'): boolean {
  if (link.source !== source) return true;
  // In a full pass, a link to an object no longer read is stale: the key moved to a new object.
  return mode === 'incremental' || read.objects.some((o) => o.id === link.directoryId);
}


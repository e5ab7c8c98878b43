/**
 * The public shapes of the objects actions return. Every entry point presents these and
 * nothing else, so internal columns (hashes, keys, counters) never leave.
 */
import type {
  AddinRecord,
  CategoryLists,
  CategoryRecord,
  EndpointRecord,
  PolicyRecord,
  PrincipalRecord,
  RoomRecord,
  RoomRoles,
  ScopedRecord,
  Store,
} from '../store/types.js';
import type { ChatConfiguration, ComplianceConfiguration } from '../domain/settings.js';
import { formatIdentity } from '../domain/identity.js';
import { formatTimeSpan } from '../domain/timespan.js';

export interface CategoryView {
  id: number;
  guid: string;
  identity: string;
  name: string;
  description: string;
  invitations: boolean;
  fileUpload: boolean;
  chatHistory: boolean;
  allowedMembers: string[];
  deniedMembers: string[];
  creators: string[];
}

export interface RoomView {
  id: number;
  guid: string;
  identity: string;
  name: string;
  description: string;
  category: string;
  type: string;
  privacy: string;
  invitations: string;
  disabled: boolean;
  addin: string | null;
  members: string[];
  managers: string[];
  presenters: string[];
}

export interface AddinView {
  id: number;
  guid: string;
  identity: string;
  name: string;
  url: string;
}

export interface PolicyView {
  identity: string;
  scope: string;
  enablePersistentChat: boolean;
  description: string;
}

export interface ConfigurationView extends ChatConfiguration {
  identity: string;
  scope: string;
}

export interface ComplianceConfigurationView extends Omit<ComplianceConfiguration, 'runIntervalSeconds'> {
  identity: string;
  scope: string;
  runInterval: string;
  runIntervalSeconds: number;
}

export interface EndpointView {
  identity: string;
  sipAddress: string;
  displayName: string;
  persistentChatPoolFqdn: string;
}

export interface PrincipalView {
  id: number;
  guid: string;
  key: string;
  kind: string;
  displayName: string | null;
  email: string | null;
  dn: string | null;
  site: string | null;
  status: string;
  federated: boolean;
  memberOf: string[];
  policy: string | null;
  hasPassword: boolean;
  /** Legacy clients may sign in with NTLM (an NT hash is kept: `stoa user passwd --legacy`). */
  legacySignIn: boolean;
  administrator: boolean;
}

/**
 * How principals appear in role lists, scopes and group memberships: by `key`, their SIP
 * address or DN (what the cmdlets print, unique); by `display` name (the cmdlets'
 * `-AsObject`), falling back to the key for principals without one.
 */
export type PrincipalLabels = 'key' | 'display';

/** Names of principals by id, for rendering role lists. */
export async function principalNames(store: Store, ids: Iterable<number>, labels: PrincipalLabels = 'key'): Promise<Map<number, string>> {
  const records = await store.principals.getManyByIds([...new Set(ids)]);
  return new Map(records.map((p) => [p.id, labels === 'display' ? (p.displayName ?? p.name) : p.name]));
}

const named = (names: Map<number, string>, ids: readonly number[]) =>
  ids.map((id) => names.get(id) ?? `#${id}`).sort((a, b) => a.localeCompare(b));

export async function presentCategories(store: Store, pool: string, categories: readonly CategoryRecord[], labels: PrincipalLabels = 'key'): Promise<CategoryView[]> {
  const lists = await store.categories.lists(categories.map((c) => c.id));
  const all = [...lists.values()].flatMap((l) => [...l.allowed, ...l.denied, ...l.creators]);
  const names = await principalNames(store, all, labels);
  return categories.map((c) => {
    const l = lists.get(c.id) as CategoryLists;
    return {
      id: c.id,
      guid: c.guid,
      identity: formatIdentity(pool, c.name),
      name: c.name,
      description: c.description,
      invitations: c.invitations,
      fileUpload: c.fileUpload,
      chatHistory: c.chatHistory,
      allowedMembers: named(names, l.allowed),
      deniedMembers: named(names, l.denied),
      creators: named(names, l.creators),
    };
  });
}

export async function presentRooms(store: Store, pool: string, rooms: readonly RoomRecord[], labels: PrincipalLabels = 'key'): Promise<RoomView[]> {
  const roles = await store.rooms.roles(rooms.map((r) => r.id));
  const names = await principalNames(store, [...roles.values()].flatMap((r) => [...r.members, ...r.managers, ...r.presenters]), labels);
  const categories = new Map((await store.categories.getManyByIds(rooms.map((r) => r.categoryId))).map((c) => [c.id, c.name]));
  const addinIds = rooms.map((r) => r.addinId).filter((id): id is number => id !== null);
  const addins = new Map((await store.addins.getManyByIds(addinIds)).map((a) => [a.id, a.name]));
  return rooms.map((r) => {
    const rr = roles.get(r.id) as RoomRoles;
    return {
      id: r.id,
      guid: r.guid,
      identity: formatIdentity(pool, r.name),
      name: r.name,
      description: r.description,
      category: categories.get(r.categoryId) ?? `#${r.categoryId}`,
      type: r.type,
      privacy: r.privacy,
      invitations: r.invitations,
      disabled: r.disabled,
      addin: r.addinId === null ? null : (addins.get(r.addinId) ?? null),
      members: named(names, rr.members),
      managers: named(names, rr.managers),
      presenters: named(names, rr.presenters),
    };
  });
}

export function presentAddin(pool: string, a: AddinRecord): AddinView {
  return { id: a.id, guid: a.guid, identity: formatIdentity(pool, a.name), name: a.name, url: a.url };
}

export function policyIdentity(p: Pick<PolicyRecord, 'scope' | 'name'>): string {
  if (p.scope === 'global') return 'Global';
  return `${p.scope === 'site' ? 'Site' : 'Tag'}:${p.name}`;
}

export function presentPolicy(p: PolicyRecord): PolicyView {
  return {
    identity: policyIdentity(p),
    scope: p.scope,
    enablePersistentChat: p.enablePersistentChat,
    description: p.description,
  };
}

export function scopedIdentity(r: Pick<ScopedRecord<unknown>, 'scope' | 'name'>): string {
  if (r.scope === 'global') return 'Global';
  if (r.scope === 'site') return `Site:${r.name}`;
  return `Service:PersistentChatServer:${r.name}`;
}

export function presentConfiguration(r: ScopedRecord<ChatConfiguration>): ConfigurationView {
  return { identity: scopedIdentity(r), scope: r.scope, ...r.settings };
}

export function presentComplianceConfiguration(r: ScopedRecord<ComplianceConfiguration>): ComplianceConfigurationView {
  return {
    identity: scopedIdentity(r),
    scope: r.scope,
    ...r.settings,
    runInterval: formatTimeSpan(r.settings.runIntervalSeconds),
  };
}

export function presentEndpoint(e: EndpointRecord): EndpointView {
  return { identity: e.sipUri, sipAddress: e.sipUri, displayName: e.displayName, persistentChatPoolFqdn: e.poolFqdn };
}

export async function presentPrincipals(store: Store, principals: readonly PrincipalRecord[], labels: PrincipalLabels = 'key'): Promise<PrincipalView[]> {
  const admins = new Set(await store.administrators.list());
  const groups = await store.principals.groupsOfMany(principals.map((p) => p.id));
  const names = await principalNames(store, [...groups.values()].flat(), labels);
  const policies = new Map((await store.policies.list()).map((p) => [p.id, policyIdentity(p)]));
  const legacy = await store.principals.legacySecrets(principals.filter((p) => p.kind === 'user').map((p) => p.id));
  return principals.map((p) => ({
    id: p.id,
    guid: p.guid,
    key: p.name,
    kind: p.kind,
    displayName: p.displayName,
    email: p.email,
    dn: p.dn,
    site: p.site,
    status: p.status,
    federated: p.federated,
    memberOf: named(names, groups.get(p.id) ?? []),
    policy: p.policyId === null ? null : (policies.get(p.policyId) ?? null),
    hasPassword: p.passwordHash !== null,
    legacySignIn: legacy.has(p.id),
    administrator: admins.has(p.id),
  }));
}

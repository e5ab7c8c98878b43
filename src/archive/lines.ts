/**
 * Stored objects as archive lines. The export writes them; the import compares the
 * target's objects in the same form, so "unchanged" means exactly "the same line".
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
import type { AddinLine, CategoryLine, EndpointLine, PolicyLine, PrincipalLine, RoomLine } from './records.js';

/** Principal ids to keys, looked up a page at a time and remembered (bounded by the directory). */
export class PrincipalKeys {
  private readonly keys = new Map<number, string>();
  constructor(private store: Store) {}

  /** Reads through this store from now on (a transaction's, which SQLite's one connection needs). */
  use(store: Store): void {
    this.store = store;
  }

  remember(p: Pick<PrincipalRecord, 'id' | 'key'>): void {
    this.keys.set(p.id, p.key);
  }

  async load(ids: Iterable<number | null>): Promise<void> {
    const missing = [...new Set(ids)].filter((id): id is number => id !== null && id > 0 && !this.keys.has(id));
    if (missing.length > 0) for (const p of await this.store.principals.getManyByIds(missing)) this.remember(p);
  }

  key(id: number): string {
    const key = this.keys.get(id);
    if (key === undefined) throw new Error(`principal ${id} vanished during the export`);
    return key;
  }

  keyOrNull(id: number | null): string | null {
    return id === null ? null : this.key(id);
  }

  async keysOf(ids: readonly number[]): Promise<string[]> {
    await this.load(ids);
    return ids.map((id) => this.key(id)).sort();
  }
}

/**
 * A principal as the archive has it. With `withPassword`, its password hash; with a
 * `legacyNtHash` given (null: none), its legacy sign-in secret as well.
 */
export function principalLineOf(p: PrincipalRecord, policy: string | null, memberOf: string[], withPassword: boolean, legacyNtHash?: string | null): PrincipalLine {
  return {
    guid: p.guid,
    kind: p.kind,
    key: p.key,
    name: p.name,
    displayName: p.displayName,
    email: p.email,
    dn: p.dn,
    domain: p.domain,
    site: p.site,
    status: p.status,
    federated: p.federated,
    policy,
    ...(withPassword ? { passwordHash: p.passwordHash } : {}),
    ...(withPassword && legacyNtHash !== undefined ? { legacyNtHash } : {}),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    memberOf: [...memberOf].sort(),
  };
}

export const addinLineOf = (a: AddinRecord): AddinLine => ({ guid: a.guid, name: a.name, url: a.url, createdAt: a.createdAt, updatedAt: a.updatedAt });

export async function categoryLineOf(c: CategoryRecord, lists: CategoryLists, keys: PrincipalKeys): Promise<CategoryLine> {
  await keys.load([c.createdBy, c.updatedBy]);
  return {
    guid: c.guid,
    name: c.name,
    description: c.description,
    invitations: c.invitations,
    fileUpload: c.fileUpload,
    chatHistory: c.chatHistory,
    createdAt: c.createdAt,
    createdBy: keys.keyOrNull(c.createdBy),
    updatedAt: c.updatedAt,
    updatedBy: keys.keyOrNull(c.updatedBy),
    allowed: await keys.keysOf(lists.allowed),
    denied: await keys.keysOf(lists.denied),
    creators: await keys.keysOf(lists.creators),
  };
}

/** The import compares rooms without `lastChatId`: it follows the messages, not the settings. */
export async function roomLineOf(
  r: RoomRecord,
  category: string,
  addin: string | null,
  roles: RoomRoles,
  keys: PrincipalKeys,
): Promise<RoomLine> {
  await keys.load([r.createdBy, r.updatedBy]);
  return {
    guid: r.guid,
    category,
    name: r.name,
    description: r.description,
    type: r.type,
    privacy: r.privacy,
    invitations: r.invitations,
    disabled: r.disabled,
    addin,
    lastChatId: r.lastChatId,
    createdAt: r.createdAt,
    createdBy: keys.keyOrNull(r.createdBy),
    updatedAt: r.updatedAt,
    updatedBy: keys.keyOrNull(r.updatedBy),
    members: await keys.keysOf(roles.members),
    managers: await keys.keysOf(roles.managers),
    presenters: await keys.keysOf(roles.presenters),
  };
}

export const policyLineOf = (p: PolicyRecord): PolicyLine => ({
  identity: p.identityKey,
  scope: p.scope,
  name: p.name,
  enablePersistentChat: p.enablePersistentChat,
  description: p.description,
  updatedAt: p.updatedAt,
});

export const configLineOf = <S>(c: ScopedRecord<S>) => ({ identity: c.identityKey, scope: c.scope, name: c.name, settings: c.settings, updatedAt: c.updatedAt });

export const endpointLineOf = (e: EndpointRecord): EndpointLine => ({ guid: e.guid, sipUri: e.sipUri, displayName: e.displayName, poolFqdn: e.poolFqdn, createdAt: e.createdAt });

/** Same line: the same values, key order aside. */
export function sameLine(a: object, b: object): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

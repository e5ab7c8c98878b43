/**
 * The store conformance suite: the same behaviour asserted on every database the Store
 * runs on (SQLite and PostgreSQL). Each test opens its own empty database.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { NewPrincipal, PrincipalRecord, Store } from '../types.js';
import type { PrincipalKind } from '../../domain/principals.js';
import { dnKey, normaliseDn } from '../../domain/principals.js';
import { isAppError } from '../../domain/errors.js';

type Open = () => Promise<Store>;

const NOW = 1_700_000_000_000;

export function principal(kind: PrincipalKind, key: string, extra: Partial<NewPrincipal> = {}): NewPrincipal {
  const isDn = kind === 'group' || kind === 'container';
  const dn = isDn ? normaliseDn(key) : null;
  return {
    guid: randomUUID(),
    kind,
    key: isDn ? dnKey(key) : key,
    name: dn ?? key,
    displayName: null,
    email: null,
    dn,
    dnKey: dn === null ? null : dn.toLowerCase(),
    domain: kind === 'user' ? key.slice(key.indexOf('@') + 1) : kind === 'domain' ? key : null,
    site: null,
    status: 'active',
    federated: false,
    policyId: null,
    passwordHash: null,
    createdAt: NOW,
    ...extra,
  };
}

function userWithDn(key: string, dn: string): NewPrincipal {
  const normal = normaliseDn(dn);
  return principal('user', key, { dn: normal, dnKey: normal.toLowerCase() });
}

export async function newCategory(store: Store, name: string) {
  return store.categories.insert({
    guid: randomUUID(),
    name,
    nameKey: name.toLowerCase(),
    description: '',
    invitations: false,
    fileUpload: true,
    chatHistory: true,
    createdAt: NOW,
    createdBy: null,
    updatedAt: NOW,
    updatedBy: null,
  });
}

export async function newRoom(store: Store, categoryId: number, name: string, extra: Partial<Parameters<Store['rooms']['insert']>[0]> = {}) {
  return store.rooms.insert({
    guid: randomUUID(),
    categoryId,
    name,
    nameKey: name.toLowerCase(),
    description: '',
    type: 'Normal',
    privacy: 'Closed',
    invitations: 'Inherit',
    disabled: false,
    addinId: null,
    createdAt: NOW,
    createdBy: null,
    updatedAt: NOW,
    updatedBy: null,
    ...extra,
  });
}

export function defineStoreConformance(open: Open): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('keeps meta values and overwrites them', async () => {
    expect(await store.meta.get('k')).toBeUndefined();
    await store.meta.set('k', 'one');
    await store.meta.set('k', 'two');
    expect(await store.meta.get('k')).toBe('two');
    // A compare-and-swap: only the writer that read the current value wins.
    expect(await store.meta.swap('k', 'one', 'three')).toBe(false);
    expect(await store.meta.swap('k', 'two', 'three')).toBe(true);
    expect(await store.meta.swap('lease', undefined, 'a')).toBe(true);
    expect(await store.meta.swap('lease', undefined, 'b')).toBe(false);
    expect([await store.meta.get('k'), await store.meta.get('lease')]).toEqual(['three', 'a']);
  });

  it('stores principals and finds them by id, key and text', async () => {
    const alice = await store.principals.insert(principal('user', 'sip:alice@contoso.com', { displayName: 'Alice Ärger', email: 'Alice@Contoso.com' }));
    expect(alice.id).toBeGreaterThan(0);
    expect(alice.federated).toBe(false);
    expect(alice.updatedAt).toBe(NOW);
    expect((await store.principals.getById(alice.id))?.key).toBe('sip:alice@contoso.com');
    expect((await store.principals.getByKey('sip:alice@contoso.com'))?.id).toBe(alice.id);
    await store.principals.insert(principal('group', 'CN=Finance,DC=contoso,DC=com'));
    expect((await store.principals.list({ text: 'alice@contoso' })).map((p) => p.id)).toEqual([alice.id]);
    expect((await store.principals.list({ kind: 'group' })).map((p) => p.name)).toEqual(['CN=Finance,DC=contoso,DC=com']);
    expect((await store.principals.list({ limit: 1 })).length).toBe(1);
    const updated = await store.principals.update(alice.id, { status: 'deleted', federated: true }, NOW + 5);
    expect(updated).toMatchObject({ status: 'deleted', federated: true, updatedAt: NOW + 5 });
    expect((await store.principals.list({})).map((p) => p.kind)).toEqual(['group']);
    expect((await store.principals.list({ statuses: ['deleted'] })).map((p) => p.id)).toEqual([alice.id]);
  });

  it('treats LIKE wildcards in a text search literally', async () => {
    await store.principals.insert(principal('user', 'sip:a_b@contoso.com'));
    await store.principals.insert(principal('user', 'sip:axb@contoso.com'));
    expect((await store.principals.list({ text: 'a_b' })).map((p) => p.key)).toEqual(['sip:a_b@contoso.com']);
    expect(await store.principals.list({ text: '%' })).toEqual([]);
  });

  it('refuses a duplicate principal key and rolls the transaction back', async () => {
    await store.principals.insert(principal('user', 'sip:bob@contoso.com'));
    const attempt = store.transaction(async (tx) => {
      await tx.meta.set('half', 'done');
      await tx.principals.insert(principal('user', 'sip:bob@contoso.com'));
    });
    await expect(attempt).rejects.toSatisfy((err) => isAppError(err) && err.code === 'CONFLICT');
    expect(await store.meta.get('half')).toBeUndefined();
  });

  it('joins an enclosing transaction instead of nesting', async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.transaction(async (inner) => inner.meta.set('inner', '1'));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await store.meta.get('inner')).toBeUndefined();
  });

  it('computes affiliations through nested groups, containers and domains', async () => {
    const domain = await store.principals.insert(principal('domain', 'contoso.com'));
    const sub = await store.principals.insert(principal('domain', 'sales.contoso.com'));
    const corp = await store.principals.insert(principal('domain', 'corp.local'));
    const ouIt = await store.principals.insert(principal('container', 'OU=IT,DC=corp,DC=local'));
    const ouDev = await store.principals.insert(principal('container', 'OU=Dev,OU=IT,DC=corp,DC=local'));
    const outer = await store.principals.insert(principal('group', 'CN=Outer,DC=corp,DC=local'));
    const inner = await store.principals.insert(principal('group', 'CN=Inner,OU=Dev,OU=IT,DC=corp,DC=local'));
    const ana = await store.principals.insert(userWithDn('sip:ana@sales.contoso.com', 'CN=Ana,OU=Dev,OU=IT,DC=corp,DC=local'));
    const ben = await store.principals.insert(principal('user', 'sip:ben@contoso.com'));
    await store.principals.addGroupMember(outer.id, inner.id);
    await store.principals.addGroupMember(inner.id, ana.id);
    expect(await store.principals.addGroupMember(inner.id, ana.id)).toBe(false);
    expect(await store.principals.groupsOfMany([ana.id, inner.id, ben.id])).toEqual(
      new Map([[ana.id, [inner.id]], [inner.id, [outer.id]], [ben.id, []]]),
    );

    const affs = await store.principals.affiliations([ana.id, ben.id, inner.id]);
    expect([...(affs.get(ana.id) ?? [])].sort()).toEqual(
      [ana.id, inner.id, outer.id, ouDev.id, ouIt.id, sub.id, domain.id, corp.id].sort(),
    );
    expect([...(affs.get(ben.id) ?? [])].sort()).toEqual([ben.id, domain.id].sort());
    // A group lies in the containers and domain of its own DN; its members do not inherit that.
    expect([...(affs.get(inner.id) ?? [])].sort()).toEqual([inner.id, outer.id, ouDev.id, ouIt.id, corp.id].sort());
    expect([...(affs.get(ben.id) ?? [])]).not.toContain(ouIt.id);

    // Removing a container from the directory ends containment through it.
    await store.principals.update(ouIt.id, { status: 'deleted' }, NOW);
    expect([...((await store.principals.affiliations([ana.id])).get(ana.id) ?? [])]).not.toContain(ouIt.id);
    expect(await store.principals.removeGroupMember(inner.id, ana.id)).toBe(true);
    expect([...((await store.principals.affiliations([ana.id])).get(ana.id) ?? [])]).not.toContain(outer.id);
  });

  it('survives group cycles in the data without looping', async () => {
    const a = await store.principals.insert(principal('group', 'CN=A,DC=x,DC=com'));
    const b = await store.principals.insert(principal('group', 'CN=B,DC=x,DC=com'));
    const u = await store.principals.insert(principal('user', 'sip:u@x.com'));
    await store.principals.addGroupMember(a.id, b.id);
    await store.principals.addGroupMember(b.id, a.id);
    await store.principals.addGroupMember(a.id, u.id);
    expect([...((await store.principals.affiliations([u.id])).get(u.id) ?? [])].sort()).toEqual([u.id, a.id, b.id].sort());
    expect([...(await store.principals.expand([a.id]))].sort()).toEqual([a.id, b.id, u.id].sort());
  });

  it('expands principals exactly in reverse of affiliations (random directories)', async () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const created: PrincipalRecord[] = [];
    for (const d of ['contoso.com', 'eu.contoso.com', 'fabrikam.com']) created.push(await store.principals.insert(principal('domain', d)));
    const ous = ['OU=A,DC=contoso,DC=com', 'OU=B,OU=A,DC=contoso,DC=com', 'OU=C,DC=fabrikam,DC=com'];
    for (const ou of ous) created.push(await store.principals.insert(principal('container', ou)));
    const groups: PrincipalRecord[] = [];
    for (let i = 0; i < 6; i++) {
      const g = await store.principals.insert(principal('group', `CN=G${i},${ous[rand(3)]}`));
      groups.push(g);
      created.push(g);
    }
    for (let i = 0; i < 30; i++) {
      const domain = ['contoso.com', 'eu.contoso.com', 'fabrikam.com', 'other.org'][rand(4)];
      const u = await store.principals.insert(
        rand(2) === 0 ? userWithDn(`sip:u${i}@${domain}`, `CN=U${i},${ous[rand(3)]}`) : principal('user', `sip:u${i}@${domain}`),
      );
      created.push(u);
      for (const g of groups) if (rand(4) === 0) await store.principals.addGroupMember(g.id, u.id);
    }
    for (let i = 1; i < groups.length; i++) if (rand(2) === 0) await store.principals.addGroupMember((groups[rand(i)] as PrincipalRecord).id, (groups[i] as PrincipalRecord).id);

    const ids = created.map((p) => p.id);
    const affiliations = await store.principals.affiliations(ids);
    for (const target of created) {
      const expected = ids.filter((id) => affiliations.get(id)?.has(target.id)).sort((a, b) => a - b);
      const expanded = [...(await store.principals.expand([target.id]))].sort((a, b) => a - b);
      expect({ target: target.name, expanded }).toEqual({ target: target.name, expanded: expected });
    }
  });

  it('strips a principal out of every list when asked', async () => {
    const u = await store.principals.insert(principal('user', 'sip:gone@contoso.com'));
    const g = await store.principals.insert(principal('group', 'CN=G,DC=contoso,DC=com'));
    await store.principals.addGroupMember(g.id, u.id);
    await store.administrators.add(u.id);
    const cat = await newCategory(store, 'Cat');
    await store.categories.setList(cat.id, 'allowed', [u.id, g.id]);
    const room = await newRoom(store, cat.id, 'R');
    await store.rooms.setRoles(room.id, 'member', [u.id]);
    expect(await store.principals.listsOf(u.id)).toEqual([
      { on: 'category', name: 'Cat', list: 'allowed' },
      { on: 'room', name: 'R', list: 'member' },
      { on: 'administrators', name: 'administrators', list: 'administrators' },
    ]);
    await store.principals.removeFromAllLists(u.id);
    expect(await store.principals.listsOf(u.id)).toEqual([]);
    expect(await store.principals.membersOf(g.id)).toEqual([]);
    expect(await store.administrators.list()).toEqual([]);
    expect((await store.categories.lists([cat.id])).get(cat.id)?.allowed).toEqual([g.id]);
    expect((await store.rooms.roles([room.id])).get(room.id)?.members).toEqual([]);
  });

  it('keeps a legacy sign-in secret apart from the principal, replaces and removes it', async () => {
    const u = await store.principals.insert(principal('user', 'sip:legacy@contoso.com'));
    const other = await store.principals.insert(principal('user', 'sip:modern@contoso.com'));
    expect(await store.principals.legacySecrets([u.id])).toEqual(new Map());
    await store.principals.setLegacySecret(u.id, 'a4f49c406510bdcab6824ee7c30fd852', 1000);
    await store.principals.setLegacySecret(u.id, '31d6cfe0d16ae931b73c59d7e0c089c0', 2000);
    expect(await store.principals.legacySecrets([u.id, other.id])).toEqual(new Map([[u.id, '31d6cfe0d16ae931b73c59d7e0c089c0']]));
    expect(await store.principals.legacySecrets([])).toEqual(new Map());
    expect(Object.keys((await store.principals.getById(u.id))!)).not.toContain('ntHash');
    await store.principals.setLegacySecret(u.id, null, 3000);
    await store.principals.setLegacySecret(u.id, null, 3000);
    expect(await store.principals.legacySecrets([u.id])).toEqual(new Map());
  });

  it('links a principal to its directory object, one object to one principal', async () => {
    const u = await store.principals.insert(principal('user', 'sip:synced@contoso.com'));
    const other = await store.principals.insert(principal('user', 'sip:local@contoso.com'));
    expect(await store.principals.directoryLinkOf(u.id)).toBeUndefined();
    await store.principals.setDirectoryLink(u.id, { directoryId: '6f9619ff-8b86-d011-b42d-00c04fc964ff', source: 'ldap' }, 1000);
    await store.principals.setDirectoryLink(u.id, { directoryId: '6f9619ff-8b86-d011-b42d-00c04fc964ff', source: 'ldap' }, 2000);
    expect(await store.principals.directoryLinkOf(u.id)).toEqual({ directoryId: '6f9619ff-8b86-d011-b42d-00c04fc964ff', source: 'ldap', syncedAt: 2000 });
    await expect(store.principals.setDirectoryLink(other.id, { directoryId: '6f9619ff-8b86-d011-b42d-00c04fc964ff', source: 'ldap' }, 3000)).rejects.toThrow();
    expect(await store.principals.directoryLinks()).toEqual(new Map([[u.id, { directoryId: '6f9619ff-8b86-d011-b42d-00c04fc964ff', source: 'ldap', syncedAt: 2000 }]]));
    await store.principals.setDirectoryLink(u.id, null, 4000);
    expect(await store.principals.directoryLinks()).toEqual(new Map());
  });

  it('stores categories with their lists', async () => {
    const a = await store.principals.insert(principal('user', 'sip:a@contoso.com'));
    const b = await store.principals.insert(principal('user', 'sip:b@contoso.com'));
    const cat = await newCategory(store, 'Engineering');
    expect(cat).toMatchObject({ name: 'Engineering', fileUpload: true, chatHistory: true, invitations: false });
    await store.categories.setList(cat.id, 'allowed', [b.id, a.id, a.id]);
    await store.categories.setList(cat.id, 'creator', [a.id]);
    expect((await store.categories.lists([cat.id])).get(cat.id)).toEqual({ allowed: [a.id, b.id].sort((x, y) => x - y), denied: [], creators: [a.id] });
    await store.categories.setList(cat.id, 'allowed', []);
    expect((await store.categories.lists([cat.id])).get(cat.id)?.allowed).toEqual([]);
    const updated = await store.categories.update(cat.id, { invitations: true, description: 'd' });
    expect(updated).toMatchObject({ invitations: true, description: 'd', fileUpload: true });
    expect((await store.categories.getByNameKey('engineering'))?.id).toBe(cat.id);
    expect((await store.categories.getManyByIds([cat.id, cat.id + 999])).map((c) => c.name)).toEqual(['Engineering']);
    expect(await store.categories.count()).toBe(1);
  });

  it('refuses to delete a category that still has rooms', async () => {
    const cat = await newCategory(store, 'Busy');
    await newRoom(store, cat.id, 'Inside');
    expect(await store.categories.roomCount(cat.id)).toBe(1);
    await expect(store.transaction((tx) => tx.categories.delete(cat.id))).rejects.toSatisfy((e) => isAppError(e) && e.code === 'CONFLICT');
    expect(await store.categories.getById(cat.id)).toBeDefined();
  });

  it('keeps the category/room namespace with node-name claims', async () => {
    await store.nodeNames.claim('dev', 'room');
    expect(await store.nodeNames.holder('dev')).toBe('room');
    await expect(store.transaction((tx) => tx.nodeNames.claim('dev', 'category'))).rejects.toSatisfy((e) => isAppError(e) && e.code === 'CONFLICT');
    await store.nodeNames.release('dev');
    expect(await store.nodeNames.holder('dev')).toBeUndefined();
  });

  it('filters rooms like Get-CsPersistentChatRoom', async () => {
    const cat = await newCategory(store, 'C1');
    const other = await newCategory(store, 'C2');
    const addin = await store.addins.insert({ guid: randomUUID(), name: 'Wiki', nameKey: 'wiki', url: 'https://wiki', createdAt: NOW, updatedAt: NOW });
    const u = await store.principals.insert(principal('user', 'sip:u@contoso.com'));
    const g = await store.principals.insert(principal('group', 'CN=G,DC=contoso,DC=com'));
    const r1 = await newRoom(store, cat.id, 'Alpha', { privacy: 'Open', addinId: addin.id });
    const r2 = await newRoom(store, cat.id, 'Beta', { type: 'Auditorium', disabled: true, invitations: 'False' });
    const r3 = await newRoom(store, other.id, 'Gamma', { privacy: 'Secret' });
    await store.rooms.setRoles(r1.id, 'manager', [u.id]);
    await store.rooms.setRoles(r3.id, 'member', [g.id]);
    const names = async (q: Parameters<Store['rooms']['list']>[0]) => (await store.rooms.list(q)).map((r) => r.name);
    expect(await names({})).toEqual(['Alpha', 'Beta', 'Gamma']);
    expect(await names({ categoryId: cat.id })).toEqual(['Alpha', 'Beta']);
    expect(await names({ privacy: 'Secret' })).toEqual(['Gamma']);
    expect(await names({ type: 'Auditorium' })).toEqual(['Beta']);
    expect(await names({ disabled: true })).toEqual(['Beta']);
    expect(await names({ disabled: false })).toEqual(['Alpha', 'Gamma']);
    expect(await names({ invitations: 'False' })).toEqual(['Beta']);
    expect(await names({ addinId: addin.id })).toEqual(['Alpha']);
    expect(await names({ role: { role: 'manager', principalIds: [u.id] } })).toEqual(['Alpha']);
    expect(await names({ role: { role: 'member', principalIds: [u.id, g.id] } })).toEqual(['Gamma']);
    expect(await names({ role: { role: 'member', principalIds: [] } })).toEqual([]);
    expect(await names({ ids: [r3.id, r2.id] })).toEqual(['Beta', 'Gamma']);
    expect(await names({ ids: [] })).toEqual([]);
    expect(await names({ limit: 2 })).toEqual(['Alpha', 'Beta']);
    expect(await store.rooms.countUsingAddin(addin.id)).toBe(1);
    expect(await store.rooms.clearAddin(addin.id)).toBe(1);
    expect((await store.rooms.getById(r1.id))?.addinId).toBeNull();
  });

  it('appends messages with a strictly increasing chat id per room and counts their size', async () => {
    const cat = await newCategory(store, 'M');
    const r1 = await newRoom(store, cat.id, 'One');
    const r2 = await newRoom(store, cat.id, 'Two');
    const u = await store.principals.insert(principal('user', 'sip:poster@contoso.com'));
    const posted = [];
    for (const [room, text] of [[r1, 'héllo'], [r1, 'world'], [r2, 'other'], [r1, '三']] as const) {
      posted.push(await store.messages.append({ roomId: room.id, authorId: u.id, postedAt: NOW, content: text, isAlert: text === 'world' }));
    }
    expect(posted.map((m) => m.chatId)).toEqual([1, 2, 1, 3]);
    expect(new Set(posted.map((m) => m.id)).size).toBe(4);
    expect(posted[1]?.isAlert).toBe(true);
    const room = await store.rooms.getById(r1.id);
    expect(room).toMatchObject({ lastChatId: 3, contentBytes: 6 + 5 + 3 });
    expect(await store.rooms.list({ contentExceedsBytes: 13 })).toHaveLength(1);
    expect(await store.rooms.list({ contentExceedsBytes: 14 })).toHaveLength(0);
    expect((await store.messages.latest(r1.id, 2)).map((m) => m.content)).toEqual(['world', '三']);
  });

  it('gives concurrent posters distinct chat ids', async () => {
    const cat = await newCategory(store, 'Busy');
    const room = await newRoom(store, cat.id, 'Race');
    const u = await store.principals.insert(principal('user', 'sip:racer@contoso.com'));
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.transaction((tx) => tx.messages.append({ roomId: room.id, authorId: u.id, postedAt: NOW + i, content: `m${i}` })),
      ),
    );
    expect(results.map((m) => m.chatId).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('keeps policies, scoped settings, endpoints and administrators', async () => {
    const policy = await store.policies.insert({ identityKey: 'tag:sales', scope: 'tag', name: 'Sales', enablePersistentChat: true, description: 'x', updatedAt: NOW });
    expect((await store.policies.getByKey('tag:sales'))?.enablePersistentChat).toBe(true);
    const u = await store.principals.insert(principal('user', 'sip:p@contoso.com', { policyId: policy.id }));
    expect(await store.principals.countAssignedPolicy(policy.id)).toBe(1);
    expect(await store.principals.clearPolicy(policy.id)).toBe(1);
    expect((await store.principals.getById(u.id))?.policyId).toBeNull();
    await store.policies.update(policy.id, { enablePersistentChat: false, updatedAt: NOW });
    expect((await store.policies.getById(policy.id))?.enablePersistentChat).toBe(false);

    const settings = { defaultChatHistory: 500, maxFileSizeKB: 4294967295, participantUpdateLimit: 0, roomManagementUrl: 'https://rooms' };
    const config = await store.configurations.insert({ identityKey: 'site:x', scope: 'site', name: 'X', settings, updatedAt: NOW });
    expect((await store.configurations.getByKey('site:x'))?.settings).toEqual(settings);
    await store.configurations.update(config.id, { ...settings, defaultChatHistory: 1 }, NOW + 1);
    expect((await store.configurations.list())[0]?.settings.defaultChatHistory).toBe(1);

    const compliance = {
      adapterType: 'JsonLines' as const,
      adapterName: 'n',
      adapterOutputDirectory: '/x',
      runIntervalSeconds: 2592000,
      oneChatRoomPerOutputFile: true,
      addChatRoomDetails: false,
      addUserDetails: true,
      createFileAttachmentsManifest: true,
      customConfiguration: '<x/>',
    };
    await store.complianceConfigurations.insert({ identityKey: 'global', scope: 'global', name: '', settings: compliance, updatedAt: NOW });
    expect((await store.complianceConfigurations.getByKey('global'))?.settings).toEqual(compliance);

    await store.endpoints.insert({ guid: randomUUID(), sipUri: 'sip:ocschat@contoso.com', displayName: 'Old', poolFqdn: 'pc', createdAt: NOW });
    expect((await store.endpoints.getByUri('sip:ocschat@contoso.com'))?.displayName).toBe('Old');

    expect(await store.administrators.add(u.id)).toBe(true);
    expect(await store.administrators.add(u.id)).toBe(false);
    expect(await store.administrators.list()).toEqual([u.id]);
    expect(await store.administrators.remove(u.id)).toBe(true);
  });
}

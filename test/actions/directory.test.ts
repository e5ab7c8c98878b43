import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useDeployment } from '../harness/services.js';
import { expectAppError } from '../harness/expect-error.js';
import { buildAdmin, buildCategory, buildContainer, buildDomain, buildGroup, buildRoom, buildUser, unique } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import {
  checkAddPrincipal,
  checkGroupMembership,
  checkRemovePrincipal,
  checkSetPassword,
  checkUpdatePrincipal,
  listPrincipals,
} from '../../src/actions/principals.js';
import { eligiblePrincipals } from '../../src/actions/eligible.js';
import { checkGrantAdministrator, listAdministrators } from '../../src/actions/administrators.js';
import { checkCreateCategory } from '../../src/actions/categories.js';
import { listRooms } from '../../src/actions/room-queries.js';
import { bootstrapAdministrator } from '../../src/actions/deployment.js';
import { pendingEvents } from '../harness/compliance-output.js';
import { verifyPassword } from '../../src/auth/password.js';
import { randomUUID } from 'node:crypto';

describeEachStore('directory', (kind) => {
  const d = useDeployment(kind);

  describe('principals', () => {
    it('keys each kind by its own form and refuses the wrong one', async () => {
      const user = (await checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'Ana@Contoso.com', kind: 'user', displayName: 'Ana', email: 'ana@contoso.com' })).result;
      expect(user).toMatchObject({ key: 'sip:ana@contoso.com', kind: 'user', displayName: 'Ana', status: 'active' });
      const group = (await checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'cn=Finance, ou=Groups ,dc=contoso,dc=com', kind: 'group' })).result;
      expect(group.key).toBe('CN=Finance,OU=Groups,DC=contoso,DC=com');
      await expectAppError(checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'contoso.com', kind: 'group' }), 'INVALID_PRINCIPAL', /keyed by a distinguished name/);
      await expectAppError(checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'sip:x@contoso.com', kind: 'domain' }), 'INVALID_PRINCIPAL');
      await expectAppError(checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'sip:@contoso.com', kind: 'user' }), 'INVALID_PRINCIPAL');
      await expectAppError(checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'not a domain!', kind: 'domain' }), 'INVALID_PRINCIPAL');
      await expectAppError(checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'sip:y@contoso.com', kind: 'user', email: 'nope' }), 'INVALID_VALUE');
      await expectAppError(checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'SIP:ANA@contoso.com', kind: 'user' }), 'ALREADY_EXISTS');
    });

    it('puts users in containers by DN and in domains by SIP address or DN', async () => {
      await buildDomain(d.services, 'contoso.com');
      await buildDomain(d.services, 'corp.local');
      const ou = await buildContainer(d.services, 'OU=Support,DC=corp,DC=local');
      const user = await buildUser(d.services, { domain: 'eu.contoso.com', dn: 'CN=Eve,OU=Tier1,OU=Support,DC=corp,DC=local' });
      for (const scope of [ou.key, 'contoso.com', 'corp.local']) {
        const cat = await buildCategory(d.services, { allowed: [scope] });
        const names = (await eligiblePrincipals(d.services, SYSTEM_ACTOR, { category: cat.name })).map((p) => p.key);
        expect({ scope, has: names.includes(user.key) }).toEqual({ scope, has: true });
      }
    });

    it('refuses group cycles and non-groups as groups', async () => {
      const a = await buildGroup(d.services);
      const b = await buildGroup(d.services, { memberOf: [a.key] });
      const c = await buildGroup(d.services, { memberOf: [b.key] });
      await expectAppError(checkGroupMembership(d.services, SYSTEM_ACTOR, c.key, a.key, 'add'), 'GROUP_CYCLE');
      await expectAppError(checkGroupMembership(d.services, SYSTEM_ACTOR, a.key, a.key, 'add'), 'GROUP_CYCLE');
      const user = await buildUser(d.services);
      await expectAppError(checkGroupMembership(d.services, SYSTEM_ACTOR, user.key, a.key, 'add'), 'NOT_A_GROUP');
      const ou = await buildContainer(d.services);
      await expectAppError(checkGroupMembership(d.services, SYSTEM_ACTOR, a.key, ou.key, 'add'), 'INVALID_INPUT');
      await expectAppError(checkUpdatePrincipal(d.services, SYSTEM_ACTOR, a.key, { memberOf: { mode: 'edit', add: [c.key], remove: [] } }), 'GROUP_CYCLE');
    });

    it('edits group membership and announces the affected principals', async () => {
      const g = await buildGroup(d.services);
      const sub = await buildGroup(d.services);
      const user = await buildUser(d.services, { memberOf: [sub.key] });
      await checkGroupMembership(d.services, SYSTEM_ACTOR, g.key, sub.key, 'add');
      expect(d.events.at(-1)).toEqual({ type: 'directory.changed', principalIds: expect.arrayContaining([sub.id, user.id]) as unknown });
      await expectAppError(checkGroupMembership(d.services, SYSTEM_ACTOR, g.key, sub.key, 'add'), 'ALREADY_EXISTS');
      await checkGroupMembership(d.services, SYSTEM_ACTOR, g.key, sub.key, 'remove');
      await expectAppError(checkGroupMembership(d.services, SYSTEM_ACTOR, g.key, sub.key, 'remove'), 'PRINCIPAL_NOT_FOUND');
      const changed = await checkUpdatePrincipal(d.services, SYSTEM_ACTOR, user.key, { memberOf: { mode: 'replace', values: [g.key] }, displayName: 'New' });
      expect(changed.result).toMatchObject({ memberOf: [g.key], displayName: 'New' });
    });

    it('removing marks deleted, hides it, and adding it again brings the same principal back', async () => {
      const user = await buildUser(d.services);
      await checkRemovePrincipal(d.services, SYSTEM_ACTOR, user.key);
      expect((await listPrincipals(d.services, SYSTEM_ACTOR)).map((p) => p.key)).not.toContain(user.key);
      expect((await listPrincipals(d.services, SYSTEM_ACTOR, { includeDeleted: true })).find((p) => p.key === user.key)?.status).toBe('deleted');
      await expectAppError(checkUpdatePrincipal(d.services, SYSTEM_ACTOR, user.key, { displayName: 'x' }), 'PRINCIPAL_NOT_PROVISIONED');
      const back = await checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: user.key, kind: 'user' });
      expect(back.result).toMatchObject({ id: user.id, status: 'active' });
    });

    it('disabling a user takes away everything, enabling gives it back', async () => {
      await buildDomain(d.services, 'contoso.com');
      const cat = await buildCategory(d.services, { allowed: ['contoso.com'] });
      const user = await buildUser(d.services);
      const room = await buildRoom(d.services, cat.name, { privacy: 'Open' });
      expect((await listRooms(d.services, user.actor)).map((r) => r.id)).toEqual([room.id]);
      await checkUpdatePrincipal(d.services, SYSTEM_ACTOR, user.key, { enabled: false });
      expect(await listRooms(d.services, user.actor)).toEqual([]);
      await checkUpdatePrincipal(d.services, SYSTEM_ACTOR, user.key, { enabled: true });
      expect(await listRooms(d.services, user.actor)).toHaveLength(1);
    });

    it('keeps federated users in lists but never lets them act', async () => {
      await buildDomain(d.services, 'contoso.com');
      const cat = await buildCategory(d.services, { allowed: ['contoso.com'] });
      const guest = await buildUser(d.services);
      const room = await buildRoom(d.services, cat.name, { privacy: 'Secret', members: [guest.key] });
      expect((await listRooms(d.services, guest.actor)).map((r) => r.id)).toEqual([room.id]);
      await checkUpdatePrincipal(d.services, SYSTEM_ACTOR, guest.key, { federated: true });
      expect(await listRooms(d.services, guest.actor)).toEqual([]);
      expect((await listRooms(d.services, SYSTEM_ACTOR)).find((r) => r.id === room.id)?.members).toEqual([guest.key]);
    });

    it('gives a distinguished name to one principal only', async () => {
      const g = await buildGroup(d.services);
      await expectAppError(buildUser(d.services, { dn: g.key }), 'ALREADY_EXISTS', /already belongs to/);
      const user = await buildUser(d.services, { dn: 'CN=Solo,DC=contoso,DC=com' });
      await checkUpdatePrincipal(d.services, SYSTEM_ACTOR, user.key, { dn: 'cn=solo,dc=contoso,dc=com' });
      await expectAppError(buildUser(d.services, { dn: 'CN=Solo,DC=contoso,DC=com' }), 'ALREADY_EXISTS');
    });

    it('refuses attributes that do not apply to the kind', async () => {
      const g = await buildGroup(d.services);
      await expectAppError(checkUpdatePrincipal(d.services, SYSTEM_ACTOR, g.key, { site: 'Redmond' }), 'INVALID_INPUT');
      await expectAppError(checkUpdatePrincipal(d.services, SYSTEM_ACTOR, g.key, { enabled: false }), 'INVALID_INPUT');
      await expectAppError(checkUpdatePrincipal(d.services, SYSTEM_ACTOR, g.key, { dn: 'CN=x,DC=y' }), 'INVALID_INPUT');
    });
  });

  describe('eligible principals (Get-CsPersistentChatEligiblePrincipal)', () => {
    it('expands groups and subtracts denied members', async () => {
      const g = await buildGroup(d.services);
      const sub = await buildGroup(d.services, { memberOf: [g.key] });
      const a = await buildUser(d.services, { memberOf: [g.key] });
      const b = await buildUser(d.services, { memberOf: [sub.key] });
      const c = await buildUser(d.services, { memberOf: [sub.key] });
      await buildUser(d.services);
      const cat = await buildCategory(d.services, { allowed: [g.key], denied: [c.key] });
      const keys = (await eligiblePrincipals(d.services, SYSTEM_ACTOR, { category: cat.name })).map((p) => p.key);
      expect(keys.sort()).toEqual([g.key, sub.key, a.key, b.key].sort());
      const filtered = await eligiblePrincipals(d.services, SYSTEM_ACTOR, { category: cat.name, filter: b.key.slice(4, 12) + '*' });
      expect(filtered.map((p) => p.key)).toEqual([b.key]);
      expect(await eligiblePrincipals(d.services, SYSTEM_ACTOR, { category: cat.name, resultSize: 0 })).toEqual([]);
      expect(await eligiblePrincipals(d.services, SYSTEM_ACTOR, { category: cat.name, resultSize: 2 })).toHaveLength(2);
    });

    it('answers for rooms, and for presenters only on auditoriums', async () => {
      const g = await buildGroup(d.services);
      const cat = await buildCategory(d.services, { allowed: [g.key] });
      const normal = await buildRoom(d.services, cat.name);
      const hall = await buildRoom(d.services, cat.name, { type: 'Auditorium' });
      expect((await eligiblePrincipals(d.services, SYSTEM_ACTOR, { room: normal.name })).map((p) => p.key)).toEqual([g.key]);
      await expectAppError(eligiblePrincipals(d.services, SYSTEM_ACTOR, { room: normal.name, presenters: true }), 'PRESENTERS_REQUIRE_AUDITORIUM');
      expect(await eligiblePrincipals(d.services, SYSTEM_ACTOR, { room: hall.name, presenters: true })).toHaveLength(1);
      await expectAppError(eligiblePrincipals(d.services, SYSTEM_ACTOR, { category: cat.name, room: hall.name }), 'INVALID_INPUT');
      await expectAppError(eligiblePrincipals(d.services, SYSTEM_ACTOR, { category: cat.name, presenters: true }), 'INVALID_INPUT');
    });
  });

  describe('administrators', () => {
    it('grants through groups and revokes', async () => {
      const admins = await buildGroup(d.services);
      const user = await buildUser(d.services, { memberOf: [admins.key] });
      await expectAppError(checkCreateCategory(d.services, user.actor, { name: unique('c') }), 'PERMISSION_DENIED');
      await checkGrantAdministrator(d.services, SYSTEM_ACTOR, admins.key, true);
      await checkCreateCategory(d.services, user.actor, { name: unique('c') });
      expect((await listAdministrators(d.services, SYSTEM_ACTOR)).map((p) => p.key)).toEqual([admins.key]);
      await expectAppError(checkGrantAdministrator(d.services, SYSTEM_ACTOR, admins.key, true), 'ALREADY_EXISTS');
      await checkGrantAdministrator(d.services, SYSTEM_ACTOR, admins.key, false);
      await expectAppError(checkGrantAdministrator(d.services, SYSTEM_ACTOR, admins.key, false), 'PRINCIPAL_NOT_FOUND');
      await expectAppError(checkGrantAdministrator(d.services, SYSTEM_ACTOR, 'contoso.com', true), 'PRINCIPAL_NOT_PROVISIONED');
    });

    it('creates the first administrator once, with a working password', async () => {
      const first = await bootstrapAdministrator(d.store, { poolFqdn: 'pc.contoso.com', password: 'correct horse battery', now: Date.now(), newGuid: randomUUID });
      expect(first).toEqual({ sipUri: 'sip:admin@pc.contoso.com', password: 'correct horse battery', generated: false });
      // Recorded for compliance, with no actor (the local administrator acted).
      expect((await pendingEvents(d.services)).filter((e) => e.content === 'create administrator sip:admin@pc.contoso.com')).toEqual([
        expect.objectContaining({ type: 'CHANGE', actorId: null }),
      ]);
      const admin = (await listAdministrators(d.services, SYSTEM_ACTOR))[0];
      expect(admin).toMatchObject({ key: 'sip:admin@pc.contoso.com', hasPassword: true });
      const record = await d.store.principals.getByKey('sip:admin@pc.contoso.com');
      expect(await verifyPassword('correct horse battery', record?.passwordHash ?? '')).toBe(true);
      await checkRemovePrincipal(d.services, SYSTEM_ACTOR, 'sip:admin@pc.contoso.com');
      expect(await bootstrapAdministrator(d.store, { poolFqdn: 'pc.contoso.com', now: Date.now(), newGuid: randomUUID })).toBeUndefined();
    });

    it('generates a strong password when none is given, and refuses a weak one', async () => {
      await expectAppError(bootstrapAdministrator(d.store, { poolFqdn: 'pc.contoso.com', password: 'short', now: Date.now(), newGuid: randomUUID }), 'INVALID_VALUE');
      const made = await bootstrapAdministrator(d.store, { poolFqdn: 'pc.contoso.com', now: Date.now(), newGuid: randomUUID });
      expect(made?.generated).toBe(true);
      expect(made?.password).toMatch(/^[A-Za-z2-9]{20}$/);
    });
  });

  describe('passwords', () => {
    it('stores a scrypt hash, refuses short passwords, and lets users change only their own', async () => {
      const user = await buildUser(d.services);
      const other = await buildUser(d.services);
      await expectAppError(checkSetPassword(d.services, SYSTEM_ACTOR, user.key, 'short'), 'INVALID_VALUE', /at least 8/);
      await checkSetPassword(d.services, SYSTEM_ACTOR, user.key, 'a long enough secret');
      const stored = (await d.store.principals.getById(user.id))?.passwordHash ?? '';
      expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(await verifyPassword('a long enough secret', stored)).toBe(true);
      expect(await verifyPassword('a long enough secreT', stored)).toBe(false);
      await checkSetPassword(d.services, user.actor, user.key, 'my own new secret');
      await expectAppError(checkSetPassword(d.services, user.actor, other.key, 'not yours at all'), 'PERMISSION_DENIED');
      const admin = await buildAdmin(d.services);
      await checkSetPassword(d.services, admin.actor, other.key, 'set by the admin');
      const group = await buildGroup(d.services);
      await expectAppError(checkSetPassword(d.services, SYSTEM_ACTOR, group.key, 'groups have none'), 'INVALID_PRINCIPAL');
    });

    it('keeps an NT hash for legacy sign-in only when an administrator turns it on, in step with later passwords', async () => {
      const user = await buildUser(d.services);
      const secret = async () => (await d.store.principals.legacySecrets([user.id])).get(user.id);
      await checkSetPassword(d.services, SYSTEM_ACTOR, user.key, 'no legacy for now');
      expect(await secret()).toBeUndefined();
      // Storing a password-equivalent hash is the administrator's decision, not the user's.
      await expectAppError(checkSetPassword(d.services, user.actor, user.key, 'let me in the old way', { legacy: true }), 'PERMISSION_DENIED', /turn legacy sign-in on or off/);
      expect(await secret()).toBeUndefined();
      const on = await checkSetPassword(d.services, SYSTEM_ACTOR, user.key, 'Password', { legacy: true });
      expect(on.result).toEqual({ user: user.key, legacySignIn: true, endedSessions: 0 });
      expect(on.changes).toEqual([expect.objectContaining({ action: 'set', kind: 'password', details: { legacySignIn: { from: false, to: true } } })]);
      // [MS-NLMP] §4.2.4: the NT hash of "Password".
      expect(await secret()).toBe('a4f49c406510bdcab6824ee7c30fd852');
      // The user's own change keeps legacy sign-in, with the new password.
      expect((await checkSetPassword(d.services, user.actor, user.key, 'my own new secret')).result.legacySignIn).toBe(true);
      expect(await secret()).not.toBe('a4f49c406510bdcab6824ee7c30fd852');
      expect((await listPrincipals(d.services, SYSTEM_ACTOR, { key: user.key }))[0]).toMatchObject({ hasPassword: true, legacySignIn: true });
      // What-if changes nothing; --no-legacy removes it; so does removing the user.
      await checkSetPassword(d.services, SYSTEM_ACTOR, user.key, 'my own new secret', { legacy: false, whatIf: true });
      expect(await secret()).toBeDefined();
      await checkSetPassword(d.services, SYSTEM_ACTOR, user.key, 'my own new secret', { legacy: false });
      expect(await secret()).toBeUndefined();
      await checkSetPassword(d.services, SYSTEM_ACTOR, user.key, 'my own new secret', { legacy: true });
      await checkRemovePrincipal(d.services, SYSTEM_ACTOR, user.key);
      expect(await secret()).toBeUndefined();
      // The compliance record says what changed, never the secret.
      const changes = (await pendingEvents(d.services)).filter((e) => e.type === 'CHANGE' && e.content.includes(`password ${user.key}`));
      expect(changes.length).toBeGreaterThanOrEqual(5);
      expect(JSON.stringify(changes)).not.toMatch(/a4f49c40|Password/);
    });
  });
});

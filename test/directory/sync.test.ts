/**
 * `stoa directory sync` against a real OpenLDAP shaped like Active Directory (issue 20):
 * the directory reproduced exactly (paged past AD's 1,000-entry limit, nested groups with a
 * cycle, two domains, OUs), a second pass that changes nothing, --what-if, and what each
 * change in the directory does to principals, scopes and roles.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Attribute, Change, Client } from 'ldapts';
import { openArchiveDeployment } from '../harness/archive.js';
import { sqliteStore } from '../harness/stores.js';
import type { TestDeployment } from '../harness/services.js';
import { ADMIN_DN, ADMIN_PASSWORD, SYNC_DN, SYNC_PASSWORD, slapdAvailable, startLdap, type LdapServer } from '../harness/ldap-server.js';
import { CONTOSO, ldapConfig, testDirectory, type TestDirectory } from './fixture.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { dnKey, normaliseDn } from '../../src/domain/principals.js';
import { ldapSource } from '../../src/directory/ldap.js';
import { syncDirectory, type SyncReport } from '../../src/directory/sync.js';
import { buildCategory, buildRoom } from '../factories.js';
import type { LdapConfig } from '../../src/config/schema.js';
import fs from 'node:fs';
import path from 'node:path';
import { cliFor, assertBuilt } from '../harness/cli.js';
import { tempDir } from '../harness/stores.js';
import { AppError } from '../../src/domain/errors.js';
import { checkGroupMembership, checkRemovePrincipal, checkUpdatePrincipal } from '../../src/actions/principals.js';
import { LdapDirectory } from '../../src/directory/ldap.js';

const available = slapdAvailable();

describe.skipIf(!available)('directory sync from LDAP', () => {
  let ldap: LdapServer;
  let dir: TestDirectory;
  let target: TestDeployment;
  let config: LdapConfig;

  beforeEach(async () => {
    dir = testDirectory();
    ldap = await startLdap(dir.entries);
    // OpenLDAP has no ordering rule for AD's uSNChanged: incremental passes go by modifyTimestamp here.
    config = ldapConfig(ldap.url, { attributes: { changed: 'modifyTimestamp' } as LdapConfig['attributes'] });
    target = await openArchiveDeployment(await sqliteStore());
  });
  afterEach(async () => {
    await target.close();
    await ldap.stop();
  });

  const sync = (options: { full?: boolean; whatIf?: boolean } = {}) => syncDirectory(target.services, SYSTEM_ACTOR, ldapSource(config), options);
  const store = () => target.services.store.principals;
  const principal = async (key: string) => (await store().getByKey(key.toLowerCase()))!;
  const groupKey = (cn: string) => dnKey(normaliseDn(`CN=${cn},OU=Groups,${CONTOSO}`));
  const membersOf = async (cn: string) => {
    const ids = await store().membersOf((await principal(groupKey(cn))).id);
    return (await store().getManyByIds(ids)).map((p) => p.key).sort();
  };
  async function modify(fn: (client: Client) => Promise<void>): Promise<void> {
    const client = new Client({ url: ldap.url });
    try {
      await client.bind(ADMIN_DN, ADMIN_PASSWORD);
      await fn(client);
    } finally {
      await client.unbind();
    }
  }
  const noChange = (r: SyncReport) => ({ changes: r.changes, memberships: r.memberships, problems: r.problems.filter((p) => !/no SIP address|Ghost/.test(p)) });

  it('reproduces the directory exactly, pages past 1,000 entries, and a second pass changes nothing', async () => {
    const report = await sync();
    expect(report.mode).toBe('full');
    const chatUsers = dir.users.filter((u) => u.sip !== undefined);
    expect(report.counts.users).toMatchObject({ read: chatUsers.length, created: chatUsers.length });
    expect(report.counts.groups).toMatchObject({ read: 7, created: 7 });
    expect(report.counts.containers).toMatchObject({ read: 5, created: 5 });
    expect(report.counts.domains).toMatchObject({ read: 2, created: 2 });
    // The default user filter reads only users with a SIP address.
    expect(report.problems).toEqual([]);

    const users = await store().list({ kind: 'user' });
    expect(users).toHaveLength(chatUsers.length);
    for (const u of chatUsers) {
      const p = users.find((x) => x.key === u.sip)!;
      expect({ key: p.key, displayName: p.displayName, email: p.email, dnKey: p.dnKey, status: p.status }).toEqual({
        key: u.sip,
        displayName: u.displayName,
        email: u.mail,
        dnKey: dnKey(normaliseDn(u.dn)),
        status: u.enabled === false || u.disabledAccount === true ? 'disabled' : 'active',
      });
    }
    expect((await store().list({ kind: 'domain' })).map((p) => p.key).sort()).toEqual(['contoso.test', 'fabrikam.test']);
    expect((await store().list({ kind: 'container' })).map((p) => p.key).sort()).toEqual(dir.ous.map((o) => dnKey(normaliseDn(o))).sort());
    expect(await membersOf('AllStaff')).toEqual([groupKey('Engineering'), groupKey('Sales')].sort());
    expect(await membersOf('Engineering')).toEqual([groupKey('Platform'), ...dir.users.slice(30, 60).filter((u) => u.sip).map((u) => u.sip!)].sort());
    expect(await membersOf('Partners')).toEqual([dir.users[200]!.sip]);
    // The cycle is kept as the directory has it: each ring member is in both rings.
    const u100 = await principal(dir.users[100]!.sip!);
    const affiliations = (await store().affiliations([u100.id])).get(u100.id)!;
    expect(affiliations.has((await principal(groupKey('Ring1'))).id)).toBe(true);
    expect(affiliations.has((await principal(groupKey('Ring2'))).id)).toBe(true);
    // Nested: user 0 is in Platform, so in Engineering and AllStaff; its OU and domain too.
    const u0 = await principal(dir.users[0]!.sip!);
    const a0 = (await store().affiliations([u0.id])).get(u0.id)!;
    for (const k of [groupKey('Platform'), groupKey('Engineering'), groupKey('AllStaff'), dnKey(`ou=engineering,ou=users,${CONTOSO.toLowerCase()}`), 'contoso.test']) expect(a0.has((await principal(k)).id), k).toBe(true);

    // AD's page limit holds here too: without paging a search stops at 1,000 entries.
    const asSync = new Client({ url: ldap.url });
    try {
      await asSync.bind(SYNC_DN, SYNC_PASSWORD);
      await expect(asSync.search(CONTOSO, { scope: 'sub', filter: '(objectClass=user)', attributes: ['cn'] })).rejects.toThrow(/size limit|Code: 0x4/i); // sizeLimitExceeded
    } finally {
      await asSync.unbind();
    }

    const again = await sync({ full: true });
    expect(noChange(again)).toEqual({ changes: [], memberships: { added: 0, removed: 0 }, problems: [] });
    expect(again.counts.users.unchanged).toBe(chatUsers.length);
  });

  it('--what-if reports what a sync would do and changes nothing', async () => {
    const before = await store().list({});
    const report = await sync({ whatIf: true });
    expect(report.whatIf).toBe(true);
    expect(report.counts.users.created).toBeGreaterThan(1000);
    expect(await store().list({})).toEqual(before);
    expect(await target.services.store.meta.get('directory.ldap.highestChange')).toBeUndefined();
  });

  it('adopts principals made before (by a migration or by hand) instead of duplicating them', async () => {
    const { checkAddPrincipal } = await import('../../src/actions/principals.js');
    await checkAddPrincipal(target.services, SYSTEM_ACTOR, { key: dir.users[0]!.sip!, kind: 'user', displayName: 'Old name' });
    await checkAddPrincipal(target.services, SYSTEM_ACTOR, { key: `CN=Platform,OU=Groups,${CONTOSO}`, kind: 'group' });
    const report = await sync();
    expect(report.counts.users.adopted).toBe(1);
    expect(report.counts.groups.adopted).toBe(1);
    expect(report.changes).toContainEqual({ kind: 'user', key: dir.users[0]!.sip, action: 'adopt', details: 'now managed by the directory (matched by its key)' });
    expect((await principal(dir.users[0]!.sip!)).displayName).toBe('Ana Ärger');
    expect((await store().list({ kind: 'user' })).filter((p) => p.key === dir.users[0]!.sip)).toHaveLength(1);
  });

  it('follows the directory: a move between OUs, a rename, leaving a nested group, disabling, deleting; incremental passes', async () => {
    await sync();
    const cat = await buildCategory(target.services, { name: 'Engineering', allowed: [groupKey('Engineering')] });
    const room = await buildRoom(target.services, cat.name, { name: 'Builds', members: [groupKey('Platform')], managers: [dir.users[1]!.sip!] });
    expect(room).toBeDefined();
    const u0 = await principal(dir.users[0]!.sip!);
    const u2 = await principal(dir.users[2]!.sip!);

    await modify(async (c) => {
      // user0000 moves to Sales and is renamed; user0002 leaves Platform; user0003 is disabled for chat; user0006 is deleted.
      await c.modifyDN(`CN=user0000,OU=Engineering,OU=Users,${CONTOSO}`, `CN=Ana Renamed,OU=Sales,OU=Users,${CONTOSO}`);
      await c.modify(`CN=Ana Renamed,OU=Sales,OU=Users,${CONTOSO}`, [
        new Change({ operation: 'replace', modification: new Attribute({ type: 'msRTCSIP-PrimaryUserAddress', values: ['sip:ana@contoso.test'] }) }),
      ]);
      await c.modify(`CN=Platform,OU=Groups,${CONTOSO}`, [
        new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [`CN=user0002,OU=Sales,OU=Users,${CONTOSO}`, `CN=user0000,OU=Engineering,OU=Users,${CONTOSO}`] }) }),
        new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [`CN=Ana Renamed,OU=Sales,OU=Users,${CONTOSO}`] }) }),
      ]);
      await c.modify(`CN=user0003,OU=Engineering,OU=Users,${CONTOSO}`, [
        new Change({ operation: 'replace', modification: new Attribute({ type: 'msRTCSIP-UserEnabled', values: ['FALSE'] }) }),
      ]);
      await c.del(`CN=user0006,OU=Engineering,OU=Users,${CONTOSO}`);
    });

    // An incremental pass reads only what changed (uSNChanged above the last pass's highest).
    const inc = await sync();
    expect(inc.mode).toBe('incremental');
    // What changed, and the one entry at the last pass's high-water mark (read again, harmlessly).
    expect(inc.counts.users.read + inc.counts.groups.read + inc.counts.containers.read).toBeLessThanOrEqual(4);
    const ana = await principal('sip:ana@contoso.test');
    expect(ana.id).toBe(u0.id);
    // The move between OUs moves its container affiliations (what OU scopes go by).
    const ou = (name: string) => principal(dnKey(normaliseDn(`OU=${name},OU=Users,${CONTOSO}`)));
    const moved = (await store().affiliations([ana.id])).get(ana.id)!;
    expect(moved.has((await ou('Sales')).id)).toBe(true);
    expect(moved.has((await ou('Engineering')).id)).toBe(false);
    expect(ana.dnKey).toBe(dnKey(normaliseDn(`CN=Ana Renamed,OU=Sales,OU=Users,${CONTOSO}`)));
    expect(inc.changes).toContainEqual(expect.objectContaining({ key: 'sip:ana@contoso.test', action: 'rename', details: `was ${dir.users[0]!.sip}` }));
    expect(await membersOf('Platform')).toContain('sip:ana@contoso.test');
    expect(await membersOf('Platform')).not.toContain(u2.key);
    expect((await principal(dir.users[3]!.sip!)).status).toBe('disabled');
    // A deletion is seen by a full pass only.
    expect((await principal(dir.users[6]!.sip!)).status).toBe('active');
    const full = await sync({ full: true });
    expect(full.changes).toContainEqual({ kind: 'user', key: dir.users[6]!.sip, action: 'disable', details: 'gone from the directory: disabled, history kept' });
    expect((await principal(dir.users[6]!.sip!)).status).toBe('disabled');

    // A group gone leaves every scope and role, each removal reported.
    await modify((c) => c.del(`CN=Engineering,OU=Groups,${CONTOSO}`));
    const gone = await sync({ full: true });
    expect(gone.counts.groups.removed).toBe(1);
    expect(gone.removals).toEqual([{ principal: normaliseDn(`cn=Engineering,ou=Groups,${CONTOSO.toLowerCase()}`), on: 'category', name: 'Engineering', list: 'allowed' }]);
    expect((await principal(groupKey('Engineering'))).status).toBe('deleted');
  });

  it('refuses local edits of what the directory manages, with the way to change it', async () => {
    await sync();
    const key = dir.users[0]!.sip!;
    const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e) as Promise<AppError>;
    for (const err of [
      await refusal(checkUpdatePrincipal(target.services, SYSTEM_ACTOR, key, { displayName: 'Local name' })),
      await refusal(checkRemovePrincipal(target.services, SYSTEM_ACTOR, key)),
      await refusal(checkGroupMembership(target.services, SYSTEM_ACTOR, groupKey('Platform'), dir.users[2]!.sip!, 'remove')),
    ]) {
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('DIRECTORY_MANAGED');
      expect(err.message).toMatch(/comes from the directory \(ldap\): .* there; the next sync \(stoa directory sync\) brings the change here/);
    }
  });

  it('says clearly when the directory cannot be reached or refuses the bind, and changes nothing', async () => {
    const down = ldapConfig('ldap://127.0.0.1:1', { timeoutMs: 2000 });
    const unreachable = (await syncDirectory(target.services, SYSTEM_ACTOR, ldapSource(down)).catch((e: unknown) => e)) as AppError;
    expect(unreachable.code).toBe('DIRECTORY_UNAVAILABLE');
    expect(unreachable.message).toMatch(/no directory server answered \(ldap:\/\/127\.0\.0\.1:1: /);
    const wrong = ldapConfig(ldap.url);
    fs.writeFileSync(wrong.bindPasswordFile, 'not the password\n');
    await expect(syncDirectory(target.services, SYSTEM_ACTOR, ldapSource(wrong))).rejects.toMatchObject({ code: 'DIRECTORY_BIND_REFUSED' });
    expect(() => LdapDirectory.fromConfig({ ...wrong, bindPasswordFile: '/nonexistent/file' })).toThrow(/bindPasswordFile: cannot read \/nonexistent\/file \(ENOENT\)/);
    expect(await store().list({ kind: 'user' })).toEqual([]);
  });

  it('stoa directory sync through the CLI: what-if, then a sync with a report', async () => {
    assertBuilt();
    const cfgDir = tempDir();
    const configFile = path.join(cfgDir, 'stoa.json');
    fs.writeFileSync(configFile, JSON.stringify({ directory: { ldap: { ...config, attributes: { changed: 'modifyTimestamp' } } } }));
    const cli = cliFor(path.join(cfgDir, 'data'), ['--pool-fqdn', 'pc.contoso.com', '--config', configFile]);
    const whatIf = await cli.run(['directory', 'sync', '--what-if']);
    expect(whatIf.code, whatIf.stderr).toBe(0);
    expect(whatIf.stdout).toMatch(/^what-if: nothing was changed \(full pass of ldap\)/);
    expect(whatIf.stdout).toMatch(/^ {2}users: 1176 read — 1176 created/m);
    const report = path.join(cfgDir, 'sync.html');
    const done = await cli.run(['directory', 'sync', '--report', report]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^synced \(full pass of ldap\)/);
    expect(fs.readFileSync(report, 'utf8')).toMatch(/<h1>Stoa directory sync: full pass of ldap<\/h1>/);
    const again = await cli.run(['--json', 'directory', 'sync']);
    expect(JSON.parse(again.stdout)).toMatchObject({ mode: 'incremental', changes: [] });
    const none = cliFor();
    const unconfigured = await none.run(['directory', 'sync']);
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/no directory is configured: add directory\.ldap to the configuration file \(docs\/directory\.md\)/);
  });
});

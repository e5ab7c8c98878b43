/**
 * A directory sync in a running server (issue 20): a user signs in over HTTP with their
 * directory password, and the sync's membership changes act live — an invitation when a
 * user gains a room through a group, a kick when a user leaves the group a room is made of.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attribute, Change, Client } from 'ldapts';
import { Api, WsClient, startTestServer, type TestServer } from '../harness/server.js';
import { ADMIN_DN, ADMIN_PASSWORD, makeTestCa, slapdAvailable, startLdap, type LdapServer } from '../harness/ldap-server.js';
import { CONTOSO, ldapConfig, testDirectory, type TestDirectory } from './fixture.js';
import { buildCategory, buildRoom } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { ldapSource } from '../../src/directory/ldap.js';
import { syncDirectory } from '../../src/directory/sync.js';
import { dnKey, normaliseDn } from '../../src/domain/principals.js';
import type { LdapConfig } from '../../src/config/schema.js';

const available = slapdAvailable();

describe.skipIf(!available)('the directory in a running server', () => {
  let ldap: LdapServer;
  let dir: TestDirectory;
  let server: TestServer;
  let config: LdapConfig;

  beforeAll(async () => {
    dir = testDirectory(240);
    const tls = makeTestCa();
    ldap = await startLdap(dir.entries, tls);
    config = ldapConfig(ldap.ldapsUrl!, { caFile: tls.caFile, signIn: true, syncIntervalMinutes: 0, attributes: { changed: 'modifyTimestamp' } as LdapConfig['attributes'] });
    server = await startTestServer({ dialect: 'sqlite' }, { directory: { ldap: config } });
    await syncDirectory(server.services, SYSTEM_ACTOR, ldapSource(config));
  });
  afterAll(async () => {
    await server?.close();
    await ldap?.stop();
  });

  const group = (cn: string) => dnKey(normaliseDn(`CN=${cn},OU=Groups,${CONTOSO}`));

  async function signIn(user: string, password: string): Promise<{ api: Api; ws: () => Promise<WsClient> }> {
    const r = await new Api(server.url).post<{ token: string }>('/api/v1/auth/sign-in', { user, password });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const token = r.body.token;
    return { api: new Api(server.url, token), ws: () => WsClient.connect(server.url, token) };
  }

  async function ldapModify(dn: string, changes: Change[]): Promise<void> {
    const client = new Client({ url: ldap.url });
    try {
      await client.bind(ADMIN_DN, ADMIN_PASSWORD);
      await client.modify(dn, changes);
    } finally {
      await client.unbind();
    }
  }

  it('signs in over HTTP with the directory password, invites on a gained room, kicks on a lost one', async () => {
    const cat = await buildCategory(server.services, { name: 'Engineering', allowed: ['contoso.test'], invitations: true });
    const room = await buildRoom(server.services, cat.name, { name: 'Platform talk', privacy: 'Closed', members: [group('Platform')] });
    const member = dir.users[1]!;
    const joiner = dir.users[130]!;
    const a = await signIn(member.sam, member.password!);
    const b = await signIn(joiner.upn, joiner.password!);
    const [wa, wb] = await Promise.all([a.ws(), b.ws()]);
    await wa.ok({ type: 'join', room: room.guid });

    await ldapModify(`CN=Platform,OU=Groups,${CONTOSO}`, [
      new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [member.dn] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [joiner.dn] }) }),
    ]);
    const report = await syncDirectory(server.services, SYSTEM_ACTOR, ldapSource(config));
    expect(report.memberships).toEqual({ added: 1, removed: 1 });
    expect(await wa.waitFor((f) => f.type === 'room.kicked')).toMatchObject({ room: room.guid });
    const invitation = (await wb.waitFor((f) => f.type === 'invitation')) as unknown as { invitation: { room: { id: string; name: string } } };
    expect(invitation.invitation.room).toMatchObject({ id: room.guid, name: 'Platform talk' });
    wa.close();
    wb.close();
  });
});

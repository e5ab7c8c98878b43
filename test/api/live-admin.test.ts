/**
 * The real `stoa` CLI working on the data dir of a running server: its changes reach the
 * server at once (D5), and the content operations and the health test work end to end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useServer } from '../harness/server.js';
import { assertBuilt, cliFor, expectOk } from '../harness/cli.js';
import { buildCategory, buildDomain, buildRoom, unique } from '../factories.js';
import { CONTROL_FILE } from '../../src/main.js';

describe('administering a running server from the CLI', () => {
  const t = useServer({ dialect: 'sqlite' });
  beforeAll(() => assertBuilt());
  const cli = () => cliFor(t.dataDir, []);

  async function world() {
    const domain = `${unique('d')}.example`;
    await buildDomain(t.services, domain);
    const category = await buildCategory(t.services, { allowed: [domain] });
    const [alice, bob] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    const room = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [alice.key, bob.key] });
    return { domain, category, alice, bob, room };
  }

  it('writes an owner-only control file while it runs', () => {
    expect(fs.statSync(path.join(t.dataDir, CONTROL_FILE)).mode & 0o777).toBe(0o600);
  });

  it('kicks participants when the CLI disables the room or removes a member', async () => {
    const { alice, bob, room } = await world();
    const [wa, wb] = await Promise.all([alice.ws(), bob.ws()]);
    await wa.ok({ type: 'join', room: room.guid });
    await wb.ok({ type: 'join', room: room.guid });
    expectOk(await cli().run(['room', 'set', room.name, '--remove-member', bob.key]));
    expect(await wb.waitFor((f) => f.type === 'room.kicked')).toMatchObject({ room: room.guid });
    expectOk(await cli().run(['room', 'set', room.name, '--disabled', 'true']));
    expect(await wa.waitFor((f) => f.type === 'room.kicked')).toMatchObject({ reason: 'the room was disabled' });
    wa.close();
    wb.close();
  });

  it('cuts a user off when the CLI switches their policy off', async () => {
    const { alice } = await world();
    const ws = await alice.ws();
    const policy = unique('Off');
    expectOk(await cli().run(['policy', 'new', policy, '--enable-persistent-chat', 'false']));
    expectOk(await cli().run(['policy', 'grant', alice.key, '--policy-name', policy]));
    expect((await ws.waitClosed()).code).toBe(4403);
  });

  it('clears a room up to an inclusive end date and tells joined clients', async () => {
    const { alice, room } = await world();
    for (const text of ['one', 'two']) await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text });
    const ws = await alice.ws();
    await ws.ok({ type: 'join', room: room.guid });
    const today = new Date().toISOString().slice(0, 10);
    const whatIf = expectOk(await cli().run(['room', 'clear', room.name, '--end-date', today, '--what-if']));
    expect(whatIf.stdout).toContain('What if: would remove room content');
    expect((await alice.api.get(`/api/v1/rooms/${room.guid}/messages`)).body.messages).toHaveLength(2);
    const cleared = expectOk(await cli().run(['--json', 'room', 'clear', room.name, '--end-date', today])).json<{ removed: number }>();
    expect(cleared.removed).toBe(2);
    await ws.waitFor((f) => f.type === 'room.cleared');
    expect((await alice.api.get(`/api/v1/rooms/${room.guid}/messages`)).body.messages).toEqual([]);
    const none = expectOk(await cli().run(['--json', 'room', 'clear', room.name, '--end-date', '2000-01-01'])).json<{ removed: number }>();
    expect(none.removed).toBe(0);
    expect((await cli().run(['room', 'clear', room.name])).code).toBe(2);
    ws.close();
  });

  it('removes or replaces messages chosen by poster and keywords', async () => {
    const { alice, bob, room } = await world();
    const post = (u: typeof alice, text: string) => u.api.post(`/api/v1/rooms/${room.guid}/messages`, { text });
    await post(alice, 'Budget numbers are final');
    await post(bob, 'budget draft attached');
    await post(alice, 'lunch at noon');
    const ws = await bob.ws();
    await ws.ok({ type: 'join', room: room.guid });
    const replaced = expectOk(await cli().run(['--json', 'message', 'remove', '--room', room.name, '--replace-message', '--filter', 'budget', '--user-uri', alice.key])).json<{ count: number }>();
    expect(replaced.count).toBe(1);
    const frame = await ws.waitFor((f) => f.type === 'message.replaced');
    expect(frame.messages[0].text).toBe('This message was replaced by the Persistent Chat administrator.');
    const removed = expectOk(await cli().run(['--json', 'message', 'remove', '--room', room.name, '--remove', '--filter', 'BUDGET DRAFT', '--match-clause', 'Exact'])).json<{ count: number }>();
    expect(removed.count).toBe(1);
    await ws.waitFor((f) => f.type === 'message.removed');
    const texts = (await alice.api.get(`/api/v1/rooms/${room.guid}/messages`)).body.messages.map((m: { text: string; replaced: boolean }) => [m.text, m.replaced]);
    expect(texts).toEqual([
      ['This message was replaced by the Persistent Chat administrator.', true],
      ['lunch at noon', false],
    ]);
    const caseSensitive = expectOk(await cli().run(['--json', 'message', 'remove', '--room', room.name, '--remove', '--filter', 'LUNCH', '--case-sensitive'])).json<{ count: number }>();
    expect(caseSensitive.count).toBe(0);
    expect((await cli().run(['message', 'remove', '--room', room.name, '--remove', '--replace-message', 'x'])).code).toBe(2);
    expect((await cli().run(['message', 'remove', '--room', room.name])).code).toBe(2);
    ws.close();
  });

  it('runs the synthetic message test between two users', async () => {
    const { alice, bob } = await world();
    const ok = expectOk(await cli().run(['--json', 'message', 'test', '--sender', alice.key, '--receiver', bob.key]));
    const result = ok.json<{ ok: boolean; room: string; steps: { name: string; ok: boolean; detail?: string }[] }>();
    expect(result.ok).toBe(true);
    // The two test messages were delivered, then removed from the room they were posted in.
    expect(result.steps.at(-1)).toEqual({ name: 'remove the test messages', ok: true, detail: '2 of 2' });
    const room = (await t.services.store.rooms.list({})).find((r) => r.name === result.room)!;
    expect((await t.services.store.messages.select({ roomId: room.id })).filter((m) => m.content.startsWith('Stoa test message'))).toEqual([]);
    const outsider = await t.user({ domain: `${unique('nobody')}.example` });
    const failed = await cli().run(['message', 'test', '--sender', alice.key, '--receiver', outsider.key]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('FAIL find a room both users may post in');
    expect(failed.stderr).toContain('TEST_FAILED');
  });

  it('manages API tokens for a user', async () => {
    const { alice } = await world();
    const created = expectOk(await cli().run(['--json', 'user', 'token', 'new', alice.key, '--name', 'ci bot'])).json<{ token: string; info: { id: string } }>();
    const { Api } = await import('../harness/server.js');
    expect((await new Api(t.url, created.token).get('/api/v1/me')).body.sipUri).toBe(alice.key);
    const listed = expectOk(await cli().run(['--json', 'user', 'token', 'get', alice.key])).json<{ id: string }[]>();
    expect(listed.map((x) => x.id)).toContain(created.info.id);
    expectOk(await cli().run(['user', 'token', 'remove', alice.key, created.info.id]));
    expect((await new Api(t.url, created.token).get('/api/v1/me')).status).toBe(401);
  });
});

describe('the CLI against a server by URL', () => {
  const t = useServer({ dialect: 'sqlite' });
  beforeAll(() => assertBuilt());

  it('runs commands with an administrator\'s API token and refuses other users', async () => {
    const { checkGrantAdministrator } = await import('../../src/actions/administrators.js');
    const { SYSTEM_ACTOR } = await import('../../src/actions/context.js');
    const admin = await t.user();
    await checkGrantAdministrator(t.services, SYSTEM_ACTOR, admin.key, true);
    const user = await t.user();
    const tokenOf = async (u: typeof admin) => (await u.api.post('/api/v1/me/tokens', { name: 'cli' })).body.token as string;
    // A data dir of its own: nothing here may be touched, everything happens on the server.
    const elsewhere = cliFor();
    const name = unique('Remote');
    const created = await elsewhere.run(['--server', t.url, '--token', await tokenOf(admin), '--json', 'category', 'new', '--name', name]);
    expect(created.code, created.stderr).toBe(0);
    expect(await t.services.store.categories.getByNameKey(name.toLowerCase())).toBeDefined();
    expect(fs.existsSync(elsewhere.dataDir)).toBe(false);
    const refused = await elsewhere.run(['--server', t.url, '--token', await tokenOf(user), 'category', 'get']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('PERMISSION_DENIED');
    const usage = await elsewhere.run(['--server', t.url, '--token', await tokenOf(admin), 'category', 'new']);
    expect(usage.code).toBe(2);
    expect((await elsewhere.run(['--server', t.url, 'category', 'get'])).code).toBe(2);
  });
});

describe('the message test without a server', () => {
  it('says that the server is not running', async () => {
    const c = cliFor();
    expectOk(await c.run(['principal', 'add', 'sip:a@contoso.com', '--kind', 'user']));
    const r = await c.run(['message', 'test', '--sender', 'sip:a@contoso.com', '--receiver', 'sip:a@contoso.com']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SERVER_NOT_RUNNING');
  });
});

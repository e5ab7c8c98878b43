/**
 * The pool's active servers (`stoa pool active-server`, Set-CsPersistentChatActiveServer):
 * only listed nodes take new sign-ins and connections, a node taken off keeps what it has
 * and says so on /healthz, --swap and --clear behave as the cmdlet does, at most four.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../harness/server.js';
import { postgresDatabaseUrl, postgresEnabled, tempDir } from '../harness/stores.js';
import { redisEnabled, startRedis, type RedisServer } from '../harness/redis-server.js';
import { assertBuilt, cliFor, expectOk } from '../harness/cli.js';
import { buildCategory, buildDomain, buildRoom, unique } from '../factories.js';
import { PASSWORD } from '../harness/server.js';

const enabled = postgresEnabled() && redisEnabled();

describe.skipIf(!enabled)('the active servers of a pool [postgres, redis]', () => {
  let redis: RedisServer;
  let databaseUrl: string;
  let a: TestServer;
  let b: TestServer;
  let cli: ReturnType<typeof cliFor>;

  beforeAll(async () => {
    assertBuilt();
    redis = await startRedis();
    databaseUrl = await postgresDatabaseUrl();
    a = await startTestServer({ dialect: 'postgres' }, { nodeName: 'a', databaseUrl, redisUrl: redis.url });
    b = await startTestServer({ dialect: 'postgres' }, { nodeName: 'b', databaseUrl, redisUrl: redis.url });
    // An administrator's workstation: only the database URL.
    cli = cliFor(path.join(tempDir('stoa-cli-'), 'data'), ['--database-url', databaseUrl]);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  const health = async (node: TestServer) => (await fetch(`${node.url}/healthz`)).status;
  const signIn = (node: TestServer, user: string) => node.anonymous.post('/api/v1/auth/sign-in', { user, password: PASSWORD });
  /** The status a new WebSocket gets: 101 when it opens, else the refusal's. */
  const upgrade = (node: TestServer, token: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${node.url.replace(/^http/, 'ws')}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', () => undefined);
    });

  it('lets only the listed nodes take new connections; a node taken off keeps its own', async () => {
    const domain = `${unique('d')}.example`;
    await buildDomain(a.services, domain);
    const category = await buildCategory(a.services, { allowed: [domain] });
    const [alice, bob] = [await a.user({ domain }), await a.user({ domain })];
    const room = await buildRoom(a.services, category.name, { privacy: 'Closed', members: [alice.key, bob.key] });
    // Unset: every node is active.
    expect(expectOk(await cli.run(['--json', 'pool', 'active-server', 'get'])).json()).toEqual({ identity: 'PersistentChatServer:pc.contoso.com', activeServers: null });
    expect([await health(a), await health(b)]).toEqual([200, 200]);
    const bobOnB = await b.signIn(bob.key);
    const kept = await bobOnB.ws();
    await kept.ok({ type: 'join', room: room.guid });

    // What if: nothing changes.
    const whatIf = expectOk(await cli.run(['pool', 'active-server', 'set', '--add', 'a', '--what-if']));
    expect(whatIf.stdout).toContain('What if: would set active servers PersistentChatServer:pc.contoso.com');
    expect(expectOk(await cli.run(['--json', 'pool', 'active-server', 'get'])).json()).toMatchObject({ activeServers: null });

    // Only a: b refuses new sign-ins and connections, says so on /healthz, keeps bob's socket.
    expect(expectOk(await cli.run(['--json', 'pool', 'active-server', 'set', '--add', 'a'])).json()).toMatchObject({ activeServers: ['a'] });
    await expect.poll(() => health(b), { timeout: 5_000 }).toBe(503);
    expect(await (await fetch(`${b.url}/healthz`)).json()).toEqual({ status: 'inactive', reason: 'not an active server of the pool (stoa pool active-server get)' });
    expect(await health(a)).toBe(200);
    const refused = await signIn(b, alice.key);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'NODE_INACTIVE' } });
    expect(await upgrade(b, bobOnB.token)).toBe(503);
    expect((await signIn(a, alice.key)).status).toBe(200);
    expect(await upgrade(a, alice.token)).toBe(101);
    expect((await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'still reaches b' })).status).toBe(201);
    await kept.waitFor((f) => f.type === 'message' && f.message.text === 'still reaches b');
    expect(kept.closed).toBeUndefined();

    // --swap: the running nodes off the list become the list.
    expect(expectOk(await cli.run(['--json', 'pool', 'active-server', 'set', '--swap'])).json()).toMatchObject({ activeServers: ['b'] });
    await expect.poll(() => health(a), { timeout: 5_000 }).toBe(503);
    expect(await health(b)).toBe(200);
    expect((await signIn(b, alice.key)).status).toBe(200);

    // --clear: no node takes new connections.
    expect(expectOk(await cli.run(['--json', 'pool', 'active-server', 'set', '--clear'])).json()).toMatchObject({ activeServers: [] });
    await expect.poll(() => health(b), { timeout: 5_000 }).toBe(503);
    expect(await health(a)).toBe(503);
    expect((await signIn(a, alice.key)).status).toBe(503);
    kept.close();
  });

  it('refuses more than four, names that are not on the list, and a mix of modes', async () => {
    expectOk(await cli.run(['pool', 'active-server', 'set', '--add', 'a,b']));
    const five = await cli.run(['pool', 'active-server', 'set', '--add', 'c,d,e']);
    expect(five.code).not.toBe(0);
    expect(five.stderr).toContain('at most 4 active servers per pool (the others stand by); the list would be a, b, c, d, e');
    const missing = await cli.run(['pool', 'active-server', 'set', '--remove', 'zed']);
    expect(missing.stderr).toContain("'zed' is not on the active-server list (a, b)");
    const bad = await cli.run(['pool', 'active-server', 'set', '--add', '-x!']);
    expect(bad.code).not.toBe(0);
    const both = await cli.run(['pool', 'active-server', 'set', '--clear', '--swap']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --add and/or --remove, or --clear, or --swap');
    expect(expectOk(await cli.run(['--json', 'pool', 'active-server', 'get'])).json()).toMatchObject({ activeServers: ['a', 'b'] });
    // Users may not read or set it.
    const domain = `${unique('d')}.example`;
    await buildDomain(a.services, domain);
    const user = await a.user({ domain });
    const api = await user.api.post('/api/v1/admin/cli', { argv: ['pool', 'active-server', 'get'] });
    expect(api.status).toBe(403);
  });
});

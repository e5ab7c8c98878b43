/**
 * The events of a pool: three nodes on one PostgreSQL database and one Redis, each with
 * its own clients. What is done through one node reaches the clients of every node —
 * messages in chat-id order, kicks, policy changes, room disables, sign-outs — and so do
 * the changes of a CLI command run on the database from anywhere. Events survive a node
 * dying between commit and publish (the outbox) and Redis going away.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, PASSWORD, startTestServer, WsClient, type SignedInUser, type TestServer } from '../harness/server.js';
import { postgresDatabaseUrl, postgresEnabled, tempDir } from '../harness/stores.js';
import { redisEnabled, startRedis, type RedisServer } from '../harness/redis-server.js';
import { assertBuilt, cliFor, expectOk, runStoa } from '../harness/cli.js';
import { freePort } from '../harness/postgres-server.js';
import { Redis } from 'ioredis';
import { buildCategory, buildDomain, buildRoom, unique } from '../factories.js';
import { POOL } from '../harness/services.js';
import type { RedisEventBus } from '../../src/events/redis-bus.js';
import { CLOSE } from '../../src/realtime/protocol.js';
import { PoolRoster } from '../../src/realtime/pool-roster.js';

const enabled = postgresEnabled() && redisEnabled();

describe.skipIf(!enabled)('events across the nodes of a pool [postgres, redis]', () => {
  let redis: RedisServer;
  let databaseUrl: string;
  const nodes: TestServer[] = [];
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;

  beforeAll(async () => {
    assertBuilt();
    redis = await startRedis();
    databaseUrl = await postgresDatabaseUrl();
    for (const name of ['a', 'b', 'c']) nodes.push(await startTestServer({ dialect: 'postgres' }, { nodeName: name, databaseUrl, redisUrl: redis.url }));
    [a, b, c] = nodes as [TestServer, TestServer, TestServer];
  });
  afterAll(async () => {
    for (const n of nodes.reverse()) await n.close();
    await redis?.stop();
  });

  /** A room with three members, each connected (and joined) through a different node. */
  async function world(opts: { privacy?: 'Open' | 'Closed' } = {}) {
    const domain = `${unique('d')}.example`;
    await buildDomain(a.services, domain);
    const category = await buildCategory(a.services, { allowed: [domain] });
    const users = [await a.user({ domain }), await a.user({ domain }), await a.user({ domain })];
    const room = await buildRoom(a.services, category.name, { privacy: opts.privacy ?? 'Closed', members: users.map((u) => u.key) });
    const signedIn = [users[0]!, await b.signIn(users[1]!.key), await c.signIn(users[2]!.key)];
    const sockets: WsClient[] = [];
    for (const u of signedIn) {
      const ws = await u.ws();
      await ws.ok({ type: 'join', room: room.guid });
      sockets.push(ws);
    }
    return { domain, category, room, users: signedIn as [SignedInUser, SignedInUser, SignedInUser], sockets: sockets as [WsClient, WsClient, WsClient] };
  }

  const texts = (ws: WsClient, room: string) => ws.of('message').filter((f) => f.message.roomId === room).map((f) => f.message.text as string);

  it('delivers a post through one node to the members on every node, in chat-id order, once', async () => {
    const { room, users, sockets } = await world();
    // Each member posts through their own node, all at once, many times.
    const sent: string[] = [];
    await Promise.all(
      users.map(async (u, i) => {
        for (let k = 0; k < 15; k++) {
          const text = `m${i}-${k}`;
          sent.push(text);
          expect((await u.api.post(`/api/v1/rooms/${room.guid}/messages`, { text })).status).toBe(201);
        }
      }),
    );
    for (const ws of sockets) await ws.waitFor(() => ws.of('message').length === 45, 10_000);
    const history = (await users[0].api.get(`/api/v1/rooms/${room.guid}/messages?limit=100`)).body.messages as { text: string; chatId: number }[];
    expect(history.map((m) => m.text).sort()).toEqual([...sent].sort());
    for (const ws of sockets) {
      // Every message, each once, in the order of the room's chat ids.
      expect(ws.of('message').map((f) => f.message.chatId as number)).toEqual(history.map((m) => m.chatId));
      expect(texts(ws, room.guid)).toEqual(history.map((m) => m.text));
    }
    for (const ws of sockets) ws.close();
  });

  it('kicks on every node when a member is removed, the room disabled, or a policy switched off through another node', async () => {
    const { room, users, sockets } = await world();
    // Through node c's API: remove the member connected to a.
    const admin = await c.signIn(`sip:admin@${POOL}`, 'admin-password-1');
    const removed = await admin.api.call('PATCH', `/api/v1/rooms/${room.guid}`, { members: { remove: [users[0].key] } });
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(await sockets[0].waitFor((f) => f.type === 'room.kicked', 1_000)).toMatchObject({ room: room.guid });
    // Disabled through c: the member on b is kicked (and the one on c).
    expect((await admin.api.call('PATCH', `/api/v1/rooms/${room.guid}`, { disabled: true })).status).toBe(200);
    expect(await sockets[1].waitFor((f) => f.type === 'room.kicked', 1_000)).toMatchObject({ reason: 'the room was disabled' });
    expect(await sockets[2].waitFor((f) => f.type === 'room.kicked', 1_000)).toMatchObject({ reason: 'the room was disabled' });
    for (const ws of sockets) ws.close();
  });

  it('signs a user out on every node, and applies a CLI command run on the database from elsewhere', async () => {
    const { room, users, sockets } = await world();
    // The session whose socket is on a, signed out through b: the socket closes.
    expect((await new Api(b.url, users[0].token).post('/api/v1/auth/sign-out')).status).toBe(204);
    expect((await sockets[0].waitClosed(1_000)).code).toBe(CLOSE.signedOut);
    // A CLI on another machine: only the database URL, no server to forward to.
    const cli = cliFor(path.join(tempDir('stoa-cli-'), 'data'), ['--database-url', databaseUrl]);
    expectOk(await cli.run(['room', 'set', room.name, '--disabled', 'true']));
    for (const ws of sockets.slice(1)) expect(await ws.waitFor((f) => f.type === 'room.kicked', 3_000)).toMatchObject({ reason: 'the room was disabled' });
    const policy = unique('Off');
    expectOk(await cli.run(['policy', 'new', policy, '--enable-persistent-chat', 'false']));
    expectOk(await cli.run(['policy', 'grant', users[2].key, '--policy-name', policy]));
    expect((await sockets[2].waitClosed(3_000)).code).toBe(CLOSE.serviceDisabled);
    sockets[1].close();
  });

  it('relays the events a node left in the outbox when it died between commit and publish', async () => {
    const { room, users, sockets } = await world();
    // What a node killed right after its commit leaves behind: the row, never published.
    const posted = await users[0].api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'before' });
    expect(posted.status).toBe(201);
    for (const ws of sockets) await ws.waitFor((f) => f.type === 'message' && f.message.text === 'before');
    const view = { ...posted.body, chatId: posted.body.chatId + 1, id: posted.body.id + 1_000_000, text: 'from a dead node' };
    const roomId = (await a.services.store.rooms.getByGuid(room.guid))!.id;
    await a.services.store.transaction((tx) =>
      tx.outbox.append({
        origin: 'a-node-that-died',
        publishedByOrigin: true,
        events: JSON.stringify([{ type: 'message.posted', roomId, message: view, inHistory: false }]),
        createdAt: Date.now() - 60_000,
      }),
    );
    for (const ws of sockets) expect((await ws.waitFor((f) => f.type === 'message' && f.message.text === 'from a dead node', 5_000)).message.chatId).toBe(view.chatId);
    await expect.poll(async () => (await a.services.store.outbox.due(Date.now() + 60_000, 10)).length).toBe(0);
    for (const ws of sockets) ws.close();
  });

  it('loses nothing while Redis is away, and checks everyone again when Redis lost its events', async () => {
    const { room, users, sockets } = await world();
    await redis.stop();
    // Posted through a while Redis is down: a's own member has it at once.
    expect((await users[0].api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'while Redis was away' })).status).toBe(201);
    await sockets[0].waitFor((f) => f.type === 'message' && f.message.text === 'while Redis was away');
    // And a sign-out through a of the session whose socket is on c.
    expect((await new Api(a.url, users[2].token).post('/api/v1/auth/sign-out')).status).toBe(204);
    redis = await startRedis(redis.port);
    // Redis came back empty: b and c read the left-over rows relayed from the outbox.
    await sockets[1].waitFor((f) => f.type === 'message' && f.message.text === 'while Redis was away', 15_000);
    expect((await sockets[2].waitClosed(15_000)).code).toBe(CLOSE.signedOut);
    // b and c had read past what the new Redis holds: they said so and checked everyone again.
    for (const n of [b, c]) await expect.poll(() => (n.services.bus as RedisEventBus).stats.lost).toBeGreaterThan(0);
    // Every row of the outbox is gone once published (by its node, or relayed).
    await expect.poll(async () => (await a.services.store.outbox.due(Date.now() + 60_000, 10)).length).toBe(0);
    for (const ws of sockets) ws.close();
  });

  it('skips what is not events in the stream, and goes on', async () => {
    const { room, users, sockets } = await world();
    const raw = new Redis(redis.url);
    const stream = `stoa:${a.server.runtime.deployment.poolFqdn}:${a.server.runtime.deployment.createdAt}:events`;
    await raw.xadd(stream, '*', 'o', 'someone', 'i', '', 'e', 'not json');
    await raw.xadd(stream, '*', 'o', 'someone', 'i', '', 'e', '[{"no":"type"}]');
    await raw.xadd(stream, '*', 'junk', 'x');
    await raw.xadd(stream, '*', 'o', 'someone', 'i', '', 'e', JSON.stringify([{ type: 'a.type.from.a.newer.node' }]));
    raw.disconnect();
    expect((await users[1].api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'still here' })).status).toBe(201);
    for (const ws of sockets) await ws.waitFor((f) => f.type === 'message' && f.message.text === 'still here');
    for (const ws of sockets) ws.close();
  });

  it('checks everyone again when it fell so far behind that the stream was trimmed past its place', async () => {
    const stream = `stoa:test:${unique('behind')}:events`;
    const raw = new Redis(redis.url);
    await raw.xadd(stream, '*', 'o', 'someone', 'i', '', 'e', JSON.stringify([{ type: 'a.type.from.a.newer.node' }]));
    const logged: string[] = [];
    const { RedisEventBus: Bus } = await import('../../src/events/redis-bus.js');
    const bus = await Bus.connect({ url: redis.url, stream, origin: unique('slow'), store: a.services.store, readCount: 10, log: (_level, message) => logged.push(message) });
    let lost = 0;
    // A node whose handlers are slow: 20 ms an event.
    bus.subscribe(async (event) => {
      if (event.type === 'events.lost') lost++;
      await new Promise((r) => setTimeout(r, 20));
    });
    try {
      // 200 entries while the stream keeps only 30: the node cannot keep up.
      for (let i = 0; i < 200; i++) await raw.xadd(stream, 'MAXLEN', '=', 30, '*', 'o', 'someone', 'i', '', 'e', JSON.stringify([{ type: 'a.type.from.a.newer.node', i }]));
      await expect.poll(() => bus.stats.lost, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(lost).toBeGreaterThan(0);
      expect(logged.some((m) => m.includes('no longer holds the events this node had read up to'))).toBe(true);
    } finally {
      await bus.close();
      await raw.del(stream);
      raw.disconnect();
    }
  });

  it('refuses --redis-url without PostgreSQL, and a Redis it cannot reach', async () => {
    const sqlite = await runStoa(['--data-dir', path.join(tempDir('stoa-cli-'), 'data'), 'serve', '--port', '0', '--redis-url', redis.url]);
    expect(sqlite.code).not.toBe(0);
    expect(sqlite.stderr).toContain('a pool of nodes shares one PostgreSQL database: give --database-url postgres://... with --redis-url');
    const nowhere = `redis://:secret@127.0.0.1:${await freePort()}`;
    const unreachable = await runStoa(['--data-dir', path.join(tempDir('stoa-cli-'), 'data'), '--database-url', databaseUrl, 'serve', '--port', '0', '--node-name', 'd', '--redis-url', nowhere], { timeoutMs: 30_000 });
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toMatch(/cannot reach the pool's Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: .*ECONNREFUSED/);
    expect(unreachable.stderr).not.toContain('secret');
  });

  it('shares the sign-in throttle and the command rate limit across nodes', async () => {
    const domain = `${unique('d')}.example`;
    await buildDomain(a.services, domain);
    const user = await a.user({ domain });
    // Ten wrong passwords through a: the account's budget is spent on b too.
    for (let i = 0; i < 10; i++) expect((await a.anonymous.post('/api/v1/auth/sign-in', { user: user.key, password: 'wrong wrong wrong' })).status).toBe(401);
    const refused = await b.anonymous.post('/api/v1/auth/sign-in', { user: user.key, password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: 'TOO_MANY_ATTEMPTS' } });

    // One user on a and on b: commands through a spend the budget b gives.
    const other = await a.user({ domain });
    const onA = await other.ws();
    const onB = await WsClient.connect(b.url, other.token);
    await onB.ok({ type: 'ping' });
    await new Promise((r) => setTimeout(r, 400));
    // In batches the command queue takes (32 at most waiting).
    const pings = async (ws: WsClient, n: number) => {
      const out = [];
      for (let i = 0; i < n; i += 20) out.push(...(await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => ws.call({ type: 'ping' })))));
      return out;
    };
    const burst = await pings(onA, 60);
    expect(burst.filter((r) => r.ok !== true)).toEqual([]);
    await new Promise((r) => setTimeout(r, 600));
    const after = await pings(onB, 60);
    // Alone, b would take 59 of these 60 (its burst is 60, one spent): shared, the user's
    // budget is mostly gone (the bucket refills 20 a second meanwhile).
    expect(after.filter((r) => r.ok === false && r.error.code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(10);
    onA.close();
    onB.close();
  });

  it('shows a room’s roster with the members of every node, and tells every node who comes and goes', async () => {
    const { room, users, sockets } = await world();
    // a's member joined first: they hear of the members who joined through b and c.
    for (const u of [users[1], users[2]]) await sockets[0].waitFor((f) => f.type === 'participant.joined' && f.user.sipUri === u.key);
    for (const ws of sockets) {
      const page = await ws.ok({ type: 'participants', room: room.guid });
      expect(page.participants.map((p: { sipUri: string }) => p.sipUri).sort()).toEqual(users.map((u) => u.key).sort());
      expect(page.total).toBe(3);
    }
    // A second connection of c's member, through a: no one is told (still in the room).
    const again = await WsClient.connect(a.url, users[2].token);
    await again.ok({ type: 'join', room: room.guid });
    await sockets[2].ok({ type: 'part', room: room.guid });
    again.close();
    for (const ws of [sockets[0], sockets[1]]) await ws.waitFor((f) => f.type === 'participant.left' && f.user.sipUri === users[2].key);
    expect(sockets[0].of('participant.joined').filter((f) => f.user.sipUri === users[2].key)).toHaveLength(1);
    expect((await sockets[0].ok({ type: 'participants', room: room.guid })).participants.map((p: { sipUri: string }) => p.sipUri).sort()).toEqual([users[0].key, users[1].key].sort());

    // What is not a roster change on the channel is ignored; nodes go on.
    const raw = new Redis(redis.url);
    const prefix = `stoa:${a.server.runtime.deployment.poolFqdn}:${a.server.runtime.deployment.createdAt}:`;
    for (const junk of ['not json', '{"roomId":"x","principalId":1,"change":"joined","count":1}', JSON.stringify({ roomId: 1, principalId: 2, change: 'exploded', count: 1 }), '[]']) await raw.publish(`${prefix}roster`, junk);
    raw.disconnect();
    expect((await sockets[0].ok({ type: 'participants', room: room.guid })).total).toBe(2);
    // A node that stopped without saying so (its process killed): another takes its users out of the rosters.
    const ghost = new PoolRoster(new Redis(redis.url), `stoa:${a.server.runtime.deployment.poolFqdn}:${a.server.runtime.deployment.createdAt}:`, 'a-node-killed', () => undefined);
    await ghost.start(() => undefined);
    await ghost.change((await a.services.store.rooms.getByGuid(room.guid))!.id, users[2].id, 'joined');
    await sockets[0].waitFor((f) => f.type === 'participant.joined' && f.user.sipUri === users[2].key && sockets[0].of('participant.joined').length >= 3);
    const observer = new PoolRoster(new Redis(redis.url), `stoa:${a.server.runtime.deployment.poolFqdn}:${a.server.runtime.deployment.createdAt}:`, 'observer', () => undefined);
    await observer.reconcile(new Set(nodes.map((n) => n.services.instanceId)));
    await sockets[1].waitFor((f) => f.type === 'participant.left' && f.user.sipUri === users[2].key && sockets[1].of('participant.left').length >= 2);
    expect((await sockets[1].ok({ type: 'participants', room: room.guid })).total).toBe(2);
    await ghost.close();
    await observer.close();
    for (const ws of sockets) ws.close();
  });
});

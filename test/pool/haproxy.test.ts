/**
 * A pool behind the HAProxy configuration shipped in docs/examples: three `stoa serve`
 * processes on PostgreSQL and Redis, 30 WebSocket clients of ten users posting in one
 * room through HAProxy, and one node killed with SIGKILL — five times, at different
 * moments. The clients of the dead node reconnect through HAProxy and post again; every
 * acknowledged message is in history and reached every client that stayed connected, in
 * chat-id order, once; the compliance record holds each message once.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { PASSWORD, Api } from '../harness/server.js';
import { PostingClient as Client } from '../harness/posting-client.js';
import { postgresDatabaseUrl, postgresEnabled, tempDir } from '../harness/stores.js';
import { redisEnabled, startRedis, type RedisServer } from '../harness/redis-server.js';
import { haproxyEnabled, startHaproxy, type Haproxy } from '../harness/haproxy.js';
import { assertBuilt } from '../harness/cli.js';
import { freePort } from '../harness/postgres-server.js';
import { killAllServers, serve, type Server } from '../harness/serve-process.js';
import { buildCategory, buildDomain, buildRoom, buildUser, unique } from '../factories.js';
import { openRuntime, type Runtime } from '../../src/main.js';
import { configSchema } from '../../src/config/schema.js';
import { checkSetPassword } from '../../src/actions/principals.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';

const POOL = 'pc.contoso.com';
const enabled = postgresEnabled() && redisEnabled() && haproxyEnabled();

interface Node {
  name: string;
  port: number;
  dataDir: string;
  server: Server | undefined;
}

describe.skipIf(!enabled)('a pool behind HAProxy survives a node killed [postgres, redis, haproxy]', () => {
  let redis: RedisServer;
  let haproxy: Haproxy;
  let control: Runtime;
  const nodes: Node[] = [];

  const start = async (node: Node, databaseUrl: string) => {
    node.server = await serve(['--port', String(node.port), '--data-dir', node.dataDir, '--database-url', databaseUrl, '--pool-fqdn', POOL, '--node-name', node.name, '--redis-url', redis.url]);
  };

  beforeAll(async () => {
    assertBuilt();
    redis = await startRedis();
    const databaseUrl = await postgresDatabaseUrl();
    for (const name of ['n1', 'n2', 'n3']) nodes.push({ name, port: await freePort(), dataDir: path.join(tempDir('stoa-node-'), 'data'), server: undefined });
    await start(nodes[0]!, databaseUrl);
    await Promise.all(nodes.slice(1).map((n) => start(n, databaseUrl)));
    haproxy = await startHaproxy(nodes);
    control = await openRuntime(configSchema.parse({ dataDir: path.join(tempDir('stoa-cli-'), 'data'), databaseUrl, poolFqdn: POOL, logLevel: 'silent' }), { role: 'command' });
  });
  afterAll(async () => {
    killAllServers();
    await haproxy?.stop();
    await control?.close();
    await redis?.stop();
  });

  it('keeps every acknowledged message, in order and once, through five kills', async () => {
    const services = control.services;
    const domain = `${unique('d')}.example`;
    await buildDomain(services, domain);
    const category = await buildCategory(services, { allowed: [domain] });
    const users = [];
    for (let i = 0; i < 10; i++) {
      const u = await buildUser(services, { domain });
      await checkSetPassword(services, SYSTEM_ACTOR, u.key, PASSWORD);
      users.push(u);
    }
    const room = await buildRoom(services, category.name, { privacy: 'Closed', members: users.map((u) => u.key) });
    const anonymous = new Api(haproxy.url);
    const clients: Client[] = [];
    for (const u of users) {
      const signed = await anonymous.post('/api/v1/auth/sign-in', { user: u.key, password: PASSWORD });
      expect(signed.status).toBe(200);
      for (let k = 0; k < 3; k++) clients.push(new Client(haproxy.url, signed.body.token as string, room.guid));
    }
    await Promise.all(clients.map((c) => c.connect()));
    const roomId = (await services.store.rooms.getByGuid(room.guid))!.id;
    const db = (services.store as KyselyStore).db;

    for (let round = 0; round < 5; round++) {
      const victim = nodes[round % nodes.length]!;
      for (const c of clients) c.newRound();
      const marks = new Map(clients.map((c) => [c, c.ws!.frames.length]));
      let posting = true;
      const loops = clients.map(async (c, i) => {
        for (let n = 0; posting; n++) {
          await c.post(`r${round}-c${i}-${n}`);
          // About 10 commands a second per user over their three connections: within the
          // per-user limit (20 a second), which the nodes share.
          await new Promise((r) => setTimeout(r, 300));
        }
      });
      // Kill at a different moment each round.
      await new Promise((r) => setTimeout(r, 300 + round * 350));
      victim.server!.child.kill('SIGKILL');
      const killedAt = Date.now();
      await new Promise((r) => setTimeout(r, 6_000));
      posting = false;
      await Promise.all(loops);
      // A client cut after its last post reconnects now (it did not stay connected).
      for (const c of clients) {
        if (c.ws?.closed === undefined) continue;
        c.steady = false;
        await c.connect();
      }
      // Left-over events of the dead node are relayed after 5 s.
      await new Promise((r) => setTimeout(r, 7_000));

      const acknowledged = clients.flatMap((c) => c.acknowledged);
      expect(acknowledged.length).toBeGreaterThan(30);
      // Only the kill cut anyone.
      for (const c of clients) if (!c.steady) expect(c.backAt === undefined || c.backAt > killedAt, `cut by the kill, not ${JSON.stringify(c.cuts)} (killed at ${killedAt})`).toBe(true);
      // Every client of the dead node came back through HAProxy and posted again.
      for (const c of clients) if (!c.steady) expect(c.ws?.closed, 'a client of the dead node is connected again').toBeUndefined();
      const back = clients.filter((c) => c.backAt !== undefined).map((c) => c.backAt! - killedAt).sort((x, y) => x - y);
      expect(back.length, 'clients of the dead node posted again').toBeGreaterThan(0);
      console.log(`round ${round}: ${victim.name} killed ${300 + round * 350} ms in; ${acknowledged.length} posts acknowledged; ${clients.filter((c) => !c.steady).length} clients reconnected, back and posting after p50 ${back[Math.floor(back.length / 2)]} ms, max ${back.at(-1)} ms`);
      expect(clients.some((c) => !c.steady)).toBe(true);
      // Every acknowledged message is in history, once.
      const history = (await db.selectFrom('messages').select(['id', 'chatId', 'content']).where('roomId', '=', roomId).where('content', 'like', `r${round}-%`).orderBy('chatId').execute()).map((m) => ({ id: Number(m.id), chatId: Number(m.chatId), text: m.content }));
      const byText = new Map(history.map((m) => [m.text, m]));
      expect(byText.size).toBe(history.length);
      for (const a of acknowledged) expect(byText.get(a.text)?.chatId, a.text).toBe(a.chatId);
      // Every client that stayed connected got every message of the round, in chat-id order, once.
      for (const c of clients.filter((c) => c.steady)) {
        const got = c.ws!.frames.slice(marks.get(c)).filter((f) => f.type === 'message' && String(f.message.text).startsWith(`r${round}-`)).map((f) => f.message.chatId as number);
        expect(got, 'in order, once').toEqual([...got].sort((x, y) => x - y).filter((v, i, all) => i === 0 || all[i - 1] !== v));
        expect(new Set(got).size).toBe(got.length);
        for (const a of acknowledged) expect(got, `${a.text} delivered`).toContain(a.chatId);
      }
      // The compliance record holds each message of the round once.
      const captured = await sql<{ messageId: string; n: string }>`select message_id as "messageId", count(*) as n from compliance_events where type = 'CHAT' and room_id = ${roomId} and message_id = any(${history.map((m) => m.id)}::bigint[]) group by message_id`.execute(db);
      expect(captured.rows.length).toBe(history.length);
      expect(captured.rows.every((r) => Number(r.n) === 1)).toBe(true);

      // The node comes back under its name for the next round.
      await start(victim, control.config.databaseUrl!);
    }
    for (const c of clients) c.ws?.close();
  });
});

/**
 * One compliance writer per pool (D2, docs/pool.md): the node that holds the database's
 * lease writes to the output directory the nodes share; killed with SIGKILL in the middle
 * of its output, another node takes the lease over and finishes, and every event is in
 * the output exactly once. A node killed with SIGKILL leaves its users in their rooms:
 * the survivor records their PARTs and takes them out of the pool's rosters.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabaseUrl, postgresEnabled, tempDir } from '../harness/stores.js';
import { redisEnabled, startRedis, type RedisServer } from '../harness/redis-server.js';
import { assertBuilt } from '../harness/cli.js';
import { killAllServers, serve, stop } from '../harness/serve-process.js';
import { listOutput, readJsonLines } from '../harness/compliance-output.js';
import { buildCategory, buildDomain, buildRoom, buildUser, unique } from '../factories.js';
import { Api, PASSWORD, WsClient } from '../harness/server.js';
import { checkSetPassword } from '../../src/actions/principals.js';
import { openRuntime, type Runtime } from '../../src/main.js';
import { configSchema } from '../../src/config/schema.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { complianceConfigurations } from '../../src/actions/compliance-configurations.js';
import type { NewComplianceEvent } from '../../src/store/types.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import { sql } from 'kysely';

const POOL = 'pc.contoso.com';
const EVENTS = 20_000;
const enabled = postgresEnabled() && redisEnabled();

describe.skipIf(!enabled)('the compliance writer of a pool [postgres, redis]', () => {
  let redis: RedisServer;
  let control: Runtime;
  let databaseUrl: string;
  const shared = tempDir('stoa-compliance-share-');
  const configFile = path.join(tempDir('stoa-config-'), 'stoa.json');

  beforeAll(async () => {
    assertBuilt();
    redis = await startRedis();
    databaseUrl = await postgresDatabaseUrl();
    fs.writeFileSync(configFile, JSON.stringify({ complianceOutputDirectories: [shared] }));
    control = await openRuntime(configSchema.parse({ dataDir: path.join(tempDir('stoa-cli-'), 'data'), databaseUrl, poolFqdn: POOL, logLevel: 'silent', complianceOutputDirectories: [shared] }), { role: 'command' });
  });
  afterAll(async () => {
    killAllServers();
    await control?.close();
    await redis?.stop();
  });

  it('is taken over by another node when the writer dies mid-output, and writes every event once', async () => {
    const s = control.services;
    const user = await buildUser(s);
    const category = await buildCategory(s, { allowed: [user.key] });
    const room = await buildRoom(s, category.name);
    const events: NewComplianceEvent[] = [];
    for (let i = 0; i < EVENTS; i++) {
      events.push({ type: 'CHAT', at: 1_790_000_000_000 + i, actorId: user.id, actorUri: user.key, roomId: room.id, roomUri: `ma-chan://${POOL}/${room.guid}`, messageId: i, content: `message ${i}`, details: null });
    }
    await s.store.transaction((tx) => tx.compliance.capture(events));
    await complianceConfigurations.update(s, SYSTEM_ACTOR, 'global', { adapterType: 'JsonLines', adapterOutputDirectory: shared });
    const total = (await s.store.compliance.pending()).events;
    expect(total).toBeGreaterThanOrEqual(EVENTS);

    const node = (name: string) =>
      serve(['--config', configFile, '--data-dir', path.join(tempDir('stoa-node-'), 'data'), '--database-url', databaseUrl, '--pool-fqdn', POOL, '--node-name', name, '--redis-url', redis.url], { STOA_COMPLIANCE_BATCH_SIZE: '100' });
    // The first node writes; it is killed once its output has begun.
    const first = await node('w1');
    const deadline = Date.now() + 30_000;
    while (listOutput(shared).filter((f) => !path.basename(f).startsWith('.')).length < 3) {
      if (Date.now() > deadline) throw new Error('the first node wrote no output');
      await new Promise((r) => setTimeout(r, 5));
    }
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const left = (await s.store.compliance.pending()).events;
    expect(left, 'killed in the middle of the output').toBeGreaterThan(0);

    // The second takes the lease of the dead one over (a process of this host that is gone) and finishes.
    const second = await node('w2');
    await expect.poll(async () => (await s.store.compliance.pending()).events, { timeout: 60_000 }).toBe(0);
    const files = listOutput(shared);
    expect(files.filter((f) => path.basename(f).startsWith('.')), 'no temporary file left visible').toEqual([]);
    const lines = readJsonLines(files);
    const ids = lines.map((l) => l.id as number);
    expect(new Set(ids).size, 'no event twice').toBe(ids.length);
    // Every event captured: the seeded ones, and what the nodes did meanwhile (the first
    // administrator, made at the first start).
    const batches = await sql<{ n: string; holders: string; open: string }>`select sum(event_count) as n, count(distinct holder) as holders, count(*) filter (where written_at is null) as open from compliance_batches`.execute((s.store as KyselyStore).db);
    const written = batches.rows[0]!;
    expect(Number(written.open), 'every batch written').toBe(0);
    expect(ids.length, 'every event').toBe(Number(written.n));
    expect(ids.length).toBeGreaterThanOrEqual(total);
    expect(Number(written.holders), 'both nodes wrote').toBe(2);
    const seeded = lines.filter((l) => typeof l.content === 'string' && /^message \d+$/.test(l.content as string)).map((l) => l.content as string);
    expect(new Set(seeded).size).toBe(EVENTS);
    expect(await stop(second)).toBe(0);
    console.log(`compliance takeover: ${total} events; the first node was killed with ${left} not yet written; the second wrote the rest, each event once`);
  });

  it("records the PART of every user of a node killed with SIGKILL, and takes them out of the pool's rosters", async () => {
    const s = control.services;
    const domain = `${unique('d')}.example`;
    await buildDomain(s, domain);
    const category = await buildCategory(s, { allowed: [domain] });
    const [ana, ben, eve] = [await buildUser(s, { domain }), await buildUser(s, { domain }), await buildUser(s, { domain })];
    for (const u of [ana, ben, eve]) await checkSetPassword(s, SYSTEM_ACTOR, u.key, PASSWORD);
    const room = await buildRoom(s, category.name, { privacy: 'Closed', members: [ana.key, ben.key, eve.key] });
    const node = (name: string) => serve(['--data-dir', path.join(tempDir('stoa-node-'), 'data'), '--database-url', databaseUrl, '--pool-fqdn', POOL, '--node-name', name, '--redis-url', redis.url]);
    const [doomed, survivor] = [await node('p1'), await node('p2')];
    const connect = async (url: string, key: string) => {
      const signed = await new Api(url).post('/api/v1/auth/sign-in', { user: key, password: PASSWORD });
      expect(signed.status).toBe(200);
      const ws = await WsClient.connect(url, signed.body.token as string);
      await ws.ok({ type: 'join', room: room.guid });
      return ws;
    };
    // Ana and Ben through the node that dies (Ana twice), Eve through the one that stays.
    const sockets = [await connect(doomed.url, ana.key), await connect(doomed.url, ana.key), await connect(doomed.url, ben.key)];
    const eves = await connect(survivor.url, eve.key);
    const roster = async () => ((await eves.ok({ type: 'participants', room: room.guid })) as { participants: { sipUri: string }[] }).participants.map((p) => p.sipUri).sort();
    expect(await roster()).toEqual([ana.key, ben.key, eve.key].sort());
    doomed.child.kill('SIGKILL');
    await new Promise((r) => doomed.child.once('exit', r));
    // The survivor's compliance worker finds the dead node (a process of this host that is gone) at its next beat.
    const events = async (type: 'JOIN' | 'PART') =>
      (await sql<{ actorId: number; details: string }>`select actor_id as "actorId", details from compliance_events where type = ${type} and room_id = ${room.id} order by id`.execute((s.store as KyselyStore).db)).rows;
    await expect.poll(async () => (await events('PART')).length, { timeout: 40_000, interval: 250 }).toBe(3);
    // A PART for every JOIN of the dead node's connections (Ana's two, Ben's one), explained; none for Eve.
    const ids = (rows: { actorId: number }[]) => rows.map((r) => Number(r.actorId)).sort((x, y) => x - y);
    const parted = await events('PART');
    expect(ids(parted)).toEqual([ana.id, ana.id, ben.id].sort((x, y) => x - y));
    expect(ids((await events('JOIN')).filter((j) => Number(j.actorId) !== eve.id))).toEqual(ids(parted));
    for (const p of parted) expect(JSON.parse(p.details)).toMatchObject({ reason: 'server stopped' });
    // Eve hears both leave, and the roster is hers alone.
    // Each node reconciles the pool's rosters with the running nodes every 15 s.
    for (const u of [ana, ben]) await eves.waitFor((f) => f.type === 'participant.left' && f.user?.sipUri === u.key, 20_000);
    expect(await roster()).toEqual([eve.key]);
    for (const ws of [...sockets, eves]) ws.close();
    expect(await stop(survivor)).toBe(0);
  }, 90_000);
});

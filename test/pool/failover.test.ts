/**
 * The pool state (docs/pool.md, "Failover" and "Failback"): a primary with a synchronous
 * streaming standby, two nodes on Redis, four clients posting through them. The primary
 * is killed; the standby promoted; `stoa pool state set FailedOver` — the nodes carry on
 * on the backup and no acknowledged message is lost. Then the failback: the primary
 * rebuilt as the backup's standby, the backup stopped, the primary promoted, `set Normal`
 * — and again nothing acknowledged is lost. A backup that comes back as it was afterwards
 * is not used, and `set` refuses what would split the pool.
 */
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PASSWORD, startTestServer, type TestServer } from '../harness/server.js';
import { postgresDatabaseUrl, postgresEnabled, tempDir } from '../harness/stores.js';
import { redisEnabled, startRedis, type RedisServer } from '../harness/redis-server.js';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../harness/postgres-server.js';
import { assertBuilt, cliFor, expectOk } from '../harness/cli.js';
import { PostingClient } from '../harness/posting-client.js';
import { buildCategory, buildDomain, buildRoom, buildUser, unique } from '../factories.js';
import { checkSetPassword } from '../../src/actions/principals.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import { openPostgresStore, PostgresTarget } from '../../src/store/postgres.js';

const enabled = postgresEnabled() && redisEnabled();
const DATABASE = 'stoa';

describe.skipIf(!enabled)('failover to the backup database and failback [postgres streaming standby, redis]', () => {
  let pgs: ReplicatedPostgres;
  let redis: RedisServer;
  const nodes: TestServer[] = [];
  let cli: ReturnType<typeof cliFor>;

  beforeAll(async () => {
    assertBuilt();
    pgs = await startReplicatedPostgres();
    const admin = new pg.Client({ connectionString: pgs.primaryUrl('postgres') });
    await admin.connect();
    await admin.query(`create database ${DATABASE}`);
    await admin.end();
    redis = await startRedis();
    const urls = { databaseUrl: pgs.primaryUrl(DATABASE), backupDatabaseUrl: pgs.backupUrl(DATABASE), redisUrl: redis.url };
    for (const nodeName of ['a', 'b']) nodes.push(await startTestServer({ dialect: 'postgres' }, { nodeName, ...urls }));
    cli = cliFor(path.join(tempDir('stoa-cli-'), 'data'), ['--database-url', urls.databaseUrl, '--backup-database-url', urls.backupDatabaseUrl]);
  }, 120_000);
  afterAll(async () => {
    for (const n of nodes.reverse()) await n.close().catch(() => undefined);
    await redis?.stop();
    pgs?.stop();
  });

  const stateJson = async () => JSON.parse(expectOk(await cli.run(['--json', 'pool', 'state', 'get'])).stdout) as Record<string, any>;

  /** Posts from every client until `until` resolves, each about every 100 ms. */
  function keepPosting(clients: PostingClient[], tag: string) {
    let posting = true;
    const loops = clients.map(async (c, i) => {
      for (let n = 0; posting; n++) {
        await c.post(`${tag}-c${i}-${n}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    return async () => {
      posting = false;
      await Promise.all(loops);
    };
  }

  /** Resolves when every client had a post acknowledged after `since`; the time it took. */
  async function allBackAfter(clients: PostingClient[], since: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!clients.every((c) => (c.lastAckAt ?? 0) > since)) {
      if (Date.now() > deadline) throw new Error(`clients not posting again ${timeoutMs} ms after ${since}: ${clients.map((c) => [...c.refused].join(',')).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return Math.max(...clients.map((c) => c.lastAckAt!)) - since;
  }

  async function expectAllInHistory(node: TestServer, clients: PostingClient[], roomGuid: string) {
    const db = (node.services.store as KyselyStore).db;
    const room = (await node.services.store.rooms.getByGuid(roomGuid))!;
    const history = await db.selectFrom('messages').select(['chatId', 'content']).where('roomId', '=', room.id).execute();
    const byText = new Map<string, number[]>();
    for (const m of history) byText.set(m.content, [...(byText.get(m.content) ?? []), Number(m.chatId)]);
    const acknowledged = clients.flatMap((c) => c.acknowledged);
    for (const a of acknowledged) expect(byText.get(a.text), `${a.text} acknowledged as chat id ${a.chatId}`).toEqual([a.chatId]);
    return acknowledged.length;
  }

  it('fails over to the promoted standby and back to the rebuilt primary, losing no acknowledged message', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const services = a.services;
    const domain = `${unique('d')}.example`;
    await buildDomain(services, domain);
    const category = await buildCategory(services, { allowed: [domain] });
    const users = [];
    for (let i = 0; i < 4; i++) {
      const u = await buildUser(services, { domain });
      await checkSetPassword(services, SYSTEM_ACTOR, u.key, PASSWORD);
      users.push(u);
    }
    const room = await buildRoom(services, category.name, { privacy: 'Closed', members: users.map((u) => u.key) });
    const clients: PostingClient[] = [];
    for (const [i, u] of users.entries()) {
      const node = i % 2 === 0 ? a : b;
      const signed = await node.signIn(u.key);
      clients.push(new PostingClient(node.url, signed.token, room.guid));
    }
    await Promise.all(clients.map((c) => c.connect()));

    // Normal, and nothing was ever set: the primary in use, the backup a standby.
    let state = await stateJson();
    expect(state).toMatchObject({ poolState: 'Normal', epoch: 0, changedAt: null, primary: { status: 'in use' }, backup: { status: 'standby' } });
    expect((await a.anonymous.get('/healthz')).body).toMatchObject({ status: 'ok', database: 'primary' });
    // The backup must be promoted first.
    const early = await cli.run(['pool', 'state', 'set', 'FailedOver']);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('POOL_STATE_REFUSED');
    expect(early.stderr).toMatch(/standby in recovery: promote the standby first/);

    // --- Failover ---
    let stop = keepPosting(clients, 'f');
    await new Promise((r) => setTimeout(r, 1_500));
    const beforeKill = clients.map((c) => c.acknowledged.length);
    expect(beforeKill.every((n) => n > 3)).toBe(true);
    pgs.killPrimary();
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_000));
    // Meanwhile posts are refused as retryable, and no node stopped.
    expect(clients.some((c) => (c.refused.get('DATABASE_UNAVAILABLE') ?? 0) > 0), JSON.stringify(clients.map((c) => [...c.refused]))).toBe(true);
    state = await stateJson();
    expect(state).toMatchObject({ poolState: 'Normal', primary: { status: 'does not answer' }, backup: { status: 'standby' } });
    expect(state.problem).toMatch(/neither of the pool's databases accepts writes/);
    await pgs.promoteBackup();
    // Promoted but not chosen: the pool state still names the primary.
    await a.server.runtime.failover!.watch!.check();
    expect(a.server.runtime.failover!.using()).toBe('primary');
    const set = expectOk(await cli.run(['pool', 'state', 'set', 'FailedOver']));
    const setAt = Date.now();
    expect(set.stdout).toMatch(/FailedOver/);
    const backAfterSet = await allBackAfter(clients, setAt);
    const servingAfterKill = Math.max(...clients.map((c) => c.lastAckAt!)) - killedAt;
    await new Promise((r) => setTimeout(r, 1_000));
    await stop();
    console.log(`failover: primary killed; every client posting again ${backAfterSet} ms after pool state set FailedOver (${servingAfterKill} ms after the kill, promotion and the CLI included)`);
    for (const n of nodes) expect(n.server.runtime.failover!.using()).toBe('backup');
    expect((await b.anonymous.get('/healthz')).body).toMatchObject({ status: 'ok', database: 'backup' });
    state = await stateJson();
    expect(state).toMatchObject({ poolState: 'FailedOver', epoch: 1, primary: { status: 'does not answer' }, backup: { status: 'in use' } });
    expect(state.problem).toBeUndefined();
    // Every acknowledged post is on the backup, once, under the chat id it was acknowledged with.
    expect(await expectAllInHistory(a, clients, room.guid)).toBeGreaterThan(40);
    // The clients stayed connected through it (their sessions are on the backup too).
    expect(clients.every((c) => c.steady)).toBe(true);
    // A node started now follows the pool state.
    const c = await startTestServer({ dialect: 'postgres' }, { nodeName: 'c', databaseUrl: pgs.primaryUrl(DATABASE), backupDatabaseUrl: pgs.backupUrl(DATABASE), redisUrl: redis.url });
    nodes.push(c);
    expect(c.server.runtime.failover!.using()).toBe('backup');

    // --- Failback ---
    await pgs.rebuildPrimary();
    stop = keepPosting(clients, 'b');
    await new Promise((r) => setTimeout(r, 500));
    const notYet = await cli.run(['pool', 'state', 'set', 'Normal']);
    expect(notYet.stderr).toContain('POOL_STATE_REFUSED');
    expect(notYet.stderr).toMatch(/primary database .* is a standby in recovery/);
    pgs.stopBackup();
    pgs.promotePrimary();
    expectOk(await cli.run(['pool', 'state', 'set', 'Normal']));
    const normalAt = Date.now();
    const backAfterNormal = await allBackAfter(clients, normalAt);
    await new Promise((r) => setTimeout(r, 1_000));
    await stop();
    console.log(`failback: every client posting again ${backAfterNormal} ms after pool state set Normal`);
    for (const n of nodes) expect(n.server.runtime.failover!.using()).toBe('primary');
    state = await stateJson();
    expect(state).toMatchObject({ poolState: 'Normal', epoch: 2, primary: { status: 'in use' }, backup: { status: 'does not answer' } });
    // Everything acknowledged, before the failover, on the backup and after the failback, is on the primary.
    expect(await expectAllInHistory(a, clients, room.guid)).toBeGreaterThan(80);

    // --- The old backup comes back as it was: it accepts writes, but holds an older epoch ---
    pgs.startBackup();
    await a.server.runtime.failover!.watch!.check();
    expect(a.server.runtime.failover!.using()).toBe('primary');
    state = await stateJson();
    expect(state).toMatchObject({ poolState: 'Normal', epoch: 2, primary: { status: 'in use' }, backup: { status: 'accepts writes' } });
    // Failing over to it now would leave nodes writing to both.
    const split = await cli.run(['pool', 'state', 'set', 'FailedOver']);
    expect(split.stderr).toContain('POOL_STATE_REFUSED');
    expect(split.stderr).toMatch(/primary database .* still accepts writes: stop it first/);
    // What if: nothing is written.
    expectOk(await cli.run(['pool', 'state', 'set', 'Normal', '--what-if']));
    expect((await stateJson()).epoch).toBe(2);
  }, 240_000);
});

describe.skipIf(!postgresEnabled())('pool state refusals [postgres]', () => {
  it('refuses what has no backup, a second deployment as the backup, and a state that does not exist', async () => {
    assertBuilt();
    const sqlite = cliFor(path.join(tempDir('stoa-cli-'), 'data'), []);
    const onSqlite = await sqlite.run(['pool', 'state', 'get']);
    expect(onSqlite.code).not.toBe(0);
    expect(onSqlite.stderr).toContain('INVALID_CONFIG');
    expect(onSqlite.stderr).toContain('the embedded SQLite database has no standby');
    const noPrimary = await sqlite.run(['--backup-database-url', 'postgres://stoa@127.0.0.1:1/stoa', 'serve', '--port', '0']);
    expect(noPrimary.code).not.toBe(0);
    expect(noPrimary.stderr).toContain('a backup database is a standby of the PostgreSQL database: give --database-url');

    const [one, two] = [await postgresDatabaseUrl(), await postgresDatabaseUrl()];
    const primaryOnly = cliFor(path.join(tempDir('stoa-cli-'), 'data'), ['--database-url', one, '--pool-fqdn', 'one.contoso.com']);
    expectOk(await primaryOnly.run(['pool', 'node', 'get']));
    // Without a backup the pool is Normal, and cannot be failed over.
    expect(JSON.parse(expectOk(await primaryOnly.run(['--json', 'pool', 'state', 'get'])).stdout)).toMatchObject({ identity: 'PersistentChatServer:one.contoso.com', poolState: 'Normal', primary: { status: 'in use' }, backup: { status: 'not configured' } });
    const noBackup = await primaryOnly.run(['pool', 'state', 'set', 'FailedOver']);
    expect(noBackup.stderr).toContain('INVALID_CONFIG');
    expect(noBackup.stderr).toContain('the pool has no backup database: give --backup-database-url');
    const sideways = await primaryOnly.run(['pool', 'state', 'set', 'Sideways']);
    expect(sideways.code).toBe(2);
    expect(sideways.stderr).toContain("the pool state is Normal or FailedOver, not 'Sideways'");
    const same = await primaryOnly.run(['--backup-database-url', one, 'pool', 'state', 'get']);
    expect(same.stderr).toContain('the backup database must be another server than --database-url');

    // Another deployment as the backup: refused by get (as a problem), set and a node.
    expectOk(await cliFor(path.join(tempDir('stoa-cli-'), 'data'), ['--database-url', two, '--pool-fqdn', 'two.contoso.com']).run(['pool', 'node', 'get']));
    const mixed = cliFor(path.join(tempDir('stoa-cli-'), 'data'), ['--database-url', one, '--backup-database-url', two]);
    expect(JSON.parse(expectOk(await mixed.run(['--json', 'pool', 'state', 'get'])).stdout).problem).toContain('the backup database holds another deployment (pool two.contoso.com');
    const set = await mixed.run(['pool', 'state', 'set', 'FailedOver', '--force']);
    expect(set.stderr).toContain('DEPLOYMENT_MISMATCH');
    const node = await mixed.run(['serve', '--port', '0', '--node-name', 'mixed']);
    expect(node.code).not.toBe(0);
    expect(node.stderr).toContain('the backup database holds another deployment');
  }, 60_000);
});

describe.skipIf(!postgresEnabled())('a store switching servers [postgres]', () => {
  it('moves a wait for a connection to the new server, not leaving it to time out on the old one', async () => {
    // A "server" that accepts connections and never answers: attempts at it hang.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const url = await postgresDatabaseUrl();
    const target = new PostgresTarget(url);
    const store = await openPostgresStore(target, 2);
    try {
      target.switchTo(`postgres://stoa@127.0.0.1:${port}/stoa`);
      // More reads than the pool has connections: two hang connecting, the rest wait in the pool.
      const reads = Array.from({ length: 5 }, () => store.meta.get('pool_fqdn'));
      await new Promise((r) => setTimeout(r, 300));
      target.switchTo(url);
      const answered = await Promise.race([Promise.allSettled(reads), new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 5_000))]);
      expect(answered, 'the waits moved to the new server at once (the old pool would have held them 10 s)').not.toBe('waiting');
      // The two caught connecting to the silent server fail; the ones that waited for a connection moved.
      const outcomes = (answered as PromiseSettledResult<unknown>[]).map((o) => o.status);
      expect(outcomes.filter((s) => s === 'fulfilled').length).toBeGreaterThanOrEqual(3);
    } finally {
      await store.close();
      silent.close();
    }
  }, 30_000);
});

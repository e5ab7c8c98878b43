/**
 * `npm run bench -- pool-failover [--size N] [--smoke] [--no-record]`
 *
 * How long a pool's clients are without service when part of the pool fails — two rows:
 *
 * - **Node killed.** Three `stoa serve` nodes (PostgreSQL, Redis) behind the HAProxy
 *   configuration of docs/examples; N clients (default 300, one user each, rooms of 10)
 *   post every 2 s through HAProxy. One node is killed with SIGKILL (three rounds, a
 *   different node each, restarted between rounds). For each client of the dead node: the
 *   time from the kill until it is connected again (through HAProxy, to a live node) and
 *   its first post after that is acknowledged. A client reconnects as soon as it is cut.
 * - **Primary database lost.** Three nodes with a backup database (a synchronous
 *   streaming standby) and the same clients. The primary is killed with SIGKILL; the
 *   script then does what the operator does (docs/pool.md, "Failover"): promotes the
 *   standby and runs `stoa pool state set FailedOver`. For each client: the time from the
 *   kill until its first acknowledged post after it (clients retry every 2 s as they do
 *   anyway; refused posts are retried at once after 100 ms). The operator's steps are
 *   given separately: in the field they take what a person takes.
 *
 * Every acknowledged post is checked to be in history afterwards (the test suites prove
 * the rest: order, once, compliance).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import pg_ from 'pg';
import { cpuSeconds, fmt, quantile, recordResult, ROOT, treeCpuSeconds, scratchDir, seedTokenUsers, serveChild, stopChild, open, type Options } from './lib.js';
import { freePort, postgresAvailable, startPostgres, startReplicatedPostgres } from '../test/harness/postgres-server.js';
import { startRedis, type RedisServer } from '../test/harness/redis-server.js';
import { startHaproxy, type Haproxy } from '../test/harness/haproxy.js';
import { WsClient } from '../test/harness/server.js';
import { buildCategory, buildDomain, buildRoom } from '../test/factories.js';
import type { Runtime } from '../src/main.js';
import type { KyselyStore } from '../src/store/kysely/store.js';

const ROOM_SIZE = 10;
const POST_EVERY_MS = 2_000;
const RETRY_MS = 100;

/** A client that posts every 2 s, reconnects at once when cut, and notes when it is back. */
class Poster {
  ws: WsClient | undefined;
  acknowledged: string[] = [];
  lastAckAt = 0;
  /** When it was first cut or refused in this round, and its first acknowledged post after that. */
  cutAt: number | undefined;
  backAt: number | undefined;
  /** Refusals by code, and posts with no answer within 5 s ('timeout'). */
  readonly failures = new Map<string, number>();
  private running = true;
  private n = 0;
  private loop: Promise<void> | undefined;

  constructor(
    readonly url: string,
    readonly token: string,
    readonly room: string,
    readonly name: string,
  ) {}

  async connect(): Promise<void> {
    for (;;) {
      try {
        const ws = await WsClient.connect(this.url, this.token);
        await ws.ok({ type: 'join', room: this.room });
        this.ws = ws;
        return;
      } catch {
        if (!this.running) return;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  start(): void {
    this.loop = (async () => {
      // Spread the clients' posts over the interval.
      await new Promise((r) => setTimeout(r, Math.random() * POST_EVERY_MS));
      while (this.running) {
        const ok = await this.postOnce();
        await new Promise((r) => setTimeout(r, ok ? POST_EVERY_MS : RETRY_MS));
      }
    })();
  }

  /** True when acknowledged. */
  private async postOnce(): Promise<boolean> {
    if (this.ws === undefined || this.ws.closed !== undefined) {
      this.cutAt ??= Date.now();
      await this.connect();
      if (!this.running) return false;
    }
    const text = `${this.name}-${this.n++}`;
    try {
      const reply = await this.ws!.call({ type: 'post', room: this.room, text });
      if (reply.ok !== true) {
        // Refused (the database does not answer): out of service from here.
        const code = String((reply.error as { code?: unknown } | undefined)?.code);
        this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
        this.cutAt ??= Date.now();
        return false;
      }
      this.acknowledged.push(text);
      this.lastAckAt = Date.now();
      if (this.cutAt !== undefined && this.backAt === undefined) this.backAt = this.lastAckAt;
      return true;
    } catch {
      // Cut, or no answer within 5 s.
      this.failures.set('no answer', (this.failures.get('no answer') ?? 0) + 1);
      this.cutAt ??= Date.now();
      return false;
    }
  }

  /** A round begins: forget the last cut. */
  reset(): void {
    this.cutAt = undefined;
    this.backAt = undefined;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.ws?.close();
  }
}

interface Pool {
  haproxy: Haproxy;
  nodes: { name: string; port: number; dir: string; child: ChildProcess | undefined }[];
  posters: Poster[];
  control: Runtime;
  start(i: number): Promise<void>;
  close(): Promise<void>;
}

/** Three nodes behind HAProxy on one deployment, with `clients` posters in rooms of ten. */
async function startPool(label: string, databaseUrl: string, redis: RedisServer, clients: number, extra: readonly string[]): Promise<Pool> {
  const control = await open(path.join(scratchDir(`pool-failover-${label}`), 'control'), databaseUrl);
  await buildDomain(control.services, 'contoso.com');
  const category = await buildCategory(control.services, { allowed: ['contoso.com'] });
  const users = await seedTokenUsers(control.services, clients, `pf${label}`);
  const rooms: string[] = [];
  for (let i = 0; i < users.length; i += ROOM_SIZE) {
    const room = await buildRoom(control.services, category.name, { privacy: 'Closed', members: users.slice(i, i + ROOM_SIZE).map((u) => u.key) });
    rooms.push(room.guid);
  }
  const nodes: Pool['nodes'] = [];
  for (let i = 0; i < 3; i++) nodes.push({ name: `${label}${i}`, port: await freePort(), dir: path.join(scratchDir(`pool-failover-${label}-n${i}`), 'data'), child: undefined });
  const start = async (i: number) => {
    const node = nodes[i]!;
    // Fixed ports (HAProxy's configuration names them): the later --port wins over serveChild's 0.
    node.child = (await serveChild(node.dir, databaseUrl, ['--port', String(node.port), '--redis-url', redis.url, '--node-name', node.name, ...extra])).child;
    // STOA_BENCH_LOG_DIR: keep each node's log there (what went wrong during a failover).
    const logDir = process.env.STOA_BENCH_LOG_DIR;
    if (logDir !== undefined) {
      const log = fs.createWriteStream(path.join(logDir, `${node.name}.log`), { flags: 'a' });
      node.child.stdout?.pipe(log);
      node.child.stderr?.pipe(log);
    }
  };
  for (let i = 0; i < 3; i++) await start(i);
  const haproxy = await startHaproxy(nodes);
  const posters = users.map((u, i) => new Poster(haproxy.url, u.token, rooms[Math.floor(i / ROOM_SIZE)]!, `${label}-u${i}`));
  for (let i = 0; i < posters.length; i += 50) await Promise.all(posters.slice(i, i + 50).map((p) => p.connect()));
  for (const p of posters) p.start();
  return {
    haproxy,
    nodes,
    posters,
    control,
    start,
    async close() {
      await Promise.all(posters.map((p) => p.stop()));
      await haproxy.stop();
      for (const n of nodes) if (n.child !== undefined && n.child.exitCode === null) await stopChild(n.child);
      // Already closed when the primary was killed (primaryLoss).
      await control.close().catch(() => undefined);
    },
  };
}

/** Every acknowledged post is in history (read on the database the pool now uses). */
async function checkHistory(store: KyselyStore, posters: readonly Poster[]): Promise<number> {
  const texts = new Set((await store.db.selectFrom('messages').select('content').execute()).map((m) => m.content));
  const acknowledged = posters.flatMap((p) => p.acknowledged);
  const missing = acknowledged.filter((t) => !texts.has(t));
  if (missing.length > 0) throw new Error(`${missing.length} acknowledged posts are not in history, e.g. ${missing.slice(0, 3).join(', ')}`);
  return acknowledged.length;
}

const sorted = (xs: readonly number[]) => Float64Array.from(xs).sort();
const spread = (xs: readonly number[]) => {
  const s = sorted(xs);
  return `${fmt(quantile(s, 0.5))} / ${fmt(quantile(s, 0.99))} / ${fmt(s[s.length - 1] ?? NaN)} ms`;
};

/** What the pool did per acknowledged message over a steady window: the figures the capacity statement is derived from. */
export interface Load {
  seconds: number;
  messagesPerSecond: number;
  statementsPerMessage: number;
  commitsPerMessage: number;
  redisCommandsPerMessage: number;
  /** CPU milliseconds per message: the three nodes together, PostgreSQL, Redis. */
  cpuMs: { nodes: number; postgres: number; redis: number };
}


async function measureLoad(pool: Pool, pgUrl: string, pgPid: number, redis: RedisServer, windowMs: number): Promise<Load> {
  const client = new pg_.Client({ connectionString: pgUrl });
  await client.connect();
  const { Redis } = await import('ioredis');
  const r = new Redis(redis.url, { lazyConnect: true });
  await r.connect();
  try {
    const read = async () => {
      const statements = Number((await client.query<{ n: string }>('select coalesce(sum(calls), 0) as n from pg_stat_statements')).rows[0]!.n);
      const commits = Number((await client.query<{ n: string }>('select sum(xact_commit) as n from pg_stat_database')).rows[0]!.n);
      const info = await r.info('stats');
      const commands = Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? NaN);
      const pids = pool.nodes.map((n) => n.child!.pid!);
      return {
        at: Date.now(),
        acknowledged: pool.posters.reduce((n, p) => n + p.acknowledged.length, 0),
        statements,
        commits,
        commands,
        cpu: { nodes: pids.reduce((n, pid) => n + cpuSeconds(pid), 0), postgres: treeCpuSeconds(pgPid), redis: cpuSeconds(redis.pid) },
      };
    };
    const a = await read();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const b = await read();
    const messages = b.acknowledged - a.acknowledged;
    // Less the few statements and commands of the measurement itself.
    const per = (x: number) => x / messages;
    return {
      seconds: (b.at - a.at) / 1000,
      messagesPerSecond: messages / ((b.at - a.at) / 1000),
      statementsPerMessage: per(b.statements - a.statements - 2),
      commitsPerMessage: per(b.commits - a.commits - 2),
      redisCommandsPerMessage: per(b.commands - a.commands - 1),
      cpuMs: { nodes: per((b.cpu.nodes - a.cpu.nodes) * 1000), postgres: per((b.cpu.postgres - a.cpu.postgres) * 1000), redis: per((b.cpu.redis - a.cpu.redis) * 1000) },
    };
  } finally {
    await client.end();
    r.disconnect();
  }
}

async function nodeKills(clients: number, rounds: number, windowMs: number): Promise<{ back: number[]; cut: number; acknowledged: number; load: Load }> {
  const pg = await startPostgres({ durable: true, statements: true });
  const redis = await startRedis();
  let pool: Pool | undefined;
  try {
    const admin = new pg_.Client({ connectionString: pg.url('postgres') });
    await admin.connect();
    await admin.query('create database pool_failover_nodes').finally(() => admin.end());
    const stats = new pg_.Client({ connectionString: pg.url('pool_failover_nodes') });
    await stats.connect();
    await stats.query('create extension pg_stat_statements').finally(() => stats.end());
    pool = await startPool('k', pg.url('pool_failover_nodes'), redis, clients, []);
    await new Promise((r) => setTimeout(r, 3_000));
    const pgPid = Number(fs.readFileSync(path.join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const load = await measureLoad(pool, pg.url('pool_failover_nodes'), pgPid, redis, windowMs);
    const back: number[] = [];
    let cut = 0;
    for (let round = 0; round < rounds; round++) {
      for (const p of pool.posters) p.reset();
      const victim = round % pool.nodes.length;
      const killedAt = Date.now();
      pool.nodes[victim]!.child!.kill('SIGKILL');
      // Long enough for every cut client to be back and to have posted (HAProxy needs ~4 s to mark the node down).
      await new Promise((r) => setTimeout(r, 10_000));
      const cutOnes = pool.posters.filter((p) => p.cutAt !== undefined);
      const missing = cutOnes.filter((p) => p.backAt === undefined).length;
      if (missing > 0) throw new Error(`round ${round}: ${missing} of ${cutOnes.length} cut clients not back after 10 s`);
      back.push(...cutOnes.map((p) => p.backAt! - killedAt));
      cut += cutOnes.length;
      console.log(`pool-failover: round ${round}: node ${pool.nodes[victim]!.name} killed; ${cutOnes.length} clients cut, back and posting after ${spread(cutOnes.map((p) => p.backAt! - killedAt))} (p50 / p99 / max)`);
      await pool.start(victim);
      await new Promise((r) => setTimeout(r, 3_000));
    }
    await Promise.all(pool.posters.map((p) => p.stop()));
    const acknowledged = await checkHistory(pool.control.services.store as KyselyStore, pool.posters);
    return { back, cut, acknowledged, load };
  } finally {
    await pool?.close();
    await redis.stop();
    pg.stop();
  }
}

export async function primaryLoss(clients: number): Promise<{ back: number[]; promoteMs: number; cliMs: number; switchedMs: number; acknowledged: number }> {
  const pgs = await startReplicatedPostgres();
  const redis = await startRedis();
  let pool: Pool | undefined;
  try {
    const admin = new pg_.Client({ connectionString: pgs.primaryUrl('postgres') });
    await admin.connect();
    await admin.query('create database pool_failover_db').finally(() => admin.end());
    const [primary, backup] = [pgs.primaryUrl('pool_failover_db'), pgs.backupUrl('pool_failover_db')];
    pool = await startPool('f', primary, redis, clients, ['--backup-database-url', backup]);
    await new Promise((r) => setTimeout(r, 3_000));
    for (const p of pool.posters) p.reset();
    // The bench's own connections to the primary (it seeded through them) are closed
    // first: their loss would be this process's warning, not a finding.
    await pool.control.close();
    const killedAt = Date.now();
    pgs.killPrimary();
    // The operator's steps, without blocking the clients (they go on posting meanwhile).
    const t0 = Date.now();
    await pgs.promoteBackup();
    const promoteMs = Date.now() - t0;
    const t1 = Date.now();
    const stoa = path.join(ROOT, 'bin', 'stoa.js');
    await promisify(execFile)(process.execPath, [stoa, '--data-dir', path.join(scratchDir('pool-failover-cli'), 'data'), '--database-url', primary, '--backup-database-url', backup, 'pool', 'state', 'set', 'FailedOver']).catch((err: Error & { stderr?: string }) => {
      throw new Error(`pool state set FailedOver failed: ${err.stderr ?? err.message}`);
    });
    const cliMs = Date.now() - t1;
    // Every client tries to post at least once more; each that was refused must be back.
    await new Promise((r) => setTimeout(r, POST_EVERY_MS + 500));
    const deadline = Date.now() + 30_000;
    while (!pool.posters.every((p) => p.cutAt === undefined || p.backAt !== undefined)) {
      if (Date.now() > deadline) throw new Error('not every client posted again within 30 s of the failover');
      await new Promise((r) => setTimeout(r, 50));
    }
    const failures = new Map<string, number>();
    for (const p of pool.posters) for (const [code, n] of p.failures) failures.set(code, (failures.get(code) ?? 0) + n);
    console.log(`pool-failover: posts refused during the failover: ${[...failures].map(([code, n]) => `${code} ×${n}`).join(', ')}`);
    // Each client refused during the outage: from the kill to its first acknowledged post after that.
    const back = pool.posters.filter((p) => p.backAt !== undefined).map((p) => p.backAt! - killedAt);
    await Promise.all(pool.posters.map((p) => p.stop()));
    const after = await open(path.join(scratchDir('pool-failover-check'), 'data'), backup);
    try {
      return { back, promoteMs, cliMs, switchedMs: Math.max(...pool.posters.map((p) => p.backAt ?? 0)) - (t1 + cliMs), acknowledged: await checkHistory(after.services.store as KyselyStore, pool.posters) };
    } finally {
      await after.close();
    }
  } finally {
    await pool?.close().catch(() => undefined);
    await redis.stop();
    pgs.stop();
  }
}

export async function poolFailoverBench(options: Options): Promise<void> {
  if (postgresAvailable() === undefined) throw new Error('pool-failover needs PostgreSQL (apt-get install postgresql)');
  const clients = options.smoke ? 30 : (options.size ?? 300);
  const rounds = options.smoke ? 1 : 3;
  const kills = await nodeKills(clients, rounds, options.smoke ? 3_000 : 20_000);
  const killRow = `${spread(kills.back)}`;
  console.log(`pool-failover: node killed (${rounds} rounds): ${kills.cut} clients cut, back and posting after ${killRow} (p50 / p99 / max); ${kills.acknowledged} acknowledged posts all in history`);
  const { load } = kills;
  const loadLine = `${fmt(load.messagesPerSecond, 1)} msg/s (${fmt(load.messagesPerSecond * ROOM_SIZE)} deliveries/s) over ${fmt(load.seconds)} s; per message: ${fmt(load.statementsPerMessage, 1)} PostgreSQL statements, ${fmt(load.commitsPerMessage, 2)} commits, ${fmt(load.redisCommandsPerMessage, 1)} Redis commands; CPU ms per message: nodes ${fmt(load.cpuMs.nodes, 2)}, PostgreSQL ${fmt(load.cpuMs.postgres, 2)}, Redis ${fmt(load.cpuMs.redis, 2)}`;
  console.log(`pool-failover: steady load: ${loadLine}`);
  const loss = await primaryLoss(clients);
  const lossRow = spread(loss.back);
  console.log(
    `pool-failover: primary lost: ${loss.back.length} clients refused, back and posting after ${lossRow} from the kill; promotion ${loss.promoteMs} ms, pool state set FailedOver ${loss.cliMs} ms, the last client back ${loss.switchedMs} ms after the set; ${loss.acknowledged} acknowledged posts all on the backup`,
  );
  if (!options.record) return;
  recordResult('pool-failover', ['node killed (SIGKILL), through HAProxy', fmt(clients), `${rounds} × one of 3 nodes`, fmt(kills.cut), killRow, `${fmt(kills.acknowledged)} acknowledged posts, all in history`], options);
  recordResult(
    'pool-failover',
    ['primary database killed (SIGKILL), standby promoted, pool state set FailedOver', fmt(clients), '1 × 3 nodes', fmt(loss.back.length), lossRow, `promotion ${fmt(loss.promoteMs)} ms, CLI ${fmt(loss.cliMs)} ms, last client back ${fmt(loss.switchedMs)} ms after the CLI; ${fmt(loss.acknowledged)} acknowledged posts, all on the backup`],
    options,
  );
  recordResult(
    'pool-load',
    [
      fmt(clients),
      fmt(load.messagesPerSecond, 1),
      fmt(load.messagesPerSecond * ROOM_SIZE),
      fmt(load.statementsPerMessage, 1),
      fmt(load.commitsPerMessage, 2),
      fmt(load.redisCommandsPerMessage, 1),
      `${fmt(load.cpuMs.nodes, 2)} / ${fmt(load.cpuMs.postgres, 2)} / ${fmt(load.cpuMs.redis, 2)}`,
    ],
    options,
  );
  console.log('recorded in docs/benchmarks.md');
}

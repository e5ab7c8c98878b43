/**
 * `npm run bench -- pool-fanout [--size N] [--smoke] [--no-record]`
 *
 * One room of N members (default 1,000) on a pool — PostgreSQL and Redis started by the
 * bench, on loopback — measured twice in the same run with the same climb as `fanout`
 * (10 posters, the post rate ×1.5 per step until the p99 delivery latency passes
 * 100 ms): every member on **one** node, then the members spread over **three** nodes
 * (round robin), posters included, so most deliveries cross from the posting node to
 * another through the outbox, Redis and the other node's sequencer.
 *
 * The machine has two cores: three nodes, PostgreSQL, Redis and this load generator share
 * them, so the three-node row measures the cost of the cross-node hop, not scale-out. CPU
 * is given for the nodes together and for PostgreSQL and Redis.
 */
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type WebSocket from 'ws';
import { cpuSeconds, elapsed, fmt, open, recordResult, scratchDir, seedOpenRoom, serveChild, stopChild, treeCpuSeconds, wsUrlOf, type Options } from './lib.js';
import { climb, climbCells, outcome, P99_LIMIT_MS, stoaMember, stoaPost, type Side, type Step } from './fanout.js';
import { postgresAvailable, startPostgres } from '../test/harness/postgres-server.js';
import { startRedis, type RedisServer } from '../test/harness/redis-server.js';
import { spawnSync } from 'node:child_process';
import pg_ from 'pg';

interface PoolSide extends Side {
  /** CPU of PostgreSQL and Redis over the last measured step (share of one core). */
  lastBackends: { postgres: number; redis: number };
}

async function poolSide(label: string, nodes: number, members: number, pg: { url: string; pid: number }, redis: RedisServer, deliver: (seq: number) => void): Promise<PoolSide> {
  const databaseUrl = pg.url;
  const seedDir = path.join(scratchDir(`pool-fanout-${nodes}`), 'seed');
  const runtime = await open(seedDir, databaseUrl);
  const { room, users } = await seedOpenRoom(runtime.services, `Pool fan-out ${nodes}`, members, `pool${nodes}m`).finally(() => runtime.close());
  const children: ChildProcess[] = [];
  const sockets: WebSocket[] = [];
  const stopAll = async () => {
    for (const ws of sockets) ws.terminate();
    for (const c of children) await stopChild(c);
  };
  try {
    const urls: string[] = [];
    for (let i = 0; i < nodes; i++) {
      const { child, url } = await serveChild(path.join(scratchDir(`pool-fanout-${nodes}-n${i}`), 'data'), databaseUrl, ['--redis-url', redis.url, '--node-name', `bench${nodes}n${i}`]);
      children.push(child);
      urls.push(wsUrlOf(url));
    }
    for (let i = 0; i < users.length; i += 50) {
      sockets.push(...(await Promise.all(users.slice(i, i + 50).map((u, k) => stoaMember(urls[(i + k) % urls.length]!, u.token, room, deliver)))));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const side: PoolSide = {
    label,
    pid: children[0]!.pid!,
    lastBackends: { postgres: 0, redis: 0 },
    meter() {
      const pids = children.map((c) => c.pid!);
      const nodes0 = pids.reduce((n, pid) => n + cpuSeconds(pid), 0);
      const pg0 = treeCpuSeconds(pg.pid);
      const redis0 = cpuSeconds(redis.pid);
      const bench0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      return () => {
        const seconds = elapsed(t0);
        const used = process.cpuUsage(bench0);
        side.lastBackends = { postgres: ((treeCpuSeconds(pg.pid) - pg0) / seconds) * 100, redis: ((cpuSeconds(redis.pid) - redis0) / seconds) * 100 };
        return { serverCpu: ((pids.reduce((n, pid) => n + cpuSeconds(pid), 0) - nodes0) / seconds) * 100, benchCpu: ((used.user + used.system) / 1e6 / seconds) * 100 };
      };
    },
    members: sockets.map((ws) => ({ post: stoaPost(ws, room) })),
    close: stopAll,
  };
  return side;
}

export async function poolFanoutBench(options: Options): Promise<void> {
  if (postgresAvailable() === undefined) throw new Error('pool-fanout needs PostgreSQL (apt-get install postgresql)');
  const members = options.smoke ? 30 : (options.size ?? 1000);
  const pg = await startPostgres({ durable: true });
  const redisServer = await startRedis();
  try {
    const pgPid = Number(spawnSync('head', ['-1', path.join(pg.dataDir, 'postmaster.pid')], { encoding: 'utf8' }).stdout.trim());
    const redis = redisServer;
    const results: { label: string; nodes: number; steps: Step[]; backends: { postgres: number; redis: number }[] }[] = [];
    for (const nodes of [1, 3]) {
      const backends: { postgres: number; redis: number }[] = [];
      let side: PoolSide | undefined;
      const label = nodes === 1 ? 'one node' : `${nodes} nodes`;
      // A deployment of its own for each side (its own database; its own keys in Redis).
      const admin = new pg_.Client({ connectionString: pg.url('postgres') });
      await admin.connect();
      await admin.query(`create database pool_fanout_${nodes}`).finally(() => admin.end());
      const { steps } = await climb(async (deliver) => {
        side = await poolSide(label, nodes, members, { url: pg.url(`pool_fanout_${nodes}`), pid: pgPid }, redis, deliver);
        const measured = side;
        // Each step's backend CPU, read when the step's meter is read.
        const meter = measured.meter!;
        measured.meter = () => {
          const read = meter();
          return () => {
            const cpu = read();
            backends.push(measured.lastBackends);
            return cpu;
          };
        };
        return measured;
      }, options);
      results.push({ label, nodes, steps, backends });
    }
    const single = outcome(results[0]!.steps).best;
    for (const r of results) {
      const { best } = outcome(r.steps);
      const at = best === undefined ? -1 : r.steps.indexOf(best);
      const b = r.backends[at];
      const summary =
        best === undefined
          ? `even ${fmt(r.steps[0]!.rate, 1)} msg/s had a p99 above ${P99_LIMIT_MS} ms`
          : `up to ${fmt(best.rate, 1)} msg/s (${fmt(best.rate * members)} deliveries/s) with p99 ${fmt(best.p99, 1)} ms; CPU nodes ${fmt(best.serverCpu)} %, PostgreSQL ${fmt(b?.postgres ?? NaN)} %, Redis ${fmt(b?.redis ?? NaN)} %`;
      const versus = r.nodes === 1 || single === undefined || best === undefined ? '' : `; ${fmt((best.rate / single.rate) * 100)} % of one node's rate`;
      console.log(`pool-fanout: ${r.label}: ${summary}${versus}`);
      if (!options.record) continue;
      const { over } = outcome(r.steps);
      recordResult(
        'pool-fanout',
        [r.label, ...climbCells(members, best, over, (x) => `${fmt(x.serverCpu)} % / ${fmt(b?.postgres ?? NaN)} % / ${fmt(b?.redis ?? NaN)} % / ${fmt(x.benchCpu)} %`)],
        options,
      );
    }
    if (options.record) console.log('recorded in docs/benchmarks.md');
  } finally {
    await redisServer.stop();
    pg.stop();
  }
}

/**
 * `npm run bench -- history [--size N] [--smoke] [--no-record]`
 *
 * The latest 50 messages of one room holding N messages (default 1,000,000), asked for
 * over HTTP (`GET /api/v1/rooms/{id}/messages?limit=50`) by C concurrent clients (50, each
 * its own user with an API token, keep-alive connections) for 10 s after a 3 s warm-up
 * round, then by one client alone, against a `stoa serve`
 * child — on embedded SQLite, then on PostgreSQL (a server of its own from the
 * `postgresql` package, initdb'd by the bench, default durability). Requests/s,
 * p50/p99/max latency, server and load-generator CPU (they share the machine; PostgreSQL's
 * own processes are not counted in the server's CPU).
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import type { ImportedMessage } from '../src/store/types.js';
import { postgresAvailable, startPostgres } from '../test/harness/postgres-server.js';
import { cpuMeter, scratchDir, fmt, jsonClient, open, quantile, recordResult, seedOpenRoom, sentence, serveChild, stopChild, type Options } from './lib.js';

const PAGE = 50;

async function seed(dir: string, messages: number, clients: number, databaseUrl?: string): Promise<{ room: string; tokens: string[] }> {
  const runtime = await open(dir, databaseUrl);
  const s = runtime.services;
  try {
    const { room, roomId, users } = await seedOpenRoom(s, 'Long history', clients, 'reader');
    const authors = users.map((u) => u.id);
    const start = Date.parse('2024-01-01T00:00:00Z');
    for (let from = 1; from <= messages; from += 10_000) {
      const rows: ImportedMessage[] = [];
      for (let chatId = from; chatId < Math.min(from + 10_000, messages + 1); chatId++) {
        rows.push({ chatId, authorId: authors[chatId % authors.length]!, postedAt: start + chatId * 1000, postedAtTicks: 0, content: sentence(chatId), rtf: null, isAlert: chatId % 97 === 0, storyTitle: null, fileId: null, inHistory: true, replacedAt: null });
      }
      await s.store.transaction((tx) => tx.archive.insertMessages(roomId, rows));
    }
    // The search word index up to date, as on a live server (its catch-up after a bulk
    // load runs in the background and is not what this scenario measures).
    await s.words.catchUp();
    if (databaseUrl !== undefined) {
      // Statistics as autovacuum would have them on a live server: without them the
      // planner may sort the whole room for the newest page.
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query('ANALYZE');
      await client.end();
    }
    return { room, tokens: users.map((u) => u.token) };
  } finally {
    await runtime.close();
  }
}

/** The postmaster's pid (the first line of postmaster.pid), or undefined when it cannot be read. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    console.log('history: PostgreSQL\'s pid could not be read: its CPU is not measured');
    return undefined;
  }
}

/** One store: seed, serve, read for `seconds`; prints and records its row. */
async function measure(store: 'SQLite' | 'PostgreSQL', options: Options, database?: { url: string; dataDir: string }): Promise<void> {
  const databaseUrl = database?.url;
  // PostgreSQL's processes share the machine too: their CPU is measured beside the server's.
  const databasePid = database === undefined ? undefined : postmasterPid(database.dataDir);
  const messages = options.smoke ? 20_000 : (options.size ?? 1_000_000);
  const readerCount = options.smoke ? 5 : 50;
  const seconds = options.smoke ? 1 : 10;
  const dir = path.join(scratchDir('history'), 'data');
  console.log(`history: ${store}: seeding a room with ${fmt(messages)} messages…`);
  const { room, tokens } = await seed(dir, messages, readerCount, databaseUrl);
  const { child, url } = await serveChild(dir, databaseUrl);
  try {
    const target = `${url}/api/v1/rooms/${room}/messages?limit=${PAGE}`;
    const clients = tokens.map((token) => jsonClient(token));
    const ask = async (client: ReturnType<typeof jsonClient>) => {
      const { status, body } = (await client.get(target)) as { status: number; body: { messages?: { chatId: number }[] } };
      if (status !== 200 || body.messages?.length !== PAGE || body.messages[PAGE - 1]!.chatId !== messages) throw new Error(`unexpected answer ${status}: ${JSON.stringify(body).slice(0, 200)}`);
    };
    const readFor = async (readers: typeof clients, ms: number, latencies?: number[]) => {
      const end = performance.now() + ms;
      await Promise.all(
        readers.map(async (client) => {
          while (performance.now() < end) {
            const started = performance.now();
            await ask(client);
            latencies?.push(performance.now() - started);
          }
        }),
      );
    };
    // An unmeasured round first (connections, the page cache, compiled code), as a server
    // that has been running would be.
    await readFor(clients, options.smoke ? 200 : 3000);
    // All clients at once, then one client alone (its latency without queueing).
    for (const readers of [clients, clients.slice(0, 1)]) {
      const latencies: number[] = [];
      const cpu = cpuMeter(child.pid!, databasePid);
      await readFor(readers, seconds * 1000, latencies);
      const { seconds: took, serverCpu, benchCpu, databaseCpu } = cpu();
      const cpuCell = `${fmt(serverCpu)} % / ${fmt(benchCpu)} %${databaseCpu === undefined ? '' : ` / PostgreSQL ${fmt(databaseCpu)} %`}`;
      const sorted = Float64Array.from(latencies).sort();
      const [p50, p99, max] = [quantile(sorted, 0.5), quantile(sorted, 0.99), sorted[sorted.length - 1]!];
      console.log(
        `history: ${store}: latest ${PAGE} of ${fmt(messages)} messages, ${readers.length} ${readers.length === 1 ? 'client' : 'clients'}: ${fmt(latencies.length / took)} requests/s, latency p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms, max ${fmt(max, 1)} ms; CPU server ${fmt(serverCpu)} %, load generator ${fmt(benchCpu)} %${databaseCpu === undefined ? '' : `, PostgreSQL ${fmt(databaseCpu)} %`}`,
      );
      if (options.record) {
        recordResult('history', [store, fmt(messages), String(readers.length), fmt(latencies.length / took), `${fmt(p50, 1)} / ${fmt(p99, 1)} / ${fmt(max, 1)} ms`, cpuCell], options);
        console.log('recorded in docs/benchmarks.md');
      }
    }
    for (const client of clients) client.close();
  } finally {
    await stopChild(child);
  }
}

export async function historyBench(options: Options): Promise<void> {
  await measure('SQLite', options);
  if (postgresAvailable() === undefined) {
    const missing = 'PostgreSQL is not installed (apt-get install postgresql)';
    if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error(`history: ${missing} and STOA_TEST_REQUIRE_ALL=1`);
    console.log(`history: ${missing} — SKIPPED`);
    return;
  }
  const pg = await startPostgres({ durable: true });
  try {
    await measure('PostgreSQL', options, { url: pg.url('postgres'), dataDir: pg.dataDir });
  } finally {
    pg.stop();
  }
}

/**
 * `npm run bench -- search [--size N] [--store sqlite|postgres] [--data DIR] [--smoke] [--no-record]`
 *
 * ACL-filtered full-text search over N messages (default 10,000,000 on SQLite, 1,000,000
 * on PostgreSQL) on a `stoa serve` child: embedded SQLite, or PostgreSQL (a server of its
 * own from Debian's `postgresql`, initdb'd by the bench, default durability). The pool: 1,000 rooms holding N/1,000
 * messages each — 100 Open, 900 Closed — and 50 searching users, each a member of 18 of
 * the Closed rooms, so every search runs over the ~118 rooms its user may read (about an
 * eighth of the messages) and must leave the rest out. Text comes from a 20,000-word
 * vocabulary with Zipf-like frequencies (bench/lib.ts `corpus`), so terms range from
 * common to rare. 10 clients search for 10 s, each cycling through the query mix below
 * (`GET /api/v1/search?q=…&limit=50`); latency per query kind and overall.
 *
 * Seeding writes the messages with one prepared statement in large transactions, with the
 * rollback journal in memory; the product's own indexer then builds both search indexes
 * (trigram and word, migration 0010), as a node does after a bulk import. What is
 * measured is only the searching. With `--data DIR` the seeded deployment is kept in DIR
 * and a later run of the same size searches it again without seeding (profiling, trying
 * a change); the deployment's schema must still be the code's (the server refuses otherwise).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { buildCategory, buildDomain, buildRoom } from '../test/factories.js';
import pg from 'pg';
import { postgresAvailable, startPostgres } from '../test/harness/postgres-server.js';
import type { Runtime } from '../src/main.js';
import { corpus, cpuMeter, elapsed, fmt, open, quantile, recordResult, scratchDir, seedTokenUsers, serveChild, stopChild, warmPageCache, type Options } from './lib.js';

const ROOMS = 1000;
const OPEN_ROOMS = 100;
const SEARCHERS = 50;
const CLIENTS = 10;
const LIMIT = 50;

/** The query mix: one of each per cycle. Ranks refer to the corpus vocabulary. */
function queries(words: ReturnType<typeof corpus>): { kind: string; q: string }[] {
  return [
    { kind: 'common word (rank 5)', q: words.word(5) },
    { kind: 'medium word (rank 200)', q: words.word(200) },
    { kind: 'rare word (rank 10,000)', q: words.word(10_000) },
    { kind: 'two words (ranks 20 + 300)', q: `${words.word(20)} ${words.word(300)}` },
    { kind: 'no match', q: 'nosuchwordanywhere' },
  ];
}

/** Users, rooms and memberships through the actions: the searchers' tokens, the rooms' ids. */
async function seedPool(s: Runtime['services']): Promise<{ tokens: string[]; rooms: number[] }> {
  await buildDomain(s, 'contoso.com');
  const searchers = await seedTokenUsers(s, SEARCHERS, 'searcher');
  const category = await buildCategory(s, { allowed: ['contoso.com'] });
  const rooms: number[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const open = r < OPEN_ROOMS;
    const room = await buildRoom(s, category.name, open ? { privacy: 'Open' } : { privacy: 'Closed', members: [searchers[r % SEARCHERS]!.key] });
    rooms.push(room.id);
  }
  return { tokens: searchers.map((u) => u.token), rooms };
}

/** The word index, built by the product's own indexer (what a node does in the background after an upgrade or a bulk import), timed on its own. */
async function buildWordIndex(dir: string, messages: number, databaseUrl?: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  const indexing = await open(dir, databaseUrl);
  try {
    await indexing.services.words.catchUp();
  } finally {
    await indexing.close();
  }
  console.log(`search: word index of ${fmt(messages)} messages built in ${fmt(elapsed(t0))} s`);
}

/**
 * PostgreSQL: the pool through the actions, then the messages in statements of 20,000 rows
 * (the product's triggers list each as pending for the word index; the pg_trgm indexes
 * are written as rows go in), statistics, and the word index.
 */
export async function seedPostgres(dir: string, url: string, messages: number): Promise<string[]> {
  const runtime = await open(dir, url);
  let pool: { tokens: string[]; rooms: number[] };
  try {
    pool = await seedPool(runtime.services);
  } finally {
    await runtime.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const author = Number((await client.query<{ id: string }>(`select id from principals where kind = 'user' order by id limit 1`)).rows[0]!.id);
    const words = corpus();
    const perRoom = Math.ceil(messages / ROOMS);
    const start = Date.parse('2024-01-01T00:00:00Z');
    for (let from = 0; from < perRoom * ROOMS; from += 20_000) {
      const to = Math.min(from + 20_000, perRoom * ROOMS);
      const [room, chat, at, text, size]: [number[], number[], number[], string[], number[]] = [[], [], [], [], []];
      for (let i = from; i < to; i++) {
        const t = words.text();
        room.push(pool.rooms[i % ROOMS]!);
        chat.push(Math.floor(i / ROOMS) + 1);
        at.push(start + i * 1000);
        text.push(t);
        size.push(Buffer.byteLength(t));
      }
      await client.query(
        `insert into messages (room_id, chat_id, author_id, posted_at, posted_at_ticks, content, is_alert, size_bytes, in_history)
         select r, c, $6, a, 0, t, 0, s, 1 from unnest($1::int[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[]) as m (r, c, a, t, s)`,
        [room, chat, at, text, size, author],
      );
    }
    await client.query(`update rooms set last_chat_id = $1, content_bytes = (select coalesce(sum(size_bytes), 0) from messages where room_id = rooms.id)`, [perRoom]);
    await buildWordIndex(dir, messages, url);
    // Statistics as autovacuum would have them on a live server (the word index's too).
    await client.query('analyze');
  } finally {
    await client.end();
  }
  return pool.tokens;
}

/** SQLite: the pool through the actions; then the messages in bulk. */
export async function seed(dir: string, messages: number): Promise<string[]> {
  const runtime = await open(dir);
  let pool: { tokens: string[]; rooms: number[] };
  try {
    pool = await seedPool(runtime.services);
  } finally {
    await runtime.close();
  }
  const { tokens, rooms } = pool;
  const db = new Database(path.join(dir, 'stoa.db'));
  try {
    // A throwaway pool: its rollback journal in memory while seeding, so the index is not
    // written twice (once into the WAL, once into the database). Checked: a mode SQLite
    // refuses is not an error, it just stays.
    const mode = db.pragma('journal_mode = MEMORY', { simple: true });
    if (mode !== 'memory') throw new Error(`could not leave the WAL for seeding (journal_mode ${String(mode)})`);
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    // No index is written as the rows go in: the node's indexer builds both search indexes after (buildWordIndex).
    const insert = db.prepare(
      `insert into messages (room_id, chat_id, author_id, posted_at, posted_at_ticks, content, rtf, is_alert, story_title, size_bytes, file_id, in_history, replaced_at)
       values (?, ?, ?, ?, 0, ?, null, 0, null, ?, null, 1, null)`,
    );
    const author = db.prepare(`select id from principals where kind = 'user' order by id limit 1`).pluck().get() as number;
    const words = corpus();
    const perRoom = Math.ceil(messages / ROOMS);
    const start = Date.parse('2024-01-01T00:00:00Z');
    // Messages go in time order across rooms, as a live pool would have written them.
    const write = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const text = words.text();
        insert.run(rooms[i % ROOMS], Math.floor(i / ROOMS) + 1, author, start + i * 1000, text, Buffer.byteLength(text));
      }
    });
    for (let from = 0; from < perRoom * ROOMS; from += 100_000) write(from, Math.min(from + 100_000, perRoom * ROOMS));
    db.prepare(`update rooms set last_chat_id = ?, content_bytes = (select coalesce(sum(size_bytes), 0) from messages where room_id = rooms.id)`).run(perRoom);
    if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new Error('could not return the pool to WAL');
  } finally {
    db.close();
  }
  await buildWordIndex(dir, messages);
  return tokens;
}

export async function searchBench(options: Options): Promise<void> {
  const seconds = options.smoke ? 1 : 10;
  if (options.store === 'postgres') {
    if (options.data !== undefined) throw new Error('--data keeps a SQLite deployment only');
    if (postgresAvailable() === undefined) {
      const missing = 'PostgreSQL is not installed (apt-get install postgresql)';
      if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error(`search: ${missing} and STOA_TEST_REQUIRE_ALL=1`);
      console.log(`search: ${missing} — SKIPPED`);
      return;
    }
    const messages = options.smoke ? 20_000 : (options.size ?? 1_000_000);
    const dir = path.join(scratchDir('search'), 'data');
    const server = await startPostgres({ durable: true });
    try {
      const url = server.url('postgres');
      console.log(`search: PostgreSQL: seeding ${fmt(messages)} messages in ${fmt(ROOMS)} rooms…`);
      const t0 = process.hrtime.bigint();
      const tokens = await seedPostgres(dir, url, messages);
      console.log(`search: seeded in ${fmt(elapsed(t0))} s`);
      await measure({ dir, url, store: 'PostgreSQL', messages, tokens, seconds, options, files: [server.dataDir] });
    } finally {
      server.stop();
    }
    return;
  }
  const messages = options.smoke ? 20_000 : (options.size ?? 10_000_000);
  const dir = options.data ?? path.join(scratchDir('search'), 'data');
  const seeded = path.join(dir, 'search-bench.json');
  let tokens: string[];
  if (options.data !== undefined && fs.existsSync(seeded) && (JSON.parse(fs.readFileSync(seeded, 'utf8')) as { messages: number }).messages === messages) {
    tokens = (JSON.parse(fs.readFileSync(seeded, 'utf8')) as { tokens: string[] }).tokens;
    console.log(`search: searching the ${fmt(messages)} messages seeded before in ${dir}`);
  } else {
    if (options.data !== undefined && fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
      // Only a deployment this bench seeded is replaced, never a directory of something else.
      if (!fs.existsSync(seeded)) throw new Error(`--data ${dir}: not empty and not seeded by this bench; give an empty or new directory`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log(`search: SQLite: seeding ${fmt(messages)} messages in ${fmt(ROOMS)} rooms…`);
    const t0 = process.hrtime.bigint();
    tokens = await seed(dir, messages);
    console.log(`search: seeded in ${fmt(elapsed(t0))} s`);
    if (options.data !== undefined) fs.writeFileSync(seeded, JSON.stringify({ messages, tokens }));
  }
  await measure({ dir, store: 'SQLite', messages, tokens, seconds, options, files: [dir] });
}

/** Serves the seeded deployment and searches it: all clients, then one alone; prints and records a row each. */
async function measure(run: { dir: string; url?: string; store: string; messages: number; tokens: readonly string[]; seconds: number; options: Options; files: string[] }): Promise<void> {
  const { dir, store, messages, tokens, seconds, options } = run;
  const t0 = process.hrtime.bigint();
  const bytes = warmPageCache(run.files);
  console.log(`search: read the database's ${fmt(bytes / 2 ** 20)} MiB once (page cache) in ${fmt(elapsed(t0))} s`);
  const { child, url } = await serveChild(dir, run.url);
  try {
    const mix = queries(corpus());
    const ask = async (token: string, q: string): Promise<number> => {
      const r = await fetch(`${url}/api/v1/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await r.json()) as { messages?: unknown[] };
      if (r.status !== 200 || !Array.isArray(body.messages)) throw new Error(`unexpected answer ${r.status}: ${JSON.stringify(body).slice(0, 200)}`);
      return body.messages.length;
    };
    // What each query finds for the first searcher (and a warm-up of the page cache).
    const found = new Map<string, number>();
    for (const { kind, q } of mix) found.set(kind, await ask(tokens[0]!, q));
    /** `clients` searching back to back for `seconds`: latencies per kind, and the CPU used. */
    const round = async (clients: number) => {
      const latencies = new Map<string, number[]>(mix.map((m) => [m.kind, []]));
      const cpu = cpuMeter(child.pid!);
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          for (let k = c; performance.now() < end; k++) {
            const { kind, q } = mix[k % mix.length]!;
            const t = performance.now();
            await ask(tokens[(c + k * clients) % tokens.length]!, q);
            latencies.get(kind)!.push(performance.now() - t);
          }
        }),
      );
      return { latencies, ...cpu() };
    };
    // A round not measured first: a server that has just started (its JIT, its memory,
    // the database's pages) runs measurably slower on this machine for a while — up to
    // twice the CPU per search in the first round after a pause (docs/benchmarks.md).
    const warm = await round(CLIENTS);
    console.log(`search: warm-up round: ${fmt([...warm.latencies.values()].flat().length / warm.seconds, 1)} searches/s (left out of the figures)`);
    // All clients, then one alone (its latency without queueing).
    for (const clients of [CLIENTS, 1]) {
      const { latencies, seconds: took, serverCpu, benchCpu } = await round(clients);
      const all = Float64Array.from([...latencies.values()].flat()).sort();
      for (const { kind } of mix) {
        const sorted = Float64Array.from(latencies.get(kind)!).sort();
        console.log(`  ${kind}: ${found.get(kind)} results; ${sorted.length} searches, p50 ${fmt(quantile(sorted, 0.5), 1)} ms, p99 ${fmt(quantile(sorted, 0.99), 1)} ms`);
      }
      const [p50, p99, max] = [quantile(all, 0.5), quantile(all, 0.99), all[all.length - 1]!];
      const label = `${clients} client${clients === 1 ? '' : 's'}`;
      console.log(
        `search: ${store}: ${fmt(messages)} messages, ${label}: ${fmt(all.length / took, 1)} searches/s, latency p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms, max ${fmt(max, 1)} ms; CPU server ${fmt(serverCpu)} %, load generator ${fmt(benchCpu)} %`,
      );
      if (options.record) {
        const perKind = mix.map(({ kind }) => `${kind.replace(/ \(.*\)$/, '')} ${fmt(quantile(Float64Array.from(latencies.get(kind)!).sort(), 0.99), 0)}`).join(', ');
        recordResult('search', [store, fmt(messages), String(clients), fmt(all.length / took, 1), `${fmt(p50, 1)} / ${fmt(p99, 1)} / ${fmt(max, 1)} ms`, perKind, `${fmt(serverCpu)} % / ${fmt(benchCpu)} %`], options);
        console.log('recorded in docs/benchmarks.md');
      }
    }
  } finally {
    await stopChild(child);
  }
}

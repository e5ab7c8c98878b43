/**
 * `npm run bench -- import-load [--size N] [--smoke] [--no-record]`
 *
 * Whether a bulk load stalls the users of a serving node: a `stoa serve` child on embedded
 * SQLite with one Open room of 10,000 messages, and 10 clients (each its own user with an
 * API token, a keep-alive connection) asking for its latest 50 messages back to back —
 * first for 10 s with nothing else running (idle), then for as long as an archive of N
 * messages (default 1,000,000, in 100 other rooms; exported beforehand) is imported into
 * the same deployment by another process, as `stoa data import` would. Latency per request
 * as the client sees it; the import's time and rate.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ImportedMessage } from '../src/store/types.js';
import { ARCHIVE_CHILD, seedArchiveSource, type ChildResult } from './archive.js';
import { fmt, jsonClient, open, quantile, recordResult, runChild, seedOpenRoom, sentence, serveChild, stopChild, type Options } from './lib.js';

const PAGE = 50;
const CLIENTS = 10;
const ROOM_MESSAGES = 10_000;

/** The served room and its readers' tokens. */
async function seedTarget(dir: string): Promise<{ room: string; tokens: string[] }> {
  const runtime = await open(dir);
  const s = runtime.services;
  try {
    const { room, roomId, users } = await seedOpenRoom(s, 'Trading floor', CLIENTS, 'reader');
    const start = Date.parse('2024-01-01T00:00:00Z');
    const rows: ImportedMessage[] = [];
    for (let chatId = 1; chatId <= ROOM_MESSAGES; chatId++) {
      rows.push({ chatId, authorId: users[chatId % users.length]!.id, postedAt: start + chatId * 1000, postedAtTicks: 0, content: sentence(chatId), rtf: null, isAlert: false, storyTitle: null, fileId: null, inHistory: true, replacedAt: null });
    }
    await s.store.transaction((tx) => tx.archive.insertMessages(roomId, rows));
    await s.words.catchUp();
    return { room, tokens: users.map((u) => u.token) };
  } finally {
    await runtime.close();
  }
}

/** The import as a process of its own (the archive bench's child); resolves with its result. */
function importChild(dataDir: string, file: string): Promise<ChildResult> {
  const child = spawn(process.execPath, [...process.execArgv, ARCHIVE_CHILD, 'child', 'import', dataDir, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the import failed (${code}): ${err.slice(0, 2000)}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult);
    });
  });
}

const summary = (latencies: number[]) => {
  const sorted = Float64Array.from(latencies).sort();
  return { count: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN };
};

export async function importLoadBench(options: Options): Promise<void> {
  const size = options.size ?? (options.smoke ? 5_000 : 1_000_000);
  const idleMs = options.smoke ? 1_000 : 10_000;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-import-load-'));
  try {
    const source = path.join(base, 'source');
    const target = path.join(base, 'target');
    const file = path.join(base, 'pool.zip');
    await seedArchiveSource(source, size);
    runChild<ChildResult>(ARCHIVE_CHILD, ['export', source, file]);
    const { room, tokens } = await seedTarget(target);
    const { child, url } = await serveChild(target);
    const clients = tokens.map((token) => jsonClient(token));
    try {
      const page = `${url}/api/v1/rooms/${room}/messages?limit=${PAGE}`;
      const ask = async (client: ReturnType<typeof jsonClient>) => {
        const { status, body } = (await client.get(page)) as { status: number; body: { messages?: { chatId: number }[] } };
        if (status !== 200 || body.messages?.length !== PAGE || body.messages[PAGE - 1]!.chatId !== ROOM_MESSAGES) throw new Error(`unexpected answer ${status}: ${JSON.stringify(body).slice(0, 200)}`);
      };
      /** Every client reads back to back until `done` says stop; latencies of those that started before. */
      const readUntil = async (done: () => boolean, latencies?: number[]) => {
        await Promise.all(
          clients.map(async (client) => {
            while (!done()) {
              const started = performance.now();
              await ask(client);
              latencies?.push(performance.now() - started);
            }
          }),
        );
      };
      const forMs = (ms: number) => {
        const end = performance.now() + ms;
        return () => performance.now() >= end;
      };
      // Warm-up (connections, the page cache, compiled code), then idle, then under the import.
      await readUntil(forMs(options.smoke ? 300 : 3_000));
      const idle: number[] = [];
      await readUntil(forMs(idleMs), idle);
      const loaded: number[] = [];
      let finished = false;
      const started = performance.now();
      const importing = importChild(target, file).finally(() => (finished = true));
      const [imported] = await Promise.all([importing, readUntil(() => finished, loaded)]);
      const seconds = (performance.now() - started) / 1000;
      if (imported.messages !== size) throw new Error(`expected ${size} messages imported, not ${imported.messages}`);
      const a = summary(idle);
      const b = summary(loaded);
      const ratio = b.p99 / a.p99;
      console.log(`import-load: ${CLIENTS} clients, latest ${PAGE}: idle p50 ${fmt(a.p50, 1)} ms, p99 ${fmt(a.p99, 1)} ms (${fmt(a.count)} requests)`);
      console.log(
        `import-load: while ${fmt(size)} messages are imported in ${fmt(seconds, 1)} s (${fmt(size / seconds)}/s, import peak RSS ${imported.maxRssMiB} MiB): p50 ${fmt(b.p50, 1)} ms, p99 ${fmt(b.p99, 1)} ms, max ${fmt(b.max, 1)} ms (${fmt(b.count)} requests); p99 ${fmt(ratio, 1)}× idle`,
      );
      if (options.record) {
        recordResult(
          'import-load',
          [
            fmt(size),
            String(CLIENTS),
            `${fmt(a.p50, 1)} / ${fmt(a.p99, 1)} ms`,
            `${fmt(b.p50, 1)} / ${fmt(b.p99, 1)} / ${fmt(b.max, 1)} ms`,
            `${fmt(ratio, 1)}×`,
            `${fmt(seconds, 1)} s (${fmt(size / seconds)}/s)`,
          ],
          options,
        );
        console.log('recorded in docs/benchmarks.md');
      }
    } finally {
      for (const client of clients) client.close();
      await stopChild(child);
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- archive [--size N] [--store sqlite|postgres] [--smoke] [--no-record]`
 *
 * Export and import of a Stoa archive with N messages (default 1,000,000) in 100 rooms by
 * 500 users: a pool is seeded on embedded SQLite (messages written in bulk, not through
 * the post action), exported with `--level All` into a zip, and the zip imported into an
 * empty pool — on SQLite, or with `--store postgres` on a PostgreSQL server of its own
 * (Debian's, initdb'd by the bench, default durability). Export and import each run in a child process of their own, so the peak RSS
 * reported is theirs alone (`process.resourceUsage().maxRSS`). Run at two sizes to see
 * whether memory stays flat as the archive grows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSTEM_ACTOR } from '../src/actions/context.js';
import { exportArchive } from '../src/archive/export.js';
import { importArchive } from '../src/archive/import.js';
import type { ImportedMessage } from '../src/store/types.js';
import { buildCategory, buildDomain, buildRoom, buildUser } from '../test/factories.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../test/harness/postgres-server.js';
import { childEntry, childPeakRssMiB, fmt, open, recordResult, runChild, sentence, type Options } from './lib.js';

const ROOMS = 100;
const USERS = 500;
/** This file, started as a child process for one export or import (`runChild`, or spawned by import-load). */
export const ARCHIVE_CHILD = fileURLToPath(import.meta.url);
const SELF = ARCHIVE_CHILD;



/** A pool of `messages` messages in 100 rooms by 500 users (an archive's source). */
export async function seedArchiveSource(dataDir: string, messages: number): Promise<void> {
  const runtime = await open(dataDir);
  const s = runtime.services;
  try {
    await buildDomain(s, 'contoso.com');
    const users = [];
    for (let i = 0; i < USERS; i++) users.push(await buildUser(s, { domain: 'contoso.com' }));
    const category = await buildCategory(s, { allowed: ['contoso.com'] });
    const rooms = [];
    for (let i = 0; i < ROOMS; i++) rooms.push(await buildRoom(s, category.name, { members: ['contoso.com'] }));
    const perRoom = Math.ceil(messages / ROOMS);
    const start = Date.parse('2024-01-01T00:00:00Z');
    let written = 0;
    for (const [r, room] of rooms.entries()) {
      const count = Math.min(perRoom, messages - written);
      for (let from = 1; from <= count; from += 10_000) {
        const rows: ImportedMessage[] = [];
        for (let chatId = from; chatId < Math.min(from + 10_000, count + 1); chatId++) {
          const i = written + chatId;
          rows.push({
            chatId,
            authorId: users[(i * 31) % USERS]!.id,
            postedAt: start + i * 1000 + r,
            postedAtTicks: i % 10_000,
            content: sentence(i),
            rtf: null,
            isAlert: i % 97 === 0,
            storyTitle: null,
            fileId: null,
            inHistory: true,
            replacedAt: null,
          });
        }
        await s.store.transaction((tx) => tx.archive.insertMessages(room.id, rows));
      }
      written += count;
    }
  } finally {
    await runtime.close();
  }
}

/** What an export or import child reports. */
export interface ChildResult {
  seconds: number;
  maxRssMiB: number;
  messages: number;
}

/** Runs in the child: one export or import, timed, with its own peak RSS. */
async function child(op: string, dataDir: string, file: string, databaseUrl?: string): Promise<ChildResult> {
  const runtime = await open(dataDir, databaseUrl, op === 'import' ? { bulk: 'load' } : {});
  try {
    const started = process.hrtime.bigint();
    let messages = 0;
    if (op === 'export') {
      messages = (await exportArchive(runtime.services, SYSTEM_ACTOR, { file, level: 'All' })).manifest.counts.messages ?? 0;
    } else {
      const report = await importArchive(runtime.services, SYSTEM_ACTOR, { file });
      if (report.outcome !== 'completed') throw new Error(`import ${report.outcome}: ${JSON.stringify(report.findings.slice(0, 5))}`);
      messages = report.counts.messages?.created ?? 0;
    }
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, maxRssMiB: childPeakRssMiB(), messages };
  } finally {
    await runtime.close();
  }
}

export async function archiveBench(options: Options): Promise<void> {
  const size = options.size ?? (options.smoke ? 2_000 : 1_000_000);
  let postgres: PostgresServer | undefined;
  if (options.store === 'postgres') {
    if (postgresAvailable() === undefined) {
      const missing = 'PostgreSQL is not installed (apt-get install postgresql)';
      if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error(`archive: ${missing} and STOA_TEST_REQUIRE_ALL=1`);
      console.log(`archive: ${missing} — SKIPPED`);
      return;
    }
    postgres = await startPostgres({ durable: true });
  }
  const store = postgres === undefined ? 'SQLite' : 'PostgreSQL';
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-archive-'));
  try {
    const source = path.join(base, 'source');
    const target = path.join(base, 'target');
    const file = path.join(base, 'pool.zip');
    const seeded = process.hrtime.bigint();
    await seedArchiveSource(source, size);
    console.log(`seeded ${fmt(size)} messages in ${fmt(Number(process.hrtime.bigint() - seeded) / 1e9, 1)} s`);
    const exported = runChild<ChildResult>(SELF, ['export', source, file]);
    const zipMiB = fs.statSync(file).size / 2 ** 20;
    console.log(`export: ${fmt(exported.messages)} messages in ${fmt(exported.seconds, 1)} s (${fmt(exported.messages / exported.seconds)} messages/s), peak RSS ${exported.maxRssMiB} MiB, archive ${fmt(zipMiB, 1)} MiB`);
    const imported = runChild<ChildResult>(SELF, ['import', target, file, ...(postgres === undefined ? [] : [postgres.url('postgres')])]);
    console.log(`import (${store}): ${fmt(imported.messages)} messages in ${fmt(imported.seconds, 1)} s (${fmt(imported.messages / imported.seconds)} messages/s), peak RSS ${imported.maxRssMiB} MiB`);
    if (imported.messages !== size || exported.messages !== size) throw new Error(`expected ${size} messages each way`);
    if (options.record) {
      recordResult(
        'archive',
        [
          fmt(size),
          `${fmt(exported.seconds, 1)} s (${fmt(size / exported.seconds)}/s)`,
          `${exported.maxRssMiB} MiB`,
          `${fmt(zipMiB, 1)} MiB`,
          `${postgres === undefined ? '' : 'PostgreSQL: '}${fmt(imported.seconds, 1)} s (${fmt(size / imported.seconds)}/s)`,
          `${imported.maxRssMiB} MiB`,
        ],
        options,
      );
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
    postgres?.stop();
  }
}

childEntry(child);

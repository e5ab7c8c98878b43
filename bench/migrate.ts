/**
 * `npm run bench -- migrate [--size N] [--smoke] [--no-record]`
 *
 * `stoa migrate legacy` of a generated Lync 2010 dump with N messages (default 1,000,000):
 * a category tree three deep, 156 rooms of every setting, 2,000 users, alerts, stories,
 * RTF, unicode and file links into a file repository (`--files`), tblChat in random room
 * order. The migration runs in a child process of its own (staging, conversion into the
 * archive, both import passes), so its peak RSS is its own. Run at two sizes to see
 * whether memory stays flat as the dump grows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSTEM_ACTOR } from '../src/actions/context.js';
import { migrateLegacy } from '../src/migration/legacy.js';
import { generateDump } from '../test/harness/legacy-dump.js';
import { childEntry, childPeakRssMiB, fmt, open, recordResult, runChild, type Options } from './lib.js';

const SELF = fileURLToPath(import.meta.url);

interface ChildResult {
  seconds: number;
  maxRssMiB: number;
  rows: number;
  messages: number;
  files: number;
}

async function child(dataDir: string, dump: string, files: string): Promise<ChildResult> {
  const runtime = await open(dataDir, undefined, { bulk: 'load' });
  try {
    const started = process.hrtime.bigint();
    const report = await migrateLegacy(runtime.services, SYSTEM_ACTOR, { source: dump, files, shorten: true });
    if (report.outcome !== 'completed') throw new Error(`migration ${report.outcome}: ${JSON.stringify(report.findings.filter((f) => f.severity === 'error').slice(0, 5))}`);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rows = Object.values(report.rows).reduce((a, b) => a + b, 0);
    return { seconds, maxRssMiB: childPeakRssMiB(), rows, messages: report.import?.counts.messages?.created ?? 0, files: report.import?.counts.files?.created ?? 0 };
  } finally {
    await runtime.close();
  }
}

export async function migrateBench(options: Options): Promise<void> {
  const size = options.size ?? (options.smoke ? 2_000 : 1_000_000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-migrate-'));
  try {
    const generated = process.hrtime.bigint();
    const dump = generateDump({ seed: 42, depth: 3, fanout: 3, roomsPerCategory: 4, users: 2_000, messages: size, dir: path.join(base, 'dump') });
    const dumpMiB = fs.readdirSync(dump.dir).reduce((a, f) => a + fs.statSync(path.join(dump.dir, f)).size, 0) / 2 ** 20;
    console.log(`generated a dump of ${fmt(size)} messages (${fmt(dumpMiB, 1)} MiB of CSV) in ${fmt(Number(process.hrtime.bigint() - generated) / 1e9, 1)} s`);
    const result = runChild<ChildResult>(SELF, [path.join(base, 'target'), dump.dir, dump.files]);
    console.log(
      `migrate: ${fmt(result.rows)} legacy rows, ${fmt(result.messages)} messages and ${fmt(result.files)} files migrated in ${fmt(result.seconds, 1)} s (${fmt(size / result.seconds)} dump messages/s), peak RSS ${result.maxRssMiB} MiB`,
    );
    if (options.record) {
      recordResult('migrate', [fmt(size), `${fmt(dumpMiB, 1)} MiB`, fmt(result.messages), `${fmt(result.seconds, 1)} s (${fmt(size / result.seconds)}/s)`, `${result.maxRssMiB} MiB`], options);
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

childEntry(child);

/**
 * `stoa migrate legacy` through the real binary: a generated dump (deep tree, every setting
 * combination, federated and deleted users, long names, unicode, RTF, alerts, stories,
 * file links with a repository) migrated with a what-if first and reports; exit codes; and
 * a migration killed with SIGKILL at several points — during conversion, during the plan,
 * and at several depths of the import — that, run again, ends exactly where an
 * uninterrupted one does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliFor, ROOT, STOA } from '../harness/cli.js';
import { tempDir } from '../harness/stores.js';
import { generateDump, type GeneratedDump } from '../harness/legacy-dump.js';
import { snapshot } from '../harness/archive.js';
import type { TestDeployment } from '../harness/services.js';
import { openRuntime } from '../../src/main.js';
import { configSchema } from '../../src/config/schema.js';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite.js';
import { ok, refused } from './shared.js';

const MESSAGES = 30_000;
let dump: GeneratedDump;

beforeAll(() => {
  assertBuilt();
  dump = generateDump({ seed: 7, depth: 3, fanout: 2, roomsPerCategory: 3, users: 60, messages: MESSAGES });
});

const args = () => ['migrate', 'legacy', dump.dir, '--shorten', '--files', dump.files, '--grant-admins', '--no-progress'];

/** What the migration brought, without what each deployment made at its birth (defaults, its endpoint). */
async function snapshotOf(dataDir: string): Promise<Record<string, unknown>> {
  const runtime = await openRuntime(configSchema.parse({ dataDir, poolFqdn: 'pc.contoso.com' }));
  try {
    const { policies: _p, configurations: _c, complianceConfigurations: _cc, endpoints: _e, ...migrated } = await snapshot({ store: runtime.services.store, services: runtime.services } as unknown as TestDeployment);
    return migrated;
  } finally {
    await runtime.close();
  }
}

function messageCount(dataDir: string): number {
  const file = path.join(dataDir, SQLITE_FILE_NAME);
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/** Runs the migration and kills it with SIGKILL once `when` says so (or lets it finish). */
function runUntil(dataDir: string, when: (elapsedMs: number) => boolean): Promise<'killed' | number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STOA, '--data-dir', dataDir, '--pool-fqdn', 'pc.contoso.com', ...args()], { stdio: ['ignore', 'ignore', 'ignore'] });
    const started = Date.now();
    let killed = false;
    const timer = setInterval(() => {
      if (!killed && when(Date.now() - started)) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve(killed ? 'killed' : (code ?? -1));
    });
  });
}

describe('stoa migrate legacy', () => {
  it('migrates a generated dump with a what-if first, HTML and JSON reports, and a second run changes nothing', async () => {
    const cli = cliFor();
    const report = path.join(tempDir('stoa-cli-migrate-'), 'what-if.html');
    const whatIf = ok(await cli.run([...args(), '--what-if', '--report', report], { timeoutMs: 120_000 }));
    expect(whatIf.stdout).toMatch(/^what-if: nothing was changed \(.*, hierarchical shape\)/);
    const html = fs.readFileSync(report, 'utf8');
    for (const heading of ['Legacy rows read', 'Conversions, by rule', 'C1 Flattened categories', 'C2 Room names', 'C5 Disabled rooms', 'C6 Federated principals', 'What is left to cut over', 'stoa endpoint new --sip-address sip:ocschat@']) expect(html).toContain(heading);
    const json = JSON.parse(fs.readFileSync(`${report}.json`, 'utf8')) as { outcome: string; rows: Record<string, number>; converted: Record<string, number> };
    expect(json.outcome).toBe('what-if');
    expect(json.rows.tblChat).toBe(MESSAGES);
    expect(messageCount(cli.dataDir)).toBe(0);

    const done = ok(await cli.run(['--json', ...args()], { timeoutMs: 120_000 }));
    const result = done.json<{ outcome: string; converted: Record<string, number>; import: { counts: Record<string, { created: number }> } }>();
    expect(result.outcome).toBe('completed');
    expect(result.import.counts.messages!.created).toBe(result.converted.messages);
    expect(result.converted.files).toBeGreaterThan(0);
    const again = ok(await cli.run(['--json', ...args()], { timeoutMs: 120_000 })).json<{ import: { counts: Record<string, { created: number; updated: number }> } }>();
    for (const [kind, c] of Object.entries(again.import.counts)) expect({ kind, created: c.created, updated: c.updated }).toEqual({ kind, created: 0, updated: 0 });
  });

  it('migrates the sample dump of docs/examples in one command (npm run demo:migrate)', async () => {
    const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['demo:migrate']!;
    expect(script).toMatch(/^node bin\/stoa\.js migrate legacy docs\/examples\/legacy-dump --report migration-report\.html$/);
    const cli = cliFor();
    const report = path.join(tempDir(), 'demo.html');
    const run = ok(await cli.run(['migrate', 'legacy', path.join(ROOT, 'docs/examples/legacy-dump'), '--report', report, '--no-progress']));
    expect(run.stdout).toMatch(/^migrated \(.*legacy-dump, hierarchical shape\)/);
    expect(run.stdout).toMatch(/^ {2}rooms: 4 — 4 created/m);
    expect(run.stdout).toMatch(/^ {2}messages: 7 — 7 created/m);
    expect(fs.readFileSync(report, 'utf8')).toMatch(/<h1>Stoa migration report: completed<\/h1>/);
    const rooms = ok(await cli.run(['--json', 'room', 'get'])).json<{ name: string }[]>();
    expect(rooms.map((r) => r.name).sort()).toEqual(['Announcements', 'EngGeneral', 'Engineering / Platform / BuildStatus', 'PublicFabrikamJoint']);
  });

  it('refuses bad options and unreadable dumps with the usual exit codes', async () => {
    const cli = cliFor();
    expect((await cli.run(['migrate', 'legacy'])).code).toBe(2);
    expect((await cli.run(['migrate', 'legacy', dump.dir, '--on-conflict', 'merge'])).code).toBe(2);
    const encoding = await cli.run(['migrate', 'legacy', dump.dir, '--encoding', 'klingon']);
    expect(encoding.code).toBe(2);
    expect(encoding.stderr).toMatch(/--encoding: 'klingon' is not an encoding this Stoa reads/);
    refused(await cli.run(['migrate', 'legacy', path.join(tempDir(), 'nothing-here')]), 'MIGRATION_INVALID');
    const broken = tempDir('stoa-cli-migrate-');
    for (const f of fs.readdirSync(dump.dir)) fs.copyFileSync(path.join(dump.dir, f), path.join(broken, f));
    fs.appendFileSync(path.join(broken, 'tblNode.csv'), '"1","x"\r\n');
    refused(await cli.run(['migrate', 'legacy', broken]), 'MIGRATION_INVALID', /tblNode\.csv:\d+: 2 fields where the header names/);
    // Several problems: every one on its own line, then the reason.
    fs.appendFileSync(path.join(broken, 'tblRoleType.csv'), '"x","y"\r\n');
    const several = await cli.run(['migrate', 'legacy', broken]);
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(/^ {2}tblRoleType\.csv:\d+: rtypeID 'x' is not a whole number$/m);
    expect(several.stderr).toMatch(/^ {2}tblNode\.csv:\d+: 2 fields where the header names \d+$/m);
    expect(several.stderr).toMatch(/stoa: 2 problems in the dump; the first: .* \[MIGRATION_INVALID\]/);
    // ... and the report is written for it too, the blocking problems first, nothing "produced".
    const reportFile = path.join(tempDir(), 'unreadable.html');
    const withReport = await cli.run(['migrate', 'legacy', broken, '--report', reportFile]);
    expect(withReport.code).toBe(1);
    const html = fs.readFileSync(reportFile, 'utf8');
    expect(html).toMatch(/<h1>Stoa migration report: refused<\/h1>/);
    expect(html).toMatch(/2 error\(s\)/);
    expect(html.indexOf('What to fix first')).toBeGreaterThan(0);
    expect(html.indexOf('What to fix first')).toBeLessThan(html.indexOf('Legacy rows read'));
    expect(html).toMatch(/<tr><td>tblRoleType\.csv:\d+<\/td><td>rtypeID &#39;x&#39; is not a whole number<\/td><\/tr>/);
    expect(html).not.toMatch(/Stoa objects produced|What is left to cut over/);
    expect(JSON.parse(fs.readFileSync(`${reportFile}.json`, 'utf8'))).toMatchObject({ outcome: 'refused', totals: { error: 2 } });
    expect((await cli.run(['migrate', 'legacy', broken, '--max-problems', '0'])).code).toBe(2);
    // Without --shorten the long generated names refuse the run: exit 1, nothing changed.
    const long = await cli.run(['migrate', 'legacy', dump.dir, '--no-progress']);
    expect(long.code).toBe(1);
    expect(long.stdout).toMatch(/^refused: nothing was changed/);
    expect(long.stdout).toMatch(/C2 node \d+ .*characters long \(limit 256\)/);
  });

  it('ends, after SIGKILL at several points and a run to completion, exactly where an uninterrupted run does', async () => {
    const whole = cliFor();
    ok(await whole.run(args(), { timeoutMs: 120_000 }));
    const expected = await snapshotOf(whole.dataDir);

    const interrupted = cliFor();
    ok(await interrupted.run(['config', 'get']));
    // What the migration brings (disabled rooms and deleted authors leave some behind).
    const total = messageCount(whole.dataDir);
    const kills: ((ms: number) => boolean)[] = [
      (ms) => ms > 400, // loading the dump
      (ms) => ms > 1_500, // converting or planning
      () => messageCount(interrupted.dataDir) > total * 0.1,
      () => messageCount(interrupted.dataDir) > total * 0.5,
      () => messageCount(interrupted.dataDir) > total * 0.85,
    ];
    const outcomes: ('killed' | number)[] = [];
    const landed: number[] = [];
    for (const when of kills) {
      outcomes.push(await runUntil(interrupted.dataDir, when));
      landed.push(messageCount(interrupted.dataDir));
    }
    console.log(`kill points: ${outcomes.map((o, i) => `${o} with ${landed[i]} of ${total} messages in`).join('; ')}`);
    expect(outcomes.filter((o) => o === 'killed').length).toBeGreaterThanOrEqual(4);
    // Some kills hit before any message was written, some in the middle of the messages.
    expect(landed[0]).toBe(0);
    expect(landed.filter((n) => n > 0 && n < total).length).toBeGreaterThanOrEqual(2);
    ok(await interrupted.run(args(), { timeoutMs: 120_000 }));
    expect(await snapshotOf(interrupted.dataDir)).toEqual(expected);
  }, 300_000);
});

/** The benchmarks at smoke size, so they cannot rot between real runs (nothing is recorded). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it, vi } from 'vitest';
import { ROOT } from '../harness/cli.js';
import { hasTool } from '../harness/compliance-output.js';
import { postgresAvailable } from '../harness/postgres-server.js';

// Each scenario runs in seconds; the peers' start-up and a busy CI machine can add up.
vi.setConfig({ testTimeout: 240_000 });

const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function bench(...args: string[]) {
  return spawnSync(TSX, [path.join(ROOT, 'bench', 'run.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
}

it('runs the compliance benchmark at smoke size', () => {
  const r = bench('compliance', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const adapters = hasTool('xsltproc') ? ['Xml', 'JsonLines', 'Xml + XSLT'] : ['Xml', 'JsonLines'];
  for (const adapter of adapters) expect(r.stdout).toMatch(new RegExp(`^  ${adapter.replace('+', '\\+')}.* events/s`, 'm'));
  expect(r.stdout).toMatch(/capture costs -?[\d.]+ %/);
  expect(r.stdout).not.toMatch(/recorded/);
});


it('runs the directory-sync benchmark at smoke size', () => {
  const r = bench('directory-sync', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^directory-sync: full pass, 500 users and 50 groups in .* peak RSS \d+ MiB/m);
  expect(r.stdout).toMatch(/^directory-sync: incremental pass after 1 % changed, \d+ users and \d+ groups read, \d+ changes, \d+ membership changes in/m);
});

it('runs the import benchmark (legacy migration, then archive export and import) at smoke size', () => {
  const r = bench('import', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^migrate: [\d,]+ legacy rows, [\d,]+ messages and \d+ files migrated in .* peak RSS \d+ MiB/m);
  expect(r.stdout).toMatch(/^export: 2,000 messages in .* peak RSS \d+ MiB/m);
  expect(r.stdout).toMatch(/^import \(SQLite\): 2,000 messages in .* peak RSS \d+ MiB/m);
});

it.skipIf(process.env.STOA_TEST_REQUIRE_ALL !== '1' && postgresAvailable() === undefined)('runs the archive benchmark at smoke size with the import on PostgreSQL', () => {
  const r = bench('archive', '--smoke', '--store', 'postgres');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^export: 2,000 messages in .* peak RSS \d+ MiB/m);
  expect(r.stdout).toMatch(/^import \(PostgreSQL\): 2,000 messages in .* peak RSS \d+ MiB/m);
  expect(r.stdout).not.toMatch(/recorded/);
});

it('runs the import-load benchmark (history reads while an import runs) at smoke size', () => {
  const r = bench('import-load', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^import-load: 10 clients, latest 50: idle p50 [\d.]+ ms, p99 [\d.]+ ms \([\d,]+ requests\)/m);
  expect(r.stdout).toMatch(/^import-load: while 5,000 messages are imported in .* p99 [\d.]+× idle/m);
  expect(r.stdout).not.toMatch(/recorded/);
});

/** Prosody and ejabberd are measured in the same run; locally they may be missing (the bench says so and skips them). */
const installed = (binary: string) => spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
const peers = process.env.STOA_TEST_REQUIRE_ALL === '1' || (installed('prosody') && installed('ejabberdctl')) ? ['Prosody', 'ejabberd'] : [];

it('runs the fanout benchmark at smoke size, against Prosody and ejabberd too', () => {
  const r = bench('fanout', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^fanout: Stoa \(SQLite\): 20 members joined; 10 of them post$/m);
  expect(r.stdout).toMatch(/^ {2}10\.0 msg\/s → 200 deliveries\/s \(200 of 200\), latency p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms; CPU server \d+ %, load generator \d+ %$/m);
  for (const peer of peers) {
    expect(r.stdout).toMatch(new RegExp(`^fanout: ${peer} [\\d.]+: 20 members joined; 10 of them post$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^fanout: ${peer} [\\d.]+: .*; Stoa / ${peer} (> )?[\\d.]+×$`, 'm'));
  }
  expect(r.stdout).not.toMatch(/recorded/);
});

it.skipIf(postgresAvailable() === undefined)('runs the pool-fanout benchmark at smoke size: one node, then three, on PostgreSQL and Redis', () => {
  const r = bench('pool-fanout', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^fanout: one node: 30 members joined; 10 of them post$/m);
  expect(r.stdout).toMatch(/^fanout: 3 nodes: 30 members joined; 10 of them post$/m);
  expect(r.stdout).toMatch(/^ {2}10\.0 msg\/s → 300 deliveries\/s \(300 of 300\)/m);
  expect(r.stdout).toMatch(/^pool-fanout: 3 nodes: up to [\d.]+ msg\/s .*; CPU nodes \d+ %, PostgreSQL \d+ %, Redis \d+ %; \d+ % of one node's rate$/m);
  expect(r.stdout).not.toMatch(/recorded/);
});

it('runs the connections benchmark at smoke size, against Prosody and ejabberd too', () => {
  const r = bench('connections', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^connections: Stoa \(SQLite\): 200 users, RSS [\d,]+ → [\d,]+ MiB, -?[\d.]+ kB per user, ~[\d,∞]+ users within 1\.5 GiB; [\d,]+ connections\/s/m);
  for (const peer of peers) expect(r.stdout).toMatch(new RegExp(`^connections: ${peer} [\\d.]+: 200 users, .* kB per user.*; Stoa / ${peer} -?[\\d.]+×$`, 'm'));
  expect(r.stdout).not.toMatch(/recorded/);
});

it('runs the capacity-model benchmark at smoke size', () => {
  const r = bench('capacity-model', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^capacity-model: 300 users online with [\d,]+ rooms open \(2\.\d\d per user\)/m);
  for (const what of ['post round trip', 'delivery', 'join', 'roster poll']) expect(r.stdout).toMatch(new RegExp(`^ {2}${what} p50 / p99: [\\d.]+ / [\\d.]+ ms`, 'm'));
  expect(r.stdout).toMatch(/^ {2}refused: 0;/m);
});

it('runs the history benchmark at smoke size, on SQLite and PostgreSQL', () => {
  const r = bench('history', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const stores = process.env.STOA_TEST_REQUIRE_ALL === '1' || postgresAvailable() !== undefined ? ['SQLite', 'PostgreSQL'] : ['SQLite'];
  for (const store of stores) {
    // On PostgreSQL the database's own processes are measured too.
    const database = store === 'PostgreSQL' ? ', PostgreSQL \\d+ %' : '';
    // All clients, then one alone.
    for (const clients of ['5 clients', '1 client']) {
      expect(r.stdout).toMatch(new RegExp(`^history: ${store}: latest 50 of 20,000 messages, ${clients}: [\\d,]+ requests/s, latency p50 [\\d.]+ ms, p99 [\\d.]+ ms, max [\\d.]+ ms; CPU server \\d+ %, load generator \\d+ %${database}$`, 'm'));
    }
  }
  expect(r.stdout).not.toMatch(/recorded/);
});

it('runs the search benchmark at smoke size, on SQLite and on PostgreSQL', () => {
  const stores: [string, string[]][] = [['SQLite', []]];
  if (process.env.STOA_TEST_REQUIRE_ALL === '1' || postgresAvailable() !== undefined) stores.push(['PostgreSQL', ['--store', 'postgres']]);
  for (const [store, args] of stores) {
    const r = bench('search', '--smoke', ...args);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}common word \(rank 5\): 50 results; \d+ searches/m);
    expect(r.stdout).toMatch(/^ {2}no match: 0 results; \d+ searches/m);
    expect(r.stdout).toMatch(/^search: word index of 20,000 messages built in [\d.,]+ s$/m);
    for (const clients of ['10 clients', '1 client']) {
      expect(r.stdout).toMatch(new RegExp(`^search: ${store}: 20,000 messages, ${clients}: [\\d.,]+ searches/s, latency p50 [\\d.]+ ms, p99 [\\d.]+ ms`, 'm'));
    }
    expect(r.stdout).not.toMatch(/recorded/);
  }
});

it('refuses an unknown scenario or option with the usage', () => {
  const unknown = bench('nonsense');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/unknown scenario 'nonsense'[\s\S]*compliance/);
  const badSize = bench('compliance', '--size', 'lots');
  expect(badSize.status).toBe(2);
  expect(badSize.stderr).toMatch(/--size takes a positive whole number/);
});

it.skipIf(postgresAvailable() === undefined)('runs the pool-failover benchmark at smoke size: a node killed behind HAProxy, then the primary database lost', () => {
  const r = bench('pool-failover', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^pool-failover: node killed \(1 rounds\): \d+ clients cut, back and posting after [\d,]+ \/ [\d,]+ \/ [\d,]+ ms \(p50 \/ p99 \/ max\); \d+ acknowledged posts all in history$/m);
  expect(r.stdout).toMatch(/^pool-failover: primary lost: \d+ clients refused, back and posting after [\d,]+ \/ [\d,]+ \/ [\d,]+ ms from the kill; promotion \d+ ms, pool state set FailedOver \d+ ms, the last client back -?\d+ ms after the set; \d+ acknowledged posts all on the backup$/m);
  expect(r.stdout).not.toMatch(/recorded/);
});

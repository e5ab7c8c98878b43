/** The benchmarks at smoke size, so they cannot rot between real runs (nothing is recorded). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../harness/cli.js';
import { hasTool } from '../harness/compliance-output.js';

const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function bench(...args: string[]) {
  return spawnSync(TSX, [path.join(ROOT, 'bench', 'run.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
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

it('runs the archive benchmark at smoke size', () => {
  const r = bench('archive', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^export: 2,000 messages in .* peak RSS \d+ MiB/m);
  expect(r.stdout).toMatch(/^import: 2,000 messages in .* peak RSS \d+ MiB/m);
});

it('runs the migration benchmark at smoke size', () => {
  const r = bench('migrate', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^migrate: [\d,]+ legacy rows, [\d,]+ messages and \d+ files migrated in .* peak RSS \d+ MiB/m);
});

it('runs the fanout benchmark at smoke size', () => {
  const r = bench('fanout', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^fanout: 20 members joined at http:\/\/127\.0\.0\.1:\d+; 10 of them post$/m);
  expect(r.stdout).toMatch(/^ {2}10\.0 msg\/s → 200 deliveries\/s \(200 of 200\), latency p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms; CPU server \d+ %, load generator \d+ %$/m);
  expect(r.stdout).not.toMatch(/recorded/);
});

it('runs the history benchmark at smoke size', () => {
  const r = bench('history', '--smoke');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^history: latest 50 of 20,000 messages, 5 clients: [\d,]+ requests\/s, latency p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms; CPU server \d+ %, load generator \d+ %$/m);
  expect(r.stdout).not.toMatch(/recorded/);
});

it('refuses an unknown scenario or option with the usage', () => {
  const unknown = bench('nonsense');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/unknown scenario 'nonsense'[\s\S]*compliance/);
  const badSize = bench('compliance', '--size', 'lots');
  expect(badSize.status).toBe(2);
  expect(badSize.stderr).toMatch(/--size takes a positive whole number/);
});

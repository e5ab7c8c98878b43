/**
 * The command line at its edges: a closed output pipe, unknown commands asking for help,
 * the server's options in its help, and an install that fits the Node the README names.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT, runStoa, STOA } from '../harness/cli.js';
import { tempDir } from '../harness/stores.js';

beforeAll(() => assertBuilt());

/** Runs stoa with its standard output closed by the reader before anything is written. */
function runWithClosedOutput(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [STOA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('the command line at its edges', () => {
  it('ends quietly when the reader of its output goes away', async () => {
    const dataDir = path.join(tempDir(), 'data');
    for (const args of [['--help'], ['room', '--help'], ['--data-dir', dataDir, 'config', 'get']]) {
      const run = await runWithClosedOutput(args);
      expect(run.stderr, args.join(' ')).not.toMatch(/EPIPE|Error| {4}at /);
      expect(run.code, args.join(' ')).toBe(0);
    }
  });

  it('refuses an unknown command with exit 2, with --help too', async () => {
    for (const args of [['frobnicate', '--help'], ['frobnicate'], ['--json', 'frobnicate', '--help'], ['room', 'frob', '--help'], ['pool', 'frob'], ['--data-dir', '/tmp/x', 'pool', 'node', 'frob', 'get']]) {
      const run = await runStoa(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/unknown command '(room |pool |node )?(frobnicate|frob)'/);
      expect(run.stdout).toBe('');
    }
    // Known commands still show their help.
    const help = await runStoa(['room', 'get', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--category');
  });

  it('lists every server option in `stoa serve --help`', async () => {
    const help = await runStoa(['serve', '--help']);
    expect(help.code).toBe(0);
    for (const option of ['--host', '--port', '--log-level', '--sip-port', '--sip-trusted-networks', '--node-name', 'STOA_NODE_NAME', '--data-dir', '--database-url', '--pool-fqdn', '--config', 'STOA_SIP_PORT', 'STOA_ADMIN_PASSWORD']) {
      expect(help.stdout).toContain(option);
    }
  });

  it('installs on the Node version the README names: no locked package asks for a newer one', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const named = Number(/Node\.js (\d+) or later/.exec(readme)?.[1]);
    expect(named).toBe(20);
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }> };
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => p.optional !== true && typeof p.engines === 'object' && !Array.isArray(p.engines) && typeof p.engines.node === 'string')
      .filter(([, p]) => !acceptsMajor((p.engines as { node: string }).node, named))
      .map(([name, p]) => `${name} (node ${(p.engines as { node: string }).node})`);
    expect(refusing).toEqual([]);
  });
});

/** Whether an engines range admits Node `major` (the forms npm packages use: >=, ^, ||, x). */
function acceptsMajor(range: string, major: number): boolean {
  return range.split('||').some((part) => {
    const terms = part
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .trim()
      .split(/\s+/)
      .filter((t) => t !== '');
    if (terms.length === 0 || terms.includes('*')) return true;
    return terms.every((term) => {
      const m = /^(>=|>|<=|<|\^|~|=)?v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(term);
      if (m === null) return true;
      const [, op = '=', v] = m;
      const n = Number(v);
      switch (op) {
        case '>=':
          return major >= n;
        case '>':
          return major > n || (major === n && term.includes('.'));
        case '<':
          return major < n;
        case '<=':
          return major <= n;
        default:
          return major === n;
      }
    });
  });
}

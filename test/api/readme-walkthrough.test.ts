/** The README's walk-through, run as written against `stoa serve` on a fresh data dir. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT } from '../harness/cli.js';
import { killAllServers, serve } from '../harness/serve-process.js';
import { tempDir } from '../harness/stores.js';

beforeAll(() => assertBuilt());
afterEach(() => killAllServers());

function walkthrough(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme);
  if (m === null) throw new Error('README.md has no walkthrough block');
  return m[1] as string;
}

function bash(script: string, env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

describe('README walk-through', () => {
  it('creates a user and a room, signs in, posts and reads the history', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const server = await serve(['--data-dir', dataDir, '--pool-fqdn', 'pc.contoso.com']);
    const run = await bash(walkthrough(), { URL: server.url, STOA_DATA_DIR: dataDir });
    expect(run.code, run.err).toBe(0);
    const lines = run.out.trim().split('\n');
    const history = JSON.parse(lines.at(-1) as string) as { messages: { text: string; author: string }[]; more: boolean };
    expect(history).toMatchObject({ more: false, messages: [{ text: 'Hello, Stoa!', author: 'sip:ana@contoso.com' }] });
  });
});

/**
 * Runs the real `stoa` binary (bin/stoa.js → dist/) as an administrator would, against a
 * temporary data dir. `npm test` builds dist first; a stale build fails loudly here.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './stores.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const STOA = path.join(ROOT, 'bin', 'stoa.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

export function assertBuilt(): void {
  const dist = path.join(ROOT, 'dist');
  if (!fs.existsSync(path.join(dist, 'cli', 'index.js')) || newestMtime(dist) + 1 < newestMtime(path.join(ROOT, 'src'))) {
    throw new Error('dist/ is missing or older than src/: run `npm run build` (npm test does it for you)');
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

export interface CliOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function runStoa(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STOA, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, json: <T>() => JSON.parse(stdout) as T });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A CLI bound to one fresh deployment (`--data-dir`, pool pc.contoso.com). */
export function cliFor(dataDir = path.join(tempDir('stoa-cli-'), 'data'), extra: string[] = ['--pool-fqdn', 'pc.contoso.com']) {
  const run = (args: readonly string[], options?: CliOptions) => runStoa(['--data-dir', dataDir, ...extra, ...args], options);
  return { dataDir, run };
}

/**
 * Builds a deployment once with the CLI, then hands each test its own copy of the data
 * dir, so tests start from the same state without paying for the setup every time.
 */
export function deploymentTemplate(setup: (cli: ReturnType<typeof cliFor>) => Promise<void>) {
  let template: string | undefined;
  return {
    async build(): Promise<void> {
      const cli = cliFor();
      await setup(cli);
      template = cli.dataDir;
    },
    copy(): ReturnType<typeof cliFor> {
      if (template === undefined) throw new Error('deploymentTemplate.build() has not run');
      const dataDir = path.join(tempDir('stoa-cli-'), 'data');
      fs.cpSync(template, dataDir, { recursive: true });
      return cliFor(dataDir);
    },
  };
}

/** Asserts success, returning the result. */
export function expectOk(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`stoa exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

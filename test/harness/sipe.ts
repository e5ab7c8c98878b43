/**
 * The real SIPE client (Debian pidgin-sipe) driven through the small libpurple program in
 * test/sip/sipe/harness.c, compiled once per run. Without the packages the SIPE tests skip
 * loudly — and fail under STOA_TEST_REQUIRE_ALL=1 (CI installs them).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './cli.js';

const SOURCE = path.join(ROOT, 'test', 'sip', 'sipe', 'harness.c');
const PACKAGES = 'pidgin-sipe libpurple-dev libglib2.0-dev libxml2-dev pkg-config gcc';

let built: string | undefined | null = null;

/** The compiled harness, or undefined when this machine cannot build it (said loudly). */
export function sipeHarness(): string | undefined {
  if (built !== null) return built;
  const missing: string[] = [];
  if (!fs.existsSync('/usr/lib/purple-2/libsipe.so')) missing.push('the SIPE plugin');
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'purple', 'glib-2.0', 'libxml-2.0'], { encoding: 'utf8' });
  if (flags.status !== 0) missing.push('libpurple/glib/libxml2 headers');
  if (missing.length === 0) {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-sipe-')), 'sipe-harness');
    const cc = spawnSync('cc', ['-O1', '-o', out, SOURCE, ...flags.stdout.trim().split(/\s+/), '-rdynamic', '-ldl'], { encoding: 'utf8' });
    if (cc.status === 0) return (built = out);
    missing.push(`a C compiler that builds the harness (${(cc.stderr ?? cc.error?.message ?? '').trim().slice(0, 300)})`);
  }
  const message = `SIPE end-to-end tests need ${missing.join(', ')} (apt-get install -y ${PACKAGES})`;
  if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error(`STOA_TEST_REQUIRE_ALL=1 but ${message}`);
  console.warn(`\n*** ${message}: they are SKIPPED ***\n`);
  return (built = undefined);
}

/** One running SIPE client: send it commands, wait for the lines it prints. */
export class SipeClient {
  readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  exited: number | null | undefined;
  stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        this.lines.push(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      this.wake();
    });
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-20_000);
    });
    child.on('exit', (code) => {
      this.exited = code;
      this.wake();
    });
  }

  /** Signs in as `user`, with `password` when the server asks for one (NTLM). */
  static start(harness: string, port: number, user: string, password?: string): SipeClient {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-sipe-home-'));
    const env = { ...process.env, HOME: home, ...(password === undefined ? {} : { STOA_SIPE_PASSWORD: password }) };
    return new SipeClient(spawn(harness, [String(port), user.replace(/^sip:/, ''), home], { stdio: ['pipe', 'pipe', 'pipe'], env }));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }

  /** Waits for a line matching the pattern (after `from`); returns it. */
  async waitLine(pattern: RegExp, ms = 15_000, from = 0): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.slice(from).find((l) => pattern.test(l));
      if (found !== undefined) return found;
      if (this.exited !== undefined) throw new Error(`SIPE exited (${this.exited}) before printing ${pattern}: ${this.lines.join(' | ')}\n${this.stderr.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SIPE did not print ${pattern} in ${ms} ms: ${this.lines.join(' | ')}\n${this.stderr.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async quit(): Promise<void> {
    if (this.exited !== undefined) return;
    this.send('quit');
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * What every benchmark shares: the machine it ran on, a peak-RSS sampler, a quiet SQLite
 * deployment and deterministic message texts, and recording a
 * result row in docs/benchmarks.md (each scenario's table ends at a `<!-- rows:NAME -->`
 * marker; a new row goes just above it).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRuntime, type Runtime } from '../src/main.js';
import { configSchema } from '../src/config/schema.js';
import type { Services } from '../src/actions/context.js';
import { SYSTEM_ACTOR } from '../src/actions/context.js';
import { createApiToken } from '../src/actions/auth.js';
import { buildCategory, buildDomain, buildRoom, buildUser } from '../test/factories.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS = path.join(ROOT, 'docs', 'benchmarks.md');

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  commit: string;
  date: string;
}

export function machine(): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The results file itself changes as rows are recorded: it does not make the code dirty.
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs/benchmarks.md'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty !== '') commit += '+changes';
  } catch {
    // not a git checkout
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit,
    date: new Date().toISOString().slice(0, 10),
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}`;
}

/** Samples this process's RSS while running fn; returns fn's result and the peak in MiB. */
export async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakRssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakRssMiB: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

export function elapsed(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Appends a row to the scenario's table in docs/benchmarks.md (cells in the table's column order). */
export function recordRow(scenario: string, cells: readonly string[]): void {
  const marker = `<!-- rows:${scenario} -->`;
  const text = fs.readFileSync(RESULTS, 'utf8');
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`docs/benchmarks.md has no ${marker} marker: add the scenario's table first`);
  const row = `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |\n`;
  fs.writeFileSync(RESULTS, text.slice(0, at) + row + text.slice(at));
}

export interface Options {
  /** --size: the scenario's main quantity. */
  size?: number;
  /** --smoke: a tiny run that only proves the scenario works (CI); never recorded. */
  smoke: boolean;
  /** --no-record: print, do not touch docs/benchmarks.md. */
  record: boolean;
  /** The command as typed, for the results table. */
  command: string;
  /** --data DIR: keep the seeded deployment there and reuse it next time (scenarios that seed for minutes: search). */
  data?: string;
  /** --store sqlite|postgres: the database of scenarios measured on one at a time (search). */
  store?: 'sqlite' | 'postgres';
}

export function parseOptions(argv: readonly string[], scenario: string): Options {
  const options: Options = { smoke: false, record: true, command: `npm run bench -- ${[scenario, ...argv].join(' ')}` };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--smoke') options.smoke = true;
    else if (arg === '--no-record') options.record = false;
    else if (arg === '--size') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error('--size takes a positive whole number');
      options.size = value;
    } else if (arg === '--store') {
      const value = argv[++i];
      if (value !== 'sqlite' && value !== 'postgres') throw new Error('--store takes sqlite or postgres');
      options.store = value;
    } else if (arg === '--data') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error('--data takes a directory');
      options.data = path.resolve(value);
    } else throw new Error(`unknown option ${arg}`);
  }
  if (options.smoke) options.record = false;
  return options;
}

/**
 * Reads every file under the paths once, so the measurement that follows starts with the
 * database in the operating system's page cache, as on a server that has been running
 * (this machine does not keep what a long seeding wrote: a 5 GB pool was found mostly
 * evicted minutes later). Returns the bytes read.
 */
export function warmPageCache(paths: readonly string[]): number {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let total = 0;
  const visit = (p: string): void => {
    const stat = fs.statSync(p, { throwIfNoEntry: false });
    if (stat === undefined) return;
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name));
      return;
    }
    if (!stat.isFile()) return;
    const fd = fs.openSync(p, 'r');
    try {
      for (let n = fs.readSync(fd, buffer); n > 0; n = fs.readSync(fd, buffer)) total += n;
    } finally {
      fs.closeSync(fd);
    }
  };
  for (const p of paths) visit(p);
  return total;
}

const scratch = new Set<string>();

/** A fresh directory under the system temp dir, removed when the bench process exits, however it ends. */
export function scratchDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `stoa-bench-${name}-`));
  if (scratch.size === 0) process.once('exit', () => scratch.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  scratch.add(dir);
  return dir;
}

/** The pool every bench deployment is created with. */
export const POOL = 'bench.contoso.com';

/** A bench deployment, quiet: on embedded SQLite, or on PostgreSQL at the URL. */
export async function open(dataDir: string, databaseUrl?: string, options: { bulk?: 'serve' | 'load' } = {}): Promise<Runtime> {
  const config = configSchema.parse({ dataDir, poolFqdn: POOL, logLevel: 'silent', ...(databaseUrl === undefined ? {} : { databaseUrl }) });
  // serve: as `stoa serve` (and `stoa compliance run`) open the deployment: WAL checkpoints
  // in a worker thread. load: as `stoa data import` and `stoa migrate legacy` do: the same,
  // and commits that do not wait for the disk, synced at the load's end.
  if (options.bulk === undefined) return openRuntime(config);
  return openRuntime(config, { onCheckpointError: (err) => console.error(err), ...(options.bulk === 'load' ? { relaxedCommits: true } : {}) });
}

const WORDS = ['quarterly', 'numbers', 'ready', 'review', 'the', 'draft', 'for', 'Oslo', 'trade', 'desk', 'Zürich', '東京', 'settlement', 'risk', 'limit', 'approved', 'call', 'at', 'noon'];

/** The i-th message text of a bench: 6–30 words, some non-Latin, deterministic. */
export function sentence(i: number): string {
  const n = 6 + (i % 25);
  const words: string[] = [];
  for (let k = 0; k < n; k++) words.push(WORDS[(i * 7 + k * 13) % WORDS.length] as string);
  return words.join(' ');
}

/**
 * Chat-like text for the search bench, where the vocabulary matters: a vocabulary of 20,000
 * made-up words with Zipf-like frequencies (the word of rank r about 1/r as often as the
 * most common one), 3–15 words a message (about 80 characters, a typical chat line), from
 * a seeded generator (the same corpus every run). `word(rank)` gives the word of a rank, to pick search terms of known frequency.
 */
export function corpus(seed = 12345): { text(): string; word(rank: number): string } {
  const syllables = ['ka', 'to', 'ri', 'mu', 'sen', 'lo', 'va', 'dan', 'qui', 'pe', 'zor', 'bel', 'fi', 'nu', 'gra', 'tes', 'mo', 'lin', 'cha', 'vek'];
  let x = seed >>> 0;
  const random = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const vocabulary: string[] = [];
  // Ranks are 1-based; every word is unique (a number keeps the long tail apart).
  for (let rank = 1; rank <= 20_000; rank++) {
    let w = '';
    for (let k = 0; k < 2 + (rank % 3); k++) w += syllables[Math.floor(random() * syllables.length)];
    vocabulary.push(`${w}${rank}`);
  }
  const pick = () => vocabulary[Math.min(vocabulary.length, Math.floor(Math.exp(random() * Math.log(vocabulary.length)))) - 1]!;
  return {
    text() {
      const words: string[] = [];
      for (let k = 3 + Math.floor(random() * 13); k > 0; k--) words.push(pick());
      return words.join(' ');
    },
    word: (rank) => vocabulary[rank - 1]!,
  };
}

/**
 * Runs one step of a bench in a child process of its own (so its peak RSS is its own):
 * the bench file is started again with `child` and the arguments; the child prints one
 * JSON line, returned here.
 */
export function runChild<T>(self: string, args: readonly string[]): T {
  // STOA_BENCH_CHILD_ARGS: options for the children's Node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile an import.
  const extra = (process.env.STOA_BENCH_CHILD_ARGS ?? '').split(' ').filter((a) => a !== '');
  const r = spawnSync(process.execPath, [...process.execArgv, ...extra, self, 'child', ...args], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`${args[0] ?? 'child'} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as T;
}

/** In a bench file: when started as a child, runs `step` with the arguments and exits. */
export function childEntry(step: (...args: string[]) => Promise<unknown>): void {
  if (process.argv[2] !== 'child') return;
  step(...process.argv.slice(3)).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** The child's own peak resident set, in MiB. */
export const childPeakRssMiB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** Records a row that starts with the date and commit and ends with the machine and command. */
export function recordResult(scenario: string, cells: readonly string[], options: Options): void {
  const m = machine();
  recordRow(scenario, [m.date, m.commit, ...cells, describeMachine(m), `\`${options.command}\``]);
}

/** Limits of the server under a load test (docs/benchmarks.md says so). */
export const BENCH_LIMITS = {
  connectionsPerAddress: 1_000_000,
  wsConnectionsPerUser: 100_000,
  wsCommandsPerSecond: 1_000_000,
  wsCommandBurst: 1_000_000,
  wsQueuedCommands: 10_000,
  httpRequestsPerSecond: 1_000_000,
  httpRequestBurst: 1_000_000,
};

/** `stoa serve` on the data dir (and the database, if a URL is given), on a free port; resolves with its URL once it listens. */
export function serveChild(dir: string, databaseUrl?: string, extra: readonly string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const bin = path.join(ROOT, 'bin', 'stoa.js');
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'index.js'))) throw new Error('the server is not built: run npm run build first');
  const database = databaseUrl === undefined ? [] : ['--database-url', databaseUrl];
  // STOA_BENCH_NODE_ARGS: options for the server's Node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it.
  const nodeArgs = (process.env.STOA_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  // The load generator plays thousands of users from one address, some benches many
  // clients with one user's token: the per-address and per-user limits (D9) are raised
  // so the bench measures the server's work, not its refusals.
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const config = path.join(dir, 'bench-config.json');
  fs.writeFileSync(config, JSON.stringify({ limits: BENCH_LIMITS }), { mode: 0o600 });
  const child = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--data-dir', dir, '--config', config, ...database, '--port', '0', '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`stoa serve did not start: ${out}`)), 60_000);
    const read = (d: Buffer) => {
      out += d.toString();
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`stoa serve exited (${code}): ${out}`)));
  });
}

/** CPU seconds a process has used (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds of a process and its children, living and reaped: a PostgreSQL server's
 * postmaster with its backends and background workers.
 */
export function treeCpuSeconds(rootPid: number): number {
  const stat = (pid: string | number): string[] | undefined => {
    try {
      return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    } catch {
      return undefined; // gone between the listing and the read
    }
  };
  const root = stat(rootPid);
  if (root === undefined) return 0;
  // utime, stime, and the reaped children's cutime, cstime.
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = stat(entry);
    if (fields !== undefined && Number(fields[1]) === rootPid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

/** Stops a child started by serveChild and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

/**
 * Starts measuring CPU: the returned function gives, for the time since, the server
 * process's and this load generator's CPU as a share of one core (100 = one core busy),
 * and a database server's (its postmaster and every backend) when its pid is given.
 */
export function cpuMeter(serverPid: number, databasePid?: number): () => { seconds: number; serverCpu: number; benchCpu: number; databaseCpu?: number } {
  const server0 = cpuSeconds(serverPid);
  const database0 = databasePid === undefined ? 0 : treeCpuSeconds(databasePid);
  const bench0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  return () => {
    const seconds = elapsed(t0);
    const used = process.cpuUsage(bench0);
    return {
      seconds,
      serverCpu: ((cpuSeconds(serverPid) - server0) / seconds) * 100,
      benchCpu: ((used.user + used.system) / 1e6 / seconds) * 100,
      ...(databasePid === undefined ? {} : { databaseCpu: ((treeCpuSeconds(databasePid) - database0) / seconds) * 100 }),
    };
  };
}

/**
 * A load generator's client: GET over one kept-alive connection of its own, the body
 * parsed as JSON. Node's http module rather than fetch: measured against a trivial Node
 * server answering a 20 kB JSON page, fetch (undici) adds its own tail — p99 2.3–2.8 ms
 * against 0.9–1.0 ms for http, at the same p50 of 0.2–0.3 ms — which a single-client row
 * would count as the server's (docs/benchmarks.md, history).
 */
export function jsonClient(bearer: string): { get(url: string): Promise<{ status: number; body: unknown }>; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { authorization: `Bearer ${bearer}` };
  return {
    get: (url) =>
      new Promise((resolve, reject) => {
        http
          .get(url, { agent, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              try {
                resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
              } catch (err) {
                reject(err instanceof Error ? err : new Error(String(err)));
              }
            });
          })
          .on('error', reject);
      }),
    close: () => agent.destroy(),
  };
}

/** The q-quantile of sorted samples. */
export const quantile = (sorted: Float64Array, q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);

/** `count` users named `<prefix><i>` in contoso.com (the domain must exist), each with an API token (load benches sign in with those, not with passwords). */
export async function seedTokenUsers(s: Services, count: number, prefix: string): Promise<{ id: number; key: string; token: string }[]> {
  const users: { id: number; key: string; token: string }[] = [];
  for (let i = 0; i < count; i++) {
    const user = await buildUser(s, { domain: 'contoso.com', name: `${prefix}${i}` });
    users.push({ id: user.id, key: user.key, token: (await createApiToken(s, SYSTEM_ACTOR, { user: user.key, name: `${prefix} bench` })).token });
  }
  return users;
}

/** One Open room in a contoso.com category and `count` users with API tokens (seedTokenUsers). */
export async function seedOpenRoom(s: Services, roomName: string, count: number, prefix: string): Promise<{ room: string; roomId: number; users: { id: number; token: string }[] }> {
  await buildDomain(s, 'contoso.com');
  const category = await buildCategory(s, { allowed: ['contoso.com'] });
  const room = await buildRoom(s, category.name, { name: roomName, privacy: 'Open' });
  return { room: room.guid, roomId: room.id, users: await seedTokenUsers(s, count, prefix) };
}

/** The WebSocket API's URL for a server started by serveChild. */
export const wsUrlOf = (url: string): string => `${url.replace(/^http/, 'ws')}/api/v1/ws`;

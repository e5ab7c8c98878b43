/**
 * A throwaway PostgreSQL server for the tests, from the machine's `postgresql` package:
 * initdb into a temporary dir, started on a free loopback port, without durability unless
 * asked (the data is thrown away). Each test gets its own database copied from a migrated template.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PostgresServer {
  url: (database: string) => string;
  /** The cluster's data directory (benches read it once to warm the page cache). */
  dataDir: string;
  stop(): void;
}

function findBinDir(): string | undefined {
  const roots = ['/usr/lib/postgresql'];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    const versions = fs
      .readdirSync(root)
      .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return path.join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return found ? path.dirname(fs.realpathSync(found)) : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root). */
function run(bin: string, args: string[], asPostgres: boolean): void {
  const [cmd, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(cmd, argv, { stdio: 'pipe', timeout: 60_000 });
}

export function postgresAvailable(): string | undefined {
  return findBinDir();
}

/**
 * `durable`: keep PostgreSQL's default durability (fsync, synchronous commit, full page
 * writes) — what a benchmark compares against SQLite's synchronous=FULL; tests leave it off.
 */
function tools(): { bin: string; asPostgres: boolean } {
  const bin = findBinDir();
  if (bin === undefined) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install -y postgresql');
  return { bin, asPostgres: process.getuid?.() === 0 };
}

/** A temporary directory the PostgreSQL tools may write (owned by `postgres` when we are root). */
function clusterDir(asPostgres: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-pg-'));
  if (asPostgres) execFileSync('chown', ['postgres:postgres', dir]);
  return dir;
}

function startCluster(bin: string, asPostgres: boolean, dir: string, port: number, settings: string[]): void {
  const options = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c max_connections=300', ...settings].join(' ');
  run(path.join(bin, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-w', '-t', '60', '-l', path.join(dir, 'log'), '-o', options, 'start'], asPostgres);
}

/**
 * `statements`: load pg_stat_statements (benches count the statements a workload runs;
 * `create extension pg_stat_statements` in the database to read them).
 */
export async function startPostgres(settings: { durable?: boolean; statements?: boolean } = {}): Promise<PostgresServer> {
  const { bin, asPostgres } = tools();
  const dir = clusterDir(asPostgres);
  const data = path.join(dir, 'data');
  run(path.join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'stoa', '-E', 'UTF8', '--no-sync'], asPostgres);
  const port = await freePort();
  startCluster(bin, asPostgres, dir, port, [
    ...(settings.durable === true ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ...(settings.statements === true ? ['-c shared_preload_libraries=pg_stat_statements', '-c pg_stat_statements.track=all'] : []),
  ]);
  return {
    url: (database) => `postgres://stoa@127.0.0.1:${port}/${database}`,
    dataDir: data,
    stop() {
      try {
        run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], asPostgres);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A primary and its synchronous streaming standby (the pool's backup database), with the
 * steps of a failover and a failback (docs/pool.md) as an operator runs them. Commits on
 * the primary wait for the standby to have their WAL (synchronous_commit on, any standby
 * synchronous); fsync stays off (the machine does not crash, the servers do).
 */
export interface ReplicatedPostgres {
  primaryUrl(database: string): string;
  backupUrl(database: string): string;
  /** The primary's postmaster killed with SIGKILL (its backends follow it). */
  killPrimary(): void;
  /** `pg_ctl promote` on the backup: it leaves recovery and accepts writes (the event loop runs meanwhile). */
  promoteBackup(): Promise<void>;
  /**
   * The failback's first step: a new primary cluster on the primary's port, copied from
   * the backup with pg_basebackup and following it as its synchronous standby.
   */
  rebuildPrimary(): Promise<void>;
  /** `pg_ctl stop -m fast` on the backup (its standbys receive all its WAL first). */
  stopBackup(): void;
  /** Starts the stopped backup again as it was. */
  startBackup(): void;
  promotePrimary(): void;
  stop(): void;
}

const REPLICATED = ['-c fsync=off', '-c synchronous_commit=on', '-c wal_level=replica', '-c max_wal_senders=10', '-c wal_keep_size=256MB'];

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const { bin, asPostgres } = tools();
  const primaryDir = () => current.primary;
  const current = { primary: clusterDir(asPostgres), backup: clusterDir(asPostgres), old: [] as string[] };
  const [primaryPort, backupPort] = [await freePort(), await freePort()];
  run(path.join(bin, 'initdb'), ['-D', path.join(current.primary, 'data'), '--auth=trust', '-U', 'stoa', '-E', 'UTF8', '--no-sync'], asPostgres);
  // A primary waits for one standby, whichever; a standby (or a promoted one with none yet)
  // waits for none. In postgresql.auto.conf, where ALTER SYSTEM can change it later.
  const waitFor = (dir: string, standbys: string) => fs.appendFileSync(path.join(dir, 'data', 'postgresql.auto.conf'), `synchronous_standby_names = '${standbys}'\n`);
  waitFor(current.primary, '*');
  startCluster(bin, asPostgres, current.primary, primaryPort, REPLICATED);
  const copy = (fromPort: number, dir: string) => {
    run(path.join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(fromPort), '-U', 'stoa', '-D', path.join(dir, 'data'), '-R', '-X', 'stream', '--no-sync', '--checkpoint=fast'], asPostgres);
    waitFor(dir, '');
  };
  copy(primaryPort, current.backup);
  startCluster(bin, asPostgres, current.backup, backupPort, REPLICATED);
  const url = (port: number, database: string) => `postgres://stoa@127.0.0.1:${port}/${database}`;
  const ctl = (dir: string, args: string[]) => run(path.join(bin, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-w', '-t', '60', ...args], asPostgres);
  const { default: pg } = await import('pg');
  /** Waits until the server on `port` has a synchronous standby streaming from it. */
  const waitForSyncStandby = async (port: number) => {
    const client = new pg.Client({ connectionString: url(port, 'postgres') });
    await client.connect();
    try {
      for (let i = 0; i < 300; i++) {
        const r = await client.query<{ n: string }>("select count(*) as n from pg_stat_replication where sync_state = 'sync' and state = 'streaming'");
        if (Number(r.rows[0]?.n) > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no synchronous standby streams from port ${port} after 30 s`);
    } finally {
      await client.end();
    }
  };
  await waitForSyncStandby(primaryPort);
  let backupRunning = true;
  // Neither server outlives a test process that ends without stopping them (a failure in beforeAll, say).
  const onExit = () => pair.stop();
  process.once('exit', onExit);
  const pair: ReplicatedPostgres = {
    primaryUrl: (database) => url(primaryPort, database),
    backupUrl: (database) => url(backupPort, database),
    killPrimary() {
      const pid = Number(fs.readFileSync(path.join(primaryDir(), 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
    },
    async promoteBackup() {
      const args = ['-D', path.join(current.backup, 'data'), '-w', '-t', '60', 'promote'];
      const pgCtl = path.join(bin, 'pg_ctl');
      await promisify(execFile)(asPostgres ? 'runuser' : pgCtl, asPostgres ? ['-u', 'postgres', '--', pgCtl, ...args] : args, { timeout: 60_000 });
    },
    async rebuildPrimary() {
      current.old.push(current.primary);
      current.primary = clusterDir(asPostgres);
      copy(backupPort, current.primary);
      startCluster(bin, asPostgres, current.primary, primaryPort, REPLICATED);
      // The backup, now the pool's only writable database, waits for its new standby.
      const client = new pg.Client({ connectionString: url(backupPort, 'postgres') });
      await client.connect();
      try {
        await client.query("alter system set synchronous_standby_names = '*'");
        await client.query('select pg_reload_conf()');
      } finally {
        await client.end();
      }
      await waitForSyncStandby(backupPort);
    },
    stopBackup() {
      ctl(current.backup, ['-m', 'fast', 'stop']);
      backupRunning = false;
    },
    startBackup() {
      startCluster(bin, asPostgres, current.backup, backupPort, REPLICATED);
      backupRunning = true;
    },
    promotePrimary() {
      ctl(current.primary, ['promote']);
    },
    stop() {
      process.removeListener('exit', onExit);
      for (const [dir, up] of [
        [current.primary, true],
        [current.backup, backupRunning],
      ] as const) {
        try {
          if (up) ctl(dir, ['-m', 'immediate', 'stop']);
        } catch {
          // already stopped (killed)
        }
      }
      for (const dir of [current.primary, current.backup, ...current.old]) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return pair;
}

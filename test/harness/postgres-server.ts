/**
 * A throwaway PostgreSQL server for the tests, from the machine's `postgresql` package:
 * initdb into a temporary dir, started on a free loopback port, without durability unless
 * asked (the data is thrown away). Each test gets its own database copied from a migrated template.
 */
import { execFileSync, spawnSync } from 'node:child_process';
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
export async function startPostgres(settings: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = findBinDir();
  if (bin === undefined) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install -y postgresql');
  const asPostgres = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-pg-'));
  if (asPostgres) execFileSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  run(path.join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'stoa', '-E', 'UTF8', '--no-sync'], asPostgres);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    ...(settings.durable === true ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    '-c max_connections=300',
  ].join(' ');
  run(path.join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '60', '-l', path.join(dir, 'log'), '-o', options, 'start'], asPostgres);
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

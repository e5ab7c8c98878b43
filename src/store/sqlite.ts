import fs from 'node:fs';
import { containsTerm } from '../domain/words.js';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, Kysely, SqliteAdapter, SqliteDialect, type DialectAdapter, type Driver } from 'kysely';
import { StoaSqliteDriver, WRITE_LOCK_WAIT_MS, type BackgroundCheckpoints } from './sqlite-driver.js';
import { WatchedDriver, type StatementWatch } from './statement-guard.js';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely/store.js';
import { readLogFile, SqliteReadLog } from './read-log.js';
import { migrateToLatest } from './migrate.js';
import { syncPath } from '../files/sync.js';

/**
 * SQLite's DDL is transactional: migrations run in one BEGIN IMMEDIATE transaction, so
 * processes opening a new data dir at the same moment migrate it once, in turn.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class StoaSqliteDialect extends SqliteDialect {
  constructor(
    private readonly file: string,
    private readonly watch: StatementWatch,
    private readonly checkpoints: BackgroundCheckpoints | undefined,
    private readonly synchronous: Synchronous,
  ) {
    super({ database: () => Promise.resolve(openDatabase(file, false, synchronous)) });
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  /** Set once Kysely created it (on the first query). */
  driver: StoaSqliteDriver | undefined;

  override createDriver(): Driver {
    this.driver = new StoaSqliteDriver((readonly) => openDatabase(this.file, readonly, this.synchronous), this.checkpoints);
    return new WatchedDriver(this.driver, this.watch);
  }
}

type Synchronous = 'FULL' | 'NORMAL';

function openDatabase(file: string, readonly: boolean, synchronous: Synchronous): BetterSqlite3.Database {
  const db = new BetterSqlite3(file, { readonly });
  db.pragma(`busy_timeout = ${WRITE_LOCK_WAIT_MS}`);
  // Search's last word on a candidate of the word index: the term as a case-insensitive
  // substring of the text or story title, exactly as topic feeds match it (domain/words.ts).
  db.function('stoa_contains', { deterministic: true }, (text: unknown, title: unknown, term: unknown) =>
    containsTerm(typeof text === 'string' ? text : null, typeof title === 'string' ? title : null, String(term)) ? 1 : 0,
  );
  if (readonly) return db;
  db.pragma('journal_mode = WAL');
  // FULL: a transaction acknowledged to a client survives a power cut, not just a crash.
  // NORMAL (a bulk load's relaxedCommits): a commit survives a crash of the process; a
  // power cut may roll back the last ones, never corrupt — the load syncs at its end.
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  return db;
}

export const SQLITE_FILE_NAME = 'stoa.db';

export interface SqliteStoreOptions {
  /** WAL checkpoints in a worker thread (checkpointer.ts): a serving node and the CLI's bulk loads; other CLI commands checkpoint inline. */
  backgroundCheckpoints?: { onError: (err: unknown) => void; intervalMs?: number };
  /**
   * A bulk load that a second run brings to the same result (`data import`, `migrate
   * legacy`): its commits do not wait for the disk (an fsync per commit was a tenth of a
   * migration's time), and Store.sync makes them durable at its end.
   */
  relaxedCommits?: boolean;
}

/** Opens (creating if needed) and migrates the embedded database in a data dir. */
export async function openSqliteStore(file: string, watch: StatementWatch = {}, options: SqliteStoreOptions = {}): Promise<KyselyStore> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Migrations write outside transactions (the migrator's own tables): refusals start after.
  const active: StatementWatch = { ...watch, refuseWritesOutsideTransactions: false };
  const readLog = new SqliteReadLog(readLogFile(file));
  const checkpoints = options.backgroundCheckpoints === undefined ? undefined : { file, others: [readLog.db], ...options.backgroundCheckpoints };
  const dialect = new StoaSqliteDialect(file, active, checkpoints, options.relaxedCommits === true ? 'NORMAL' : 'FULL');
  const db = new Kysely<Database>({ dialect, plugins: [new CamelCasePlugin()] });
  try {
    await migrateToLatest(db, 'sqlite');
  } catch (err) {
    await db.destroy();
    readLog.close();
    throw err;
  }
  active.refuseWritesOutsideTransactions = watch.refuseWritesOutsideTransactions ?? false;
  const driver = dialect.driver;
  if (driver === undefined) throw new Error('the SQLite driver was not created by the migrations');
  return new KyselyStore(
    db,
    'sqlite',
    false,
    {
      append: (events) => readLog.append(events, active.onStatement),
      close: () => {
        readLog.close();
        return Promise.resolve();
      },
    },
    (sql, rows) => driver.runMany(sql, rows, active.onStatement),
    readLog,
    options.relaxedCommits === true ? () => syncLog(file) : undefined,
  );
}

/**
 * Relaxed commits made durable: they are in the write-ahead log (those already copied
 * into the database file were synced by that checkpoint), so the log is synced, and its
 * directory (SQLite syncs the directory of a new log only at the log's first sync).
 */
async function syncLog(file: string): Promise<void> {
  try {
    await syncPath(`${file}-wal`);
  } catch (err) {
    // No log: the last connection to close checkpointed it into the database and synced that.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await syncPath(path.dirname(file));
}

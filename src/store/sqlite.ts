import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, CompiledQuery, Kysely, SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type DialectAdapter } from 'kysely';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely/store.js';
import { migrateToLatest } from './migrate.js';

/**
 * Write transactions take SQLite's write lock at BEGIN, so a transaction that reads and
 * then writes never fails half-way because another process (the CLI, a second server on
 * the same data dir) wrote in between; it waits up to busy_timeout instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

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
  constructor(private readonly file: string) {
    super({ database: () => Promise.resolve(openDatabase(file)) });
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver({ database: () => Promise.resolve(openDatabase(this.file)) });
  }
}

function openDatabase(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  // FULL: a transaction acknowledged to a client survives a power cut, not just a crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  return db;
}

export const SQLITE_FILE_NAME = 'stoa.db';

/** Opens (creating if needed) and migrates the embedded database in a data dir. */
export async function openSqliteStore(file: string): Promise<KyselyStore> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Kysely<Database>({ dialect: new StoaSqliteDialect(file), plugins: [new CamelCasePlugin()] });
  try {
    await migrateToLatest(db, 'sqlite');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new KyselyStore(db, 'sqlite');
}

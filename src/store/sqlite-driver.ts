/**
 * The embedded database's driver. better-sqlite3 is synchronous, so what matters is what
 * waits for what:
 *
 * - a **writer** connection, held by one transaction at a time (BEGIN IMMEDIATE takes
 *   SQLite's write lock at once, so a transaction that reads then writes never fails half
 *   way because another process wrote in between). While another process holds the lock
 *   (`stoa data import` on the data dir), BEGIN waits for it **asynchronously**, trying
 *   again every few milliseconds: SQLite's own busy wait would sleep the event loop in
 *   growing steps, stalling every request of the node, not only this transaction;
 * - a **reader** connection for the statements outside a transaction that only read while
 *   a write transaction is in progress (one that awaits something between its
 *   statements): in WAL mode it sees the last commit and never waits behind it. While no
 *   transaction is open, reads run on the writer, whose page cache outlives commits;
 * - each connection keeps its **prepared statements** by SQL text (bounded, least
 *   recently used out), so a query runs without being compiled again;
 * - on a serving node and in the CLI's bulk loads, **WAL checkpoints** (and their fsyncs)
 *   run in a worker thread (checkpointer.ts), not in the connection that happened to commit.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { isReadStatement } from './statement-guard.js';
import { BACKSTOP_PAGES, INLINE_PAGES, WalCheckpointer } from './checkpointer.js';
import { classifyDbError } from './db-errors.js';

/** WAL checkpoints by a worker thread (checkpointer.ts): the database file, how often, where errors go. */
export interface BackgroundCheckpoints {
  file: string;
  /** Other connections whose files the worker checkpoints too (the log of read records, read-log.ts). */
  others?: readonly BetterSqlite3.Database[];
  intervalMs?: number;
  onError: (err: unknown) => void;
}

const STATEMENT_CACHE_SIZE = 300;
const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
/** How long a statement or transaction waits for the write lock another process holds (also every connection's busy_timeout, sqlite.ts). */
export const WRITE_LOCK_WAIT_MS = 10_000;
const NO_BUSY_WAIT = CompiledQuery.raw('pragma busy_timeout = 0');
const BUSY_WAIT = CompiledQuery.raw(`pragma busy_timeout = ${WRITE_LOCK_WAIT_MS}`);

/**
 * BEGIN IMMEDIATE on the writer, waiting for another process's write lock between tries
 * (1, 2, 4, then every 5 ms) instead of in SQLite's busy handler, which blocks the thread.
 */
export async function beginImmediate(writer: CachedConnection): Promise<void> {
  const deadline = performance.now() + WRITE_LOCK_WAIT_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 5)) {
    writer.execute(NO_BUSY_WAIT);
    try {
      writer.execute(BEGIN_IMMEDIATE);
      return;
    } catch (err) {
      if (classifyDbError(err) !== 'busy' || performance.now() >= deadline) throw err;
    } finally {
      writer.execute(BUSY_WAIT);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

export class CachedConnection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly db: BetterSqlite3.Database) {}

  private prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (stmt !== undefined) {
      // Most recently used last: the Map's order is the eviction order.
      this.statements.delete(sql);
      this.statements.set(sql, stmt);
      return stmt;
    }
    stmt = this.db.prepare(sql);
    this.statements.set(sql, stmt);
    if (this.statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.statements.keys().next().value as string;
      this.statements.delete(oldest);
    }
    return stmt;
  }

  execute<R>(query: CompiledQuery): QueryResult<R> {
    const stmt = this.prepare(query.sql);
    const params = query.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(params) as R[] };
    const { changes, lastInsertRowid } = stmt.run(params);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  /** One write statement run for each set of parameters. */
  runEach(sql: string, rows: readonly (readonly unknown[])[], onStatement?: (sql: string) => void): void {
    const stmt = this.prepare(sql);
    for (const row of rows) {
      onStatement?.(sql);
      stmt.run(row);
    }
  }

  /** Rows one by one (the statement is not shared while it iterates). */
  *iterate<R>(query: CompiledQuery): IterableIterator<QueryResult<R>> {
    const stmt = this.db.prepare(query.sql);
    for (const row of stmt.iterate(query.parameters)) yield { rows: [row as R] };
  }
}

class Mutex {
  private tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const wait = this.tail;
    this.tail = wait.then(() => next);
    return wait.then(() => release);
  }
}

/**
 * One handle per acquire. Outside a transaction, reads go to the reader and anything else
 * takes the writer for that one statement; from BEGIN to COMMIT/ROLLBACK every statement
 * runs on the writer, which the handle holds.
 */
class RoutingConnection implements DatabaseConnection {
  release: (() => void) | undefined;

  constructor(private readonly driver: StoaSqliteDriver) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.release !== undefined) return this.driver.writer.execute<R>(query);
    if (isReadStatement(query)) {
      // No transaction open on the writer (statements run synchronously, so none can start
      // before this one ends): read there, where the page cache survives commits. A commit
      // by another connection makes SQLite drop a reader's whole page cache, so on a busy
      // node — group commits of read records several times per search — the reader would
      // fetch every page again for every statement (measured: searches twice as slow).
      const writer = this.driver.writer;
      return (writer.db.inTransaction ? this.driver.reader : writer).execute<R>(query);
    }
    const release = await this.driver.writeLock.lock();
    try {
      return this.driver.writer.execute<R>(query);
    } finally {
      release();
    }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (this.release !== undefined) {
      yield* this.driver.writer.iterate<R>(query);
      return;
    }
    // A stream holds its connection for as long as it is read: a connection of its own.
    const own = new CachedConnection(this.driver.open(true));
    try {
      yield* own.iterate<R>(query);
    } finally {
      own.db.close();
    }
  }
}

export class StoaSqliteDriver implements Driver {
  writer!: CachedConnection;
  reader!: CachedConnection;
  readonly writeLock = new Mutex();
  /** Set while a worker thread checkpoints the log (`stoa serve`). */
  private checkpointer: WalCheckpointer | undefined;

  constructor(
    readonly open: (readonly: boolean) => BetterSqlite3.Database,
    private readonly checkpoints?: BackgroundCheckpoints,
  ) {}

  init(): Promise<void> {
    this.writer = new CachedConnection(this.open(false));
    this.reader = new CachedConnection(this.open(true));
    if (this.checkpoints !== undefined) {
      const writers = [this.writer.db, ...(this.checkpoints.others ?? [])];
      for (const w of writers) w.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
      this.checkpointer = new WalCheckpointer([this.checkpoints.file, ...writers.slice(1).map((w) => w.name)], {
        intervalMs: this.checkpoints.intervalMs ?? 250,
        inline: () => {
          for (const w of writers) if (w.open) w.pragma(`wal_autocheckpoint = ${INLINE_PAGES}`);
        },
        onError: this.checkpoints.onError,
      });
    }
    return Promise.resolve();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(new RoutingConnection(this));
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as RoutingConnection;
    c.release = await this.writeLock.lock();
    try {
      await beginImmediate(this.writer);
    } catch (err) {
      this.unlock(c);
      throw err;
    }
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.end(connection as RoutingConnection, 'commit');
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.end(connection as RoutingConnection, 'rollback');
  }

  private end(c: RoutingConnection, how: 'commit' | 'rollback'): Promise<void> {
    if (how === 'rollback' && !this.writer.db.inTransaction) {
      this.unlock(c);
      return Promise.resolve();
    }
    try {
      this.writer.execute(CompiledQuery.raw(how));
    } catch (err) {
      // A COMMIT that failed (SQLITE_BUSY, a full disk) leaves the transaction open and
      // the writer held: Kysely rolls it back next.
      if (!this.writer.db.inTransaction) this.unlock(c);
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.unlock(c);
    return Promise.resolve();
  }

  private unlock(c: RoutingConnection): void {
    const release = c.release;
    c.release = undefined;
    release?.();
  }

  /**
   * One statement run once for each row, in the transaction open on the writer (the
   * caller's: its handle holds the writer). For bulk inserts: a prepared single-row insert
   * run row after row costs SQLite less than multi-row VALUES or rows taken from JSON
   * (docs/benchmarks.md "archive"), and no row pays the async round trip of a query.
   */
  runMany(sql: string, rows: readonly (readonly unknown[])[], onStatement?: (sql: string) => void): void {
    if (!this.writer.db.inTransaction) throw new Error('runMany runs inside a transaction');
    this.writer.runEach(sql, rows, onStatement);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Kysely releases after COMMIT/ROLLBACK; a handle still holding the writer (an error
    // between BEGIN and the end) rolls back so the lock is never kept.
    const c = connection as RoutingConnection;
    if (c.release !== undefined) {
      if (this.writer.db.inTransaction) this.writer.db.exec('rollback');
      this.unlock(c);
    }
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    // The worker's connection first: the writer's close then checkpoints what is left.
    await this.checkpointer?.stop();
    this.reader.db.close();
    this.writer.db.close();
  }
}

/**
 * The compliance record of reads on the embedded database (Store.recordReads): a SQLite
 * file of its own beside the database (`stoa-reads.db`), with its own write lock.
 *
 * A read is recorded before it is answered (D2). In the database itself that record waits
 * for SQLite's one write lock — and while `stoa data import` loads a million messages into
 * the data dir of a serving node, every history page waited for the import's commits
 * (30–60 ms each, docs/benchmarks.md "import-load"). Here nothing but the node's group
 * commits of reads and their move into the events table takes this file's lock.
 *
 * The compliance worker moves the records into `compliance_events` before it reads a
 * batch ahead of its claim, and every claim does too (ComplianceStore.moveReads and
 * claimBatch), each in a database transaction: the records after the mark, then the mark
 * (the log's identity and the last id moved) in the database's `meta`, so a move that
 * rolls back moves nothing and one that commits moves each record once. Records at or
 * below the mark are deleted from the log by the next move. The log's ids never go
 * back (AUTOINCREMENT), and a log created anew (deleted, restored from elsewhere) has
 * another identity, so its records are never taken for moved ones.
 *
 * Commits are written to the log's WAL and not fsynced (a killed server loses none, as
 * before in the database's own log); the node's checkpoint worker flushes it with the
 * database's (checkpointer.ts).
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import type { NewComplianceEvent } from './types.js';
import { beginImmediate, CachedConnection, WRITE_LOCK_WAIT_MS } from './sqlite-driver.js';

/** The log's file for a database file: `stoa.db` → `stoa-reads.db`, in the same folder. */
export function readLogFile(databaseFile: string): string {
  const base = path.basename(databaseFile, path.extname(databaseFile));
  return path.join(path.dirname(databaseFile), `${base}-reads.db`);
}

/** A record in the log: its id there, and its values in COLUMNS' order (the order CAPTURE_ONE inserts them into `compliance_events`, kysely/compliance.ts). */
export interface LoggedRead {
  id: number;
  values: unknown[];
}

const COLUMNS = 'type, at, actor_id, actor_uri, room_id, room_uri, message_id, content, details';
const APPEND = `insert into read_records (${COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const COMMIT = CompiledQuery.raw('commit');

export class SqliteReadLog {
  private readonly connection: CachedConnection;
  private readonly selectAfter: BetterSqlite3.Statement<[number, number]>;
  private readonly countAfter: BetterSqlite3.Statement<[number]>;
  /** The highest id this connection deleted up to (a prune with nothing new to delete is skipped). */
  private pruned = 0;
  /** This log's identity (kept in the log): a mark in the database names the log it counts in. */
  readonly identity: string;

  constructor(readonly file: string) {
    let db: BetterSqlite3.Database;
    try {
      db = new BetterSqlite3(file);
    } catch (err) {
      throw new Error(`the log of read records ${file} cannot be opened: ${(err as Error).message}`);
    }
    try {
      db.pragma(`busy_timeout = ${WRITE_LOCK_WAIT_MS}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`create table if not exists read_records (
        id integer primary key autoincrement,
        type text not null, at integer not null, actor_id integer, actor_uri text,
        room_id integer, room_uri text, message_id integer, content text not null default '', details text)`);
      db.exec('create table if not exists log_identity (id integer primary key check (id = 1), identity text not null)');
      db.prepare('insert into log_identity (id, identity) values (1, ?) on conflict (id) do nothing').run(randomUUID());
      this.identity = (db.prepare('select identity from log_identity').get() as { identity: string }).identity;
    } catch (err) {
      db.close();
      // Not a database, or another one: said with the file's name (the server does not start).
      throw new Error(`the log of read records ${file} cannot be used: ${(err as Error).message}`);
    }
    this.connection = new CachedConnection(db);
    this.selectAfter = db.prepare<[number, number]>(`select id, ${COLUMNS} from read_records where id > ? order by id limit ?`).raw();
    this.countAfter = db.prepare<[number]>('select count(*) as n, min(at) as oldest from read_records where id > ?');
  }

  get db(): BetterSqlite3.Database {
    return this.connection.db;
  }

  /** One transaction of records, waiting asynchronously for the log's lock (another process moving records out). */
  append(events: readonly NewComplianceEvent[], onStatement?: (sql: string) => void): Promise<void> {
    onStatement?.('begin');
    return this.write((c) => {
      c.runEach(
        APPEND,
        events.map((e) => [e.type, e.at, e.actorId, e.actorUri, e.roomId, e.roomUri, e.messageId, e.content, e.details]),
        onStatement,
      );
      onStatement?.('commit');
    });
  }

  /** Runs `work` in a write transaction of the log: committed, or rolled back and thrown. */
  private async write(work: (c: CachedConnection) => void): Promise<void> {
    const c = this.connection;
    await beginImmediate(c);
    try {
      work(c);
      c.execute(COMMIT);
    } catch (err) {
      if (c.db.inTransaction) c.db.exec('rollback');
      throw err;
    }
  }

  /** Records after `through`, oldest first: the next ones to move. */
  after(through: number, limit: number): LoggedRead[] {
    const rows = this.selectAfter.all(through, limit) as unknown[][];
    return rows.map(([id, ...values]) => ({ id: Number(id), values }));
  }

  /** Deletes the records at or below `through` (moved by a committed claim). */
  async prune(through: number): Promise<void> {
    if (through <= this.pruned) return;
    await this.write((c) => c.execute(CompiledQuery.raw('delete from read_records where id <= ?', [through])));
    this.pruned = through;
  }

  /** Records after `through` not moved yet: how many, and the oldest's time. */
  pending(through: number): { events: number; oldestAt: number | null } {
    const row = this.countAfter.get(through) as { n: number; oldest: number | null };
    return { events: Number(row.n), oldestAt: row.oldest === null ? null : Number(row.oldest) };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

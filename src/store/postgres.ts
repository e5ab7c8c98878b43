import { createHash } from 'node:crypto';
import pg from 'pg';
import { CamelCasePlugin, Kysely, PostgresDialect, PostgresDriver, type Driver } from 'kysely';
import { WatchedDriver, type StatementWatch } from './statement-guard.js';
import type { Database } from './schema.js';
import { KyselyStore, type ReadRecordCommits } from './kysely/store.js';
import type { NewComplianceEvent } from './types.js';
import { migrateToLatest } from './migrate.js';
import { AppError, isAppError } from '../domain/errors.js';

const INT8 = 20;
const NUMERIC = 1700;

/** bigint columns hold ids, times and sizes well inside 2^53: read them as numbers. */
const toNumber = (value: string) => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => {
    if (oid === INT8 || oid === NUMERIC) return toNumber;
    return pg.types.getTypeParser(oid, format) as unknown;
  }) as typeof pg.types.getTypeParser,
};

/** A NUL anywhere in a parameter, arrays (read records' columns) included. */
const hasNul = (v: unknown): boolean => (typeof v === 'string' ? v.includes('\0') : Array.isArray(v) && v.some(hasNul));

/**
 * PostgreSQL refuses a NUL in text with a driver error, where SQLite stores it: a value
 * a client sent is refused here with INVALID_INPUT instead (both stores treat it as bad
 * input; the edges refuse control characters before they get this far).
 */
class GuardedClient extends pg.Client {
  /** Statements this connection has prepared under a name (see `named`). */
  private readonly prepared = new Set<string>();

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // The connection lost while in use (the server killed, a network cut): the pool listens
    // only to idle connections, and pg reports it as an 'error' event besides failing the
    // query in flight. The query's caller has the error; the pool drops the connection when
    // it comes back. Without this listener, the event would reach the process.
    this.on('error', () => undefined);
  }

  override query(...args: unknown[]): never {
    const values = args[1];
    if (Array.isArray(values) && values.some(hasNul)) {
      return Promise.reject(new AppError('INVALID_INPUT', 'text must not contain NUL characters')) as never;
    }
    const text = args[0];
    if (typeof text === 'string' && Array.isArray(values) && args.length === 2) {
      const name = this.named(text);
      if (name !== undefined) return (super.query as (...a: unknown[]) => never)({ name, text, values });
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }

  /**
   * A name to prepare the statement under on this connection, so it is parsed and planned
   * once rather than on every call: reads and writes of ordinary size, at most
   * MAX_PREPARED per connection. Not pattern or text-search matches (LIKE/ILIKE, `@@`): a
   * plan made without the pattern cannot tell a rare word from a common one (the trigram
   * and word indexes, or the newest messages first), so those are planned with their
   * pattern each time.
   */
  private named(text: string): string | undefined {
    if (text.length > 8192 || !/^(select|insert|update|delete|with)\b/i.test(text) || /\bi?like\b|@@/i.test(text)) return undefined;
    const name = `stoa_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    if (this.prepared.has(name)) return name;
    if (this.prepared.size >= MAX_PREPARED) return undefined;
    this.prepared.add(name);
    return name;
  }
}

/**
 * How long opening a connection may take: a server that is gone (its machine lost, a
 * network cut) fails a request after this rather than holding it until TCP gives up.
 */
const CONNECT_TIMEOUT_MS = 10_000;

/** Named statements one connection keeps (PostgreSQL holds their plans per session). */
const MAX_PREPARED = 1000;

/**
 * The compliance record of reads on PostgreSQL (Store.recordReads): one statement per batch,
 * which is a transaction of its own, on a connection of its own whose commits do not wait
 * for their WAL flush (`synchronous_commit = off` for its session, set when it connects).
 * One round trip per batch where BEGIN, INSERT and COMMIT through the pool took three — and
 * at one reader a batch is one read. The rows go as one array per column, so the statement's
 * text (and its prepared plan) is the same whatever the batch's size.
 */
const RECORD_READS = `insert into "compliance_events" ("type", "at", "actor_id", "actor_uri", "room_id", "room_uri", "message_id", "content", "details")
select * from unnest($1::text[], $2::bigint[], $3::integer[], $4::text[], $5::integer[], $6::text[], $7::bigint[], $8::text[], $9::text[])`;

/**
 * Which PostgreSQL server a store's connections go to: the primary, or the backup once the
 * pool state is FailedOver (store/failover.ts). A switch sends every new connection to the
 * other server at once and closes the old server's (a transaction still on one fails, and
 * is rolled back with it).
 */
export class PostgresTarget {
  private readonly listeners = new Set<(url: string) => void>();

  constructor(private current: string) {}

  get url(): string {
    return this.current;
  }

  switchTo(url: string): void {
    if (url === this.current) return;
    this.current = url;
    for (const listener of this.listeners) listener(url);
  }

  onSwitch(listener: (url: string) => void): void {
    this.listeners.add(listener);
  }
}

/** The connection pool of the target's server: a new pg.Pool after each switch. */
class SwitchingPool {
  private pool: pg.Pool;
  /** Settled at the next switch: a wait for a connection of the old pool moves to the new one. */
  private switched: Promise<void>;
  private onSwitched!: () => void;

  constructor(open: (url: string) => pg.Pool, target: PostgresTarget) {
    this.pool = open(target.url);
    this.switched = this.nextSwitch();
    target.onSwitch((url) => {
      const old = this.pool;
      this.pool = open(url);
      const wake = this.onSwitched;
      this.switched = this.nextSwitch();
      wake();
      // Its connections close as they are released; one on a dead server errors out first.
      old.end().catch(() => undefined);
    });
  }

  private nextSwitch(): Promise<void> {
    return new Promise((resolve) => (this.onSwitched = resolve));
  }

  /**
   * A connection of the current server. One still waiting when the store switches (the old
   * pool was full of attempts at a dead server; an ended pool would leave it waiting until
   * its timeout) asks the new pool instead; the old pool's connection, if it comes after
   * all, goes straight back.
   */
  connect(): Promise<pg.PoolClient> {
    const pool = this.pool;
    const switched = this.switched;
    return new Promise((resolve, reject) => {
      let settled = false;
      pool.connect().then(
        (client) => {
          if (settled) return client.release();
          settled = true;
          resolve(client);
        },
        (err: Error) => {
          if (settled) return;
          settled = true;
          reject(err);
        },
      );
      void switched.then(() => {
        if (settled) return;
        settled = true;
        this.connect().then(resolve, reject);
      });
    });
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class ReadRecordConnection implements ReadRecordCommits {
  private client: Promise<GuardedClient> | undefined;
  private closed = false;

  constructor(
    private readonly target: PostgresTarget,
    private readonly watch: StatementWatch,
  ) {
    // The next batch connects to the server the store now uses.
    target.onSwitch(() => {
      const client = this.client;
      this.client = undefined;
      void client?.then(
        (c) => c.end(),
        () => undefined,
      );
    });
  }

  async append(events: readonly NewComplianceEvent[]): Promise<void> {
    const ready = this.connect();
    const client = await ready;
    this.watch.onStatement?.(RECORD_READS);
    try {
      // (GuardedClient's query is typed `never` for its overloads: it returns pg's promise.)
      const done: Promise<unknown> = client.query(RECORD_READS, [
        events.map((e) => e.type),
        events.map((e) => e.at),
        events.map((e) => e.actorId),
        events.map((e) => e.actorUri),
        events.map((e) => e.roomId),
        events.map((e) => e.roomUri),
        events.map((e) => e.messageId),
        events.map((e) => e.content),
        events.map((e) => e.details),
      ]);
      await done;
    } catch (err) {
      // The server refused the statement (a constraint, bad input): the connection is fine.
      // Anything else — a reset, a FATAL such as "terminating connection due to
      // administrator command", a protocol error — leaves it unusable: the next batch opens
      // a new one, whether or not the client has noticed yet.
      const refused = isAppError(err) || (err instanceof pg.DatabaseError && err.severity !== 'FATAL' && err.severity !== 'PANIC');
      if (!refused) {
        this.forget(ready);
        client.end().catch(() => undefined);
      }
      throw err;
    }
  }

  /** The connection, opened on first use and again after it failed (a restart, a network cut). */
  private connect(): Promise<GuardedClient> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (this.client !== undefined) return this.client;
    const client = new GuardedClient({ connectionString: this.target.url, types, options: '-c synchronous_commit=off' });
    const ready = client.connect().then(() => client);
    this.client = ready;
    // A failure is the batch's (its reads are refused); the next batch connects afresh. It never reaches the process.
    client.on('error', (err) => {
      this.forget(ready);
      process.emitWarning(`PostgreSQL: the connection of read records failed (${err.message}); the next batch opens a new one`);
    });
    client.on('end', () => this.forget(ready));
    ready.catch(() => this.forget(ready));
    return ready;
  }

  /** The next batch opens a new connection (unless this one was already replaced). */
  private forget(ready: Promise<GuardedClient>): void {
    if (this.client === ready) this.client = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.then(
      (c) => c.end(),
      () => undefined,
    );
  }
}

class WatchedPostgresDialect extends PostgresDialect {
  constructor(
    private readonly config: ConstructorParameters<typeof PostgresDialect>[0],
    private readonly watch: StatementWatch,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new WatchedDriver(new PostgresDriver(this.config), this.watch);
  }
}

/**
 * A store on PostgreSQL: on one server (a URL), or on whichever of the pool's primary and
 * backup the target names (a node or command with a backup database, store/failover.ts).
 */
export async function openPostgresStore(server: string | PostgresTarget, poolSize = 10, watch: StatementWatch = {}): Promise<KyselyStore> {
  const target = typeof server === 'string' ? new PostgresTarget(server) : server;
  const pool = new SwitchingPool((connectionString) => {
    const opened = new pg.Pool({ connectionString, max: poolSize, types, Client: GuardedClient, keepAlive: true, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // A pooled connection that fails while idle (the server restarted, a network cut) is
    // dropped by the pool; the next query opens a fresh one. The error never reaches the process.
    opened.on('error', (err) => process.emitWarning(`PostgreSQL: an idle connection failed (${err.message}); it is replaced on next use`));
    return opened;
  }, target);
  // Migrations write outside transactions (the migrator's own tables): refusals start after.
  const active: StatementWatch = { ...watch, refuseWritesOutsideTransactions: false };
  const db = new Kysely<Database>({ dialect: new WatchedPostgresDialect({ pool }, active), plugins: [new CamelCasePlugin()] });
  try {
    await migrateToLatest(db, 'postgres');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  active.refuseWritesOutsideTransactions = watch.refuseWritesOutsideTransactions ?? false;
  return new KyselyStore(db, 'postgres', false, new ReadRecordConnection(target, active));
}

import { createHash } from 'node:crypto';
import pg from 'pg';
import { CamelCasePlugin, CompiledQuery, Kysely, PostgresDialect, PostgresDriver, type DatabaseConnection, type Driver, type TransactionSettings } from 'kysely';
import { PROCESS_CRASH_DURABILITY } from './durability.js';
import { WatchedDriver, type StatementWatch } from './statement-guard.js';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely/store.js';
import { migrateToLatest } from './migrate.js';
import { AppError } from '../domain/errors.js';

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

/**
 * PostgreSQL refuses a NUL in text with a driver error, where SQLite stores it: a value
 * a client sent is refused here with INVALID_INPUT instead (both stores treat it as bad
 * input; the edges refuse control characters before they get this far).
 */
class GuardedClient extends pg.Client {
  /** Statements this connection has prepared under a name (see `named`). */
  private readonly prepared = new Set<string>();

  override query(...args: unknown[]): never {
    const values = args[1];
    if (Array.isArray(values) && values.some((v) => typeof v === 'string' && v.includes('\0'))) {
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

/** Named statements one connection keeps (PostgreSQL holds their plans per session). */
const MAX_PREPARED = 1000;

/**
 * A transaction that asked for `process-crash` durability does not wait for its WAL flush
 * (`synchronous_commit = off` for it alone), set in the same round trip as its BEGIN: the
 * group commit of read records is one such transaction per batch, and at one reader a
 * batch is one read.
 */
const RELAXED_BEGIN = CompiledQuery.raw('begin; set local synchronous_commit = off');

class StoaPostgresDriver extends PostgresDriver {
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (PROCESS_CRASH_DURABILITY.getStore() !== true || settings.isolationLevel !== undefined || settings.accessMode !== undefined) return super.beginTransaction(connection, settings);
    // No parameters: sent as one simple query, which may hold two statements.
    await connection.executeQuery(RELAXED_BEGIN);
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
    return new WatchedDriver(new StoaPostgresDriver(this.config), this.watch);
  }
}

export async function openPostgresStore(connectionString: string, poolSize = 10, watch: StatementWatch = {}): Promise<KyselyStore> {
  const pool = new pg.Pool({ connectionString, max: poolSize, types, Client: GuardedClient });
  // A pooled connection that fails while idle (the server restarted, a network cut) is
  // dropped by the pool; the next query opens a fresh one. The error never reaches the process.
  pool.on('error', (err) => process.emitWarning(`PostgreSQL: an idle connection failed (${err.message}); it is replaced on next use`));
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
  return new KyselyStore(db, 'postgres');
}

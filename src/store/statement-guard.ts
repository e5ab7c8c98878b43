/**
 * Wraps a database driver to see every statement the store sends: counted (the tests of
 * the hot paths assert how many statements a request costs), and — for the server — a
 * write outside a transaction refused, because every write goes through an action's
 * transaction (`runWrite`): that is where it is authorized, recorded for compliance and
 * published to the other connections and nodes.
 */
import type {
  CompiledQuery} from 'kysely';
import {
  SelectQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

export interface StatementWatch {
  /** Called with every statement's SQL text, BEGIN and COMMIT included. */
  onStatement?: (sql: string) => void;
  /** Refuse INSERT/UPDATE/DELETE/DDL outside a transaction (the server and its tests). */
  refuseWritesOutsideTransactions?: boolean;
}

const READ_SQL = /^\s*(?:\(\s*)?(?:select|values|explain|show)\b/i;
const WRITE_WORD = /\b(?:insert|update|delete|replace|create|drop|alter)\b/i;

/** A statement that only reads: a SELECT, or a WITH ... SELECT that writes nothing. */
export function isReadStatement(query: CompiledQuery): boolean {
  if (SelectQueryNode.is(query.query)) return true;
  if (READ_SQL.test(query.sql)) return true;
  return /^\s*with\b/i.test(query.sql) && !WRITE_WORD.test(query.sql);
}

export class WriteOutsideTransactionError extends Error {
  constructor(sql: string) {
    super(`a store write outside a transaction (every write goes through runWrite): ${sql.slice(0, 120)}`);
    this.name = 'WriteOutsideTransactionError';
  }
}

class WatchedConnection implements DatabaseConnection {
  inTransaction = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly watch: StatementWatch,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.check(query);
    return this.inner.executeQuery<R>(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.check(query);
    return this.inner.streamQuery<R>(query, chunkSize);
  }

  private check(query: CompiledQuery): void {
    this.watch.onStatement?.(query.sql);
    if (this.watch.refuseWritesOutsideTransactions === true && !this.inTransaction && !isReadStatement(query)) {
      throw new WriteOutsideTransactionError(query.sql);
    }
  }
}

/** The driver, with its connections watched. Transaction control passes through unchanged. */
export class WatchedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly watch: StatementWatch,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new WatchedConnection(await this.inner.acquireConnection(), this.watch);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as WatchedConnection;
    this.watch.onStatement?.('begin');
    await this.inner.beginTransaction(c.inner, settings);
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as WatchedConnection;
    this.watch.onStatement?.('commit');
    c.inTransaction = false;
    await this.inner.commitTransaction(c.inner);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as WatchedConnection;
    this.watch.onStatement?.('rollback');
    c.inTransaction = false;
    await this.inner.rollbackTransaction(c.inner);
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.savepoint?.((connection as WatchedConnection).inner, name, compile);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.rollbackToSavepoint?.((connection as WatchedConnection).inner, name, compile);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.releaseSavepoint?.((connection as WatchedConnection).inner, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((connection as WatchedConnection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

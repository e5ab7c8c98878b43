import { AppError, isAppError } from '../domain/errors.js';

export type DbErrorKind = 'unique' | 'foreign_key' | 'busy' | 'serialization';

/** Recognises constraint and concurrency failures of SQLite and PostgreSQL. */
export function classifyDbError(err: unknown): DbErrorKind | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique';
  // SQLite reports ON DELETE RESTRICT as a trigger constraint; Stoa defines no triggers of its own.
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === 'SQLITE_CONSTRAINT_TRIGGER') return 'foreign_key';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY')) return 'busy';
  if (code === '40001' || code === '40P01') return 'serialization';
  return undefined;
}

/**
 * A constraint the actions checked first can still fire when two writers race; the loser
 * gets a clear, retryable conflict instead of a driver error. Other errors pass unchanged.
 */
export function translateDbError(err: unknown): unknown {
  if (isAppError(err)) return err;
  const kind = classifyDbError(err);
  if (kind === 'unique' || kind === 'foreign_key' || kind === 'serialization') {
    return new AppError('CONFLICT', 'a concurrent change got there first; look again and retry', { cause: kind });
  }
  if (kind === 'busy') {
    return new AppError('CONFLICT', 'the database is busy with another writer; retry', { cause: kind });
  }
  return err;
}

/** Network errors of a connection to the database server. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * PostgreSQL's: a connection exception (class 08), the server shutting down or not yet
 * accepting connections (57P01–57P03), a write sent to a standby (25006: read-only).
 */
const SERVER_CODES = /^(08...|57P0[123]|25006)$/;

/**
 * The database did not answer or cannot take writes now (it died, restarts, or the pool
 * is failing over to its backup): a retryable DATABASE_UNAVAILABLE for the caller, where
 * any other driver error is an INTERNAL one. Undefined for anything else.
 */
export function databaseUnavailable(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null || isAppError(err)) return undefined;
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  const message = err instanceof Error ? err.message : '';
  if (CONNECTION_CODES.has(code) || SERVER_CODES.test(code) || /^Connection terminated|^timeout exceeded when trying to connect|connection error and is not queryable|Client was closed and is not queryable/.test(message)) {
    return new AppError('DATABASE_UNAVAILABLE', 'the database does not answer just now: retry in a moment');
  }
  return undefined;
}

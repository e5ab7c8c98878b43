import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Set while a transaction that asked for `durability: 'process-crash'` begins: the SQLite
 * driver then commits it with synchronous=NORMAL (the WAL is written, not fsynced) and
 * returns the writer to FULL after it ends; the PostgreSQL driver begins it with
 * `synchronous_commit = off`. See TransactionOptions in types.ts.
 */
export const PROCESS_CRASH_DURABILITY = new AsyncLocalStorage<boolean>();

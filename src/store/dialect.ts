/** The databases the one store runs on. Differences are expressed as capabilities here. */
export type Dialect = 'sqlite' | 'postgres';

export interface DialectCapabilities {
  /** SELECT ... FOR UPDATE row locks (SQLite locks the whole database per write transaction). */
  rowLocks: boolean;
}

export function capabilities(dialect: Dialect): DialectCapabilities {
  return { rowLocks: dialect === 'postgres' };
}

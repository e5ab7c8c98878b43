/** The databases the one store runs on. Differences are expressed as capabilities here. */
export type Dialect = 'sqlite' | 'postgres';

export interface DialectCapabilities {
  /** SELECT ... FOR UPDATE row locks (SQLite locks the whole database per write transaction). */
  rowLocks: boolean;
  /** Maximum bound parameters in one statement; batches stay below it. */
  maxParameters: number;
}

export function capabilities(dialect: Dialect): DialectCapabilities {
  return dialect === 'sqlite'
    ? { rowLocks: false, maxParameters: 32000 }
    : { rowLocks: true, maxParameters: 60000 };
}

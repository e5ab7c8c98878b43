/** The databases the one store runs on. Differences are expressed as capabilities here. */
export type Dialect = 'sqlite' | 'postgres';

export interface DialectCapabilities {
  /** SELECT ... FOR UPDATE row locks (SQLite locks the whole database per write transaction). */
  rowLocks: boolean;
  /**
   * How message text is searched: SQLite's FTS5 trigram index (terms of three characters
   * or more; shorter ones fall back to LIKE), or ILIKE over PostgreSQL's pg_trgm indexes.
   */
  textSearch: 'fts5-trigram' | 'pg-trigram';
}

export function capabilities(dialect: Dialect): DialectCapabilities {
  return { rowLocks: dialect === 'postgres', textSearch: dialect === 'postgres' ? 'pg-trigram' : 'fts5-trigram' };
}

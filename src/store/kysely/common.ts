import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database, Flag } from '../schema.js';
import type { Dialect, DialectCapabilities } from '../dialect.js';
import type { SqliteReadLog } from '../read-log.js';

/** The connection or transaction a repository runs its queries on. */
export interface Executor {
  db: Kysely<Database>;
  dialect: Dialect;
  can: DialectCapabilities;
  /** SQLite, in a transaction: one statement run for each row (StoaSqliteDriver.runMany). */
  runMany?: RunMany;
  /** SQLite: the compliance record of reads, kept in a file of its own until a claim moves it (read-log.ts). */
  readLog?: SqliteReadLog;
}

export type RunMany = (sql: string, rows: readonly (readonly unknown[])[]) => void;

export const toFlag = (value: boolean): Flag => (value ? 1 : 0);
export const fromFlag = (value: number): boolean => value === 1;

/** Splits long IN lists so no statement exceeds the dialect's parameter limit. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `column IN ids` as one parameter, so the SQL text (and its prepared statement) is the
 * same however long the list: json_each on SQLite, = ANY on PostgreSQL.
 */
export function idIn(dialect: Dialect, column: string, ids: readonly number[]): RawBuilder<boolean> {
  return dialect === 'sqlite'
    ? sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(ids)}))`
    : sql<boolean>`${sql.ref(column)} = any(${[...ids]}::bigint[])`;
}

/** `column IN keys` for text keys, as idIn: one parameter, the same SQL text for any length. */
export function keysIn(dialect: Dialect, column: string, keys: readonly string[]): RawBuilder<boolean> {
  return dialect === 'sqlite'
    ? sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(keys)}))`
    : sql<boolean>`${sql.ref(column)} = any(${[...keys]}::text[])`;
}

/** A list as one part to run (none when empty): for lookups that take the whole list in one statement (idIn, keysIn). */
export function whole<T>(items: readonly T[]): T[][] {
  return items.length === 0 ? [] : [[...items]];
}

/** Escapes a value for use inside LIKE with ESCAPE '\'. */
export function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** A LIKE pattern (already escaped with likeEscape) with its ESCAPE clause. */
export function likePattern(pattern: string): RawBuilder<string> {
  return sql<string>`${pattern} ESCAPE '\\'`;
}

/** LIKE '%text%' for any substring of the text, case as given. */
export function containing(text: string): RawBuilder<string> {
  return likePattern(`%${likeEscape(text)}%`);
}

export function must<T>(row: T | undefined, what: string): T {
  if (row === undefined) throw new Error(`${what} vanished during the transaction`);
  return row;
}

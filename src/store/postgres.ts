import pg from 'pg';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';
import { KyselyStore } from './kysely/store.js';
import { migrateToLatest } from './migrate.js';

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

export async function openPostgresStore(connectionString: string, poolSize = 10): Promise<KyselyStore> {
  const pool = new pg.Pool({ connectionString, max: poolSize, types });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
  try {
    await migrateToLatest(db, 'postgres');
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new KyselyStore(db, 'postgres');
}

import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

/**
 * Legacy sign-in secrets (docs/legacy-clients.md): the NT hash NTLMv2 needs, kept apart from
 * the principal row so that nothing that reads or exports principals carries it by accident.
 * Only users for whom an administrator ran `stoa user passwd --legacy` have one.
 */
export async function up(db: Db, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('legacy_secrets')
    .addColumn('principal_id', 'integer', (c) => c.primaryKey().references('principals.id').onDelete('cascade'))
    .addColumn('nt_hash', 'text', (c) => c.notNull())
    .addColumn('set_at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .execute();
}

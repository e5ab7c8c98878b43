import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

/**
 * Principals a directory sync manages (docs/directory.md): each linked to its directory
 * object by the object's stable identity (Active Directory's objectGUID, entryUUID in
 * OpenLDAP), so a rename or a move between OUs keeps the principal. Kept apart from the
 * principal row, as legacy secrets are: local principals have no row here.
 */
export async function up(db: Db, dialect: Dialect): Promise<void> {
  const time = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('directory_links')
    .addColumn('principal_id', 'integer', (c) => c.primaryKey().references('principals.id').onDelete('cascade'))
    .addColumn('directory_id', 'text', (c) => c.notNull().unique())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('synced_at', time, (c) => c.notNull())
    .execute();
}

import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

/**
 * The nodes of a deployment (the legacy tblServerIdentity): each running `stoa serve`
 * beats in `server_instances`; a node now says which node it is (its name, unique among
 * running nodes), the version it runs, where it listens and how many clients it holds,
 * so `stoa pool node get` can list them.
 */
export async function up(db: Db, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('server_instances').addColumn('name', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('server_instances').addColumn('version', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('server_instances').addColumn('address', 'text').execute();
  await db.schema.alterTable('server_instances').addColumn('connections', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

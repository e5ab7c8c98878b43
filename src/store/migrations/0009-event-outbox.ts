import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

/**
 * The transactional outbox of a pool (docs/pool.md): the events of a write, in the same
 * transaction as the write, so a node that dies between commit and publish loses none.
 * `published_by_origin`: the writing process publishes them itself (a node on Redis) and
 * deletes the row; others relay it only when it is left over. Rows of processes that do
 * not publish (a CLI command, a node without Redis) are relayed by the serving nodes.
 */
export async function up(db: Db, dialect: Dialect): Promise<void> {
  let table = db.schema.createTable('event_outbox');
  table = dialect === 'postgres' ? table.addColumn('id', 'bigserial', (c) => c.primaryKey()) : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  await table
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('published_by_origin', 'integer', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('created_at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .execute();
}

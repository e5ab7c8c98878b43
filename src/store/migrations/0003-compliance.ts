import type { CreateTableBuilder, Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

function withId(table: CreateTableBuilder<string, never>, dialect: Dialect) {
  if (dialect === 'postgres') return table.addColumn('id', 'bigserial', (c) => c.primaryKey());
  return table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

/**
 * Compliance (D2): the events captured in the transaction of each activity, the batches
 * the lease holder hands to the adapter, the pool-wide lease, who is in which room per
 * server instance (so a crashed server's participants still get their PART), and the
 * instances' heartbeats. Rooms and users are snapshotted by id and URI, never referenced:
 * the record outlives what it describes.
 */
export async function up(db: Db, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await withId(db.schema.createTable('compliance_events'), dialect)
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('actor_id', 'integer')
    .addColumn('actor_uri', 'text')
    .addColumn('room_id', 'integer')
    .addColumn('room_uri', 'text')
    .addColumn('message_id', big)
    .addColumn('content', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('details', 'text')
    .addColumn('batch_id', big)
    .execute();
  await db.schema.createIndex('compliance_events_batch').on('compliance_events').columns(['batch_id', 'id']).execute();

  await withId(db.schema.createTable('compliance_batches'), dialect)
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('claimed_at', big, (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('first_event_id', big, (c) => c.notNull())
    .addColumn('last_event_id', big, (c) => c.notNull())
    .addColumn('written_at', big)
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('files', 'text')
    .execute();
  await db.schema.createIndex('compliance_batches_written').on('compliance_batches').columns(['written_at', 'id']).execute();

  await db.schema.createTable('compliance_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('holder', 'text')
    .addColumn('lease_until', big, (c) => c.notNull().defaultTo(0))
    .addColumn('last_run_at', big)
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', big)
    .execute();
  await db.insertInto('compliance_state').values({ id: 1, lease_until: 0 }).execute();

  await db.schema.createTable('compliance_participants')
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('connection', 'integer', (c) => c.notNull())
    .addColumn('room_id', 'integer', (c) => c.notNull())
    .addColumn('room_uri', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'integer', (c) => c.notNull())
    .addColumn('principal_uri', 'text', (c) => c.notNull())
    .addColumn('joined_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('compliance_participants_pk', ['instance', 'connection', 'room_id'])
    .execute();

  await db.schema.createTable('server_instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_at', big, (c) => c.notNull())
    .addColumn('heartbeat_at', big, (c) => c.notNull())
    .execute();
}

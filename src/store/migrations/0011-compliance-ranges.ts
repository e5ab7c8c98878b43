import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

/**
 * A compliance batch becomes an id range: every event still captured at or below its last
 * id (ComplianceStore.claimBatch). The claim no longer marks its events one by one, so the
 * `batch_id` column and its index go — and with them an index entry written by every
 * capture and removed by every completion. A batch claimed before this migration and not
 * yet written is the events at or below its last id: the ones it marked, and any a
 * PostgreSQL transaction committed below them after the claim (which the old scheme left
 * to the next batch).
 */
export async function up(db: Db, _dialect: Dialect): Promise<void> {
  await db.schema.dropIndex('compliance_events_batch').execute();
  await db.schema.alterTable('compliance_events').dropColumn('batch_id').execute();
}

import type { CompiledQuery, Kysely, Selectable } from 'kysely';
import type { ComplianceBatchesTable, ComplianceEventsTable, Database, ComplianceParticipantsTable, ServerInstancesTable } from '../schema.js';
import type { ComplianceBatchRecord, ComplianceEventRecord, ComplianceStore, NewComplianceEvent, ParticipantRecord, ServerInstanceRecord } from '../types.js';
import { type Executor, idIn, whole } from './common.js';

const num = (v: number | null): number | null => (v === null ? null : Number(v));

const eventRecord = (r: Selectable<ComplianceEventsTable>): ComplianceEventRecord => ({
  ...r,
  id: Number(r.id),
  at: Number(r.at),
  messageId: num(r.messageId),
  batchId: num(r.batchId),
});

const batchRecord = (r: Selectable<ComplianceBatchesTable>): ComplianceBatchRecord => ({
  ...r,
  id: Number(r.id),
  claimedAt: Number(r.claimedAt),
  eventCount: Number(r.eventCount),
  firstEventId: Number(r.firstEventId),
  lastEventId: Number(r.lastEventId),
  writtenAt: num(r.writtenAt),
  files: r.files === null ? [] : (JSON.parse(r.files) as string[]),
});

const participantRecord = (r: Selectable<ComplianceParticipantsTable>): ParticipantRecord => ({
  ...r,
  connection: Number(r.connection),
  joinedAt: Number(r.joinedAt),
});

const instanceRecord = (r: Selectable<ServerInstancesTable>): ServerInstanceRecord => ({
  ...r,
  pid: Number(r.pid),
  connections: Number(r.connections),
  startedAt: Number(r.startedAt),
  heartbeatAt: Number(r.heartbeatAt),
});

/** Rows per INSERT: 10 columns each keeps a statement under every dialect's parameter limit. */
const CAPTURE_CHUNK = 500;

/** The INSERTs that append compliance events (in chunks of CAPTURE_CHUNK rows). */
export function captureQueries(db: Kysely<Database>, events: readonly NewComplianceEvent[]): CompiledQuery[] {
  const queries: CompiledQuery[] = [];
  for (let i = 0; i < events.length; i += CAPTURE_CHUNK) queries.push(db.insertInto('complianceEvents').values(events.slice(i, i + CAPTURE_CHUNK)).compile());
  return queries;
}

export function complianceStore({ db, dialect }: Executor): ComplianceStore {
  return {
    async capture(events) {
      for (const query of captureQueries(db, events)) await db.executeQuery(query);
    },

    async pending() {
      const row = await db
        .selectFrom('complianceEvents')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('at').as('oldest')])
        .executeTakeFirstOrThrow();
      return { events: Number(row.n), oldestAt: row.oldest === null ? null : Number(row.oldest) };
    },

    async unfinishedBatch() {
      const row = await db.selectFrom('complianceBatches').selectAll().where('writtenAt', 'is', null).orderBy('id').limit(1).executeTakeFirst();
      return row && batchRecord(row);
    },

    async claimBatch(batch, limit) {
      // The limit-th unclaimed id bounds the batch; one UPDATE takes what is visible up to
      // it. On PostgreSQL a transaction still open may commit a lower id later: it is
      // simply claimed by the next batch. The count is what the UPDATE took.
      const bound = await db
        .selectFrom('complianceEvents')
        .select((eb) => [eb.fn.min('id').as('first'), eb.fn.max('id').as('last')])
        .where('id', 'in', (eb) => eb.selectFrom('complianceEvents').select('id').where('batchId', 'is', null).orderBy('id').limit(limit))
        .executeTakeFirst();
      if (bound?.first == null || bound.last == null) return undefined;
      const first = Number(bound.first);
      const last = Number(bound.last);
      const row = await db
        .insertInto('complianceBatches')
        .values({ ...batch, eventCount: 0, firstEventId: first, lastEventId: last, writtenAt: null, files: null })
        .returningAll()
        .executeTakeFirstOrThrow();
      const taken = await db.updateTable('complianceEvents').set({ batchId: row.id }).where('batchId', 'is', null).where('id', '<=', last).executeTakeFirst();
      const eventCount = Number(taken.numUpdatedRows);
      await db.updateTable('complianceBatches').set({ eventCount }).where('id', '=', row.id).execute();
      return batchRecord({ ...row, eventCount });
    },

    async batchOrder(batchId) {
      // Read in index order and sorted here: cheaper than an ORDER BY on an expression.
      const rows = await db.selectFrom('complianceEvents').select(['id', 'roomId']).where('batchId', '=', batchId).execute();
      return rows
        .map((r) => ({ id: Number(r.id), room: r.roomId === null ? 0 : Number(r.roomId) }))
        .sort((a, b) => a.room - b.room || a.id - b.id)
        .map((r) => r.id);
    },

    async eventsByIds(ids) {
      const out: ComplianceEventRecord[] = [];
      for (const part of whole([...ids])) {
        const rows = await db.selectFrom('complianceEvents').selectAll().where(idIn(dialect, 'compliance_events.id', part)).execute();
        out.push(...rows.map(eventRecord));
      }
      return out;
    },

    async completeBatch(batchId, writtenAt, files) {
      await db.deleteFrom('complianceEvents').where('batchId', '=', batchId).execute();
      await db.updateTable('complianceBatches').set({ writtenAt, files: JSON.stringify(files) }).where('id', '=', batchId).execute();
    },

    async recentBatches(limit) {
      const rows = await db.selectFrom('complianceBatches').selectAll().orderBy('id', 'desc').limit(limit).execute();
      return rows.map(batchRecord);
    },

    async acquireLease(holder, now, until) {
      const result = await db
        .updateTable('complianceState')
        .set({ holder, leaseUntil: until })
        .where('id', '=', 1)
        .where((eb) => eb.or([eb('holder', 'is', null), eb('holder', '=', holder), eb('leaseUntil', '<', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async releaseLease(holder) {
      await db.updateTable('complianceState').set({ holder: null, leaseUntil: 0 }).where('id', '=', 1).where('holder', '=', holder).execute();
    },

    async takeOverLease(from, to, until) {
      const result = await db.updateTable('complianceState').set({ holder: to, leaseUntil: until }).where('id', '=', 1).where('holder', '=', from).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async state() {
      const r = await db.selectFrom('complianceState').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
      return { holder: r.holder, leaseUntil: Number(r.leaseUntil), lastRunAt: num(r.lastRunAt), lastError: r.lastError, lastErrorAt: num(r.lastErrorAt) };
    },

    async recordRun(at, error) {
      await db
        .updateTable('complianceState')
        .set(error === null ? { lastRunAt: at, lastError: null, lastErrorAt: null } : { lastError: error, lastErrorAt: at })
        .where('id', '=', 1)
        .execute();
    },

    async addParticipant(p) {
      const result = await db
        .insertInto('complianceParticipants')
        .values(p)
        .onConflict((oc) => oc.columns(['instance', 'connection', 'roomId']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async removeParticipants(instance, connection, roomIds) {
      let q = db.deleteFrom('complianceParticipants').where('instance', '=', instance).where('connection', '=', connection);
      if (roomIds !== undefined) {
        if (roomIds.length === 0) return [];
        q = q.where('roomId', 'in', roomIds);
      }
      return (await q.returningAll().execute()).map(participantRecord);
    },

    async removeInstanceParticipants(instance) {
      const rows = await db.deleteFrom('complianceParticipants').where('instance', '=', instance).returningAll().execute();
      return rows.map(participantRecord);
    },

    async heartbeat(instance) {
      await db
        .insertInto('serverInstances')
        .values(instance)
        .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeatAt: instance.heartbeatAt, name: instance.name, version: instance.version, address: instance.address, connections: instance.connections }))
        .execute();
    },

    async instances() {
      return (await db.selectFrom('serverInstances').selectAll().orderBy('startedAt').execute()).map(instanceRecord);
    },

    async removeInstance(id) {
      await db.deleteFrom('serverInstances').where('id', '=', id).execute();
    },
  };
}

import { sql, type CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { ComplianceBatchesTable, Database, ComplianceParticipantsTable, ServerInstancesTable } from '../schema.js';
import type { ComplianceBatchRecord, ComplianceEventRecord, ComplianceStore, NewComplianceEvent, ParticipantRecord, ServerInstanceRecord } from '../types.js';
import type { Executor } from './common.js';
import type { SqliteReadLog } from '../read-log.js';

const num = (v: number | null): number | null => (v === null ? null : Number(v));

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

/**
 * PostgreSQL: the columns of a batch's events as ComplianceEventRecord names them. It returns
 * bigint as text: ids, times and message ids come as float8, exact far beyond any of them.
 */
const BATCH_EVENT_COLUMNS = sql.raw(
  'id::float8 as id, type, at::float8 as at, actor_id as "actorId", actor_uri as "actorUri", room_id as "roomId", room_uri as "roomUri", message_id::float8 as "messageId", content, details',
);

/** A batch event as SQLite's json_array gives it, in ComplianceEventRecord's order. */
type BatchEventRow = [number, string, number, number | null, string | null, number | null, string | null, number | null, string, string | null];

/** How long a claim on PostgreSQL tries to find the events table free of inserting transactions. */
const CLAIM_LOCK_MS = 2000;

/**
 * PostgreSQL: SHARE ROW EXCLUSIVE on the events table, so no transaction that took event
 * ids is still open (and none can insert until the claim commits; it also excludes a
 * second claim). Taken with NOWAIT and tried again after a pause: a claim that queued for
 * the lock would make every capture — every post — queue behind it while a long
 * transaction (an import's batch) runs.
 */
async function lockEventsTable(db: Kysely<Database>): Promise<void> {
  const until = Date.now() + CLAIM_LOCK_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    await sql`savepoint compliance_claim`.execute(db);
    try {
      await sql`lock table compliance_events in share row exclusive mode nowait`.execute(db);
      await sql`release savepoint compliance_claim`.execute(db);
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== '55P03') throw err;
      await sql`rollback to savepoint compliance_claim`.execute(db);
      if (Date.now() >= until) throw new Error(`the compliance events table stayed busy with inserting transactions for ${CLAIM_LOCK_MS} ms; the next run claims the batch`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** Rows per INSERT: 10 columns each keeps a statement under every dialect's parameter limit. */
const CAPTURE_CHUNK = 500;

/** The INSERTs that append compliance events (in chunks of CAPTURE_CHUNK rows). */
function captureQueries(db: Kysely<Database>, events: readonly NewComplianceEvent[]): CompiledQuery[] {
  const queries: CompiledQuery[] = [];
  for (let i = 0; i < events.length; i += CAPTURE_CHUNK) queries.push(db.insertInto('complianceEvents').values(events.slice(i, i + CAPTURE_CHUNK)).compile());
  return queries;
}

/** One captured event through a prepared statement (SQLite, in a transaction: Executor.runMany). */
const CAPTURE_ONE = `insert into "compliance_events" ("type", "at", "actor_id", "actor_uri", "room_id", "room_uri", "message_id", "content", "details") values (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Where in the database the log of read records is marked moved (read-log.ts): `{ log, through }`. */
const READ_LOG_MARK = 'compliance.readLog';

export function complianceStore({ db, dialect, runMany, readLog }: Executor): ComplianceStore {
  /** The last id of the read log moved into the events table (0: none of this log). */
  async function movedThrough(log: SqliteReadLog): Promise<number> {
    const row = await db.selectFrom('meta').select('value').where('key', '=', READ_LOG_MARK).executeTakeFirst();
    if (row === undefined) return 0;
    const mark = JSON.parse(row.value) as { log?: unknown; through?: unknown };
    return mark.log === log.identity && typeof mark.through === 'number' ? mark.through : 0;
  }

  /**
   * Moves up to `limit` read records from their log into the events table, with the mark,
   * in the claim's transaction (SQLite: it holds the writer); then they are events like any.
   */
  async function moveReads(log: SqliteReadLog, limit: number): Promise<void> {
    if (runMany === undefined) throw new Error('read records are moved inside a transaction');
    const through = await movedThrough(log);
    await log.prune(through);
    const rows = log.after(through, limit);
    const last = rows.at(-1);
    if (last === undefined) return;
    runMany(
      CAPTURE_ONE,
      rows.map((r) => r.values),
    );
    const value = JSON.stringify({ log: log.identity, through: last.id });
    await db
      .insertInto('meta')
      .values({ key: READ_LOG_MARK, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  async function unfinishedBatch(): Promise<ComplianceBatchRecord | undefined> {
    const row = await db.selectFrom('complianceBatches').selectAll().where('writtenAt', 'is', null).orderBy('id').limit(1).executeTakeFirst();
    return row && batchRecord(row);
  }

  return {
    async capture(events) {
      const [one] = events;
      if (runMany !== undefined && events.length === 1 && one !== undefined) {
        // A post's one event: a prepared insert run at once, with no query to compile
        // (several events keep their one multi-row statement).
        runMany(CAPTURE_ONE, [[one.type, one.at, one.actorId, one.actorUri, one.roomId, one.roomUri, one.messageId, one.content, one.details]]);
        return;
      }
      for (const query of captureQueries(db, events)) await db.executeQuery(query);
    },

    async pending() {
      const row = await db
        .selectFrom('complianceEvents')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('at').as('oldest')])
        .executeTakeFirstOrThrow();
      const events = Number(row.n);
      const oldestAt = row.oldest === null ? null : Number(row.oldest);
      if (readLog === undefined) return { events, oldestAt };
      const logged = readLog.pending(await movedThrough(readLog));
      return { events: events + logged.events, oldestAt: oldestAt === null || (logged.oldestAt !== null && logged.oldestAt < oldestAt) ? logged.oldestAt : oldestAt };
    },

    async moveReads(limit) {
      if (readLog !== undefined) await moveReads(readLog, limit);
    },

    unfinishedBatch,

    async claimBatch(batch, limit, ahead) {
      if (dialect === 'postgres') await lockEventsTable(db);
      if (readLog !== undefined) await moveReads(readLog, limit.events);
      const open = await unfinishedBatch();
      if (open !== undefined) return open;
      const record = (first: number, last: number, count: number) =>
        db
          .insertInto('complianceBatches')
          .values({ ...batch, eventCount: count, firstEventId: first, lastEventId: last, writtenAt: null, files: null })
          .returningAll()
          .executeTakeFirstOrThrow()
          .then(batchRecord);
      // Events read ahead, outside the claim, are the batch if they are still exactly the
      // events at or below the last of them: nothing below can commit any more (SQLite: the
      // claim holds the writer; PostgreSQL: the lock above waited out every transaction
      // holding an id), and captured events are never changed, only deleted by completion.
      const first = ahead?.[0];
      const last = ahead?.at(-1);
      if (ahead !== undefined && first !== undefined && last !== undefined) {
        const now = await db
          .selectFrom('complianceEvents')
          .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('id').as('lowest')])
          .where('id', '<=', last.id)
          .executeTakeFirstOrThrow();
        if (Number(now.n) === ahead.length && Number(now.lowest) === first.id) return { ...(await record(first.id, last.id, ahead.length)), events: ahead };
      }
      // Otherwise (nothing read ahead, records of reads just moved, or a capture that
      // committed inside the range since): the range is found here, from the lengths.
      const rows = await db
        .selectFrom('complianceEvents')
        .select((eb) => ['id', sql<number>`length(${eb.ref('content')}) + coalesce(length(${eb.ref('details')}), 0)`.as('units')])
        .orderBy('id')
        .limit(limit.events)
        .execute();
      if (rows.length === 0) return undefined;
      let count = 0;
      let units = 0;
      for (const r of rows) {
        units += Number(r.units);
        if (count > 0 && units > limit.textUnits) break;
        count++;
      }
      return record(Number(rows[0]?.id), Number(rows[count - 1]?.id), count);
    },

    async batchEvents(lastEventId, afterId, limit) {
      // Written out, in the record's own names, and run without the camel-case plugin: a
      // compliance run reads every event once, and copying each row (the plugin's copy, then
      // ours) cost as much as the read.
      if (dialect === 'sqlite') {
        // One JSON text per row, parsed here: a row of ten columns, five of them text, costs
        // better-sqlite3 a string and a property per column (measured: reads 35 % faster).
        const { rows } = await sql<{ r: string }>`select json_array(id, type, at, actor_id, actor_uri, room_id, room_uri, message_id, content, details) as r
          from compliance_events where id > ${afterId} and id <= ${lastEventId} order by id limit ${limit}`.execute(db.withoutPlugins());
        return rows.map(({ r }) => {
          const [id, type, at, actorId, actorUri, roomId, roomUri, messageId, content, details] = JSON.parse(r) as BatchEventRow;
          return { id, type, at, actorId, actorUri, roomId, roomUri, messageId, content, details };
        });
      }
      const { rows } = await sql<ComplianceEventRecord>`select ${BATCH_EVENT_COLUMNS}
        from compliance_events where id > ${afterId} and id <= ${lastEventId} order by id limit ${limit}`.execute(db.withoutPlugins());
      return rows;
    },

    async completeBatch(batchId, writtenAt, files) {
      await db
        .deleteFrom('complianceEvents')
        .where('id', '<=', (eb) => eb.selectFrom('complianceBatches').select('lastEventId').where('id', '=', batchId))
        .execute();
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

/**
 * Compliance batches as id ranges (migration 0011), on SQLite and PostgreSQL: how a batch
 * is bounded, that no event can commit below a claimed range on PostgreSQL, a batch
 * claimed before the migration, and text large enough to take the output file's long path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useDeployment } from '../harness/services.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { complianceConfigurations } from '../../src/actions/compliance-configurations.js';
import { ComplianceWorker } from '../../src/compliance/worker.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import type { Database } from '../../src/store/schema.js';
import type { NewComplianceEvent } from '../../src/store/types.js';
import * as m0011 from '../../src/store/migrations/0011-compliance-ranges.js';
import { listOutput, readJsonLines, readXmlMessages } from '../harness/compliance-output.js';

const event = (content: string, roomId: number | null = 5): NewComplianceEvent => ({
  type: 'CHAT',
  at: Date.UTC(2026, 11, 7, 12, 0, 0),
  actorId: null,
  actorUri: 'sip:ana@contoso.com',
  roomId,
  roomUri: roomId === null ? null : `ma-chan://contoso.com/room-${roomId}`,
  messageId: 1,
  content,
  details: null,
});

describeEachStore('compliance batches', (kind) => {
  const d = useDeployment(kind);
  let dataDir: string;
  const db = (): Kysely<Database> => (d.store as KyselyStore).db;
  const capture = (events: NewComplianceEvent[]) => d.store.transaction((tx) => tx.compliance.capture(events));
  const ids = async (): Promise<number[]> => (await db().selectFrom('complianceEvents').select('id').orderBy('id').execute()).map((r) => Number(r.id));
  const claim = (limit: { events: number; textUnits: number }) =>
    d.store.transaction((tx) => tx.compliance.claimBatch({ holder: 'test', claimedAt: Date.now(), settings: '{}' }, limit));
  /** Sets the adapter, leaving out of the queue the CHANGE event that records it. */
  const configure = async (adapterType: 'Xml' | 'JsonLines') => {
    await complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { adapterType });
    await db().deleteFrom('complianceEvents').where('type', '=', 'CHANGE').execute();
  };
  const giveBack = (batchId: number) => db().deleteFrom('complianceBatches').where('id', '=', batchId).execute();

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-compliance-'));
    // Start from an empty queue: what building the deployment captured is not the subject.
    await db().deleteFrom('complianceEvents').execute();
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('bounds a batch by its count and by its text, takes an event larger than the bound alone, and keeps one batch open at a time', async () => {
    await capture([event('a'.repeat(40)), event('b'.repeat(40)), event('c'.repeat(40)), event('d'.repeat(500)), event('e'), event('f')]);
    const all = await ids();
    const byCount = await claim({ events: 2, textUnits: 10_000 });
    expect(byCount).toMatchObject({ eventCount: 2, firstEventId: all[0], lastEventId: all[1] });
    // While it is unfinished, a claim returns it rather than a second, overlapping batch.
    expect((await claim({ events: 100, textUnits: 10_000 }))?.id).toBe(byCount?.id);
    await giveBack(byCount!.id);
    expect(await claim({ events: 100, textUnits: 100 })).toMatchObject({ eventCount: 2, lastEventId: all[1] });
    await db().deleteFrom('complianceBatches').execute();
    await db().deleteFrom('complianceEvents').where('id', '<', all[3]!).execute();
    expect(await claim({ events: 100, textUnits: 100 })).toMatchObject({ eventCount: 1, firstEventId: all[3], lastEventId: all[3] });
    await db().deleteFrom('complianceBatches').execute();
    expect(await claim({ events: 100, textUnits: 1_000 })).toMatchObject({ eventCount: 3, firstEventId: all[3], lastEventId: all[5] });
  });

  it('takes events read ahead as the batch only while they are still exactly the oldest', async () => {
    await capture([event('a'), event('b'), event('c'), event('d')]);
    const read = await d.store.compliance.batchEvents(Number.MAX_SAFE_INTEGER, 0, 100);
    const claimAhead = (ahead: typeof read) =>
      d.store.transaction((tx) => tx.compliance.claimBatch({ holder: 'test', claimedAt: Date.now(), settings: '{}' }, { events: 100, textUnits: 10_000 }, ahead));
    // Some events that are not the oldest: the claim finds the range itself, and hands on no events.
    const skipped = await claimAhead(read.slice(1, 3));
    expect(skipped).toMatchObject({ eventCount: 4, firstEventId: read[0]!.id, lastEventId: read[3]!.id });
    expect(skipped?.events).toBeUndefined();
    await giveBack(skipped!.id);
    // An event of the range gone since it was read (as a completion deletes): the same.
    await db().deleteFrom('complianceEvents').where('id', '=', read[1]!.id).execute();
    const gone = await claimAhead(read.slice(0, 3));
    expect(gone).toMatchObject({ eventCount: 3, firstEventId: read[0]!.id, lastEventId: read[3]!.id });
    expect(gone?.events).toBeUndefined();
    await giveBack(gone!.id);
    // Still the oldest: they are the batch (a prefix is fine: later events are the next batch).
    const still = [read[0]!, read[2]!];
    const taken = await claimAhead(still);
    expect(taken).toMatchObject({ eventCount: 2, firstEventId: read[0]!.id, lastEventId: read[2]!.id, events: still });
    // While it is open, the next claim returns it whatever was read ahead.
    expect(await claimAhead([read[3]!])).toMatchObject({ id: taken!.id, eventCount: 2 });
    expect((await claimAhead([read[3]!]))?.events).toBeUndefined();
  });

  it('reads every field of an event back as it was captured, whatever its text holds', async () => {
    const awkward = 'q"\\/ \n\r\t\u0001\u001f\u007f \u2028\u2029 <&> wörd 東京 😀 {"a":[1]} \\u0041';
    const captured: NewComplianceEvent[] = [
      { ...event(awkward), actorId: 7, details: JSON.stringify({ chatId: 2 ** 40, text: awkward }) },
      { ...event('', null), type: 'JOIN', actorUri: null, messageId: null, details: '{"how":"join"}' },
      { ...event('x'.repeat(70_000), 9), actorUri: `sip:${awkward}@contoso.com`, roomUri: `ma-chan://contoso.com/${awkward}`, messageId: 2 ** 40, at: 2 ** 41 },
    ];
    await capture(captured);
    const read = await d.store.compliance.batchEvents(Number.MAX_SAFE_INTEGER, 0, 100);
    expect(read).toEqual(captured.map((e, i) => ({ ...e, id: read[i]!.id })));
    expect(read.map((e) => e.id)).toEqual(await ids());
  });

  it('writes messages longer than an output chunk whole, in XML and JSON Lines', async () => {
    // About 1.2 MB of UTF-8: Latin, Cyrillic, CJK, emoji and characters XML escapes.
    const long = Array.from({ length: 40_000 }, (_, i) => ['wörd', 'привет', '東京', '😀', '<&">', 'x'][i % 6]).join(' ');
    await configure('Xml');
    await capture([event('before'), event(long), event('after', 6), event(`${long} again`, null)]);
    const worker = new ComplianceWorker(d.services, { dataDir });
    expect((await worker.run()).events).toBe(4);
    const xml = readXmlMessages(listOutput(path.join(dataDir, 'compliance')));
    expect(xml.map((m) => m.content)).toEqual(['before', long, 'after']);
    await configure('JsonLines');
    await capture([event(long)]);
    expect((await worker.run()).events).toBe(1);
    expect(readJsonLines(listOutput(path.join(dataDir, 'compliance'))).map((l) => l.content)).toEqual([long]);
  });

  it('finishes a batch claimed before batches became ranges, with any event committed below it since (migration 0011)', async () => {
    // The schema before 0011: events marked with their batch.
    await db().schema.alterTable('compliance_events').addColumn('batch_id', kind.dialect === 'postgres' ? 'bigint' : 'integer').execute();
    await db().schema.createIndex('compliance_events_batch').on('compliance_events').columns(['batch_id', 'id']).execute();
    await capture(Array.from({ length: 10 }, (_, i) => event(`m${i}`)));
    const all = await ids();
    const settings = JSON.stringify({ ...(await complianceConfigurations.effective(d.store, d.services.poolFqdn)), adapterType: 'JsonLines' });
    const batch = await db()
      .insertInto('complianceBatches')
      .values({ holder: 'old', claimedAt: Date.now(), settings, eventCount: 4, firstEventId: all[2]!, lastEventId: all[5]!, writtenAt: null, files: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    // The old claim marked events 3–6; event 2 committed below them afterwards (PostgreSQL), unmarked.
    await sql`update compliance_events set batch_id = ${batch.id} where id between ${all[2]} and ${all[5]}`.execute(db());
    await db().deleteFrom('complianceEvents').where('id', '=', all[0]!).execute();
    await configure('JsonLines');
    await m0011.up(db(), kind.dialect);
    const report = await new ComplianceWorker(d.services, { dataDir }).run();
    expect(report.batches).toBe(2);
    const lines = readJsonLines(listOutput(path.join(dataDir, 'compliance')));
    expect(lines.map((l) => l.content).sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    // The old batch kept its name (its first id) and took the event committed below it.
    const first = lines.filter((l) => String(l.file).endsWith(`-${all[2]}.jsonl`)).map((l) => l.content);
    expect(first).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(await ids()).toEqual([]);
  });

  // PostgreSQL alone: on SQLite a claim holds the writer, so no transaction can be open beside it.
  if (kind.dialect === 'postgres') {
    /** A transaction that took an event id and stays open (an import's batch) until commit(). */
    const holdEventId = async (content: string): Promise<{ commit(): Promise<void> }> => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const started = new Promise<void>((resolve) => (inserted = resolve));
      const open = db()
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('complianceEvents').values(event(content)).execute();
          inserted();
          await gate;
        });
      await started;
      return {
        commit: async () => {
          release();
          await open;
        },
      };
    };

    it('claims nothing while a transaction that took an event id is open, and never makes captures wait behind it', async () => {
      const held = await holdEventId('held');
      await capture([event('after the held one')]);
      const claiming = claim({ events: 100, textUnits: 10_000 });
      // The claim keeps trying with NOWAIT; captures meanwhile go through at once.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const t0 = Date.now();
      await capture([event('during the claim')]);
      expect(Date.now() - t0).toBeLessThan(1000);
      await held.commit();
      const batch = await claiming;
      const contents = (await d.store.compliance.batchEvents(batch!.lastEventId, 0, 100)).map((e) => e.content);
      // The held event (the lowest id) is in the batch: none can commit below it any more.
      expect(contents[0]).toBe('held');
      expect(batch!.eventCount).toBe(contents.length);
    });

    it('gives up a claim with a clear error while a long transaction holds an event id, and loses nothing', async () => {
      const held = await holdEventId('long');
      await complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { adapterType: 'JsonLines' });
      const worker = new ComplianceWorker(d.services, { dataDir });
      await expect(worker.run()).rejects.toThrow(/stayed busy with inserting transactions/);
      await held.commit();
      expect((await worker.run()).events).toBeGreaterThanOrEqual(2);
      expect(readJsonLines(listOutput(path.join(dataDir, 'compliance'))).map((l) => l.content)).toContain('long');
      expect(await ids()).toEqual([]);
    });
  }
});

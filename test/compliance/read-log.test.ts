/**
 * The compliance record of reads on the embedded database: a log file of its own
 * (store/read-log.ts), so a read is recorded — and answered — while another process holds
 * the database's write lock (`stoa data import` on a serving node's data dir), and a
 * compliance claim moves each record into the events table exactly once.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, expect, it, describe } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { readLogFile } from '../../src/store/read-log.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import type { ComplianceBatchRecord, NewComplianceEvent } from '../../src/store/types.js';
import { tempDir } from '../harness/stores.js';

const read = (content: string, at = Date.UTC(2026, 11, 7, 12)): NewComplianceEvent => ({
  type: 'BACKCHAT',
  at,
  actorId: 7,
  actorUri: 'sip:ana@contoso.com',
  roomId: 3,
  roomUri: 'ma-chan://contoso.com/room-3',
  messageId: null,
  content,
  details: '{"how":"history","chatIds":[1,2]}',
});

const NO_BOUND = { events: 100_000, textUnits: 2 ** 30 };

describe('the log of read records (SQLite)', () => {
  const opened: KyselyStore[] = [];
  const others: BetterSqlite3.Database[] = [];
  afterEach(async () => {
    for (const o of others.splice(0)) if (o.open) o.close();
    for (const s of opened.splice(0)) await s.close();
  });

  async function open(file: string): Promise<KyselyStore> {
    const store = await openSqliteStore(file);
    opened.push(store);
    return store;
  }

  /** Claims a batch and writes it (what the worker does, without an adapter): its events' contents. */
  async function drain(store: KyselyStore, limit = NO_BOUND): Promise<string[][]> {
    const batches: string[][] = [];
    for (;;) {
      const batch: ComplianceBatchRecord | undefined = await store.transaction((tx) => tx.compliance.claimBatch({ holder: 'test', claimedAt: 1, settings: '{}' }, limit));
      if (batch === undefined) return batches;
      const events = await store.compliance.batchEvents(batch.lastEventId, 0, 100_000);
      batches.push(events.map((e) => e.content));
      await store.transaction((tx) => tx.compliance.completeBatch(batch.id, 2, []));
    }
  }

  const logRows = (file: string): number => {
    const db = new BetterSqlite3(readLogFile(file), { readonly: true });
    try {
      return (db.prepare('select count(*) as n from read_records').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('records reads while another process holds the database write lock, and a claim moves them afterwards', async () => {
    const file = path.join(tempDir(), 'stoa.db');
    const store = await open(file);
    expect(readLogFile(file)).toBe(path.join(path.dirname(file), 'stoa-reads.db'));
    // Another process's write transaction (an import's batch), held open.
    const importer = new BetterSqlite3(file);
    others.push(importer);
    importer.exec('begin immediate');
    importer.prepare("insert into meta (key, value) values ('importing', '1')").run();

    // Were the records queued behind the lock, this would wait (up to 10 s, then fail).
    await store.recordReads([read('first'), read('second')]);
    expect(importer.inTransaction).toBe(true);
    expect(await store.compliance.pending()).toEqual({ events: 2, oldestAt: Date.UTC(2026, 11, 7, 12) });
    importer.exec('commit');

    await store.recordReads([read('third')]);
    expect(await drain(store)).toEqual([['first', 'second', 'third']]);
    expect(await store.compliance.pending()).toEqual({ events: 0, oldestAt: null });
    // Moved records leave the log at the next claim (drain's last, which found nothing).
    expect(logRows(file)).toBe(0);
  });

  it('moves each record once: a claim that rolls back moves nothing, one that commits moves what it read', async () => {
    const file = path.join(tempDir(), 'stoa.db');
    const store = await open(file);
    await store.recordReads([read('a'), read('b'), read('c')]);
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.compliance.claimBatch({ holder: 'test', claimedAt: 1, settings: '{}' }, NO_BOUND)).toMatchObject({ eventCount: 3 });
        throw new Error('the claim fails after moving');
      }),
    ).rejects.toThrow('the claim fails after moving');
    expect(await store.compliance.pending()).toMatchObject({ events: 3 });
    expect(await store.compliance.unfinishedBatch()).toBeUndefined();

    // A claim moves at most a batch's worth; the rest waits in the log for the next one.
    await store.recordReads([read('d'), read('e')]);
    expect(await drain(store, { events: 2, textUnits: 2 ** 30 })).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    await store.recordReads([read('f')]);
    expect(await drain(store)).toEqual([['f']]);
    // A new batch before the last one is written is refused: the open one comes back.
    await store.recordReads([read('g')]);
    const open1 = await store.transaction((tx) => tx.compliance.claimBatch({ holder: 'test', claimedAt: 1, settings: '{}' }, NO_BOUND));
    await store.recordReads([read('h')]);
    const open2 = await store.transaction((tx) => tx.compliance.claimBatch({ holder: 'test', claimedAt: 1, settings: '{}' }, NO_BOUND));
    expect(open2?.id).toBe(open1?.id);
    expect((await store.compliance.batchEvents(open2!.lastEventId, 0, 100)).map((e) => e.content)).toEqual(['g']);
    await store.transaction((tx) => tx.compliance.completeBatch(open2!.id, 2, []));
    // 'h' was moved by the second claim (it rolled nothing back): it is an event now, once.
    expect(await drain(store)).toEqual([['h']]);
  });

  it('keeps a record with every column as captured, and refuses a batch with a bad row whole', async () => {
    const file = path.join(tempDir(), 'stoa.db');
    const store = await open(file);
    const full = { ...read('sip:ana@contoso.com «search» \u{1F600}'), type: 'SEARCH', roomId: null, roomUri: null, messageId: 12, details: null };
    await store.recordReads([full]);
    await expect(store.recordReads([read('kept out'), { ...read('bad'), type: null as unknown as string }])).rejects.toThrow();
    await store.transaction((tx) => tx.compliance.claimBatch({ holder: 'test', claimedAt: 1, settings: '{}' }, NO_BOUND));
    const batch = await store.compliance.unfinishedBatch();
    const [event, ...rest] = await store.compliance.batchEvents(batch!.lastEventId, 0, 10);
    expect(rest).toEqual([]);
    expect(event).toEqual({ id: expect.any(Number), ...full });
  });

  it('a log created anew is not taken for the one already moved', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'stoa.db');
    const first = await open(file);
    await first.recordReads([read('one'), read('two')]);
    expect(await drain(first)).toEqual([['one', 'two']]);
    await first.close();
    opened.splice(opened.indexOf(first), 1);
    // The log goes (an administrator deleted it, or restored the database without it): the
    // new one numbers its records from 1 again, below the database's mark.
    for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('stoa-reads.db'))) fs.rmSync(path.join(dir, f));
    const second = await open(file);
    await second.recordReads([read('three')]);
    expect(await second.compliance.pending()).toMatchObject({ events: 1 });
    expect(await drain(second)).toEqual([['three']]);
  });

  it('refuses a log that is not one, naming the file, and leaves it as it was', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'stoa.db');
    fs.writeFileSync(readLogFile(file), 'not a database, just text that someone put here\n'.repeat(200));
    const before = fs.readFileSync(readLogFile(file));
    await expect(openSqliteStore(file)).rejects.toThrow(`the log of read records ${readLogFile(file)} cannot be used: file is not a database`);
    expect(fs.readFileSync(readLogFile(file))).toEqual(before);
  });
});

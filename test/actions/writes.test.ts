/**
 * Every write goes through an action's transaction (runWrite): the server opens its store
 * so that a write outside a transaction fails, and the whole API suite runs against it.
 * This test pins the guard itself on both databases.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { WriteOutsideTransactionError } from '../../src/store/statement-guard.js';
import type { NewComplianceEvent, Store } from '../../src/store/types.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import { sql } from 'kysely';

describeEachStore('writes outside a transaction', (kind) => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('are refused; reads outside and writes inside a transaction run', async () => {
    const statements: string[] = [];
    store = await kind.open({ refuseWritesOutsideTransactions: true, onStatement: (sql) => statements.push(sql) });
    statements.length = 0; // the migrations'
    await expect(store.meta.set('stray', '1')).rejects.toBeInstanceOf(WriteOutsideTransactionError);
    expect(await store.meta.get('stray')).toBeUndefined();
    await store.transaction((tx) => tx.meta.set('kept', '1'));
    expect(await store.meta.get('kept')).toBe('1');
    // Counted: the refused write, two reads, and BEGIN, the write, COMMIT.
    expect(statements.map((s) => s.split(/\s/)[0]?.toLowerCase())).toEqual(['insert', 'select', 'begin', 'insert', 'commit', 'select']);
  });

  it('commit durably; the record of reads commits on its own, all or nothing, and leaves the writer durable', async () => {
    const statements: string[] = [];
    store = await kind.open({ refuseWritesOutsideTransactions: true, onStatement: (sql) => statements.push(sql) });
    const level = () =>
      store!.transaction(async (tx) => {
        const db = (tx as KyselyStore).db;
        if (kind.dialect === 'sqlite') return String((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous);
        return (await sql<{ synchronousCommit: string }>`show synchronous_commit`.execute(db)).rows[0]?.synchronousCommit;
      });
    // SQLite: 2 = FULL; PostgreSQL: synchronous_commit as the server is configured (the test
    // servers run with it off for speed; the record's own connection always does).
    const durable = kind.dialect === 'sqlite' ? '2' : await level();
    const read = (content: string): NewComplianceEvent => ({ type: 'SEARCH', at: 1, actorId: 7, actorUri: 'sip:ana@contoso.com', roomId: null, roomUri: null, messageId: null, content, details: '{"hits":3}' });

    statements.length = 0;
    await store.recordReads([read('first'), read('second')]);
    // One transaction of its own: BEGIN, a prepared INSERT per record, COMMIT on SQLite (in the
    // log of read records, store/read-log.ts); on PostgreSQL one statement.
    if (kind.dialect === 'sqlite') expect(statements.map((s) => s.split(/\s/)[0])).toEqual(['begin', 'insert', 'insert', 'commit']);
    else expect(statements).toEqual([expect.stringMatching(/^insert into "compliance_events" .* from unnest\(/s)]);
    expect((await store.compliance.pending()).events).toBe(2);
    expect(await level()).toBe(durable);

    // A batch with a bad row writes none of its rows, and the next one runs.
    await expect(store.recordReads([read('kept out'), { ...read('bad'), type: null as unknown as string }])).rejects.toThrow();
    if (kind.dialect === 'postgres') await expect(store.recordReads([read('nul \0 here')])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await store.compliance.pending()).events).toBe(2);
    await store.recordReads([read('third')]);
    expect((await store.compliance.pending()).events).toBe(3);
    expect(await level()).toBe(durable);
    // Only the root store commits them, never inside another transaction.
    await expect(store.transaction((tx) => tx.recordReads([read('inside')]))).rejects.toThrow(/outside a transaction/);
  });

  it.runIf(kind.dialect === 'postgres')('record reads again on a new connection after theirs was cut', async () => {
    store = await kind.open({});
    const read = (content: string): NewComplianceEvent => ({ type: 'SEARCH', at: 1, actorId: null, actorUri: null, roomId: null, roomUri: null, messageId: null, content, details: null });
    await store.recordReads([read('before')]);
    // Every other connection to the database cut (a restart, a network cut, an administrator).
    const db = (store as KyselyStore).db;
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db);
    // pg_terminate_backend only signals: wait until the backends are gone.
    for (let i = 0; i < 100; i++) {
      const left = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db);
      if (left.rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The batch that meets the cut connection may fail (its reads are refused); the next one reconnects.
    const cut = await store.recordReads([read('during')]).then(
      () => 1,
      () => 0,
    );
    await store.recordReads([read('after')]);
    expect((await store.compliance.pending()).events).toBe(2 + cut);
  });

  it('leave nothing behind when the transaction fails, and the next one runs', async () => {
    store = await kind.open({ refuseWritesOutsideTransactions: true });
    await expect(
      store.transaction(async (tx) => {
        await tx.meta.set('half', '1');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.meta.get('half')).toBeUndefined();
    await store.transaction((tx) => tx.meta.set('after', '1'));
    expect(await store.meta.get('after')).toBe('1');
  });
});

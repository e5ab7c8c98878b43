/**
 * Every write goes through an action's transaction (runWrite): the server opens its store
 * so that a write outside a transaction fails, and the whole API suite runs against it.
 * This test pins the guard itself on both databases.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { WriteOutsideTransactionError } from '../../src/store/statement-guard.js';
import type { Store } from '../../src/store/types.js';
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

  it('commit durably unless asked for process-crash durability, and only that transaction relaxes', async () => {
    store = await kind.open({ refuseWritesOutsideTransactions: true });
    const level = (relaxed: boolean) =>
      store!.transaction(
        async (tx) => {
          const db = (tx as KyselyStore).db;
          if (kind.dialect === 'sqlite') return String((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous);
          return (await sql<{ synchronousCommit: string }>`show synchronous_commit`.execute(db)).rows[0]?.synchronousCommit;
        },
        relaxed ? { durability: 'process-crash' } : {},
      );
    // SQLite: 2 = FULL, 1 = NORMAL; PostgreSQL: synchronous_commit, durable as the server is
    // configured (the test servers run with it off for speed), off in the relaxed transaction.
    const durable = kind.dialect === 'sqlite' ? '2' : await level(false);
    const relaxed = kind.dialect === 'sqlite' ? '1' : 'off';
    expect(await level(false)).toBe(durable);
    expect(await level(true)).toBe(relaxed);
    expect(await level(false)).toBe(durable);
    // A relaxed transaction that fails leaves the next one durable too.
    await expect(store.transaction(() => Promise.reject(new Error('boom')), { durability: 'process-crash' })).rejects.toThrow('boom');
    expect(await level(false)).toBe(durable);
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

/**
 * Every write goes through an action's transaction (runWrite): the server opens its store
 * so that a write outside a transaction fails, and the whole API suite runs against it.
 * This test pins the guard itself on both databases.
 */
import { afterEach, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { WriteOutsideTransactionError } from '../../src/store/statement-guard.js';
import type { Store } from '../../src/store/types.js';

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

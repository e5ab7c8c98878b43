/**
 * The embedded database's driver routes each statement: reads outside a transaction run on
 * the writer connection when no transaction is open (its page cache outlives commits) and
 * on the reader while one is, so they neither wait behind it nor see what it has not
 * committed.
 */
import { describe, expect, it } from 'vitest';
import { sqliteStore } from '../../test/harness/stores.js';

describe('SQLite driver', () => {
  it('reads beside an open write transaction without waiting for it or seeing its writes', async () => {
    const store = await sqliteStore();
    try {
      await store.transaction((tx) => tx.meta.set('probe', 'committed'));
      let finish!: () => void;
      const held = new Promise<void>((resolve) => (finish = resolve));
      let wrote!: () => void;
      const written = new Promise<void>((resolve) => (wrote = resolve));
      const writing = store.transaction(async (tx) => {
        await tx.meta.set('probe', 'uncommitted');
        wrote();
        await held;
      });
      await written;
      // The transaction is open and waiting: a read answers at once, with the last commit.
      expect(await store.meta.get('probe')).toBe('committed');
      finish();
      await writing;
      expect(await store.meta.get('probe')).toBe('uncommitted');
      // And with nothing open, a read is answered as well (on the writer connection).
      await store.transaction((tx) => tx.meta.set('probe', 'again'));
      expect(await store.meta.get('probe')).toBe('again');
    } finally {
      await store.close();
    }
  });
});

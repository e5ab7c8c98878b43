/**
 * The embedded database's driver routes each statement: reads outside a transaction run on
 * the writer connection when no transaction is open (its page cache outlives commits) and
 * on the reader while one is, so they neither wait behind it nor see what it has not
 * committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sqliteStore, tempDir } from '../../test/harness/stores.js';
import { openSqliteStore } from './sqlite.js';

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

  it("waits for another process's write lock without stopping the event loop, then writes", async () => {
    const file = path.join(tempDir(), 'stoa.db');
    const store = await openSqliteStore(file);
    // Another process on the data dir (`stoa data import`): a connection of its own holding the write lock.
    const other = new BetterSqlite3(file);
    try {
      other.exec('begin immediate');
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const writing = store.transaction((tx) => tx.meta.set('probe', 'after the lock'));
      await new Promise((resolve) => setTimeout(resolve, 250));
      // Still waiting, but the node went on: timers ran and a read is answered.
      expect(ticks).toBeGreaterThan(10);
      expect(await store.meta.get('probe')).toBeUndefined();
      other.exec('commit');
      await writing;
      clearInterval(timer);
      expect(await store.meta.get('probe')).toBe('after the lock');
    } finally {
      other.close();
      await store.close();
    }
  });
});

describe('SQLite relaxed commits (a bulk load)', () => {
  const synchronous = async (store: Awaited<ReturnType<typeof openSqliteStore>>): Promise<number> =>
    Number(((await sql`pragma synchronous`.execute(store.db)).rows[0] as { synchronous: number }).synchronous);

  it('commit without waiting for the disk, and are synced on request, outside transactions only', async () => {
    const file = path.join(tempDir(), 'stoa.db');
    const relaxed = await openSqliteStore(file, {}, { relaxedCommits: true });
    try {
      expect(await synchronous(relaxed)).toBe(1); // NORMAL
      await relaxed.transaction((tx) => tx.meta.set('probe', 'loaded'));
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
      await relaxed.sync();
      await expect(relaxed.transaction((tx) => tx.sync())).rejects.toThrow(/outside a transaction/);
    } finally {
      await relaxed.close();
    }
    // Every other store commits durably (FULL), and sync has nothing to do.
    const durable = await openSqliteStore(file);
    try {
      expect(await synchronous(durable)).toBe(2); // FULL
      expect(await durable.meta.get('probe')).toBe('loaded');
      await durable.sync();
    } finally {
      await durable.close();
    }
  });
});

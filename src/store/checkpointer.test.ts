/**
 * The WAL checkpoints of a serving node run in a worker thread: what is committed reaches
 * the database file without the writer (the event loop) checkpointing, a failing worker
 * hands the job back to the writer, and closing the store stops the worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/harness/stores.js';
import { openSqliteStore } from './sqlite.js';
import { WalCheckpointer } from './checkpointer.js';
import type { Store } from './types.js';

/** The value of a meta key in the database file alone (a copy without its -wal), or undefined. */
function inDatabaseFile(file: string, key: string): string | undefined {
  const copy = path.join(tempDir(), 'copy.db');
  fs.copyFileSync(file, copy);
  const db = new BetterSqlite3(copy, { readonly: true });
  try {
    // Before any checkpoint the file may not even hold the tables yet.
    if (db.prepare("select 1 from sqlite_master where name = 'meta'").get() === undefined) return undefined;
    return (db.prepare('select value from meta where key = ?').get(key) as { value: string } | undefined)?.value;
  } finally {
    db.close();
  }
}

async function writeKeys(store: Store, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await store.transaction((tx) => tx.meta.set(`probe-${i}`, `value ${i}`));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WAL checkpoints in a worker thread', () => {
  it('bring commits into the database file while the writer leaves the log alone', async () => {
    const errors: unknown[] = [];
    const file = path.join(tempDir(), 'stoa.db');
    const store = await openSqliteStore(file, {}, { backgroundCheckpoints: { onError: (err) => errors.push(err), intervalMs: 20 } });
    try {
      await writeKeys(store, 40);
      let found: string | undefined;
      for (let i = 0; i < 250 && found === undefined; i++) {
        await sleep(20);
        try {
          found = inDatabaseFile(file, 'probe-39');
        } catch {
          // A copy taken while a checkpoint wrote may be torn: look again.
        }
      }
      expect(found).toBe('value 39');
      expect(errors).toEqual([]);
    } finally {
      await store.close();
    }

    // The control: without the worker, 40 small commits stay in the log (the writer
    // checkpoints itself only past 1,000 pages), so the test above saw the worker's copy.
    const inlineFile = path.join(tempDir(), 'stoa.db');
    const inline = await openSqliteStore(inlineFile);
    try {
      await writeKeys(inline, 40);
      await sleep(300);
      expect(inDatabaseFile(inlineFile, 'probe-39')).toBeUndefined();
    } finally {
      await inline.close();
    }
    // Closing checkpoints what is left.
    expect(inDatabaseFile(inlineFile, 'probe-39')).toBe('value 39');
  });

  it('hands checkpoints back to the writer when the worker fails', async () => {
    let inline = 0;
    const failed = new Promise<unknown>((resolve) => {
      new WalCheckpointer([path.join(tempDir(), 'missing', 'stoa.db')], { intervalMs: 20, inline: () => inline++, onError: resolve });
    });
    expect(String(await failed)).toMatch(/unable to open database file|directory does not exist/);
    await sleep(50);
    expect(inline).toBe(1);
  });

  it('stops with the store: closing waits for the worker and keeps every commit', async () => {
    const file = path.join(tempDir(), 'stoa.db');
    const errors: unknown[] = [];
    const store = await openSqliteStore(file, {}, { backgroundCheckpoints: { onError: (err) => errors.push(err), intervalMs: 5 } });
    await writeKeys(store, 100);
    await store.close();
    expect(errors).toEqual([]);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(inDatabaseFile(file, 'probe-99')).toBe('value 99');
  });
});

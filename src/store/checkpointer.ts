/**
 * WAL checkpoints of the embedded database off the event loop (`stoa serve`, and the
 * CLI's bulk loads `stoa data import` and `stoa migrate legacy`).
 *
 * SQLite copies its write-ahead log back into the database file every 1,000 pages by
 * default, in the connection that committed, and fsyncs both files while doing it. With
 * better-sqlite3 that connection is the event loop's: on a node answering a thousand reads
 * a second (each recorded by a group commit) that is a checkpoint every half second, and
 * the read in flight waits 1–7 ms for its fsyncs — the single-client tail of the history
 * bench (docs/benchmarks.md). Here a worker thread with a connection of its own runs a
 * PASSIVE checkpoint every few hundred milliseconds: it never takes the write lock, so it
 * neither waits for nor blocks a transaction, and the fsyncs happen on its thread.
 *
 * While it runs, the writer only checkpoints itself when the log passes a backstop (the
 * worker fell far behind); if the worker fails, the writer goes back to SQLite's default.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Pages of log the writer lets pass before it checkpoints itself while the worker runs. */
export const BACKSTOP_PAGES = 10_000;
/** SQLite's own default, restored when the worker is gone. */
export const INLINE_PAGES = 1_000;

/**
 * The worker: CommonJS (an eval'd worker has `require`), given the files and the resolved
 * path of better-sqlite3. A failure ends it (its 'error' reaches the main thread); any
 * message stops it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const dbs = workerData.files.map((file) => new Database(file, { fileMustExist: true }));
const checkpoints = dbs.map((db) => {
  db.pragma('synchronous = FULL');
  return db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
});
const closeAll = () => {
  for (const db of dbs) db.close();
};
const timer = setInterval(() => {
  try {
    for (const checkpoint of checkpoints) checkpoint.get();
  } catch (err) {
    clearInterval(timer);
    closeAll();
    throw err;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  closeAll();
  parentPort.close();
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopping = false;

  /**
   * Starts the worker on `files` (the database, and the log of read records: read-log.ts);
   * `inline()` is called (once) if it fails or exits on its own, so the writers checkpoint
   * again themselves.
   */
  constructor(files: readonly string[], options: { intervalMs: number; inline: () => void; onError: (err: unknown) => void }) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { files, module, intervalMs: options.intervalMs } });
    this.worker.unref();
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      options.inline();
      options.onError(err);
    };
    this.worker.on('error', fail);
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        if (!this.stopping) fail(new Error(`the WAL checkpoint worker exited (code ${code})`));
        resolve();
      });
    });
  }

  /** Stops the worker after the checkpoint it may be running (its connection is closed). */
  async stop(): Promise<void> {
    if (this.stopping) return this.exited;
    this.stopping = true;
    // Unreferenced while it runs (it never keeps a process alive); referenced while it
    // stops, or a process with nothing else to do would end before its exit arrives.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}

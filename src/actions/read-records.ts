/**
 * The compliance record of reads (history pages, searches, file downloads) by group
 * commit. A read is recorded before its answer leaves (D2) — but one transaction, and one
 * fsync, per read would make every read a write. Records are queued; one writer commits
 * everything queued in one transaction, and every read of that batch is answered once it
 * committed. A batch that fails fails each of its reads (the client is told; nothing
 * unrecorded is answered). While a batch commits, the next one gathers. Batches commit
 * through Store.recordReads: in a log before the reads are answered (a killed server
 * loses none), flushed to disk later — on SQLite a file of its own, so reads never wait
 * for the database's write lock (store/read-log.ts). A read changes nothing and publishes
 * nothing, so its record is the one write that does not go through runWrite.
 */
import { complianceRows, type Actor, type Capture, type Services } from './context.js';

interface Waiting {
  captures: Capture[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** At most this many reads share one transaction (bounded statement size and memory). */
const MAX_BATCH = 500;

export class ReadRecorder {
  private queue: Waiting[] = [];
  private writing = false;
  /** Batches committed and reads recorded, for the tests and the metrics. */
  readonly stats = { batches: 0, reads: 0 };

  constructor(private readonly services: () => Services) {}

  /** Resolves once the captures are committed with the batch they joined. */
  record(actor: Actor, captures: readonly Capture[]): Promise<void> {
    const actorId = actor.kind === 'user' ? actor.principalId : null;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ captures: captures.map((c) => ({ actorId, ...c })), resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      // Let the reads answered in this turn of the event loop join the first batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          // Written to a log, not flushed: it survives Stoa being killed (the durability
          // test); the checkpoint worker (SQLite) or the server (PostgreSQL) flushes it.
          const services = this.services();
          // The readers' SIP addresses from the node's cache, not a query per batch (a
          // record keeps the address as it is at the read).
          const captures = batch.flatMap((w) => w.captures);
          const readers = [...new Set(captures.map((c) => c.actorId ?? null).filter((id): id is number => id !== null))];
          const uris = new Map(readers.length === 0 ? [] : (await services.access.principalsByIds(readers)).map((p) => [p.id, p.key]));
          await services.store.recordReads(complianceRows(captures, { actorId: null, now: services.clock(), poolFqdn: services.poolFqdn, uris }));
          this.stats.batches++;
          this.stats.reads += batch.length;
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}

/**
 * The pool's transactional outbox (migration 0009, docs/pool.md): a write's events are
 * written in its own transaction; the process publishes them after commit and deletes
 * the row. Rows nobody published — a CLI command's, or a node's that died between commit
 * and publish — are relayed by the serving nodes, so no event that committed is lost.
 */
import type { Store, OutboxRow } from '../store/types.js';
import type { DomainEvent } from './types.js';

/** A row its origin publishes itself is relayed by others only once it is this old. */
export const OUTBOX_STALE_MS = 5_000;
const RELAY_INTERVAL_MS = 1_000;
const RELAY_BATCH = 200;

/**
 * Events as another process wrote them (the outbox, the pool's stream): a list of objects
 * that each have a type; anything else is refused whole. Types this version does not know
 * pass through and are ignored by the handlers (a newer node's events in a mixed pool).
 */
export function decodeEvents(text: string): DomainEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('events are not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error('events are not a non-empty list');
  for (const e of parsed) {
    if (typeof e !== 'object' || e === null || Array.isArray(e) || typeof (e as { type?: unknown }).type !== 'string') throw new Error('an event has no type');
  }
  return parsed as DomainEvent[];
}

/**
 * Relays the outbox rows left for the serving nodes, every second: inside a transaction
 * that locks them, so two nodes never take the same row, and a relay that fails leaves
 * them for the next round.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Rows relayed since start (tests, metrics). */
  relayed = 0;

  constructor(
    private readonly store: Store,
    private readonly relay: (rows: readonly OutboxRow[]) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), RELAY_INTERVAL_MS);
    this.timer.unref();
  }

  /** One round now (and the next ones as scheduled). */
  async tick(): Promise<void> {
    if (this.running !== undefined) return this.running;
    this.running = this.round()
      .catch(this.onError)
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const staleBefore = this.clock() - OUTBOX_STALE_MS;
    // A look first, outside any transaction: most rounds find nothing and write nothing.
    if ((await this.store.outbox.due(staleBefore, 1)).length === 0) return;
    for (;;) {
      const done = await this.store.transaction(async (tx) => {
        const rows = await tx.outbox.due(staleBefore, RELAY_BATCH);
        if (rows.length === 0) return 0;
        await this.relay(rows);
        await tx.outbox.remove(rows.map((r) => r.id));
        return rows.length;
      });
      this.relayed += done;
      if (done < RELAY_BATCH) return;
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/**
 * What every action runs with, and the one way writes happen: inside a transaction that
 * queues events (published only after commit) and records a description of each change
 * (what `--what-if` prints, and what the compliance capture will record).
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/types.js';
import type { EventBus } from '../events/bus.js';
import type { DomainEvent } from '../events/types.js';
import type { BlobStore } from '../files/blob-store.js';

/** Who is in which room right now (the realtime gateway keeps it; none without a server). */
export interface Presence {
  participants(roomId: number): number;
}

export const NO_PRESENCE: Presence = { participants: () => 0 };

export interface Services {
  store: Store;
  bus: EventBus;
  poolFqdn: string;
  clock: () => number;
  newGuid: () => string;
  presence: Presence;
  /** Where uploaded files live (absent: this entry point handles no files). */
  blobs?: BlobStore;
}

export function makeServices(parts: Pick<Services, 'store' | 'bus' | 'poolFqdn'> & Partial<Services>): Services {
  return { clock: () => Date.now(), newGuid: () => randomUUID(), presence: NO_PRESENCE, ...parts };
}

/** Who asks: a signed-in user, or the local administrator working on the data dir. */
export type Actor = { kind: 'system' } | { kind: 'user'; principalId: number };

export const SYSTEM_ACTOR: Actor = { kind: 'system' };

export interface FieldChange {
  from: unknown;
  to: unknown;
}

export interface Change {
  action: 'create' | 'update' | 'remove' | 'reset' | 'grant' | 'revoke' | 'add' | 'set';
  kind: string;
  identity: string;
  details?: Record<string, FieldChange>;
  notes?: string[];
}

export interface WriteOptions {
  /** Do everything, validate everything, then roll back: nothing changes, nothing is published. */
  whatIf?: boolean;
}

export interface Outcome<T> {
  result: T;
  changes: Change[];
  whatIf: boolean;
}

/** A write in progress: its store is bound to the transaction. */
export class Tx {
  readonly events: DomainEvent[] = [];
  readonly changes: Change[] = [];
  /** Work outside the database that must happen only if the transaction commits (files). */
  readonly afterCommit: (() => void)[] = [];

  constructor(
    readonly store: Store,
    readonly services: Services,
    readonly now: number,
  ) {}

  emit(event: DomainEvent): void {
    this.events.push(event);
  }

  record(change: Change): void {
    this.changes.push(change);
  }
}

/** Thrown inside the transaction to roll a what-if run back; never leaves runWrite. */
class WhatIfRollback<T> extends Error {
  constructor(
    readonly result: T,
    readonly changes: Change[],
  ) {
    super('what-if rollback');
  }
}

export async function runWrite<T>(
  services: Services,
  options: WriteOptions,
  fn: (tx: Tx) => Promise<T>,
): Promise<Outcome<T>> {
  let committed: { result: T; tx: Tx };
  try {
    committed = await services.store.transaction(async (store) => {
      const tx = new Tx(store, services, services.clock());
      const result = await fn(tx);
      if (options.whatIf === true) throw new WhatIfRollback(result, tx.changes);
      return { result, tx };
    });
  } catch (err) {
    if (err instanceof WhatIfRollback) return { result: err.result as T, changes: err.changes, whatIf: true };
    throw err;
  }
  await services.bus.publish(committed.tx.events);
  for (const job of committed.tx.afterCommit) {
    try {
      job();
    } catch {
      // Best effort (e.g. a file already gone); the committed change stands.
    }
  }
  return { result: committed.result, changes: committed.tx.changes, whatIf: false };
}

/** Field-by-field differences between two presented objects (for change records). */
export function diff<T extends object>(before: T, after: T, ignore: readonly string[] = []): Record<string, FieldChange> {
  const out: Record<string, FieldChange> = {};
  for (const key of Object.keys(after) as (keyof T & string)[]) {
    if (ignore.includes(key)) continue;
    const from = before[key];
    const to = after[key];
    if (JSON.stringify(from) !== JSON.stringify(to)) out[key] = { from, to };
  }
  return out;
}

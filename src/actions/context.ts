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
import type { NewComplianceEvent } from '../store/types.js';
import { channelUri, type ComplianceEventType } from '../domain/compliance.js';
import { LoginThrottle, type SignInThrottle } from '../auth/throttle.js';
import { AccessCache } from '../access/cache.js';
import { ReadRecorder } from './read-records.js';
import { SubscriptionIndex } from './subscription-index.js';
import { RecentMessages } from './recent-messages.js';
import { WordIndexer } from './word-indexer.js';
import { ActiveServerGate } from './active-servers.js';

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
  /** This process, as compliance knows who was in which room (random per start). */
  instanceId: string;
  /** A serving node's name (`--node-name`); undefined in CLI commands. */
  nodeName?: string;
  /** Whether this node is on the pool's active-server list (only those accept new connections). */
  activeServers: ActiveServerGate;
  /**
   * Set where other processes must hear this one's writes (a pool on PostgreSQL): each
   * write's events go into the outbox in its transaction (events/outbox.ts). `published`:
   * this process publishes them itself (a node on Redis); a CLI command leaves them to the
   * serving nodes.
   */
  outbox?: { published: boolean };
  /** Where uploaded files live (absent: this entry point handles no files). */
  blobs?: BlobStore;
  /** Failed sign-ins per account and address: one budget for every way of signing in. */
  throttle: SignInThrottle;
  /** Users' facts and the categories between requests, emptied by the bus's events. */
  access: AccessCache;
  /** The compliance record of reads, written by group commit (read-records.ts). */
  reads: ReadRecorder;
  /** Keyword alerts and topic feeds, indexed in memory for matching posts. */
  subscriptions: SubscriptionIndex;
  /** The newest messages of busy rooms, for backchat and the newest history page. */
  recent: RecentMessages;
  /** The word index of message search: kept up by the server, and each search's plan. */
  words: WordIndexer;
  /**
   * Sign-in with directory credentials (docs/directory.md), when configured: the user's
   * SIP address and whether the directory has them enabled, or undefined for an unknown
   * user or a wrong password.
   */
  directoryAuth?: { source: string; authenticate(login: string, password: string): Promise<{ sipAddress: string; enabled: boolean } | undefined> };
  /**
   * Where server-side paths named in settings may point (D9): inside the data dir, or
   * under a directory the configuration file allows. Absent: no data dir (tests).
   */
  paths?: AllowedPaths;
}

export interface AllowedPaths {
  dataDir: string;
  /** Extra roots for compliance output (the configuration's complianceOutputDirectories). */
  outputDirectories: readonly string[];
}

export function makeServices(parts: Pick<Services, 'store' | 'bus' | 'poolFqdn'> & Partial<Services>): Services {
  const clock = parts.clock ?? (() => Date.now());
  let access = parts.access;
  if (access === undefined) {
    access = new AccessCache(parts.store, clock);
    access.follow(parts.bus);
  }
  let subscriptions = parts.subscriptions;
  if (subscriptions === undefined) {
    subscriptions = new SubscriptionIndex(parts.store, clock);
    subscriptions.follow(parts.bus);
  }
  let recent = parts.recent;
  if (recent === undefined) {
    recent = new RecentMessages(clock);
    recent.follow(parts.bus);
  }
  let words = parts.words;
  if (words === undefined) {
    words = new WordIndexer(parts.store);
    words.follow(parts.bus);
  }
  const activeServers = parts.activeServers ?? new ActiveServerGate(parts.store, parts.nodeName, clock);
  if (parts.activeServers === undefined) activeServers.follow(parts.bus);
  const services: Services = {
    clock,
    newGuid: () => randomUUID(),
    presence: NO_PRESENCE,
    instanceId: randomUUID(),
    throttle: new LoginThrottle(),
    ...parts,
    access,
    activeServers,
    subscriptions,
    recent,
    words,
    reads: parts.reads ?? new ReadRecorder(() => services),
  };
  return services;
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

/** One activity for the compliance record (D2), written in the transaction of the activity. */
export interface Capture {
  type: ComplianceEventType;
  /** The user who acted; the transaction's actor when absent. */
  actorId?: number | null;
  /** Their SIP URI when the caller has it at hand (otherwise looked up once per transaction). */
  actorUri?: string;
  room?: { id: number; guid: string } | null;
  /** The room's channel URI when the room itself is not at hand (it may be gone). */
  roomUri?: string;
  messageId?: number | null;
  content?: string;
  details?: Record<string, unknown>;
  /** When it happened, if not now (a crashed server's PARTs: its last heartbeat). */
  at?: number;
}

/**
 * The compliance rows of captures: a capture without an actor is `actorId`'s, without a
 * time `now`'s; an actor's SIP address is the capture's or else from `uris`.
 */
export function complianceRows(
  captures: readonly Capture[],
  { actorId, now, poolFqdn, uris }: { actorId: number | null; now: number; poolFqdn: string; uris: ReadonlyMap<number, string> },
): NewComplianceEvent[] {
  return captures.map((c) => {
    const who = c.actorId === undefined ? actorId : c.actorId;
    return {
      type: c.type,
      at: c.at ?? now,
      actorId: who,
      actorUri: c.actorUri ?? (who === null ? null : (uris.get(who) ?? null)),
      roomId: c.room?.id ?? null,
      roomUri: c.roomUri ?? (c.room == null ? null : channelUri(poolFqdn, c.room.guid)),
      messageId: c.messageId ?? null,
      content: c.content ?? '',
      details: c.details === undefined ? null : detailsJson(c.details),
    };
  });
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
  readonly captured: Capture[] = [];

  constructor(
    readonly store: Store,
    readonly services: Services,
    readonly actor: Actor,
    readonly now: number,
  ) {}

  emit(event: DomainEvent): void {
    this.events.push(event);
  }

  record(change: Change): void {
    this.changes.push(change);
  }

  capture(event: Capture): void {
    this.captured.push(event);
  }

  /**
   * Writes the compliance record of everything this transaction did: the activities
   * captured, and every change it records (as CHANGE events). Runs last, before commit.
   */
  async flushCapture(): Promise<void> {
    const actorId = this.actor.kind === 'user' ? this.actor.principalId : null;
    const all: Capture[] = [
      ...this.captured,
      ...this.changes.map((c): Capture => ({
        type: 'CHANGE',
        content: `${c.action} ${c.kind} ${c.identity}`,
        details: { action: c.action, kind: c.kind, identity: c.identity, ...(c.details === undefined ? {} : { changes: c.details }), ...(c.notes === undefined ? {} : { notes: c.notes }) },
      })),
    ];
    if (all.length === 0) return;
    const unknown = [...new Set(all.flatMap((c) => (c.actorUri === undefined ? [c.actorId ?? actorId] : [])).filter((id): id is number => id !== null))];
    const uris = new Map((await this.store.principals.getManyByIds(unknown)).map((p) => [p.id, p.key]));
    const rows = complianceRows(all, { actorId, now: this.now, poolFqdn: this.services.poolFqdn, uris });
    await this.store.compliance.capture(rows);
  }
}

/**
 * The JSON of a capture's details; kept for frozen ones, which one capture may share with
 * many reads (the newest page of a room: messages.ts), so each is serialised once.
 */
const frozenDetails = new WeakMap<object, string>();

function detailsJson(details: Record<string, unknown>): string {
  if (!Object.isFrozen(details)) return JSON.stringify(details);
  let json = frozenDetails.get(details);
  if (json === undefined) {
    json = JSON.stringify(details);
    frozenDetails.set(details, json);
  }
  return json;
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

/**
 * Runs fn in one transaction on behalf of the actor; the compliance record of what it did
 * is written in the same transaction, and its events are published after commit.
 */
export async function runWrite<T>(
  services: Services,
  actor: Actor,
  options: WriteOptions,
  fn: (tx: Tx) => Promise<T>,
): Promise<Outcome<T>> {
  let committed: { result: T; tx: Tx; outboxId: number | undefined };
  try {
    committed = await services.store.transaction(async (store) => {
      const tx = new Tx(store, services, actor, services.clock());
      const result = await fn(tx);
      if (options.whatIf === true) throw new WhatIfRollback(result, tx.changes);
      await tx.flushCapture();
      const outboxId = await keepEvents(services, store, tx.events, tx.now);
      return { result, tx, outboxId };
    });
  } catch (err) {
    if (err instanceof WhatIfRollback) return { result: err.result as T, changes: err.changes, whatIf: true };
    throw err;
  }
  await services.bus.publish(committed.tx.events, committed.outboxId === undefined ? undefined : { outboxId: committed.outboxId });
  for (const job of committed.tx.afterCommit) {
    try {
      job();
    } catch {
      // Best effort (e.g. a file already gone); the committed change stands.
    }
  }
  return { result: committed.result, changes: committed.tx.changes, whatIf: false };
}

/** The outbox row of these events, in the caller's transaction, where the process keeps one (Services.outbox). */
async function keepEvents(services: Services, store: Store, events: readonly DomainEvent[], now: number): Promise<number | undefined> {
  if (services.outbox === undefined || events.length === 0) return undefined;
  return store.outbox.append({ origin: services.instanceId, publishedByOrigin: services.outbox.published, events: JSON.stringify(events), createdAt: now });
}

/**
 * Publishes events of a change made outside runWrite (an import's bulk writes): kept in the
 * outbox first where the process keeps one, so the pool hears of them however this ends.
 */
export async function publishChange(services: Services, events: readonly DomainEvent[]): Promise<void> {
  const outboxId = await services.store.transaction((store) => keepEvents(services, store, events, services.clock()));
  await services.bus.publish(events, outboxId === undefined ? undefined : { outboxId });
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

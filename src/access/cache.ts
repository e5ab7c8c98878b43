/**
 * What access checks read on every request, kept between requests: each user's facts
 * (affiliations, administrator role, effective policy) and the categories with their
 * lists (scope and creators). Kept fresh by the events every write publishes after
 * commit: anything but chat traffic empties the cache (role, directory, policy, category,
 * administrator changes are rare next to reads), and entries older than `ttlMs` are read
 * again — a safety net for a writer that publishes nothing here (another process on the
 * same database). A load that started before an invalidation is not kept.
 *
 * Administrative actions still read their facts inside their own transaction; the chat
 * paths (history, post, join, search, files, read marks, the auth hook) use this cache.
 * Inside a transaction, pass its store (`via`): a miss then reads on the transaction's
 * connection — on PostgreSQL, asking the pool for a second connection while holding one
 * would deadlock once every connection is held by such a transaction.
 */
import type { CategoryLists, CategoryRecord, PrincipalRecord, SessionRecord, Store } from '../store/types.js';
import type { LoadedRoom } from './rooms.js';
import type { ActorFacts } from '../domain/permissions.js';
import type { DomainEvent } from '../events/types.js';
import type { EventBus } from '../events/bus.js';
import type { Actor } from '../actions/context.js';
import { loadActorFacts } from './actor.js';

/** Events that change no access fact: chat traffic and personal settings. */
const CHAT_TRAFFIC = new Set<DomainEvent['type']>([
  'message.posted',
  'message.removed',
  'message.replaced',
  'room.cleared',
  'notification.created',
  'invitation.created',
  'invitation.accepted',
  'follows.changed',
  'subscriptions.changed',
  'session.ended',
  'endpoint.created',
  'endpoint.removed',
  'addin.created',
  'addin.updated',
  'addin.removed',
  'configuration.changed',
  'compliance_configuration.changed',
]);

export interface CategorySnapshot {
  all: readonly CategoryRecord[];
  byId: ReadonlyMap<number, CategoryRecord>;
  lists: ReadonlyMap<number, CategoryLists>;
}

interface Entry<T> {
  value: T;
  at: number;
}

const MAX_USERS = 100_000;
const MAX_PRINCIPALS = 50_000;
const MAX_SESSIONS = 100_000;
/** Rooms as loaded for one reader (the room, its category, the reader's own role entries). */
const MAX_READER_ROOMS = 100_000;
/** Readers whose readable rooms are kept (each set at most MAX_LISTED_ROOMS ids: searchMessages). */
const MAX_READABLE_SETS = 10_000;

export class AccessCache {
  private readonly facts = new Map<number, Entry<ActorFacts>>();
  private categories: Entry<CategorySnapshot> | undefined;
  /** Principals as messages show their authors (key, display name). */
  private readonly principals = new Map<number, Entry<PrincipalRecord>>();
  /** The chat configuration in effect (DefaultChatHistory, MaxFileSizeKB, ...). */
  private configuration: Entry<unknown> | undefined;
  /** Sessions by token hash (the auth hook of every request). */
  private readonly sessions = new Map<string, Entry<SessionRecord>>();
  /** Rooms by `reader:guid`, as loaded for that reader: reads only, never a write's. */
  private readonly readerRooms = new Map<string, Entry<LoadedRoom>>();
  /** The ids of the rooms each reader may read history in (search). */
  private readonly readableSets = new Map<number, Entry<readonly number[]>>();
  private sessionGeneration = 0;
  private generation = 0;
  /** Loads done (misses) and answers from memory (hits), for the metrics and the tests. */
  readonly stats = { hits: 0, misses: 0, invalidations: 0 };

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = 30_000,
  ) {}

  /** Invalidates on the bus's events; returns the unsubscribe. */
  follow(bus: EventBus): () => void {
    return bus.subscribe((event) => {
      if (event.type === 'configuration.changed') this.configuration = undefined;
      if (event.type === 'session.ended') this.forgetSessions();
      if (!CHAT_TRAFFIC.has(event.type)) this.invalidate();
    });
  }

  invalidate(): void {
    this.generation++;
    this.stats.invalidations++;
    this.facts.clear();
    this.principals.clear();
    this.categories = undefined;
    this.configuration = undefined;
    this.readerRooms.clear();
    this.readableSets.clear();
    this.forgetSessions();
  }

  /** Sign-outs and revocations: every session is read again (they are rare; a request's read is one statement). */
  private forgetSessions(): void {
    this.sessionGeneration++;
    this.sessions.clear();
  }

  /** A session by token hash, from memory when fresh; an unknown token is not remembered. */
  session(tokenHash: string, load: () => Promise<SessionRecord | undefined>): Promise<SessionRecord | undefined> {
    return this.keyed(this.sessions, tokenHash, MAX_SESSIONS, () => this.sessionGeneration, load);
  }

  /** The session was used now (its last-used time was written): memory follows. */
  touched(tokenHash: string, at: number): void {
    const cached = this.sessions.get(tokenHash);
    if (cached !== undefined) cached.value = { ...cached.value, lastUsedAt: at };
  }

  /**
   * A room as loaded for one reader (history pages): from memory when fresh.
   * The checks of what the reader may do run on it every time; a missing room is not
   * remembered. Writes load their room in their own transaction instead.
   */
  readerRoom(readerId: number, guid: string, load: () => Promise<LoadedRoom | undefined>): Promise<LoadedRoom | undefined> {
    return this.keyed(this.readerRooms, `${readerId}:${guid}`, MAX_READER_ROOMS, () => this.generation, load);
  }

  /**
   * The ids of the rooms a reader may read history in, from memory when fresh: every
   * search of that reader runs over them. Forgotten on every change of rights, like the
   * reader's rooms.
   */
  readableRooms(readerId: number, load: () => Promise<readonly number[]>): Promise<readonly number[]> {
    return this.keyed(this.readableSets, readerId, MAX_READABLE_SETS, () => this.generation, load);
  }

  /**
   * One entry of a keyed cache: from memory when fresh, else loaded and kept (most
   * recently used last, the oldest out past `max`) unless it is undefined or an
   * invalidation (`generation` moved) happened while it loaded.
   */
  private async keyed<K, V>(map: Map<K, Entry<V>>, key: K, max: number, generation: () => number, load: () => Promise<V>): Promise<V> {
    const cached = map.get(key);
    if (this.fresh(cached)) {
      this.stats.hits++;
      return cached.value;
    }
    this.stats.misses++;
    const before = generation();
    const at = this.clock();
    const value = await load();
    if (value !== undefined && before === generation()) {
      map.delete(key);
      map.set(key, { value, at });
      if (map.size > max) map.delete(map.keys().next().value as K);
    }
    return value;
  }

  /** Principal records by id, from memory where known (one statement for the rest). */
  async principalsByIds(ids: readonly number[], via: Store = this.store): Promise<PrincipalRecord[]> {
    const out: PrincipalRecord[] = [];
    const missing: number[] = [];
    for (const id of new Set(ids)) {
      const cached = this.principals.get(id);
      if (this.fresh(cached)) out.push(cached.value);
      else missing.push(id);
    }
    if (missing.length === 0) {
      this.stats.hits++;
      return out;
    }
    this.stats.misses++;
    const generation = this.generation;
    const at = this.clock();
    const loaded = await via.principals.getManyByIds(missing);
    if (generation === this.generation) {
      for (const p of loaded) this.principals.set(p.id, { value: p, at });
      while (this.principals.size > MAX_PRINCIPALS) this.principals.delete(this.principals.keys().next().value as number);
    }
    return [...out, ...loaded];
  }

  /** The effective chat configuration, loaded by `load` when not in memory. */
  async chatConfiguration<T>(load: () => Promise<T>): Promise<T> {
    if (this.fresh(this.configuration)) {
      this.stats.hits++;
      return this.configuration.value as T;
    }
    this.stats.misses++;
    const generation = this.generation;
    const at = this.clock();
    const value = await load();
    if (generation === this.generation) this.configuration = { value, at };
    return value;
  }

  private fresh<T>(entry: Entry<T> | undefined): entry is Entry<T> {
    return entry !== undefined && this.clock() - entry.at < this.ttlMs;
  }

  actorFacts(actor: Actor, via: Store = this.store): Promise<ActorFacts> {
    if (actor.kind === 'system') return Promise.resolve({ kind: 'system' });
    return this.keyed(this.facts, actor.principalId, MAX_USERS, () => this.generation, () => loadActorFacts(via, actor));
  }

  async categorySnapshot(via: Store = this.store): Promise<CategorySnapshot> {
    if (this.fresh(this.categories)) {
      this.stats.hits++;
      return this.categories.value;
    }
    this.stats.misses++;
    const generation = this.generation;
    const at = this.clock();
    const all = await via.categories.list();
    const lists = await via.categories.lists(all.map((c) => c.id));
    const value: CategorySnapshot = { all, byId: new Map(all.map((c) => [c.id, c])), lists };
    if (generation === this.generation) this.categories = { value, at };
    return value;
  }
}

/**
 * The newest messages of the rooms people are reading, kept in memory as clients see them
 * (the legacy chat server kept each room's DefaultChatHistory messages cached the same
 * way): the backchat of a join and the newest page of history are answered without
 * reading the store or presenting the rows again.
 *
 * Fresh by the bus's events: a post is appended (out of order — possible once events come
 * from several nodes — drops the room instead); a removal, replacement, clearing or change
 * of the room drops the room; a change to principals (authors' names) drops everything. A
 * load that started before an event about its room is not kept, and an entry is at most
 * `ttlMs` old. Bounded by a total number of messages; the least recently used rooms go
 * first.
 */
import type { EventBus } from '../events/bus.js';
import type { DomainEvent } from '../events/types.js';
import type { MessageView } from './chat-views.js';

interface Entry {
  /** Ascending by chat id: the newest messages in history. */
  views: MessageView[];
  /**
   * The newest `count` as last answered, by count: the same array until the room changes,
   * so what callers derive from it (a page, its serialised reply) can be kept by identity.
   */
  slices: Map<number, readonly MessageView[]>;
  /** The room has no older messages in history than these. */
  complete: boolean;
  /** As many as were loaded: appending trims back to this once DEPTH more have come. */
  keep: number;
  at: number;
}

/** What one room keeps beyond what was asked, so the next post does not force a reload. */
const DEPTH = 64;
const DEFAULT_MAX_MESSAGES = 100_000;
/** Slices kept per room (one per page size asked for). */
const MAX_SLICES = 8;

export class RecentMessages {
  private readonly rooms = new Map<number, Entry>();
  /** Per room, bumped by every event about it: a load that saw a change while it ran is not kept. */
  private readonly generations = new Map<number, number>();
  private epoch = 0;
  private total = 0;
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxMessages = DEFAULT_MAX_MESSAGES,
    private readonly ttlMs = 60_000,
  ) {}

  follow(bus: EventBus): () => void {
    return bus.subscribe((event) => this.apply(event));
  }

  /**
   * The newest `count` messages in the room's history, oldest first (fewer when the room
   * has fewer). `load(n)` reads the newest n from the store when memory cannot answer.
   */
  async latest(roomId: number, count: number, load: (n: number) => Promise<MessageView[]>): Promise<readonly MessageView[]> {
    const entry = this.rooms.get(roomId);
    if (entry !== undefined && this.clock() - entry.at < this.ttlMs && (entry.views.length >= count || entry.complete)) {
      this.stats.hits++;
      // Most recently used last: the first in the map is evicted first.
      this.rooms.delete(roomId);
      this.rooms.set(roomId, entry);
      let slice = entry.slices.get(count);
      if (slice === undefined) {
        // A handful of counts per room (the clients' page sizes); never more than MAX_SLICES.
        if (entry.slices.size >= MAX_SLICES) entry.slices.clear();
        slice = Object.freeze(entry.views.slice(Math.max(0, entry.views.length - count)));
        entry.slices.set(count, slice);
      }
      return slice;
    }
    this.stats.misses++;
    const generation = this.generationOf(roomId);
    const epoch = this.epoch;
    const want = Math.max(count, DEPTH);
    const at = this.clock();
    const views = await load(want);
    if (generation === this.generationOf(roomId) && epoch === this.epoch) this.keep(roomId, { views, slices: new Map(), complete: views.length < want, keep: Math.max(views.length, DEPTH), at });
    return views.slice(Math.max(0, views.length - count));
  }

  private apply(event: DomainEvent): void {
    switch (event.type) {
      case 'message.posted': {
        this.bump(event.roomId);
        const entry = this.rooms.get(event.roomId);
        if (entry === undefined) return;
        if (!event.inHistory) return;
        const last = entry.views.at(-1);
        // Only the next message extends the room's newest: a copy, or one that arrives ahead
        // of another (in a pool, from a node whose publish overtook), makes it read again.
        if (last !== undefined && last.chatId + 1 !== event.message.chatId) return this.drop(event.roomId);
        entry.views.push(event.message);
        entry.slices.clear();
        this.total++;
        // Keep the room's depth: older messages are read from the store when asked for.
        if (entry.views.length > entry.keep + DEPTH) {
          const cut = entry.views.length - entry.keep;
          entry.views.splice(0, cut);
          this.total -= cut;
          entry.complete = false;
        }
        this.evict();
        return;
      }
      case 'message.removed':
      case 'message.replaced':
      case 'room.cleared':
      case 'room.removed':
      case 'room.disabled':
      case 'room.updated':
      case 'room.moved':
        this.bump(event.roomId);
        return this.drop(event.roomId);
      case 'principal.updated':
      case 'principal.removed':
      case 'directory.changed':
      case 'data.imported':
      case 'events.lost':
        return this.clear();
      default:
        return;
    }
  }

  clear(): void {
    this.epoch++;
    this.rooms.clear();
    this.generations.clear();
    this.total = 0;
  }

  private generationOf(roomId: number): number {
    return this.generations.get(roomId) ?? 0;
  }

  private bump(roomId: number): void {
    // Only rooms with an entry or a load in flight need counting; the map is bounded by
    // dropping counts of rooms with neither when it grows.
    this.generations.set(roomId, this.generationOf(roomId) + 1);
    if (this.generations.size > 4 * this.rooms.size + 10_000) {
      for (const id of this.generations.keys()) if (!this.rooms.has(id)) this.generations.delete(id);
      this.epoch++;
    }
  }

  private keep(roomId: number, entry: Entry): void {
    this.drop(roomId);
    this.rooms.set(roomId, entry);
    this.total += entry.views.length;
    this.evict();
  }

  private drop(roomId: number): void {
    const entry = this.rooms.get(roomId);
    if (entry === undefined) return;
    this.rooms.delete(roomId);
    this.total -= entry.views.length;
  }

  private evict(): void {
    while (this.total > this.maxMessages && this.rooms.size > 0) this.drop(this.rooms.keys().next().value as number);
  }
}

/**
 * The event bus of a pool (docs/pool.md): every node hears every committed event.
 *
 * A write's events are in the outbox of its transaction (events/outbox.ts). After commit
 * the node hands them to its own handlers and appends them to the pool's Redis stream;
 * once Redis has them, the outbox row goes. Each node reads the stream from where it last
 * was, so a dropped connection to Redis loses nothing; rows a node left behind (it died,
 * or Redis was down) are appended by whichever node relays them, and a copy that arrives
 * twice is dropped by its outbox id. If Redis lost the stream itself (restarted without
 * its data), a node says so with `events.lost`: caches read everything again and live
 * sessions are checked again.
 */
import { redactUrl } from '../config/redact.js';
import { Redis } from 'ioredis';
import type { EventBus, EventHandler, PublishReceipt } from './bus.js';
import type { DomainEvent } from './types.js';
import type { OutboxRow, Store } from '../store/types.js';
import { InProcessEventBus } from './in-process-bus.js';
import { decodeEvents, OutboxRelay } from './outbox.js';
import { AppError } from '../domain/errors.js';

/** Entries the stream keeps (about): room for a node that lost Redis for a while to catch up. */
const STREAM_LENGTH = 50_000;
const READ_COUNT = 500;
const READ_BLOCK_MS = 1_000;
/** Outbox ids of copies remembered (a relayed copy arrives within seconds of the first). */
const SEEN_IDS = 100_000;
const DELETE_DELAY_MS = 20;

export interface RedisBusOptions {
  url: string;
  /** The stream's key: one per deployment (several may share a Redis). */
  stream: string;
  /** This process (Services.instanceId): its own events it has already handled. */
  origin: string;
  store: Store;
  onHandlerError?: (err: unknown, event: DomainEvent) => void;
  log: (level: 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;
  /** Entries per read (default READ_COUNT; tests make it small). */
  readCount?: number;
}

export class RedisEventBus implements EventBus {
  private readonly local: InProcessEventBus;
  private readonly writer: Redis;
  private readonly reader: Redis;
  private readonly relay: OutboxRelay;
  private lastId = '0-0';
  private reading: Promise<void> | undefined;
  private closed = false;
  /** Where the reader was in the stream when its connection closed. */
  private placeAtClose: string | undefined;
  /** What the connection last failed with (the reason given when the node cannot start). */
  private lastError: string | undefined;
  private readonly seen = new Set<string>();
  private deletes: number[] = [];
  private deleteTimer: NodeJS.Timeout | undefined;
  private readonly sending = new Set<Promise<void>>();
  readonly stats = { appended: 0, received: 0, copies: 0, lost: 0 };

  private constructor(private readonly options: RedisBusOptions) {
    this.local = new InProcessEventBus(options.onHandlerError);
    // Commands wait for a reconnection rather than fail at once; a publish never waits on
    // them (the outbox keeps its events), only the reader and the relay do.
    const settings = { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 3, connectionName: `stoa:${options.origin}` };
    this.writer = new Redis(options.url, settings);
    // The reader waits for Redis however long it takes; its blocked read is sent again
    // after a reconnection, from the same place (see checkPlace).
    this.reader = new Redis(options.url, { ...settings, maxRetriesPerRequest: null });
    for (const [name, client] of [['writer', this.writer], ['reader', this.reader]] as const) {
      client.on('error', (err: Error) => {
        this.lastError = err.message;
        if (!this.closed && this.reading !== undefined) options.log('warn', `the pool's Redis (${name}): ${err.message}`);
      });
    }
    this.reader.on('close', () => (this.placeAtClose ??= this.lastId));
    this.reader.on('ready', () => {
      const place = this.placeAtClose;
      this.placeAtClose = undefined;
      if (place !== undefined && !this.closed) void this.checkPlace(place);
    });
    this.relay = new OutboxRelay(options.store, (rows) => this.relayRows(rows), (err) => options.log('warn', 'relaying the outbox failed: the next round tries again', { err }));
  }

  /** Connects and starts reading the stream from its end; refuses a Redis it cannot reach. */
  static async connect(options: RedisBusOptions): Promise<RedisEventBus> {
    const bus = new RedisEventBus(options);
    try {
      await Promise.all([bus.writer.connect(), bus.reader.connect()]);
      const [newest] = (await bus.writer.xrevrange(options.stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
      bus.lastId = newest?.[0] ?? '0-0';
    } catch (err) {
      bus.closed = true;
      bus.writer.disconnect();
      bus.reader.disconnect();
      throw new AppError('POOL_UNAVAILABLE', `cannot reach the pool's Redis at ${redactUrl(options.url)}: ${bus.lastError ?? (err as Error).message}`);
    }
    bus.reading = bus.read();
    bus.relay.start();
    return bus;
  }

  async publish(events: readonly DomainEvent[], receipt?: PublishReceipt): Promise<void> {
    if (events.length === 0) return;
    // Redis first, without waiting for it: other nodes hear at once, this node's handlers
    // do not wait on the network.
    const sent = this.append(this.options.origin, receipt?.outboxId, JSON.stringify(events)).then(
      () => {
        if (receipt?.outboxId !== undefined) this.deleteLater(receipt.outboxId);
      },
      (err: unknown) => this.options.log('warn', 'publishing to the pool failed: the outbox keeps the events for the relay', { err }),
    );
    this.sending.add(sent);
    void sent.finally(() => this.sending.delete(sent));
    await this.local.publish(events);
  }

  /** The connection for the pool's other shared state (limits: auth/pool-limits.ts); never blocked. */
  get client(): Redis {
    return this.writer;
  }

  announce(events: readonly DomainEvent[]): Promise<void> {
    return this.local.publish(events);
  }

  subscribe(handler: EventHandler): () => void {
    return this.local.subscribe(handler);
  }

  private async append(origin: string, outboxId: number | undefined, events: string): Promise<void> {
    await this.writer.xadd(this.options.stream, 'MAXLEN', '~', STREAM_LENGTH, '*', 'o', origin, 'i', outboxId === undefined ? '' : String(outboxId), 'e', events);
    this.stats.appended++;
  }

  /** Left-over outbox rows into the stream (in the relay's transaction: a failure keeps them). */
  private async relayRows(rows: readonly OutboxRow[]): Promise<void> {
    for (const row of rows) await this.append(row.origin, row.id, row.events);
  }

  private deleteLater(id: number): void {
    this.deletes.push(id);
    this.deleteTimer ??= setTimeout(() => void this.flushDeletes(), DELETE_DELAY_MS);
  }

  private async flushDeletes(): Promise<void> {
    this.deleteTimer = undefined;
    const ids = this.deletes.splice(0);
    if (ids.length === 0) return;
    try {
      await this.options.store.transaction((tx) => tx.outbox.remove(ids));
    } catch (err) {
      // The rows stay: the relay appends them again, and every node drops the copies.
      this.options.log('warn', 'removing published events from the outbox failed', { err });
    }
  }

  private async read(): Promise<void> {
    while (!this.closed) {
      try {
        const count = this.options.readCount ?? READ_COUNT;
        const from = this.lastId;
        const answer = await this.reader.xread('COUNT', count, 'BLOCK', READ_BLOCK_MS, 'STREAMS', this.options.stream, from);
        const entries = answer?.[0]?.[1] ?? [];
        // A full read: this node is behind. If the stream no longer holds where it was, it
        // was trimmed past entries this node had not read yet (STREAM_LENGTH behind).
        if (entries.length >= count) await this.checkPlace(from);
        for (const [id, fields] of entries) {
          this.lastId = id;
          await this.receive(fields);
        }
      } catch (err) {
        if (this.closed) return;
        this.options.log('warn', "reading the pool's events failed: retrying", { err });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /**
   * After a reconnection, or a full read: the stream still holds the entry the node had read last, or
   * Redis lost (restarted empty) or trimmed entries the node may not have read. Reading
   * goes on from the same place either way (entry ids grow with time: all the stream
   * holds now lies after it), and on a loss everything is checked again (`events.lost`).
   */
  private async checkPlace(place: string): Promise<void> {
    if (place === '0-0') return;
    try {
      // On the reader: it has just reconnected (the writer may still be on its way back).
      if ((await this.reader.xrange(this.options.stream, place, place)).length > 0) return;
    } catch (err) {
      this.options.log('warn', "checking the place in the pool's events after a reconnection failed", { err });
      return;
    }
    this.stats.lost++;
    this.options.log('error', "the pool's Redis no longer holds the events this node had read up to: events may have been missed; caches read everything again and live sessions are checked again");
    await this.local.publish([{ type: 'events.lost' }]);
  }

  private async receive(fields: readonly string[]): Promise<void> {
    const entry = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) entry.set(fields[i]!, fields[i + 1]!);
    // This node handled its own events when it published them.
    if (entry.get('o') === this.options.origin) return;
    const outboxId = entry.get('i') ?? '';
    if (outboxId !== '') {
      if (this.seen.has(outboxId)) {
        this.stats.copies++;
        return;
      }
      this.seen.add(outboxId);
      if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value as string);
    }
    let events: DomainEvent[];
    try {
      events = decodeEvents(entry.get('e') ?? '');
    } catch (err) {
      this.options.log('error', "an entry of the pool's stream is not events: skipped", { err, outboxId });
      return;
    }
    this.stats.received++;
    await this.local.publish(events);
  }

  async close(): Promise<void> {
    await this.relay.stop();
    await Promise.allSettled([...this.sending]);
    if (this.deleteTimer !== undefined) clearTimeout(this.deleteTimer);
    await this.flushDeletes();
    this.closed = true;
    this.reader.disconnect();
    await this.reading;
    await this.writer.quit().catch(() => undefined);
    await this.local.close();
  }
}

import type { DomainEvent } from './types.js';

export type EventHandler = (event: DomainEvent) => void | Promise<void>;

/** How a write's events were kept until they are published (Services.outbox). */
export interface PublishReceipt {
  /** The outbox row written in the write's transaction: deleted once the pool has the events. */
  outboxId?: number;
}

/**
 * Delivers committed events to subscribers: in this process (InProcessEventBus), and in
 * a pool to every node (RedisEventBus).
 */
export interface EventBus {
  publish(events: readonly DomainEvent[], receipt?: PublishReceipt): Promise<void>;
  subscribe(handler: EventHandler): () => void;
  close(): Promise<void>;
}

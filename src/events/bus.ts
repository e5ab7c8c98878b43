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
  /**
   * Delivers events to this process's handlers only: what it concluded about itself (it
   * may have missed events; it switched databases), which the other nodes need not hear.
   */
  announce(events: readonly DomainEvent[]): Promise<void>;
  subscribe(handler: EventHandler): () => void;
  close(): Promise<void>;
}

import type { DomainEvent } from './types.js';

export type EventHandler = (event: DomainEvent) => void | Promise<void>;

/** Delivers committed events to subscribers: in-process now, Redis across a pool later. */
export interface EventBus {
  publish(events: readonly DomainEvent[]): Promise<void>;
  subscribe(handler: EventHandler): () => void;
  close(): Promise<void>;
}

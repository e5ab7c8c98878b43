import type { EventBus, EventHandler } from './bus.js';
import type { DomainEvent } from './types.js';

/**
 * Delivers events to the handlers of this process, in order. A failing handler is
 * reported and does not stop delivery to the others: the change it reports has already
 * committed.
 */
export class InProcessEventBus implements EventBus {
  private readonly handlers = new Set<EventHandler>();

  constructor(private readonly onHandlerError: (err: unknown, event: DomainEvent) => void = () => {}) {}

  async publish(events: readonly DomainEvent[]): Promise<void> {
    for (const event of events) {
      for (const handler of [...this.handlers]) {
        try {
          await handler(event);
        } catch (err) {
          this.onHandlerError(err, event);
        }
      }
    }
  }

  announce(events: readonly DomainEvent[]): Promise<void> {
    return this.publish(events);
  }

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  close(): Promise<void> {
    this.handlers.clear();
    return Promise.resolve();
  }
}

import type { EventBus, EventHandler } from './bus.js';
import type { DomainEvent } from './types.js';

export interface ForwardTarget {
  url: string;
  secret: string;
}

/**
 * The bus of a CLI process working on the data dir of a running server: committed events
 * go to that server (POST /api/v1/internal/events), which publishes them to its own
 * subscribers — so a change made from the CLI takes effect live. Local handlers run too.
 */
export class ForwardingEventBus implements EventBus {
  private readonly handlers = new Set<EventHandler>();

  constructor(
    private readonly target: ForwardTarget,
    private readonly onError: (err: unknown) => void,
    private readonly timeoutMs = 10_000,
  ) {}

  async publish(events: readonly DomainEvent[]): Promise<void> {
    for (const event of events) for (const handler of [...this.handlers]) await handler(event);
    if (events.length === 0) return;
    try {
      const response = await fetch(`${this.target.url}/api/v1/internal/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.target.secret}` },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.status !== 204) throw new Error(`the server answered ${response.status}`);
    } catch (err) {
      this.onError(err);
    }
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

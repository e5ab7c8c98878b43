/**
 * One connection's commands (D9): handled one at a time, in the order they arrived, so a
 * client that sends thousands at once holds one command's worth of the server at a time
 * and everyone else's work interleaves with it. At most `queued` wait; more are refused
 * with an error the client can act on, and a client that keeps sending refused commands
 * (more than `refusalsBeforeClose` within 10 s) is told so and closed.
 */
export interface QueueLimits {
  queued: number;
  refusalsBeforeClose: number;
}

const REFUSAL_WINDOW_MS = 10_000;

export class CommandQueue<T> {
  private readonly waiting: T[] = [];
  private handler: ((item: T) => Promise<void>) | undefined;
  private draining: Promise<void> | undefined;
  private refusals = 0;
  private windowStart = 0;

  constructor(
    private readonly limits: QueueLimits,
    private readonly onError: (err: unknown) => void,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** False when the queue is full: the caller refuses the command. */
  push(item: T): boolean {
    if (this.waiting.length >= this.limits.queued) return false;
    this.waiting.push(item);
    this.drain();
    return true;
  }

  /** Commands start to run once the connection is ready (those sent before wait here). */
  start(handler: (item: T) => Promise<void>): void {
    this.handler = handler;
    this.drain();
  }

  /** Drops what waits (the connection closed or was refused). */
  clear(): void {
    this.waiting.length = 0;
  }

  /** Counts a refused command; true when the connection has ignored too many and must close. */
  refused(): boolean {
    const now = this.clock();
    if (now - this.windowStart > REFUSAL_WINDOW_MS) {
      this.windowStart = now;
      this.refusals = 0;
    }
    this.refusals += 1;
    return this.refusals > this.limits.refusalsBeforeClose;
  }

  get length(): number {
    return this.waiting.length;
  }

  /** Resolves when nothing runs (shutdown waits for it). */
  idle(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  private drain(): void {
    if (this.draining !== undefined || this.handler === undefined || this.waiting.length === 0) return;
    const handler = this.handler;
    this.draining = (async () => {
      for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
        try {
          await handler(item);
        } catch (err) {
          this.onError(err);
        }
      }
      this.draining = undefined;
    })();
  }
}

/**
 * Login throttling: after `maxFailures` failed sign-ins for one user name (from any
 * address), or `maxAddressFailures` from one address (for any users: guessing across
 * accounts; higher, as many people can share an address), further attempts are refused
 * until the window has passed. Kept in memory per server process.
 */
export interface ThrottleOptions {
  maxFailures: number;
  maxAddressFailures: number;
  windowMs: number;
  clock?: () => number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly clock: () => number;

  constructor(private readonly options: ThrottleOptions = { maxFailures: 10, maxAddressFailures: 100, windowMs: 15 * 60_000 }) {
    this.clock = options.clock ?? (() => Date.now());
  }

  private recent(key: string): number[] {
    const since = this.clock() - this.options.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }

  /** Milliseconds until another attempt is allowed, or 0. */
  retryAfter(user: string, address: string): number {
    let wait = 0;
    const limits: [string, number][] = [
      [`u:${user.toLowerCase()}`, this.options.maxFailures],
      [`a:${address}`, this.options.maxAddressFailures],
    ];
    for (const [key, max] of limits) {
      const times = this.recent(key);
      if (times.length >= max) wait = Math.max(wait, (times[times.length - max] as number) + this.options.windowMs - this.clock());
    }
    return wait;
  }

  fail(user: string, address: string): void {
    const now = this.clock();
    for (const key of [`u:${user.toLowerCase()}`, `a:${address}`]) this.failures.set(key, [...this.recent(key), now]);
    if (this.failures.size > 100_000) this.sweep();
  }

  succeed(user: string): void {
    this.failures.delete(`u:${user.toLowerCase()}`);
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }
}

/**
 * Request rates per key (a user, a connection): a token bucket that holds `burst`
 * tokens and gains `perSecond` a second. Kept in memory per server process (a pool
 * shares the counts through Redis: auth/pool-limits.ts); keys that
 * are full again are forgotten, so memory follows the keys active in the last minute.
 */
export interface RateOptions {
  perSecond: number;
  burst: number;
  clock?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string | number, Bucket>();
  private readonly clock: () => number;
  private lastSweep: number;

  constructor(private readonly options: RateOptions) {
    this.clock = options.clock ?? (() => Date.now());
    this.lastSweep = this.clock();
  }

  /** Told of every token taken (a pool shares the counts: auth/pool-limits.ts). */
  onTake: ((key: string | number) => void) | undefined;

  /**
   * Takes `count` tokens the key spent elsewhere (on other nodes of a pool): the bucket
   * may go below zero, and refuses until it has refilled.
   */
  charge(key: string | number, count: number): void {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.at) * this.options.perSecond) / 1000) - count;
    // Never more debt than one burst: a flood elsewhere does not lock a user out for long.
    bucket.tokens = Math.max(bucket.tokens, -this.options.burst);
    bucket.at = now;
    this.buckets.set(key, bucket);
  }

  /** Takes one token: 0 when allowed, else the milliseconds until one is available. */
  take(key: string | number): number {
    const now = this.clock();
    if (now - this.lastSweep > 60_000) this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.at) * this.options.perSecond) / 1000);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.onTake?.(key);
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.options.perSecond);
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.options.perSecond) / 1000 >= this.options.burst) this.buckets.delete(key);
    }
  }
}

/**
 * Open connections per address, for listeners that bound them (HTTP, SIP): `claim`
 * claims a slot (false when the address has `max` already), `release` gives it back.
 */
export class AddressSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  claim(address: string): boolean {
    const count = (this.open.get(address) ?? 0) + 1;
    if (count > this.max) return false;
    this.open.set(address, count);
    return true;
  }

  release(address: string): void {
    const left = (this.open.get(address) ?? 1) - 1;
    if (left <= 0) this.open.delete(address);
    else this.open.set(address, left);
  }
}

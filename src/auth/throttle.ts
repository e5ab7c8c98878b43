/**
 * Login throttling: after `maxFailures` failed sign-ins for one account (from any
 * address), or `maxAddressFailures` from one address (for any users: guessing across
 * accounts; higher, as many people can share an address), further attempts are refused
 * until the window has passed. Kept in memory per server process (a pool shares it
 * through Redis: auth/pool-limits.ts), one for every way of signing in (the sign-in
 * actions hold it). The account is a key the caller resolves
 * (`subjectKey`): however a name is written, one account has one budget.
 */
export interface ThrottleOptions {
  maxFailures: number;
  maxAddressFailures: number;
  windowMs: number;
  clock?: () => number;
}

const MAX_KEYS = 100_000;

/** Failed sign-ins, one budget per account and per address: this node's (LoginThrottle) or the pool's (PoolLoginThrottle). */
export interface SignInThrottle {
  /** Milliseconds until another attempt is allowed, or 0. */
  retryAfter(subject: string, address: string): number | Promise<number>;
  fail(subject: string, address: string): void | Promise<void>;
  succeed(subject: string): void | Promise<void>;
}

export class LoginThrottle implements SignInThrottle {
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
  retryAfter(subject: string, address: string): number {
    let wait = 0;
    const limits: [string, number][] = [
      [`u:${subject}`, this.options.maxFailures],
      [`a:${address}`, this.options.maxAddressFailures],
    ];
    for (const [key, max] of limits) {
      const times = this.recent(key);
      if (times.length >= max) wait = Math.max(wait, (times[times.length - max] as number) + this.options.windowMs - this.clock());
    }
    return wait;
  }

  fail(subject: string, address: string): void {
    const now = this.clock();
    for (const key of [`u:${subject}`, `a:${address}`]) this.failures.set(key, [...this.recent(key), now].slice(-this.cap(key)));
    if (this.failures.size > MAX_KEYS) this.sweep();
  }

  succeed(subject: string): void {
    this.failures.delete(`u:${subject}`);
  }

  /** No more failure times are kept than the limit needs (memory stays bounded under a flood). */
  private cap(key: string): number {
    return key.startsWith('u:') ? this.options.maxFailures : this.options.maxAddressFailures;
  }

  /** Forgets expired failures; past the bound, the oldest keys too (memory stays bounded). */
  private sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_KEYS / 2) break;
      this.failures.delete(key);
    }
  }
}

/**
 * The throttle's key for a sign-in name: the principal it resolves to, else the name
 * normalised the way principals are keyed (case, `sip:` prefix, spaces), else the
 * name trimmed and lower-cased.
 */
export function subjectKey(principalId: number | undefined, normalised: string | undefined, typed: string): string {
  if (principalId !== undefined) return `p:${principalId}`;
  return `n:${normalised ?? typed.trim().toLowerCase().slice(0, 320)}`;
}

/**
 * The limits of "Hardening" (D9) across a pool, through its Redis: one budget per user or
 * address whichever node they come through (docs/pool.md). Redis unreachable, a node
 * falls back to what it counts itself (the limits still hold per node) and says so.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LoginThrottle, type SignInThrottle, type ThrottleOptions } from './throttle.js';
import type { RateLimiter } from './rate-limit.js';

type Log = (level: 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;

/**
 * Failed sign-ins per account and per address, pool-wide: a sorted set of failure times
 * per key in Redis, trimmed to the window and to the limit; one round trip per check and
 * per failure. Failures are counted in memory too, for when Redis does not answer.
 */
export class PoolLoginThrottle implements SignInThrottle {
  private readonly local: LoginThrottle;
  private readonly clock: () => number;

  constructor(
    private readonly redis: Redis,
    /** Keys of this deployment (several may share a Redis). */
    private readonly prefix: string,
    private readonly options: ThrottleOptions,
    private readonly log: Log,
  ) {
    this.local = new LoginThrottle(options);
    this.clock = options.clock ?? (() => Date.now());
  }

  private limits(subject: string, address: string): [string, number][] {
    return [
      [`${this.prefix}signin:u:${subject}`, this.options.maxFailures],
      [`${this.prefix}signin:a:${address}`, this.options.maxAddressFailures],
    ];
  }

  async retryAfter(subject: string, address: string): Promise<number> {
    const now = this.clock();
    const limits = this.limits(subject, address);
    try {
      const batch = this.redis.multi();
      for (const [key, max] of limits) {
        batch.zremrangebyscore(key, '-inf', now - this.options.windowMs);
        // The max-th newest failure: the window reopens when it leaves.
        batch.zrange(key, -max, -max, 'WITHSCORES');
      }
      const answers = (await batch.exec()) ?? [];
      let wait = 0;
      limits.forEach((_limit, i) => {
        const [err, found] = answers[i * 2 + 1] ?? [null, []];
        if (err) throw err;
        const score = (found as string[])[1];
        if (score !== undefined) wait = Math.max(wait, Number(score) + this.options.windowMs - now);
      });
      return wait;
    } catch (err) {
      this.log('warn', "sign-in throttle: the pool's Redis did not answer; counting on this node only", { err });
      return this.local.retryAfter(subject, address);
    }
  }

  async fail(subject: string, address: string): Promise<void> {
    this.local.fail(subject, address);
    const now = this.clock();
    try {
      const batch = this.redis.multi();
      for (const [key, max] of this.limits(subject, address)) {
        batch.zadd(key, now, `${now}:${randomBytes(6).toString('hex')}`);
        // No more failures are kept than the limit needs (memory bounded under a flood).
        batch.zremrangebyrank(key, 0, -(max + 1));
        batch.pexpire(key, this.options.windowMs);
      }
      await batch.exec();
    } catch (err) {
      this.log('warn', "sign-in throttle: the pool's Redis did not answer; the failure counts on this node only", { err });
    }
  }

  async succeed(subject: string): Promise<void> {
    this.local.succeed(subject);
    try {
      await this.redis.del(`${this.prefix}signin:u:${subject}`);
    } catch (err) {
      this.log('warn', "sign-in throttle: the pool's Redis did not answer", { err });
    }
  }
}

const SHARE_INTERVAL_MS = 250;
/** A user's pool-wide count is kept this long after their last request. */
const SHARE_TTL_MS = 60_000;

/**
 * A per-user rate limit shared by the nodes of a pool. Each request or command is still
 * decided at once from the node's own token bucket (no round trip on the hot path);
 * every SHARE_INTERVAL_MS each node adds what its users took to their pool-wide counters
 * and takes from its buckets what the other nodes' took meanwhile. A user spread over
 * several nodes therefore has one budget, enforced within a quarter of a second.
 */
export class PoolRateShare {
  private readonly taken = new Map<string | number, number>();
  /** Per user active here in the last SHARE_TTL_MS: the pool-wide count this node last saw, and when the user last took here. */
  private readonly seen = new Map<string | number, { total: number; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private sharing: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly redis: Redis,
    /** Keys of this deployment and this limit (`…:rate:ws:`). */
    private readonly prefix: string,
    private readonly limiter: RateLimiter,
    private readonly log: Log,
  ) {
    limiter.onTake = (key) => this.taken.set(key, (this.taken.get(key) ?? 0) + 1);
  }

  start(): void {
    this.timer = setInterval(() => void this.share(), SHARE_INTERVAL_MS);
    this.timer.unref();
  }

  /** One exchange now (the timer's, and tests'). */
  share(): Promise<void> {
    this.sharing ??= this.exchange().finally(() => (this.sharing = undefined));
    return this.sharing;
  }

  private async exchange(): Promise<void> {
    const mine = [...this.taken];
    this.taken.clear();
    // Users who took nothing here for a minute are not asked about (their bucket here is full).
    const at = Date.now();
    for (const [key, seen] of this.seen) if (at - seen.at > SHARE_TTL_MS) this.seen.delete(key);
    const watched = [...new Set([...mine.map(([k]) => k), ...this.seen.keys()])];
    if (watched.length === 0) return;
    const counts = new Map(mine);
    try {
      const batch = this.redis.multi();
      for (const key of watched) {
        batch.incrby(`${this.prefix}${key}`, counts.get(key) ?? 0);
        batch.pexpire(`${this.prefix}${key}`, SHARE_TTL_MS);
      }
      const answers = (await batch.exec()) ?? [];
      watched.forEach((key, i) => {
        const [err, total] = answers[i * 2] ?? [null, 0];
        if (err) throw err;
        const pooled = Number(total);
        const before = this.seen.get(key);
        const own = counts.get(key) ?? 0;
        // What the other nodes took since the last exchange (an expired counter counts nothing).
        const others = before === undefined || pooled < before.total ? 0 : pooled - before.total - own;
        if (others > 0) this.limiter.charge(key, others);
        this.seen.set(key, { total: pooled, at: own > 0 || before === undefined ? at : before.at });
      });
      if (this.failing) this.log('warn', "rate limits are shared through the pool's Redis again");
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log('warn', "rate limits: the pool's Redis did not answer; each node counts its own until it does", { err });
      this.failing = true;
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.sharing;
    this.limiter.onTake = undefined;
  }
}

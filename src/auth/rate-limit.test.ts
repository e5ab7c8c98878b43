import { describe, expect, it } from 'vitest';
import { AddressSlots, RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows the burst, then one request per 1/perSecond, per key', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 10, burst: 3, clock: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(100);
    expect(limiter.take('b')).toBe(0);
    now += 100;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(100);
  });

  it('forgets keys whose bucket has filled up again', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 1, burst: 2, clock: () => now });
    for (let i = 0; i < 1000; i++) limiter.take(i);
    expect(limiter.size).toBe(1000);
    now += 61_000;
    limiter.take('fresh');
    expect(limiter.size).toBe(1);
  });

  it('counts open connections per address and gives slots back', () => {
    const slots = new AddressSlots(2);
    expect([slots.claim('a'), slots.claim('a'), slots.claim('a'), slots.claim('b')]).toEqual([true, true, false, true]);
    slots.release('a');
    expect(slots.claim('a')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { LoginThrottle, subjectKey } from './throttle.js';

describe('LoginThrottle', () => {
  it('blocks a user name after the limit and lets it in again once the window has passed', () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle({ maxFailures: 3, maxAddressFailures: 100, windowMs: 60_000, clock: () => now });
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfter('alice', '10.0.0.1')).toBe(0);
      throttle.fail('alice', '10.0.0.1');
      now += 1000;
    }
    expect(throttle.retryAfter('alice', '10.0.0.2')).toBe(57_000);
    expect(throttle.retryAfter('bob', '10.0.0.1')).toBe(0);
    now += 57_000;
    expect(throttle.retryAfter('alice', '10.0.0.1')).toBe(0);
  });

  it('blocks an address guessing across many accounts, and forgets a user after a success', () => {
    let now = 0;
    const throttle = new LoginThrottle({ maxFailures: 3, maxAddressFailures: 5, windowMs: 60_000, clock: () => now });
    for (let i = 0; i < 5; i++) throttle.fail(`user${i}`, '10.0.0.9');
    expect(throttle.retryAfter('someone', '10.0.0.9')).toBeGreaterThan(0);
    expect(throttle.retryAfter('someone', '10.0.0.8')).toBe(0);
    throttle.fail('carol', '10.0.0.1');
    throttle.fail('carol', '10.0.0.1');
    throttle.succeed('carol');
    throttle.fail('carol', '10.0.0.1');
    expect(throttle.retryAfter('carol', '10.0.0.1')).toBe(0);
    now += 1;
  });

  it('keys an account by the principal it resolves to, else by its normalised name', () => {
    expect(subjectKey(7, 'sip:alice@contoso.com', ' SIP:Alice@Contoso.com')).toBe('p:7');
    expect(subjectKey(undefined, 'sip:ghost@contoso.com', 'Ghost@contoso.com')).toBe('n:sip:ghost@contoso.com');
    expect(subjectKey(undefined, undefined, '  Not An Address ')).toBe('n:not an address');
  });

  it('keeps no more failure times than the limit needs', () => {
    const throttle = new LoginThrottle({ maxFailures: 3, maxAddressFailures: 5, windowMs: 60_000, clock: () => 0 });
    for (let i = 0; i < 10_000; i++) throttle.fail('p:1', '10.0.0.1');
    expect((throttle as unknown as { failures: Map<string, number[]> }).failures.get('u:p:1')).toHaveLength(3);
  });
});

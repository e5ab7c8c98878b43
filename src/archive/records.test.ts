/**
 * The bulk path's written-out check of message lines lets in exactly what the schema lets
 * in as it is: never a line the schema refuses, and every line of a real export.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMessageLine, messageLine } from './records.js';

const valid = fc.record({
  chatId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  author: fc.string({ minLength: 1, maxLength: 40 }),
  postedAt: fc.integer({ min: 0, max: 253402300799999 }),
  postedAtTicks: fc.integer({ min: 0, max: 9999 }),
  content: fc.string({ maxLength: 200, unit: 'binary' }),
  rtf: fc.option(fc.string({ maxLength: 50 })),
  isAlert: fc.boolean(),
  storyTitle: fc.option(fc.string({ maxLength: 50 })),
  file: fc.option(fc.uuid({ version: 4 })),
  inHistory: fc.boolean(),
  replacedAt: fc.option(fc.integer({ min: 0, max: 253402300799999 })),
});

/** Values a damaged line may hold instead, at the edges of each rule. */
const odd = fc.constantFrom<unknown>(
  undefined, null, 0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity, 9999, 10_000, 253402300799999, 253402300800000,
  '', 'x', 'x'.repeat(1025), 'x'.repeat(1024), '1', 'ABCDEF01-2345-4678-89AB-CDEF01234567', true, false, [], {}, 'a'.repeat(1024 * 1024 + 1),
);

describe('isMessageLine', () => {
  it('accepts every line the schema accepts as it is', () => {
    fc.assert(
      fc.property(valid, (line) => {
        expect(messageLine.safeParse(line).success).toBe(true);
        expect(isMessageLine(JSON.parse(JSON.stringify(line)) as Record<string, unknown>)).toBe(true);
      }),
      { numRuns: 2_000, seed: 3 },
    );
  });

  it('never accepts a line the schema refuses: any field changed, removed, or added', () => {
    const keys = Object.keys(messageLine.shape);
    let refused = 0;
    fc.assert(
      fc.property(valid, fc.constantFrom(...keys, 'extra', '__proto__', 'constructor'), odd, fc.boolean(), (line, key, value, remove) => {
        const damaged: Record<string, unknown> = JSON.parse(JSON.stringify(line)) as Record<string, unknown>;
        if (remove) delete damaged[key];
        else Object.defineProperty(damaged, key, { value, enumerable: true, configurable: true, writable: true });
        const schema = messageLine.safeParse(damaged).success;
        if (!schema) refused++;
        if (isMessageLine(damaged)) expect(schema, `${key} = ${String(value).slice(0, 20)}`).toBe(true);
      }),
      { numRuns: 5_000, seed: 4 },
    );
    // The damage mostly makes lines the schema refuses: the property is tested, not passed vacuously.
    expect(refused).toBeGreaterThan(2_500);
  });

  it('refuses what JSON.parse makes of an own __proto__ key', () => {
    const line = JSON.parse('{"chatId":1,"author":"a","postedAt":0,"postedAtTicks":0,"content":"","rtf":null,"isAlert":false,"storyTitle":null,"file":null,"inHistory":true,"replacedAt":null,"__proto__":1}') as Record<string, unknown>;
    expect(isMessageLine(line)).toBe(false);
    delete line.__proto__;
    expect(isMessageLine(line)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { fromTicks, parseLegacyTime, toTicks, UNIX_EPOCH_TICKS } from './ticks.js';

describe('legacy time stamps', () => {
  it('converts .NET ticks exactly, keeping the ticks within the millisecond', () => {
    // The compliance sample of 01 §5.4: (long − 621355968000000000) / 10000 = since1970.
    expect(parseLegacyTime('638355968050000000')).toEqual({ ms: 1700000005000, ticks: 0 });
    expect(parseLegacyTime('638355968050001234')).toEqual({ ms: 1700000005000, ticks: 1234 });
    expect(parseLegacyTime(UNIX_EPOCH_TICKS.toString())).toEqual({ ms: 0, ticks: 0 });
    const t = 3155378975999999999n;
    expect(toTicks(fromTicks(t))).toBe(t);
    expect(parseLegacyTime('3155378976000000000')).toBeUndefined();
    expect(parseLegacyTime('621355967999999999')).toBeUndefined();
  });

  it('reads ISO 8601 with up to seven fractional digits, and refuses what is not a time', () => {
    expect(parseLegacyTime('2023-11-14T22:13:25.0000001Z')).toEqual({ ms: 1700000005000, ticks: 1 });
    expect(parseLegacyTime('2023-11-14 22:13:25.123')).toEqual({ ms: 1700000005123, ticks: 0 });
    expect(parseLegacyTime('2023-11-14')).toEqual({ ms: Date.UTC(2023, 10, 14), ticks: 0 });
    expect(parseLegacyTime('2023-11-15T00:13:25+02:00')).toEqual({ ms: 1700000005000, ticks: 0 });
    for (const bad of ['2010-02-30', 'yesterday', '12:00', '-5', '1969-12-31T23:59:59Z']) expect(parseLegacyTime(bad)).toBeUndefined();
  });
});

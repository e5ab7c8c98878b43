import { describe, expect, it } from 'vitest';
import { complianceTime, fileTimestamp } from './compliance.js';

describe('compliance time forms', () => {
  it('matches the documented sample arithmetic exactly', () => {
    // 01 §5.4's constructed example: 1700000000000 ms ↔ 638355968000000000 ticks.
    expect(complianceTime(1_700_000_000_000)).toEqual({
      since1970: 1_700_000_000_000,
      string: '2023-11-14T22:13:20.0000000Z',
      long: '638355968000000000',
    });
  });

  it('keeps milliseconds and stays exact beyond 2^53 ticks', () => {
    const t = complianceTime(1_212_610_540_953);
    expect(t.string).toBe('2008-06-04T20:15:40.9530000Z');
    expect((BigInt(t.long) - 621_355_968_000_000_000n) / 10_000n).toBe(1_212_610_540_953n);
    expect(complianceTime(0).long).toBe('621355968000000000');
  });

  it('writes the ticks of any millisecond as the exact product would (the decimal shortcut, and before year 1)', () => {
    const exact = (ms: number): string => (BigInt(ms) * 10_000n + 621_355_968_000_000_000n).toString();
    const samples = [-62_135_596_800_000, -62_135_596_799_999, -62_135_596_800_001, -1, 1, 8_640_000_000_000_000, -8_640_000_000_000_000];
    for (let i = 0; i < 2000; i++) samples.push(Math.round((Math.random() * 2 - 1) * 8_640_000_000_000_000));
    for (const ms of samples) expect(complianceTime(ms).long, String(ms)).toBe(exact(ms));
  });

  it('writes the ISO form of any millisecond as Date does, whether the second was just formatted or not', () => {
    const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 23)}0000Z`;
    const samples = [-62_135_596_800_000, -62_135_596_800_001, -1, 0, 1, 999, 1000, 253_402_300_799_999, 253_402_300_800_000, -8_640_000_000_000_000];
    for (let i = 0; i < 2000; i++) samples.push(Math.round((Math.random() * 2 - 1) * 8_640_000_000_000_000));
    // Runs of nearby instants, as a batch has them (the same second again, the next one).
    for (let start = -3_000; start < 3_000; start += 7) samples.push(1_700_000_000_000 + start, start);
    // Beyond years 1–9999 (six-digit years) the text is Date's own, as before.
    for (const ms of samples) expect(complianceTime(ms).string, String(ms)).toBe(iso(ms));
  });

  it('names files by UTC second', () => {
    expect(fileTimestamp(Date.UTC(2026, 10, 24, 9, 5, 7, 999))).toBe('20261124T090507Z');
  });
});

import { describe, expect, it } from 'vitest';
import { cultureOrder, parseCultureTime } from './culture-dates.js';

const at = (iso: string, ticks = 0) => ({ ms: Date.parse(iso), ticks });

describe('culture-formatted date-times (Export-Csv)', () => {
  it('reads each culture as PowerShell writes it', () => {
    expect(parseCultureTime('2/1/2013 9:30:15 AM', 'MDY')).toEqual(at('2013-02-01T09:30:15Z'));
    expect(parseCultureTime('2/1/2013 9:30:15 PM', 'MDY')).toEqual(at('2013-02-01T21:30:15Z'));
    expect(parseCultureTime('12/1/2013 12:05:00 AM', 'MDY')).toEqual(at('2013-12-01T00:05:00Z'));
    expect(parseCultureTime('01.02.2013 09:30:15', 'DMY')).toEqual(at('2013-02-01T09:30:15Z'));
    expect(parseCultureTime('01/02/2013 21:30:15', 'DMY')).toEqual(at('2013-02-01T21:30:15Z'));
    expect(parseCultureTime('2013/02/01 9:30:15', 'YMD')).toEqual(at('2013-02-01T09:30:15Z'));
    expect(parseCultureTime('01-02-2013 09:30:15.1234567', 'DMY')).toEqual(at('2013-02-01T09:30:15.123Z', 4567));
    expect(parseCultureTime('2/1/2013', 'MDY')).toEqual(at('2013-02-01T00:00:00Z'));
  });

  it('tells the order from the value when only one reading is possible, and says so when not', () => {
    expect(parseCultureTime('13/1/2013 10:00:00', undefined)).toEqual(at('2013-01-13T10:00:00Z'));
    expect(parseCultureTime('1/13/2013 10:00:00 AM', undefined)).toEqual(at('2013-01-13T10:00:00Z'));
    expect(parseCultureTime('01.02.2013 09:30:15', undefined)).toEqual(at('2013-02-01T09:30:15Z'));
    expect(parseCultureTime('2013-02-01 09:30:15', undefined)).toEqual(at('2013-02-01T09:30:15Z'));
    expect(parseCultureTime('2/1/2013 9:30:15 AM', undefined)).toBe('ambiguous');
  });

  it('refuses what no calendar or clock has, and what does not fit the order given', () => {
    for (const [raw, order] of [
      ['2/30/2013 9:00:00 AM', 'MDY'],
      ['13/13/2013 9:00:00', 'DMY'],
      ['1/1/2013 13:00:00 PM', 'MDY'],
      ['1/1/2013 25:00:00', 'DMY'],
      ['2013/02/01 9:30:15', 'DMY'],
      ['01.02.13 09:30', 'DMY'],
      ['yesterday', undefined],
      ['1/1/1960 00:00:00', 'DMY'],
    ] as const) {
      expect(parseCultureTime(raw, order), raw).toBeUndefined();
    }
  });

  it('knows cultures by name in any case', () => {
    expect(cultureOrder('en-us')).toBe('MDY');
    expect(cultureOrder(' DE-de ')).toBe('DMY');
    expect(cultureOrder('ja-JP')).toBe('YMD');
    expect(cultureOrder('xx-XX')).toBeUndefined();
  });
});

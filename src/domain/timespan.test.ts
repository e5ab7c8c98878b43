import { describe, expect, it } from 'vitest';
import { formatTimeSpan, parseTimeSpan } from './timespan.js';

describe('TimeSpan values', () => {
  it.each([
    ['00:15:00', 900],
    ['1.00:00:00', 86400],
    ['30.00:00:00', 2592000],
    ['2:03:04', 7384],
    ['90s', 90],
    ['15m', 900],
    ['2H', 7200],
    ['1d', 86400],
  ])('%s = %i seconds', (raw, seconds) => {
    expect(parseTimeSpan(raw, 'x')).toBe(seconds);
  });
  it.each(['', '15', '00:60:00', '24:00:00', '1.2.3', 'soon', '-5m'])('refuses %j', (raw) => {
    expect(() => parseTimeSpan(raw, 'RunInterval')).toThrow(/RunInterval/);
  });
  it('prints the cmdlet form', () => {
    expect(formatTimeSpan(900)).toBe('00:15:00');
    expect(formatTimeSpan(2592000)).toBe('30.00:00:00');
    expect(formatTimeSpan(90061)).toBe('1.01:01:01');
  });
});

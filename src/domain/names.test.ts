import { describe, expect, it } from 'vitest';
import { nameKey, normaliseDescription, normaliseName, wildcardMatcher } from './names.js';

describe('names', () => {
  it('trims, NFC-normalises and keys case-insensitively', () => {
    expect(normaliseName('  Café ', 'room')).toBe('Café');
    expect(normaliseName('Cafe\u0301', 'room')).toBe('Café');
    expect(nameKey('DEV Ops')).toBe(nameKey('dev ops'));
    expect(nameKey('ÉQUIPE')).toBe(nameKey('équipe'));
  });
  it('allows newlines in descriptions but not other control characters', () => {
    expect(normaliseDescription('line 1\nline 2\ttab', 'room')).toBe('line 1\nline 2\ttab');
    expect(() => normaliseDescription('bell\u0007', 'room')).toThrow(/control characters/);
  });
});

describe('wildcard filters', () => {
  it.each([
    ['ITChat', 'Team ITChat room', true],
    ['itchat', 'ITCHAT', true],
    ['IT*', 'IT Chat', true],
    ['IT*', 'The IT Chat', false],
    ['*chat', 'IT Chat', true],
    ['?T*', 'IT Chat', true],
    ['a.b', 'axb', false],
    ['(x)', 'a (x) b', true],
  ])('%s matches %s: %s', (pattern, value, expected) => {
    expect(wildcardMatcher(pattern)(value)).toBe(expected);
  });
});

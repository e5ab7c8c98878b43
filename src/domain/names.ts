import { AppError } from './errors.js';

/** Limits of 01 §2 and decisions D1. Lengths count Unicode code points. */
export const LIMITS = {
  nodeName: 256,
  description: 256,
  addinName: 50,
  addinUrl: 255,
  displayName: 256,
  email: 256,
  principalKey: 384,
  policyDescription: 1024,
  resultSize: 2147483647,
} as const;

const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_WHITESPACE = /[^\P{Cc}\n\r\t]/u;

export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Validates and normalises a display name (category, room, add-in). Names are NFC-normalised
 * and trimmed; they must be 1..max code points without control characters.
 */
export function normaliseName(raw: string, what: string, max: number = LIMITS.nodeName): string {
  if (typeof raw !== 'string') throw new AppError('INVALID_NAME', `${what} name must be text`);
  const name = raw.normalize('NFC').trim();
  if (name.length === 0) throw new AppError('INVALID_NAME', `${what} name must not be empty`);
  if (CONTROL.test(name)) {
    throw new AppError('INVALID_NAME', `${what} name must not contain control characters`);
  }
  const length = codePointLength(name);
  if (length > max) {
    throw new AppError(
      'INVALID_NAME',
      `${what} name is ${length} characters long; the limit is ${max}`,
    );
  }
  return name;
}

/** The case-insensitive key under which names are unique in a pool. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

export function normaliseDescription(raw: string | undefined, what: string): string {
  if (raw === undefined) return '';
  const text = raw.normalize('NFC');
  if (CONTROL_EXCEPT_WHITESPACE.test(text)) {
    throw new AppError('INVALID_DESCRIPTION', `${what} description must not contain control characters`);
  }
  const length = codePointLength(text);
  if (length > LIMITS.description) {
    throw new AppError(
      'INVALID_DESCRIPTION',
      `${what} description is ${length} characters long; the limit is ${LIMITS.description}`,
    );
  }
  return text;
}

/** Optional free text attribute (display name, e-mail): trimmed, no control characters. */
export function normaliseText(raw: string | undefined, what: string, max: number): string | null {
  if (raw === undefined) return null;
  const text = raw.normalize('NFC').trim();
  if (text.length === 0) return null;
  if (CONTROL.test(text)) throw new AppError('INVALID_VALUE', `${what} must not contain control characters`);
  if (codePointLength(text) > max) {
    throw new AppError('INVALID_VALUE', `${what} is longer than ${max} characters`);
  }
  return text;
}

/** Wildcard filter of the Get-* commands: `*` and `?`; without wildcards, a substring match. */
export function wildcardMatcher(pattern: string): (value: string) => boolean {
  const needle = pattern.normalize('NFC').toLowerCase();
  if (!/[*?]/.test(needle)) return (value) => value.toLowerCase().includes(needle);
  const source = needle
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`, 'su');
  return (value) => re.test(value.toLowerCase());
}

/**
 * The search language of history search and topic feeds:
 *   words            every word must occur (as a case-insensitive substring)
 *   "exact phrase"   the phrase must occur as written (case-insensitive)
 *   room:NAME        in that room (quote names with spaces: room:"Team Room")
 *   category:NAME    in rooms of that category
 *   from:USER        posted by that user (sip:user@domain or user@domain)
 *   after:DATE       posted on or after DATE (YYYY-MM-DD or an ISO 8601 time, UTC)
 *   before:DATE      posted before DATE (a bare date means before that day starts)
 *   has:file         with a file attached
 * Pure parsing and matching; resolving names to ids happens in the actions.
 */
import { AppError } from './errors.js';
import { nameKey } from './names.js';

export interface SearchQuery {
  /** Words and phrases, lower-cased; each must occur as a substring. */
  terms: string[];
  rooms: string[];
  categories: string[];
  authors: string[];
  from?: number;
  to?: number;
  hasFile?: boolean;
}

export const SEARCH_QUERY_MAX_LENGTH = 1000;

const OPERATORS = ['room', 'category', 'from', 'after', 'before', 'has'] as const;
type Operator = (typeof OPERATORS)[number];

interface Token {
  operator?: Operator;
  value: string;
  quoted: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /(?:([A-Za-z]+):)?(?:"([^"]*)"?|(\S+))/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    const [, op, quoted, bare] = match;
    const lower = op?.toLowerCase();
    if (lower !== undefined && (OPERATORS as readonly string[]).includes(lower)) {
      tokens.push({ operator: lower as Operator, value: quoted ?? bare ?? '', quoted: quoted !== undefined });
    } else if (op !== undefined) {
      // Not an operator (e.g. "http://x" or "note:"): the whole token is text.
      tokens.push({ value: match[0].replace(/"/g, ''), quoted: false });
    } else {
      tokens.push({ value: quoted ?? bare ?? '', quoted: quoted !== undefined });
    }
  }
  return tokens;
}

/** Parses a UTC date or time; a bare date is midnight UTC. */
export function parseSearchDate(value: string, what: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const time = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time)) {
    throw new AppError('INVALID_VALUE', `${what} expects a date like 2026-01-31 or 2026-01-31T12:00:00Z, not '${value}'`);
  }
  return time;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function parseSearchQuery(text: string): SearchQuery {
  if (text.length > SEARCH_QUERY_MAX_LENGTH) {
    throw new AppError('INVALID_VALUE', `a search is at most ${SEARCH_QUERY_MAX_LENGTH} characters`);
  }
  // Nothing a message can hold is a control character or half a surrogate pair, and
  // neither database takes a NUL: such a search is refused rather than run.
  if (/\p{Cc}/u.test(text.replace(/[\t\n\r]/g, ' ')) || LONE_SURROGATE.test(text)) {
    throw new AppError('INVALID_VALUE', 'a search must not contain control characters or broken Unicode');
  }
  const query: SearchQuery = { terms: [], rooms: [], categories: [], authors: [] };
  for (const token of tokenize(text)) {
    const value = token.value.trim();
    if (value === '') continue;
    switch (token.operator) {
      case undefined:
        query.terms.push(value.toLowerCase());
        break;
      case 'room':
        query.rooms.push(value);
        break;
      case 'category':
        query.categories.push(value);
        break;
      case 'from':
        query.authors.push(value);
        break;
      case 'after':
        query.from = Math.max(query.from ?? -Infinity, parseSearchDate(value, 'after:'));
        break;
      case 'before':
        query.to = Math.min(query.to ?? Infinity, parseSearchDate(value, 'before:') - 1);
        break;
      case 'has':
        if (value.toLowerCase() !== 'file') throw new AppError('INVALID_VALUE', `has: knows only has:file, not has:${value}`);
        query.hasFile = true;
        break;
    }
  }
  return query;
}

/** True when the query says nothing at all (a feed must say something). */
export function isEmptyQuery(q: SearchQuery): boolean {
  return q.terms.length === 0 && q.rooms.length === 0 && q.categories.length === 0 && q.authors.length === 0 && q.from === undefined && q.to === undefined && q.hasFile === undefined;
}

/** What a topic feed evaluates a new message against; names are compared ignoring case. */
export interface MessageFacts {
  text: string;
  storyTitle: string | null;
  roomName: string;
  categoryName: string;
  authorKey: string;
  postedAt: number;
  hasFile: boolean;
}

const sipKey = (user: string) => (user.toLowerCase().startsWith('sip:') ? user.toLowerCase() : `sip:${user.toLowerCase()}`);

/**
 * `from:` names a user by SIP address (`from:bruno@contoso.com`) or by its user part alone
 * (`from:bruno`: every user `sip:bruno@...`), as people say it.
 */
export function authorMatches(author: string, authorKey: string): boolean {
  const key = sipKey(author);
  return key.includes('@') ? key === authorKey : authorKey.startsWith(`${key}@`);
}

/** The same rule as the database search, evaluated in memory on one message. */
export function matchesQuery(q: SearchQuery, m: MessageFacts): boolean {
  const text = m.text.toLowerCase();
  const title = (m.storyTitle ?? '').toLowerCase();
  if (!q.terms.every((t) => text.includes(t) || title.includes(t))) return false;
  if (q.rooms.length > 0 && !q.rooms.some((r) => nameKey(r) === nameKey(m.roomName))) return false;
  if (q.categories.length > 0 && !q.categories.some((c) => nameKey(c) === nameKey(m.categoryName))) return false;
  if (q.authors.length > 0 && !q.authors.some((a) => authorMatches(a, m.authorKey))) return false;
  if (q.from !== undefined && m.postedAt < q.from) return false;
  if (q.to !== undefined && m.postedAt > q.to) return false;
  if (q.hasFile === true && !m.hasFile) return false;
  return true;
}

/**
 * Turning what the server sent into what the page shows, without ever treating it as
 * markup: message text is split into plain text and links, and only http(s) and mailto
 * links become clickable. Components render the parts as text nodes and <a> elements.
 */

export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string } | { kind: 'mention'; text: string; address: string };

/** `@user@domain` or `@sip:user@domain`, not inside a longer address. */
const MENTION = /(?<![\w@.])@(?:sip:)?([\w.%+-]+@[\w-]+(?:\.[\w-]+)+)/gi;

/** Splits the plain-text parts further at @mentions (links stay as they are). */
export function mentions(parts: readonly TextPart[]): TextPart[] {
  const out: TextPart[] = [];
  for (const part of parts) {
    if (part.kind !== 'text') {
      out.push(part);
      continue;
    }
    let at = 0;
    for (const match of part.text.matchAll(MENTION)) {
      // A sentence's full stop after the address is not part of it.
      const address = match[1]!.replace(/\.+$/, '');
      const length = match[0].length - (match[1]!.length - address.length);
      if (match.index > at) out.push({ kind: 'text', text: part.text.slice(at, match.index) });
      out.push({ kind: 'mention', text: part.text.slice(match.index, match.index + length), address: address.toLowerCase() });
      at = match.index + length;
    }
    if (at < part.text.length) out.push({ kind: 'text', text: part.text.slice(at) });
  }
  return out;
}

const LINK = /\b(?:https?:\/\/|mailto:)[^\s<>"'`]+/gi;
/** Punctuation that usually ends a sentence rather than a URL. */
const TRAILING = /[.,;:!?)\]}]+$/;

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    let url = match[0];
    const trail = TRAILING.exec(url)?.[0] ?? '';
    // Keep a closing parenthesis that closes one inside the URL (Wikipedia-style links).
    const keep = trail.startsWith(')') && (url.match(/\(/g)?.length ?? 0) > (url.slice(0, -trail.length).match(/\)/g)?.length ?? 0) ? 1 : 0;
    url = url.slice(0, url.length - trail.length + keep);
    const start = match.index;
    if (start > at) parts.push({ kind: 'text', text: text.slice(at, start) });
    const href = safeHref(url);
    parts.push(href === undefined ? { kind: 'text', text: url } : { kind: 'link', text: url, href });
    at = start + url.length;
  }
  if (at < text.length) parts.push({ kind: 'text', text: text.slice(at) });
  return parts;
}

/** The URL when it parses and its scheme is http, https or mailto; otherwise nothing. */
export function safeHref(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

import { dateTime } from './i18n';

/** "14:05" today, "Mon 14:05" this week, else the date — in the user's language. */
export function when(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const time = dateTime(d, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  if (now.getTime() - d.getTime() < 6 * 86_400_000 && d < now) return `${dateTime(d, { weekday: 'short' })} ${time}`;
  return `${dateTime(d, { dateStyle: 'short' })} ${time}`;
}

/** The name to show for a user: the display name, else the SIP address without `sip:`. */
export const nameOf = (user: { sipUri?: string; author?: string; displayName?: string | null; authorName?: string }): string =>
  ((user.displayName ?? user.authorName ?? '') || (user.sipUri ?? user.author ?? '')).replace(/^sip:/, '');

/**
 * The words and phrases of a search query worth highlighting in its results: everything
 * but the operators (room:, from:, after:, ...), quotes removed from phrases.
 */
export function searchTerms(query: string): string[] {
  const terms: string[] = [];
  for (const m of query.matchAll(/(\w+:)?(?:"([^"]*)"|(\S+))/g)) {
    if (m[1] !== undefined) continue;
    const term = (m[2] ?? m[3] ?? '').trim();
    if (term !== '') terms.push(term);
  }
  return terms;
}

export type MarkedPart = { text: string; marked: boolean };

/** Splits text where any of the terms occurs (ignoring case), marking the occurrences. */
export function highlight(text: string, terms: readonly string[]): MarkedPart[] {
  const wanted = terms.filter((t) => t !== '').map((t) => t.toLowerCase());
  if (wanted.length === 0) return [{ text, marked: false }];
  const lower = text.toLowerCase();
  const parts: MarkedPart[] = [];
  let at = 0;
  while (at < text.length) {
    let next = -1;
    let length = 0;
    for (const t of wanted) {
      const i = lower.indexOf(t, at);
      if (i >= 0 && (next < 0 || i < next || (i === next && t.length > length))) {
        next = i;
        length = t.length;
      }
    }
    if (next < 0) break;
    if (next > at) parts.push({ text: text.slice(at, next), marked: false });
    parts.push({ text: text.slice(next, next + length), marked: true });
    at = next + length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), marked: false });
  return parts;
}

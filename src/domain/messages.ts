/**
 * What a message may contain (01 §4.3, D1): plain text always, an alert flag, an optional
 * story (title plus long body), an optional file. Authors never edit or delete; an
 * administrator's replacement uses the legacy UI's text.
 */
import { AppError } from './errors.js';

export const MESSAGE_LIMITS = {
  /** UTF-8 bytes of an ordinary message's text. */
  textBytes: 16 * 1024,
  /** UTF-8 bytes of a story's body (its text). */
  storyBytes: 256 * 1024,
  storyTitle: 256,
} as const;

/** 01 §4.10: the text Remove-CsPersistentChatMessage leaves when no text is given. */
export const DEFAULT_REPLACEMENT_TEXT = 'This message was replaced by the Persistent Chat administrator.';

/** Control characters other than tab, newline and carriage return. */
const CONTROL = /[^\P{Cc}\n\r\t]/u;

export interface MessageInput {
  text: string;
  alert?: boolean;
  story?: { title: string } | null;
}

export interface ValidMessage {
  text: string;
  isAlert: boolean;
  storyTitle: string | null;
}

export function validateMessage(input: MessageInput): ValidMessage {
  if (typeof input.text !== 'string') throw new AppError('INVALID_INPUT', 'a message needs text');
  const text = input.text.normalize('NFC');
  if (text.trim() === '') throw new AppError('INVALID_INPUT', 'a message needs text');
  if (CONTROL.test(text)) throw new AppError('INVALID_INPUT', 'a message must not contain control characters');
  const limit = input.story ? MESSAGE_LIMITS.storyBytes : MESSAGE_LIMITS.textBytes;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limit) {
    throw new AppError('MESSAGE_TOO_LARGE', `the message is ${bytes} bytes; the limit is ${limit} bytes${input.story ? ' for a story' : ' (post a story for longer text)'}`);
  }
  let storyTitle: string | null = null;
  if (input.story) {
    const title = String(input.story.title ?? '').normalize('NFC').trim();
    if (title === '' || [...title].length > MESSAGE_LIMITS.storyTitle || CONTROL.test(title) || title.includes('\n')) {
      throw new AppError('INVALID_INPUT', `a story needs a title of 1–${MESSAGE_LIMITS.storyTitle} characters on one line`);
    }
    storyTitle = title;
  }
  return { text, isAlert: input.alert === true, storyTitle };
}

/**
 * @mentions in a message: `@user@domain`, `@sip:user@domain`, or `@name` (a SIP user
 * part, resolved when exactly one user has it). Returned lower-case, without the `@`.
 */
export function extractMentions(text: string): { addresses: string[]; userParts: string[] } {
  const addresses = new Set<string>();
  const userParts = new Set<string>();
  const re = /(?:^|[^\w@.])@(?:sip:)?([\w.+-]*\w)(?:@([\w-]+(?:\.[\w-]+)+))?/giu;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    const user = (match[1] as string).toLowerCase();
    const domain = match[2]?.toLowerCase();
    if (domain !== undefined) addresses.add(`sip:${user}@${domain}`);
    else userParts.add(user);
  }
  return { addresses: [...addresses], userParts: [...userParts] };
}

/** Keyword alerts match whole words or phrases, ignoring case. */
export function keywordMatches(keywordKey: string, text: string): boolean {
  const haystack = text.toLowerCase();
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(keywordKey, from);
    if (at < 0) return false;
    const before = haystack[at - 1];
    const after = haystack[at + keywordKey.length];
    const boundary = (ch: string | undefined) => ch === undefined || !/[\p{L}\p{N}_]/u.test(ch);
    if (boundary(before) && boundary(after)) return true;
    from = at + 1;
  }
}

export const KEYWORD_MAX_LENGTH = 100;

export function normaliseKeyword(raw: string): { keyword: string; key: string } {
  const keyword = String(raw ?? '').normalize('NFC').trim();
  if (keyword === '' || [...keyword].length > KEYWORD_MAX_LENGTH || CONTROL.test(keyword) || keyword.includes('\n')) {
    throw new AppError('INVALID_VALUE', `a keyword is 1–${KEYWORD_MAX_LENGTH} characters on one line`);
  }
  return { keyword, key: keyword.toLowerCase() };
}

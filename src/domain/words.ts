/**
 * Words as the word index of message search holds them (SQLite, docs/ARCHITECTURE.md
 * "Search"): maximal runs of letters, digits and private-use characters (the character
 * classes of SQLite's unicode61 tokenizer) in the lower-cased text. The search language
 * matches terms as case-insensitive substrings; a term made only of such characters can
 * only occur inside one of these words, which is what lets the word index answer it.
 */

const WORD = /[\p{L}\p{N}\p{Co}]+/gu;
const ONLY_WORD_CHARACTERS = /^[\p{L}\p{N}\p{Co}]+$/u;

/**
 * The longest term the word index answers, in characters. A word longer than twice this
 * (a pasted token, a hash, a run of CJK) is indexed as overlapping pieces of
 * 2 × MAX_WORD_TERM characters starting every MAX_WORD_TERM characters, so a term of at
 * most MAX_WORD_TERM characters inside it lies whole inside one piece — and every piece
 * stays under PostgreSQL's 2,047-byte limit of one lexeme (400 characters of at most 4
 * bytes).
 */
export const MAX_WORD_TERM = 200;

/** The distinct words of a text (lower-cased as search terms are), long ones in pieces. */
export function wordsOf(...texts: readonly (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const text of texts) {
    if (!text) continue;
    for (const match of text.toLowerCase().matchAll(WORD)) {
      const word = match[0];
      // Cheap test first: a word of at most 2 × MAX_WORD_TERM UTF-16 units has at most as many characters.
      if (word.length <= 2 * MAX_WORD_TERM) out.add(word);
      else for (const piece of piecesOf(word)) out.add(piece);
    }
  }
  return [...out];
}

function piecesOf(word: string): string[] {
  const chars = [...word];
  if (chars.length <= 2 * MAX_WORD_TERM) return [word];
  const out: string[] = [];
  for (let at = 0; ; at += MAX_WORD_TERM) {
    out.push(chars.slice(at, at + 2 * MAX_WORD_TERM).join(''));
    if (at + 2 * MAX_WORD_TERM >= chars.length) return out;
  }
}

/** True when a (lower-cased) search term lies inside one word wherever it occurs, and inside one piece of a long word. */
export function isWordTerm(term: string): boolean {
  return ONLY_WORD_CHARACTERS.test(term) && [...term].length <= MAX_WORD_TERM;
}

/** Whether a text or a story title contains a lower-cased term, as search matches it. */
export function containsTerm(text: string | null, storyTitle: string | null, term: string): boolean {
  return (text !== null && text.toLowerCase().includes(term)) || (storyTitle !== null && storyTitle.toLowerCase().includes(term));
}

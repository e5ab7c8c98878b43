/**
 * Words as the word index of message search holds them (SQLite, docs/ARCHITECTURE.md
 * "Search"): maximal runs of letters, digits and private-use characters (the character
 * classes of SQLite's unicode61 tokenizer) in the lower-cased text. The search language
 * matches terms as case-insensitive substrings; a term made only of such characters can
 * only occur inside one of these words, which is what lets the word index answer it.
 */

const WORD = /[\p{L}\p{N}\p{Co}]+/gu;
const ONLY_WORD_CHARACTERS = /^[\p{L}\p{N}\p{Co}]+$/u;

/** The distinct words of a text (lower-cased as search terms are). */
export function wordsOf(...texts: readonly (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  for (const text of texts) {
    if (!text) continue;
    for (const match of text.toLowerCase().matchAll(WORD)) out.add(match[0]);
  }
  return [...out];
}

/** True when a (lower-cased) search term lies inside one word wherever it occurs. */
export function isWordTerm(term: string): boolean {
  return ONLY_WORD_CHARACTERS.test(term);
}

/** Whether a text or a story title contains a lower-cased term, as search matches it. */
export function containsTerm(text: string | null, storyTitle: string | null, term: string): boolean {
  return (text !== null && text.toLowerCase().includes(term)) || (storyTitle !== null && storyTitle.toLowerCase().includes(term));
}

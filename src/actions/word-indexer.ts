/**
 * Keeps the word index of message search (migrations 0006 on SQLite, 0007 on PostgreSQL)
 * up with the messages, and plans each search: the word index for terms it can answer,
 * the trigram index for the others.
 *
 * The index is written here, after messages commit, in batches of BATCH messages (SQLite:
 * new ones by id, changed ones from `search_reindex`; PostgreSQL: from `search_pending`,
 * one indexer of the pool at a time), each batch its own transaction; a node
 * behind (after an upgrade or a bulk import) works through batches back to back, yielding
 * between them. Searches never wait for it: what it has not indexed yet is matched
 * directly by the search, and while that tail is long the trigram index serves instead.
 */
import type { EventBus } from '../events/bus.js';
import type { MessageSearch, Store, WordIndexProgress } from '../store/types.js';
import { isWordTerm, wordsOf } from '../domain/words.js';

/**
 * Messages per indexing transaction: in the background a batch holds the event loop for
 * some 4 ms, and the indexer rests as long as it worked (half the loop at most), so a
 * node catching up after an upgrade or an import keeps answering; `catchUp` (startup of
 * the benches and tests) goes at full speed. Batches of 1,000 held it 20 ms: with an
 * import running beside the node, history reads' p99 was 8× idle without any read
 * record written, 1.8× with batches of 200 (docs/benchmarks.md "import-load").
 */
const BATCH = 200;
const CATCH_UP_BATCH = 5_000;
/** How often an idle indexer looks for new messages. */
const IDLE_MS = 1_000;
/** Messages not indexed yet that a word-index search still matches directly. */
const MAX_TAIL = 5_000;
/** Changed messages waiting to be indexed again that a word-index search still matches directly. */
const MAX_REINDEX = 1_000;
/** A term contained in more vocabulary words than this is a common substring: the trigram index walks it faster. */
const MAX_EXPANSION = 64;

/** A term's vocabulary words as of a vocabulary id (more than MAX_EXPANSION: undefined). */
interface Expansion {
  words: string[] | undefined;
  through: number;
}

/** Terms whose expansions a node keeps (the searches people repeat). */
const MAX_CACHED_TERMS = 10_000;

export class WordIndexer {
  private progress: WordIndexProgress | undefined;
  /** Expansions of recent terms, completed with the words added since (not recomputed). */
  private readonly expansions = new Map<string, Expansion>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Searches planned each way, and messages indexed (metrics, tests). */
  readonly stats = { wordSearches: 0, trigramSearches: 0, indexed: 0 };

  private onError: (err: unknown) => void = () => {};

  constructor(private readonly store: Store) {}

  /** An import wrote around the posting path: the tail is unknown until the next look. */
  follow(bus: EventBus): () => void {
    return bus.subscribe((event) => {
      if (event.type !== 'data.imported' && event.type !== 'events.lost') return;
      this.progress = undefined;
      if (!this.stopped) setImmediate(() => void this.tick());
    });
  }

  /** Starts indexing in the background (the server does; the CLI does not); failures go to onError and the next tick tries again. */
  start(onError: (err: unknown) => void): void {
    if (!this.stopped) return;
    this.onError = onError;
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), IDLE_MS);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Indexes everything there is now (the server's start, the benches, tests). */
  async catchUp(): Promise<void> {
    while (this.running !== undefined) await this.running;
    this.running = this.work(true);
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async tick(): Promise<void> {
    if (this.running !== undefined || this.stopped) return;
    this.running = this.work(false).catch(this.onError);
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async work(toTheEnd: boolean): Promise<void> {
    let p = await this.store.words.progress(MAX_TAIL + 1);
    while ((toTheEnd || !this.stopped) && (p.waiting > 0 || p.changed > 0)) {
      const started = performance.now();
      const done = await this.store.transaction((tx) => tx.words.indexBatch(toTheEnd ? CATCH_UP_BATCH : BATCH, wordsOf));
      this.stats.indexed += done;
      p = await this.store.words.progress(MAX_TAIL + 1);
      this.progress = p;
      if (done === 0) break;
      // Other work (requests, posts) goes between batches: in the background, as long as the batch took.
      const rest = toTheEnd ? 0 : performance.now() - started;
      await new Promise((resolve) => (rest > 0 ? setTimeout(resolve, rest) : setImmediate(resolve)));
    }
    this.progress = p;
  }

  /**
   * The word-index plan for these (lower-cased) terms, or undefined for the trigram index:
   * every term at least three characters of letters and digits, each contained in at most
   * MAX_EXPANSION vocabulary words, and the index nearly up to date.
   */
  async plan(terms: readonly string[], via: Store = this.store): Promise<MessageSearch['words'] | undefined> {
    const p = this.progress;
    const usable =
      p !== undefined &&
      p.waiting <= MAX_TAIL &&
      p.changed <= MAX_REINDEX &&
      terms.length > 0 &&
      terms.every((t) => isWordTerm(t) && [...t].length >= 3);
    if (!usable) {
      this.stats.trigramSearches++;
      return undefined;
    }
    const expansions = await this.expansionsOf(terms, p.vocabulary, via);
    if (expansions.some((e) => e === undefined)) {
      this.stats.trigramSearches++;
      return undefined;
    }
    this.stats.wordSearches++;
    return { expansions: expansions as string[][], indexedThrough: p.indexedThrough, vocabulary: p.vocabulary };
  }

  /**
   * Each term's vocabulary words, complete through vocabulary id `through` (the index's
   * words of every message it holds): from memory, completed with the words added since,
   * or looked up; undefined for a term inside too many words. At most one statement for
   * the stale terms and one for the new ones.
   */
  private async expansionsOf(terms: readonly string[], through: number, via: Store): Promise<(string[] | undefined)[]> {
    const out = new Map<string, Expansion>();
    const unknown: string[] = [];
    // Stale terms by the vocabulary id they are complete through.
    const stale = new Map<number, { term: string; words: string[] }[]>();
    for (const t of new Set(terms)) {
      const e = this.expansions.get(t);
      if (e === undefined) unknown.push(t);
      else if (e.words === undefined || e.through >= through) out.set(t, e);
      else stale.set(e.through, [...(stale.get(e.through) ?? []), { term: t, words: e.words }]);
    }
    if (unknown.length > 0) {
      const found = await via.words.expand(unknown, MAX_EXPANSION);
      unknown.forEach((t, i) => out.set(t, { words: found[i]!.length > MAX_EXPANSION ? undefined : found[i]!, through }));
    }
    // Terms seen before: only the words added since are looked at (a term inside too many
    // words stays so: the vocabulary only grows).
    for (const [from, group] of stale) {
      const found = await via.words.expand(
        group.map((g) => g.term),
        MAX_EXPANSION,
        from,
      );
      group.forEach((g, i) => {
        const words = [...new Set([...g.words, ...found[i]!])];
        out.set(g.term, { words: words.length > MAX_EXPANSION ? undefined : words, through });
      });
    }
    for (const [t, e] of out) this.remember(t, e);
    return terms.map((t) => out.get(t)!.words);
  }

  private remember(term: string, e: Expansion): void {
    this.expansions.delete(term);
    this.expansions.set(term, e);
    if (this.expansions.size > MAX_CACHED_TERMS) this.expansions.delete(this.expansions.keys().next().value as string);
  }
}

/**
 * Keeps the word index of message search (SQLite, migration 0006) up with the messages,
 * and plans each search: the word index for terms it can answer, the trigram index for
 * the others.
 *
 * The index is written here, after messages commit, in batches of BATCH messages (new
 * ones by id, changed ones from `search_reindex`), each batch its own transaction; a node
 * behind (after an upgrade or a bulk import) works through batches back to back, yielding
 * between them. Searches never wait for it: what it has not indexed yet is matched
 * directly by the search, and while that tail is long the trigram index serves instead.
 */
import type { EventBus } from '../events/bus.js';
import type { MessageSearch, Store } from '../store/types.js';
import { isWordTerm, wordsOf } from '../domain/words.js';

/** Messages per indexing transaction. */
const BATCH = 2_000;
/** How often an idle indexer looks for new messages. */
const IDLE_MS = 1_000;
/** Messages not indexed yet that a word-index search still matches directly. */
const MAX_TAIL = 5_000;
/** Changed messages waiting to be indexed again that a word-index search still matches directly. */
const MAX_REINDEX = 1_000;
/** A term contained in more vocabulary words than this is a common substring: the trigram index walks it faster. */
const MAX_EXPANSION = 64;

interface Progress {
  indexedThrough: number;
  newest: number;
  reindex: number;
}

export class WordIndexer {
  private progress: Progress | undefined;
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
      if (event.type !== 'data.imported') return;
      this.progress = undefined;
      if (!this.stopped) setImmediate(() => void this.tick());
    });
  }

  /** Starts indexing in the background (the server does; the CLI does not); failures go to onError and the next tick tries again. */
  start(onError: (err: unknown) => void): void {
    if (!this.store.words.available || !this.stopped) return;
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
    let p = await this.store.words.progress();
    while ((toTheEnd || !this.stopped) && (p.newest > p.indexedThrough || p.reindex > 0)) {
      const done = await this.store.transaction((tx) => tx.words.indexBatch(BATCH, wordsOf));
      this.stats.indexed += done;
      p = await this.store.words.progress();
      this.progress = p;
      if (done === 0) break;
      // Other work (requests, posts) goes between batches.
      await new Promise((resolve) => setImmediate(resolve));
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
      via.words.available &&
      p !== undefined &&
      p.newest - p.indexedThrough <= MAX_TAIL &&
      p.reindex <= MAX_REINDEX &&
      terms.length > 0 &&
      terms.every((t) => isWordTerm(t) && [...t].length >= 3);
    if (!usable) {
      this.stats.trigramSearches++;
      return undefined;
    }
    const expansions = await via.words.expand(terms, MAX_EXPANSION);
    if (expansions.some((e) => e.length > MAX_EXPANSION)) {
      this.stats.trigramSearches++;
      return undefined;
    }
    this.stats.wordSearches++;
    return { expansions, indexedThrough: p.indexedThrough };
  }
}

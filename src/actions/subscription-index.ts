/**
 * Keyword alerts and topic feeds in memory, indexed so that a post only looks at the
 * subscriptions it could match — its cost does not grow with the deployment's number of
 * subscriptions (one index per node). Loaded once; a user's entries are read again after
 * their `subscriptions.changed` event (or their removal), and everything every few minutes
 * as a safety net for writers that publish nothing (an archive import).
 *
 * - A keyword (whole words, case-insensitive) is filed under its first word: a message
 *   can only match keywords filed under one of its words. Keywords without a word
 *   character are checked on every post.
 * - A feed's terms are substrings: a feed is filed under the first three characters of
 *   its first term of three characters or more (a message must contain them); feeds
 *   without such a term are filed under the room they name, or checked on every post.
 */
import type { KeywordAlertRecord, Store, TopicFeedRecord } from '../store/types.js';
import type { EventBus } from '../events/bus.js';
import { keywordMatches } from '../domain/messages.js';
import { matchesQuery, parseSearchQuery, type SearchQuery } from '../domain/search-query.js';
import { nameKey } from '../domain/names.js';
import type { MessageFacts } from '../domain/search-query.js';

const WORD = /[\p{L}\p{N}_]+/gu;
const FULL_RELOAD_MS = 5 * 60_000;

interface Feed {
  record: TopicFeedRecord;
  query: SearchQuery;
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().match(WORD) ?? []);
}

function trigrams(text: string): Set<string> {
  const lower = [...text.toLowerCase()];
  const out = new Set<string>();
  for (let i = 0; i + 3 <= lower.length; i++) out.add(lower.slice(i, i + 3).join(''));
  return out;
}

function feedKey(query: SearchQuery): string | undefined {
  const term = query.terms.find((t) => [...t].length >= 3);
  if (term !== undefined) return `t:${[...term].slice(0, 3).join('')}`;
  if (query.rooms.length === 1) return `r:${nameKey(query.rooms[0] as string)}`;
  return undefined;
}

function parseFeed(text: string): SearchQuery | null {
  try {
    return parseSearchQuery(text);
  } catch {
    return null;
  }
}

export class SubscriptionIndex {
  private keywords = new Map<string, KeywordAlertRecord[]>();
  private keywordsAlways: KeywordAlertRecord[] = [];
  private feeds = new Map<string, Feed[]>();
  private feedsAlways: Feed[] = [];
  private loadedAt: number | undefined;
  private readonly stale = new Set<number>();
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  follow(bus: EventBus): () => void {
    return bus.subscribe((event) => {
      if (event.type === 'subscriptions.changed' || event.type === 'principal.removed') this.stale.add(event.principalId);
      // An import writes keyword alerts and feeds around the actions: everything is read again.
      if (event.type === 'data.imported' || event.type === 'events.lost') this.loadedAt = undefined;
    });
  }

  /** `via`: the store to read from (the caller's transaction; see AccessCache). */
  private async ready(via: Store): Promise<void> {
    while (this.loading !== undefined) await this.loading;
    if (this.loadedAt === undefined || this.clock() - this.loadedAt > FULL_RELOAD_MS) {
      this.loading = this.loadAll(via);
    } else if (this.stale.size > 0) {
      this.loading = this.refresh(via, [...this.stale]);
    } else {
      return;
    }
    try {
      await this.loading;
    } finally {
      this.loading = undefined;
    }
  }

  private async loadAll(via: Store): Promise<void> {
    const at = this.clock();
    this.stale.clear();
    const [alerts, feeds] = await Promise.all([via.keywordAlerts.all(), via.topicFeeds.all()]);
    this.keywords = new Map();
    this.keywordsAlways = [];
    this.feeds = new Map();
    this.feedsAlways = [];
    for (const a of alerts) this.addKeyword(a);
    for (const f of feeds) this.addFeed(f);
    this.loadedAt = at;
  }

  private async refresh(via: Store, ids: number[]): Promise<void> {
    for (const id of ids) this.stale.delete(id);
    const alerts: KeywordAlertRecord[] = [];
    const feeds: TopicFeedRecord[] = [];
    for (const id of ids) {
      alerts.push(...(await via.keywordAlerts.list(id)));
      feeds.push(...(await via.topicFeeds.list(id)));
    }
    const changed = new Set(ids);
    const keep = <T extends { principalId: number }>(list: T[]) => list.filter((x) => !changed.has(x.principalId));
    for (const [k, list] of this.keywords) this.keywords.set(k, keep(list));
    this.keywordsAlways = keep(this.keywordsAlways);
    for (const [k, list] of this.feeds) this.feeds.set(k, list.filter((f) => !changed.has(f.record.principalId)));
    this.feedsAlways = this.feedsAlways.filter((f) => !changed.has(f.record.principalId));
    for (const a of alerts) this.addKeyword(a);
    for (const f of feeds) this.addFeed(f);
  }

  private addKeyword(a: KeywordAlertRecord): void {
    const first = a.keywordKey.match(WORD)?.[0];
    if (first === undefined) {
      this.keywordsAlways.push(a);
      return;
    }
    const list = this.keywords.get(first) ?? [];
    list.push(a);
    this.keywords.set(first, list);
  }

  private addFeed(record: TopicFeedRecord): void {
    const query = parseFeed(record.query);
    if (query === null) return;
    const key = feedKey(query);
    if (key === undefined) {
      this.feedsAlways.push({ record, query });
      return;
    }
    const list = this.feeds.get(key) ?? [];
    list.push({ record, query });
    this.feeds.set(key, list);
  }

  /** The keyword alerts and topic feeds a message matches. */
  async match(searchable: string, facts: MessageFacts, via: Store = this.store): Promise<{ keywords: KeywordAlertRecord[]; feeds: TopicFeedRecord[] }> {
    await this.ready(via);
    const keywords: KeywordAlertRecord[] = [];
    const seen = new Set<number>();
    const tryKeyword = (a: KeywordAlertRecord) => {
      if (!seen.has(a.id) && keywordMatches(a.keywordKey, searchable)) {
        seen.add(a.id);
        keywords.push(a);
      }
    };
    for (const w of words(searchable)) for (const a of this.keywords.get(w) ?? []) tryKeyword(a);
    for (const a of this.keywordsAlways) tryKeyword(a);
    const feeds: TopicFeedRecord[] = [];
    const tried = new Set<number>();
    const tryFeed = (f: Feed) => {
      if (!tried.has(f.record.id) && matchesQuery(f.query, facts)) feeds.push(f.record);
      tried.add(f.record.id);
    };
    if (this.feeds.size > 0) {
      for (const g of trigrams(searchable)) for (const f of this.feeds.get(`t:${g}`) ?? []) tryFeed(f);
      for (const f of this.feeds.get(`r:${nameKey(facts.roomName)}`) ?? []) tryFeed(f);
    }
    for (const f of this.feedsAlways) tryFeed(f);
    keywords.sort((a, b) => a.id - b.id);
    feeds.sort((a, b) => a.id - b.id);
    return { keywords, feeds };
  }
}

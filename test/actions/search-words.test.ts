/**
 * The word index of message search (FTS5 on SQLite, tsvector on PostgreSQL) answers
 * exactly what the trigram index answers: for random messages (mixed case, diacritics, CJK, punctuation, story titles)
 * and random terms (substrings inside words, across words, whole words, absent ones,
 * two at once), a search planned on the word index returns the same messages, in the same
 * order, as the same search on the trigram index — also for messages posted after the
 * index was last brought up to date, messages an administrator replaced, and removed ones.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { postgresDatabaseUrl, postgresEnabled } from '../harness/stores.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { WordIndexer } from '../../src/actions/word-indexer.js';
import { useDeployment } from '../harness/services.js';
import { buildCategory, buildDomain, buildRoom, buildUser, type BuiltUser } from '../factories.js';
import { checkPostMessage, searchMessages } from '../../src/actions/messages.js';
import { checkRemoveMessages } from '../../src/actions/content.js';
import { checkUpdateRoom } from '../../src/actions/rooms.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { containsTerm, isWordTerm, wordsOf } from '../../src/domain/words.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import { sql } from 'kysely';
import * as m0010 from '../../src/store/migrations/0010-trigram-indexer.js';
import type { MessageSearch } from '../../src/store/types.js';

const SYLLABLES = ['ka', 'To', 'ri', 'mü', 'SEN', 'lo', 'va', 'dan', 'qui', 'pé', '東京', 'x7', '42'];
const SEPARATORS = [' ', ' ', ' ', ', ', '-', '.', '/', ' (', ') ', "'"];

describeEachStore('search through the word index', (kind) => {
  const d = useDeployment({ open: () => kind.open() });
  let user: BuiltUser;
  let room: string;
  let roomName: string;

  beforeEach(async () => {
    await buildDomain(d.services, 'contoso.com');
    const category = await buildCategory(d.services, { allowed: ['contoso.com'] });
    user = await buildUser(d.services, { domain: 'contoso.com' });
    const built = await buildRoom(d.services, category.name, { privacy: 'Open' });
    room = built.guid;
    roomName = built.name;
  });

  /** Both plans for one query, straight against the store. */
  async function both(terms: string[]): Promise<{ word: number[] | undefined; trigram: number[] }> {
    const roomId = (await d.store.rooms.getByGuid(room))!.id;
    const base: MessageSearch = { rooms: { ids: [roomId] }, terms, limit: 1000 };
    const trigram = (await d.store.messages.search(base)).map((m) => m.id);
    const words = await d.services.words.plan(terms);
    const word = words === undefined ? undefined : (await d.store.messages.search({ ...base, words })).map((m) => m.id);
    return { word, trigram };
  }

  it('returns what the trigram index returns, for any text and any term', async () => {
    const word = fc.array(fc.constantFrom(...SYLLABLES), { minLength: 1, maxLength: 4 }).map((s) => s.join(''));
    const text = fc.array(fc.tuple(word, fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 8 }).map((ws) => ws.map(([w, sep]) => w + sep).join('').trim());
    const texts = fc.sample(text, { numRuns: 300, seed: 21 });
    for (const [i, t] of texts.entries()) {
      await checkPostMessage(d.services, user.actor, room, i % 7 === 0 ? { text: 'story body', story: { title: t } } : { text: t });
    }
    await d.services.words.catchUp();
    // Terms: substrings of the texts (inside words and across them), whole words, absent ones.
    const vocabulary = [...new Set(texts.flatMap((t) => wordsOf(t)))];
    const termOf = fc.oneof(
      fc.tuple(fc.constantFrom(...texts), fc.nat(), fc.integer({ min: 3, max: 9 })).map(([t, at, n]) => t.toLowerCase().slice(at % t.length, (at % t.length) + n)),
      fc.constantFrom(...vocabulary),
      fc.constantFrom('absent', 'kakakakaka', 'zzz9', '東京東京東京'),
    );
    const queries = fc.sample(fc.array(termOf.filter((t) => t.trim().length >= 3 && t === t.trim()), { minLength: 1, maxLength: 2 }), { numRuns: 250, seed: 7 });
    let planned = 0;
    for (const terms of queries) {
      const { word, trigram } = await both(terms);
      if (word === undefined) {
        // Only terms the word index cannot answer fall back (or terms in too many words).
        continue;
      }
      planned++;
      expect(terms.every(isWordTerm)).toBe(true);
      expect(word, `terms ${JSON.stringify(terms)}`).toEqual(trigram);
    }
    // The mix exercises the word index, not only the fallback.
    expect(planned).toBeGreaterThan(100);
  });

  it('finds what the index has not reached yet, what an administrator replaced, and forgets what was removed', async () => {
    await checkPostMessage(d.services, user.actor, room, { text: 'quarterly numbers from Zürich' });
    await checkPostMessage(d.services, user.actor, room, { text: 'the settlement window' });
    await d.services.words.catchUp();
    // Posted after the index: matched directly.
    await checkPostMessage(d.services, user.actor, room, { text: 'late quarterly draft' });
    const late = await both(['quarterly']);
    expect(late.word).toHaveLength(2);
    expect(late.word).toEqual(late.trigram);
    // Replaced: the new text is found, the old one no longer, before and after re-indexing.
    await checkRemoveMessages(d.services, SYSTEM_ACTOR, roomName, { replaceMessage: 'redacted by compliance', filter: 'settlement', matchClause: 'Or' });
    for (const round of ['before', 'after']) {
      if (round === 'after') await d.services.words.catchUp();
      const redacted = await both(['redacted']);
      expect(redacted.word, round).toHaveLength(1);
      expect(redacted.word).toEqual(redacted.trigram);
      expect((await both(['settlement'])).word, round).toEqual([]);
    }
    // Removed: gone from both.
    await checkRemoveMessages(d.services, SYSTEM_ACTOR, roomName, { remove: true, filter: 'zürich', matchClause: 'Or' });
    const gone = await both(['rich']);
    expect(gone.word).toEqual([]);
    expect(gone.trigram).toEqual([]);
    // Through the action: the same answer as before the index existed.
    const found = await searchMessages(d.services, user.actor, { q: 'quarterly' });
    expect(found.messages.map((m) => m.text)).toEqual(['late quarterly draft']);
  });

  it('completes a term it has looked up with the words the vocabulary gained since', async () => {
    await checkPostMessage(d.services, user.actor, room, { text: 'the alphabet soup' });
    await d.services.words.catchUp();
    expect((await d.services.words.plan(['alph']))?.expansions).toEqual([['alphabet']]);
    await checkPostMessage(d.services, user.actor, room, { text: 'nothing new here' });
    await checkPostMessage(d.services, user.actor, room, { text: 'an ALPHA release' });
    await d.services.words.catchUp();
    expect((await d.services.words.plan(['alph']))?.expansions.map((e) => [...e].sort())).toEqual([['alpha', 'alphabet']]);
    const { word, trigram } = await both(['alph']);
    expect(word).toHaveLength(2);
    expect(word).toEqual(trigram);
  });

  it('finds a message the indexer took between the plan and the search, though its word is new', async () => {
    await checkPostMessage(d.services, user.actor, room, { text: 'the first note' });
    await d.services.words.catchUp();
    await checkPostMessage(d.services, user.actor, room, { text: 'a zeppelin overhead' });
    const roomId = (await d.store.rooms.getByGuid(room))!.id;
    // Planned while the message waits: no vocabulary word holds the term yet.
    const words = await d.services.words.plan(['zeppel']);
    expect(words?.expansions).toEqual([[]]);
    // The indexer takes it now, between the plan and the search (a race CI once caught on PostgreSQL).
    expect(await d.store.transaction((tx) => tx.words.indexBatch(1000, wordsOf))).toBeGreaterThan(0);
    const found = await d.store.messages.search({ rooms: { ids: [roomId] }, terms: ['zeppel'], words: words!, limit: 100 });
    expect(found.map((m) => m.content)).toEqual(['a zeppelin overhead']);
  });

  it('leaves terms it cannot answer to the trigram index', async () => {
    await checkPostMessage(d.services, user.actor, room, { text: 'e-mail the draft to ana@contoso.com' });
    await d.services.words.catchUp();
    for (const terms of [['e-mail'], ['ana@contoso'], ['to'], ['draft to']]) expect(await d.services.words.plan(terms), terms[0]).toBeUndefined();
    expect(await d.services.words.plan(['draft'])).toBeDefined();
    // A term inside more than 64 different words is walked on the trigram index.
    for (let i = 0; i < 70; i++) await checkPostMessage(d.services, user.actor, room, { text: `common${i}word` });
    await d.services.words.catchUp();
    expect(await d.services.words.plan(['common'])).toBeUndefined();
  });

  it('answers from the trigram index exactly what the texts say, behind the indexer, after changes and removals, and caught up', async () => {
    const roomId = (await d.store.rooms.getByGuid(room))!.id;
    const word = fc.array(fc.constantFrom(...SYLLABLES), { minLength: 1, maxLength: 4 }).map((s) => s.join(''));
    const text = fc.array(fc.tuple(word, fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 8 }).map((ws) => ws.map(([w, sep]) => w + sep).join('').trim());
    const texts = fc.sample(text, { numRuns: 120, seed: 5 });
    const post = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await checkPostMessage(d.services, user.actor, room, i % 9 === 0 ? { text: 'story body', story: { title: texts[i]! } } : { text: texts[i]! });
    };
    // Terms of three characters or more (the trigram index's), many with punctuation or spaces: the word index takes none of these.
    const queries = [
      ...fc.sample(fc.tuple(fc.constantFrom(...texts), fc.nat(), fc.integer({ min: 3, max: 8 })).map(([t, at, n]) => [t.toLowerCase().slice(at % t.length, (at % t.length) + n)]), { numRuns: 60, seed: 11 }),
      ['redacted by'],
      ['ory bo'],
      ['absent-term'],
    ].filter((terms) => terms.every((t) => [...t].length >= 3 && t === t.trim()));
    const expectTexts = async (stage: string) => {
      const all = await d.store.messages.latest(roomId, 10_000);
      for (const terms of queries) {
        const expected = all.filter((m) => terms.every((t) => containsTerm(m.content, m.storyTitle, t))).map((m) => m.id).reverse();
        const found = (await d.store.messages.search({ rooms: { ids: [roomId] }, terms, limit: 1000 })).map((m) => m.id);
        expect(found, `${stage}: ${JSON.stringify(terms)}`).toEqual(expected);
      }
    };
    await post(0, 60);
    await d.services.words.catchUp();
    // Half indexed, half above the watermark.
    await post(60, 120);
    await expectTexts('behind the indexer');
    // Replaced and removed, on both sides of the watermark.
    await checkRemoveMessages(d.services, SYSTEM_ACTOR, roomName, { replaceMessage: 'redacted by compliance', filter: 'dan', matchClause: 'Or' });
    await checkRemoveMessages(d.services, SYSTEM_ACTOR, roomName, { remove: true, filter: 'qui', matchClause: 'Or' });
    await expectTexts('after changes');
    await d.services.words.catchUp();
    await expectTexts('caught up');
    if (kind.dialect === 'sqlite') {
      // The index holds every message, with the text it has now (FTS5 checks it against the messages table).
      await sql`insert into messages_fts (messages_fts, rank) values ('integrity-check', 1)`.execute((d.store as KyselyStore).db);
    }
  });

  // SQLite only (PostgreSQL never had the trigger): defined for it alone, so no skipped test stands for it elsewhere.
  if (kind.dialect === 'sqlite') {
    it('moves a database whose trigram index was written by a trigger onto the indexer (migration 0010)', async () => {
      const db = (d.store as KyselyStore).db;
      // As before 0010: every insert indexed at once, whatever the watermark.
      await sql`create trigger messages_fts_insert after insert on messages begin
        insert into messages_fts(rowid, content, story_title) values (new.id, new.content, new.story_title); end`.execute(db);
      await checkPostMessage(d.services, user.actor, room, { text: 'below the watermark: alpha-1' });
      // The word indexer then moved the watermark and left the trigram index alone.
      await sql`update search_index_state set indexed_through = (select max(id) from messages)`.execute(db);
      await checkPostMessage(d.services, user.actor, room, { text: 'above the watermark: alpha-2' });
      await m0010.up(db, 'sqlite');
      const roomId = (await d.store.rooms.getByGuid(room))!.id;
      const search = async () => (await d.store.messages.search({ rooms: { ids: [roomId] }, terms: ['alpha-'], limit: 10 })).map((m) => m.content);
      expect(await search()).toEqual(['above the watermark: alpha-2', 'below the watermark: alpha-1']);
      await d.services.words.catchUp();
      expect(await search()).toEqual(['above the watermark: alpha-2', 'below the watermark: alpha-1']);
      await sql`insert into messages_fts (messages_fts, rank) values ('integrity-check', 1)`.execute(db);
    });
  }

  it('finds a term inside a very long word, and in a message too large for one index entry', async () => {
    const roomId = (await d.store.rooms.getByGuid(room))!.id;
    // A pasted token of 1,500 characters (indexed in overlapping pieces), and a message of
    // 1.2 MB of distinct words (an imported blob: past PostgreSQL's tsvector limit, kept
    // out of the index and matched directly).
    const token = Array.from({ length: 1500 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'[(i * 7 + (i >> 5)) % 26]).join('');
    const blob = Array.from({ length: 150_000 }, (_, i) => `w${i.toString(36)}q`).join(' ');
    await d.store.transaction(async (tx) => {
      await tx.messages.append({ roomId, authorId: user.id, postedAt: Date.now(), content: `token ${token} end` });
      await tx.messages.append({ roomId, authorId: user.id, postedAt: Date.now(), content: `${blob} zyxwvutsrq` });
    });
    await d.services.words.catchUp();
    for (const terms of [[token.slice(1234, 1234 + 150)], [token.slice(0, 200)], [token.slice(-180)], ['zyxwvutsrq'], ['w2p9q'], ['w2p9q', 'zyxwvut']]) {
      const { word, trigram } = await both(terms);
      expect(word, terms[0]!.slice(0, 20)).toBeDefined();
      expect(trigram, terms[0]!.slice(0, 20)).toHaveLength(1);
      expect(word, terms[0]!.slice(0, 20)).toEqual(trigram);
    }
    // Longer than a piece: left to the trigram index, which finds it.
    expect(await d.services.words.plan([token.slice(100, 401)])).toBeUndefined();
  });
});

describeEachStore('search over the rooms a reader may read', (kind) => {
  const d = useDeployment({ open: () => kind.open() });

  it('follows changes of rights at once, though the reader\'s rooms are kept between searches', async () => {
    await buildDomain(d.services, 'contoso.com');
    const category = await buildCategory(d.services, { allowed: ['contoso.com'] });
    const [reader, poster] = [await buildUser(d.services, { domain: 'contoso.com' }), await buildUser(d.services, { domain: 'contoso.com' })];
    const closed = await buildRoom(d.services, category.name, { privacy: 'Closed', members: [poster.key] });
    const open = await buildRoom(d.services, category.name, { privacy: 'Open' });
    await checkPostMessage(d.services, poster.actor, closed.guid, { text: 'budget draft in the closed room' });
    await checkPostMessage(d.services, poster.actor, open.guid, { text: 'budget notes in the open room' });
    const rooms = async () => (await searchMessages(d.services, reader.actor, { q: 'budget' })).messages.map((m) => m.room).sort();
    expect(await rooms()).toEqual([open.name]);
    // Kept: the second search reads no room list.
    const misses = d.services.access.stats.misses;
    expect(await rooms()).toEqual([open.name]);
    expect(d.services.access.stats.misses).toBe(misses);
    // Made a member: found at once; removed: gone at once; a new Open room: searched at once.
    await checkUpdateRoom(d.services, SYSTEM_ACTOR, closed.name, { members: { mode: 'edit', add: [reader.key], remove: [] } });
    expect(await rooms()).toEqual([closed.name, open.name].sort());
    await checkUpdateRoom(d.services, SYSTEM_ACTOR, closed.name, { members: { mode: 'edit', add: [], remove: [reader.key] } });
    expect(await rooms()).toEqual([open.name]);
    const later = await buildRoom(d.services, category.name, { privacy: 'Open' });
    await checkPostMessage(d.services, poster.actor, later.guid, { text: 'budget final' });
    expect(await rooms()).toEqual([open.name, later.name].sort());
    // A reader who may read nothing finds nothing (and the search is still recorded).
    await checkUpdateRoom(d.services, SYSTEM_ACTOR, open.name, { privacy: 'Closed' });
    await checkUpdateRoom(d.services, SYSTEM_ACTOR, later.name, { privacy: 'Closed' });
    expect(await rooms()).toEqual([]);
  });
});

describe.skipIf(!postgresEnabled())('the word index in a pool [postgres]', () => {
  let url = '';
  const d = useDeployment({
    open: async () => {
      url = await postgresDatabaseUrl();
      return openPostgresStore(url, 4);
    },
  });

  it('is written by the indexers of two nodes at once without a message lost or indexed twice', async () => {
    await buildDomain(d.services, 'contoso.com');
    const category = await buildCategory(d.services, { allowed: ['contoso.com'] });
    const user = await buildUser(d.services, { domain: 'contoso.com' });
    const roomId = (await d.store.rooms.getByGuid((await buildRoom(d.services, category.name, { privacy: 'Open' })).guid))!.id;
    const other = await openPostgresStore(url, 4);
    try {
      const texts = Array.from({ length: 8_000 }, (_, i) => `message ${i} about topic${i % 97} and subject${i % 13}`);
      for (let i = 0; i < texts.length; i += 4_000) {
        await d.store.transaction(async (tx) => {
          for (const content of texts.slice(i, i + 4_000)) await tx.messages.append({ roomId, authorId: user.id, postedAt: Date.now(), content });
        });
      }
      const second = new WordIndexer(other);
      await Promise.all([d.services.words.catchUp(), second.catchUp()]);
      expect(d.services.words.stats.indexed + second.stats.indexed).toBe(texts.length);
      expect(await d.store.words.progress(100)).toMatchObject({ waiting: 0 });
      const words = await d.services.words.plan(['topic42', 'subject3']);
      expect(words).toBeDefined();
      const found = await d.store.messages.search({ rooms: { ids: [roomId] }, terms: ['topic42', 'subject3'], limit: 1000, words });
      const expected = texts.filter((t) => t.includes('topic42 ') && t.endsWith('subject3'));
      expect(found.map((m) => m.content).sort()).toEqual(expected.sort());
      expect(expected.length).toBeGreaterThan(3);
    } finally {
      await other.close();
    }
  });
});


import { sql } from 'kysely';
import type { WordIndexStore } from '../types.js';
import { likeEscape, type Executor } from './common.js';

/** FTS5 string literal: the text as one quoted phrase. */
export const ftsPhrase = (text: string): string => `"${text.replace(/"/g, '""')}"`;

/** A tsquery lexeme, quoted: taken as it is, no parser or dictionary in between. */
const tsLexeme = (word: string): string => `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** The tsquery of a word search: for every term, one of its vocabulary words. */
export const tsWordQuery = (expansions: readonly (readonly string[])[]): string => expansions.map((e) => `(${e.map(tsLexeme).join(' | ')})`).join(' & ');

interface Pending {
  id: number;
  content: string | null;
  storyTitle: string | null;
}

/**
 * Bytes of words one message's tsvector may hold (PostgreSQL refuses one over 1 MB: each
 * lexeme costs its bytes and a 4-byte entry). A message with more — a very long story,
 * an imported blob — is kept unindexed and searched directly.
 */
const MAX_TSVECTOR_BYTES = 1_000_000;

/** The word index of message search: migration 0006 on SQLite, 0007 on PostgreSQL. */
export function wordIndexStore(executor: Executor): WordIndexStore {
  return executor.dialect === 'sqlite' ? sqliteWords(executor) : postgresWords(executor);
}

function sqliteWords({ db }: Executor): WordIndexStore {
  const json = (value: unknown) => JSON.stringify(value);
  return {
    async progress() {
      const { rows } = await sql<{ indexedThrough: number; newest: number; changed: number; vocabulary: number }>`
        select (select indexed_through from search_index_state where id = 1) as indexed_through,
               (select coalesce(max(id), 0) from messages) as newest,
               (select count(*) from search_reindex) as changed,
               (select coalesce(max(id), 0) from search_vocabulary) as vocabulary`.execute(db);
      const row = rows[0]!;
      const indexedThrough = Number(row.indexedThrough);
      return { waiting: Math.max(0, Number(row.newest) - indexedThrough), changed: Number(row.changed), indexedThrough, vocabulary: Number(row.vocabulary) };
    },
    async indexBatch(limit, wordsOf) {
      const state = await sql<{ indexedThrough: number }>`select indexed_through from search_index_state where id = 1`.execute(db);
      const through = Number(state.rows[0]?.indexedThrough ?? 0);
      const fresh = (await sql<Pending>`select id, content, story_title from messages where id > ${through} order by id limit ${limit}`.execute(db)).rows;
      const changedIds = (await sql<{ messageId: number }>`select message_id from search_reindex order by message_id limit ${limit}`.execute(db)).rows.map((r) => Number(r.messageId));
      let changed: Pending[] = [];
      if (changedIds.length > 0) {
        await sql`delete from message_words where rowid in (select value from json_each(${json(changedIds)}))`.execute(db);
        changed = (await sql<Pending>`select id, content, story_title from messages where id in (select value from json_each(${json(changedIds)}))`.execute(db)).rows;
      }
      const docs: [number, string][] = [];
      const vocabulary = new Set<string>();
      for (const m of [...changed, ...fresh]) {
        const words = wordsOf(m.content, m.storyTitle);
        for (const w of words) vocabulary.add(w);
        docs.push([Number(m.id), words.join(' ')]);
      }
      if (docs.length > 0) {
        await sql`insert into message_words (rowid, words) select value ->> 0, value ->> 1 from json_each(${json(docs)})`.execute(db);
        await sql`insert or ignore into search_vocabulary (word) select value from json_each(${json([...vocabulary])})`.execute(db);
      }
      if (fresh.length > 0) {
        // The trigram index (migration 0010) follows the same watermark, in one statement.
        const last = Number(fresh.at(-1)!.id);
        await sql`insert into messages_fts (rowid, content, story_title) select id, content, story_title from messages where id > ${through} and id <= ${last}`.execute(db);
        await sql`update search_index_state set indexed_through = ${last} where id = 1`.execute(db);
      }
      if (changedIds.length > 0) await sql`delete from search_reindex where message_id in (select value from json_each(${json(changedIds)}))`.execute(db);
      return fresh.length + changedIds.length;
    },
    async expand(terms, max, afterId) {
      if (terms.length === 0) return [];
      // One statement for every term, at most max + 1 words each: the vocabulary's trigram
      // index, or a scan of the words added since `afterId` (a few, newest of the vocabulary).
      const arms = terms.map((term, i) =>
        afterId === undefined
          ? sql`select ${i} as term, word from (select word from search_vocabulary_trigrams where search_vocabulary_trigrams match ${ftsPhrase(term)} limit ${max + 1})`
          : sql`select ${i} as term, word from (select word from search_vocabulary where id > ${afterId} and instr(word, ${term}) > 0 limit ${max + 1})`,
      );
      return byTerm(terms, (await sql<{ term: number; word: string }>`${sql.join(arms, sql` union all `)}`.execute(db)).rows);
    },
  };
}

function postgresWords({ db }: Executor): WordIndexStore {
  return {
    async progress(countUpTo) {
      const { rows } = await sql<{ waiting: number; vocabulary: number }>`
        select (select count(*) from (select 1 from search_pending limit ${countUpTo}) p) as waiting,
               (select coalesce(max(id), 0) from search_vocabulary) as vocabulary`.execute(db);
      const row = rows[0]!;
      return { waiting: Number(row.waiting), changed: 0, indexedThrough: 0, vocabulary: Number(row.vocabulary) };
    },
    async indexBatch(limit, wordsOf) {
      // One indexer at a time in a pool: vocabulary ids then grow in commit order, which
      // the planner's cache of expansions relies on ("every word up to id N").
      await sql`select pg_advisory_xact_lock(${INDEXER_LOCK})`.execute(db);
      const taken = (
        await sql<{ messageId: string }>`delete from search_pending where message_id in
          (select message_id from search_pending order by message_id limit ${limit} for update skip locked) returning message_id`.execute(db)
      ).rows.map((r) => Number(r.messageId));
      if (taken.length === 0) return 0;
      // FOR SHARE: a change of the text committing meanwhile is read (it waited), and one
      // starting now waits for this batch, then takes the message out of the index again.
      const messages = (await sql<Pending>`select id, content, story_title from messages where id = any(${taken}::bigint[]) for share`.execute(db)).rows;
      const ids: number[] = [];
      const docs: (string | null)[] = [];
      const vocabulary = new Set<string>();
      for (const m of messages) {
        const words = wordsOf(m.content, m.storyTitle);
        const bytes = words.reduce((n, w) => n + Buffer.byteLength(w) + 4, 0);
        ids.push(Number(m.id));
        if (bytes > MAX_TSVECTOR_BYTES) {
          docs.push(null);
          continue;
        }
        for (const w of words) vocabulary.add(w);
        docs.push(words.join(' '));
      }
      if (ids.length > 0) {
        await sql`insert into message_words (message_id, words)
          select d.id, case when d.words is null then null else array_to_tsvector(string_to_array(d.words, ' ')) end
          from unnest(${ids}::bigint[], ${docs}::text[]) as d (id, words)
          on conflict (message_id) do update set words = excluded.words`.execute(db);
      }
      if (vocabulary.size > 0) {
        await sql`insert into search_vocabulary (word)
          select w from unnest(${[...vocabulary].sort()}::text[]) as w where not exists (select 1 from search_vocabulary v where v.word = w)
          on conflict (word) do nothing`.execute(db);
      }
      return taken.length;
    },
    async expand(terms, max, afterId) {
      return postgresVocabulary(db, terms, max, afterId);
    },
  };
}

/**
 * PostgreSQL: each term's vocabulary words (at most max + 1 of them), or only those added
 * after vocabulary id `afterId`.
 */
export async function postgresVocabulary(db: Executor['db'], terms: readonly string[], max: number, afterId?: number): Promise<string[][]> {
  if (terms.length === 0) return [];
  const arms = terms.map((term, i) =>
    afterId === undefined
      ? sql`(select ${i}::int as term, word from search_vocabulary where word like ${`%${likeEscape(term)}%`} escape '\\' limit ${max + 1})`
      : sql`(select ${i}::int as term, word from search_vocabulary where id > ${afterId} and strpos(word, ${term}) > 0 limit ${max + 1})`,
  );
  return byTerm(terms, (await sql<{ term: number; word: string }>`${sql.join(arms, sql` union all `)}`.execute(db)).rows);
}

/** The advisory lock of the PostgreSQL indexer (any number only Stoa uses). */
const INDEXER_LOCK = 0x53746f61;

function byTerm(terms: readonly string[], rows: readonly { term: number; word: string }[]): string[][] {
  const out: string[][] = terms.map(() => []);
  for (const r of rows) out[Number(r.term)]!.push(r.word);
  return out;
}

import { sql } from 'kysely';
import type { WordIndexStore } from '../types.js';
import type { Executor } from './common.js';

/** FTS5 string literal: the text as one quoted phrase. */
export const ftsPhrase = (text: string): string => `"${text.replace(/"/g, '""')}"`;

interface Pending {
  id: number;
  content: string | null;
  storyTitle: string | null;
}

/** The word index of message search (migration 0006): SQLite only. */
export function wordIndexStore({ db, dialect }: Executor): WordIndexStore {
  const available = dialect === 'sqlite';
  const json = (value: unknown) => JSON.stringify(value);
  return {
    available,
    async progress() {
      if (!available) return { indexedThrough: 0, newest: 0, reindex: 0, vocabulary: 0 };
      const { rows } = await sql<{ indexedThrough: number; newest: number; reindex: number; vocabulary: number }>`
        select (select indexed_through from search_index_state where id = 1) as indexed_through,
               (select coalesce(max(id), 0) from messages) as newest,
               (select count(*) from search_reindex) as reindex,
               (select coalesce(max(id), 0) from search_vocabulary) as vocabulary`.execute(db);
      const row = rows[0]!;
      return { indexedThrough: Number(row.indexedThrough), newest: Number(row.newest), reindex: Number(row.reindex), vocabulary: Number(row.vocabulary) };
    },
    async indexBatch(limit, wordsOf) {
      if (!available) return 0;
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
      if (fresh.length > 0) await sql`update search_index_state set indexed_through = ${Number(fresh.at(-1)!.id)} where id = 1`.execute(db);
      if (changedIds.length > 0) await sql`delete from search_reindex where message_id in (select value from json_each(${json(changedIds)}))`.execute(db);
      return fresh.length + changedIds.length;
    },
    async expand(terms, max, afterId) {
      if (!available || terms.length === 0) return terms.map(() => []);
      // One statement for every term, at most max + 1 words each: the vocabulary's trigram
      // index, or a scan of the words added since `afterId` (a few, newest of the vocabulary).
      const arms = terms.map((term, i) =>
        afterId === undefined
          ? sql`select ${i} as term, word from (select word from search_vocabulary_trigrams where search_vocabulary_trigrams match ${ftsPhrase(term)} limit ${max + 1})`
          : sql`select ${i} as term, word from (select word from search_vocabulary where id > ${afterId} and instr(word, ${term}) > 0 limit ${max + 1})`,
      );
      const { rows } = await sql<{ term: number; word: string }>`${sql.join(arms, sql` union all `)}`.execute(db);
      const out: string[][] = terms.map(() => []);
      for (const r of rows) out[Number(r.term)]!.push(r.word);
      return out;
    },
  };
}

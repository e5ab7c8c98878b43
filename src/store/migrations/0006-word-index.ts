import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

/**
 * The word index of message search on SQLite (docs/ARCHITECTURE.md "Search"), beside the
 * trigram index: a term that is one word's worth of letters and digits is looked up in a
 * vocabulary of the words messages contain (itself trigram-indexed: small, so a rare term
 * made of common trigrams is cheap there), and the messages holding those words are found
 * in the word index. The index is written by the node's indexer after the messages commit,
 * in batches, not by triggers on the posting path:
 *
 * - `message_words`: per message, its words (contentless; rows deleted by rowid);
 * - `search_vocabulary` (+ `search_vocabulary_trigrams`): every word indexed so far;
 * - `search_index_state.indexed_through`: messages up to this id are indexed (ids only
 *   grow: AUTOINCREMENT); newer ones are searched directly;
 * - `search_reindex`: indexed messages whose text changed since (replaced by an
 *   administrator), indexed again by the indexer and searched directly until then.
 *
 * PostgreSQL has its own (migration 0007).
 */
export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await sql`create virtual table message_words using fts5(words, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0')`.execute(db);
  await sql`create table search_vocabulary (id integer primary key, word text not null unique)`.execute(db);
  await sql`create virtual table search_vocabulary_trigrams using fts5(word, content='search_vocabulary', content_rowid='id', tokenize='trigram')`.execute(db);
  await sql`create trigger search_vocabulary_insert after insert on search_vocabulary begin
    insert into search_vocabulary_trigrams(rowid, word) values (new.id, new.word); end`.execute(db);
  await sql`create table search_index_state (id integer primary key check (id = 1), indexed_through integer not null)`.execute(db);
  await sql`insert into search_index_state (id, indexed_through) values (1, 0)`.execute(db);
  await sql`create table search_reindex (message_id integer primary key)`.execute(db);
  await sql`create trigger search_reindex_update after update of content, story_title on messages
    when old.id <= (select indexed_through from search_index_state) begin
    insert or ignore into search_reindex (message_id) values (new.id); end`.execute(db);
}

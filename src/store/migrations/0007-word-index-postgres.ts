import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

/**
 * The word index of message search on PostgreSQL (docs/ARCHITECTURE.md "Search"), the
 * counterpart of 0006 on SQLite, beside the pg_trgm indexes:
 *
 * - `message_words`: per message, its words as a `tsvector` built from the node's own word
 *   list (`array_to_tsvector`: no text-search parser or dictionary in between, the same
 *   words as on SQLite), GIN-indexed; `words` is null for a message whose words do not
 *   fit one tsvector (searched directly, like a waiting one);
 * - `search_vocabulary`: every word indexed so far, trigram-indexed (a term expands to the
 *   words containing it);
 * - `search_pending`: messages waiting to be indexed — written by the triggers below in
 *   the transaction that inserts or changes the message, so a message is always either
 *   pending or indexed, whatever order concurrent transactions of a pool commit in (an id
 *   watermark, as on SQLite's single writer, could skip a message whose transaction
 *   committed after a newer one's). A changed message leaves the index at once.
 *
 * Messages already there are all pending: the indexer works through them in the background.
 */
export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create table message_words (
    message_id bigint primary key references messages (id) on delete cascade,
    words tsvector)`.execute(db);
  await sql`create index message_words_words on message_words using gin (words)`.execute(db);
  await sql`create index message_words_unindexable on message_words (message_id) where words is null`.execute(db);
  await sql`create table search_vocabulary (id bigserial primary key, word text not null unique)`.execute(db);
  await sql`create index search_vocabulary_trgm on search_vocabulary using gin (word gin_trgm_ops)`.execute(db);
  await sql`create table search_pending (message_id bigint primary key references messages (id) on delete cascade)`.execute(db);
  await sql`insert into search_pending (message_id) select id from messages`.execute(db);
  // New messages: one statement-level trigger per INSERT (a bulk import's multi-row
  // inserts pay one statement, not one per row).
  await sql`create function stoa_search_inserted() returns trigger language plpgsql as $$
    begin
      insert into search_pending (message_id) select id from inserted;
      return null;
    end $$`.execute(db);
  await sql`create trigger messages_search_inserted after insert on messages
    referencing new table as inserted for each statement execute function stoa_search_inserted()`.execute(db);
  // Changed text (an administrator's replace): out of the index, pending again.
  await sql`create function stoa_search_changed() returns trigger language plpgsql as $$
    begin
      delete from message_words where message_id = new.id;
      insert into search_pending (message_id) values (new.id) on conflict do nothing;
      return null;
    end $$`.execute(db);
  await sql`create trigger messages_search_changed after update of content, story_title on messages
    for each row when (old.content is distinct from new.content or old.story_title is distinct from new.story_title)
    execute function stoa_search_changed()`.execute(db);
}

import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

/**
 * The trigram index of message search on SQLite (`messages_fts`, migration 0002) moves off
 * the insert path: the node's indexer writes it with the word index, a batch at a time,
 * up to the same watermark (`search_index_state.indexed_through`), and searches match the
 * messages above it directly. An insert trigger made every post, and every row of a bulk
 * import, pay FTS5's per-row work in the writer's transaction: 40 % of an archive import
 * (docs/benchmarks.md "archive").
 *
 * The index then holds exactly the messages at or below the watermark, so the triggers
 * that keep it right when a message changes or goes apply to those alone (an external
 * content FTS5 table must be told the old values of what it holds, and nothing else).
 * The indexer takes the writer for its batch (BEGIN IMMEDIATE), so no change of a message
 * falls between its reading of the messages and its move of the watermark.
 */
export async function up(db: Db, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  const indexed = sql`(select indexed_through from search_index_state where id = 1)`;
  await sql`drop trigger messages_fts_insert`.execute(db);
  await sql`drop trigger messages_fts_delete`.execute(db);
  await sql`drop trigger messages_fts_update`.execute(db);
  // What the old trigger indexed above the watermark leaves the index: the indexer adds it again.
  await sql`insert into messages_fts(messages_fts, rowid, content, story_title)
    select 'delete', id, content, story_title from messages where id > ${indexed}`.execute(db);
  await sql`create trigger messages_fts_delete after delete on messages when old.id <= ${indexed} begin
    insert into messages_fts(messages_fts, rowid, content, story_title) values ('delete', old.id, old.content, old.story_title); end`.execute(db);
  await sql`create trigger messages_fts_update after update of content, story_title on messages when old.id <= ${indexed} begin
    insert into messages_fts(messages_fts, rowid, content, story_title) values ('delete', old.id, old.content, old.story_title);
    insert into messages_fts(rowid, content, story_title) values (new.id, new.content, new.story_title); end`.execute(db);
}

import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

function withId(table: CreateTableBuilder<string, never>, dialect: Dialect) {
  if (dialect === 'postgres') return table.addColumn('id', 'bigserial', (c) => c.primaryKey());
  return table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

const principal = (c: ColumnDefinitionBuilder) => c.notNull().references('principals.id').onDelete('cascade');
const room = (c: ColumnDefinitionBuilder) => c.notNull().references('rooms.id').onDelete('cascade');

/**
 * Live chat: sign-in sessions and API tokens, follows with read positions, invitations,
 * notifications (mentions, keyword alerts, topic feeds), files and their tokens, and the
 * full-text index over messages (FTS5 trigram on SQLite, pg_trgm on PostgreSQL).
 */
export async function up(db: Db, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema.createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('principal_id', 'integer', principal)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big)
    .addColumn('last_used_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_principal').on('sessions').column('principal_id').execute();

  await db.schema.createTable('room_follows')
    .addColumn('principal_id', 'integer', principal)
    .addColumn('room_id', 'integer', room)
    .addColumn('last_read_chat_id', big, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('room_follows_pk', ['principal_id', 'room_id'])
    .execute();
  await db.schema.createIndex('room_follows_room').on('room_follows').column('room_id').execute();

  await withId(db.schema.createTable('invitations'), dialect)
    .addColumn('principal_id', 'integer', principal)
    .addColumn('room_id', 'integer', room)
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('invitations_principal').on('invitations').columns(['principal_id', 'id']).execute();

  await withId(db.schema.createTable('files'), dialect)
    .addColumn('guid', 'text', (c) => c.notNull().unique())
    .addColumn('room_id', 'integer', room)
    .addColumn('uploader_id', 'integer', (c) => c.notNull().references('principals.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', big, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('files_room').on('files').column('room_id').execute();

  await db.schema.createTable('file_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'integer', principal)
    .addColumn('room_id', 'integer', room)
    .addColumn('file_id', 'integer', (c) => c.references('files.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('content_type', 'text')
    .addColumn('size_bytes', big)
    .addColumn('expires_at', big, (c) => c.notNull())
    .execute();

  await db.schema.alterTable('messages').addColumn('file_id', 'integer', (c) => c.references('files.id').onDelete('set null')).execute();
  await db.schema.alterTable('messages').addColumn('in_history', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('messages').addColumn('replaced_at', big).execute();
  await db.schema.createIndex('messages_room_posted').on('messages').columns(['room_id', 'posted_at']).execute();

  await withId(db.schema.createTable('notifications'), dialect)
    .addColumn('principal_id', 'integer', principal)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('room_id', 'integer', room)
    .addColumn('message_id', big, (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notifications_principal').on('notifications').columns(['principal_id', 'id']).execute();
  await db.schema.createIndex('notifications_message').on('notifications').column('message_id').execute();

  await withId(db.schema.createTable('keyword_alerts'), dialect)
    .addColumn('principal_id', 'integer', principal)
    .addColumn('keyword', 'text', (c) => c.notNull())
    .addColumn('keyword_key', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addUniqueConstraint('keyword_alerts_unique', ['principal_id', 'keyword_key'])
    .execute();

  await withId(db.schema.createTable('topic_feeds'), dialect)
    .addColumn('principal_id', 'integer', principal)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('query', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addUniqueConstraint('topic_feeds_unique', ['principal_id', 'name_key'])
    .execute();

  if (dialect === 'sqlite') {
    // External-content FTS5 index with the trigram tokenizer: substring and CJK matches
    // for terms of three characters or more; shorter terms fall back to LIKE.
    await sql`create virtual table messages_fts using fts5(content, story_title, content='messages', content_rowid='id', tokenize='trigram')`.execute(db);
    await sql`create trigger messages_fts_insert after insert on messages begin
      insert into messages_fts(rowid, content, story_title) values (new.id, new.content, new.story_title); end`.execute(db);
    await sql`create trigger messages_fts_delete after delete on messages begin
      insert into messages_fts(messages_fts, rowid, content, story_title) values ('delete', old.id, old.content, old.story_title); end`.execute(db);
    await sql`create trigger messages_fts_update after update of content, story_title on messages begin
      insert into messages_fts(messages_fts, rowid, content, story_title) values ('delete', old.id, old.content, old.story_title);
      insert into messages_fts(rowid, content, story_title) values (new.id, new.content, new.story_title); end`.execute(db);
  } else {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create index messages_content_trgm on messages using gin (content gin_trgm_ops)`.execute(db);
    await sql`create index messages_story_trgm on messages using gin (story_title gin_trgm_ops)`.execute(db);
  }
}

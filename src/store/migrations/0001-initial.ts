import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was */
type Db = Kysely<any>;

function withId(table: CreateTableBuilder<string, never>, dialect: Dialect, big = false) {
  if (dialect === 'postgres') return table.addColumn('id', big ? 'bigserial' : 'serial', (c) => c.primaryKey());
  return table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

const flag = (dflt: 0 | 1) => (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(dflt);

export async function up(db: Db, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema.createTable('meta').addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull()).execute();

  await withId(db.schema.createTable('policies'), dialect)
    .addColumn('identity_key', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enable_persistent_chat', 'integer', flag(0))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('principals'), dialect)
    .addColumn('guid', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('email', 'text')
    .addColumn('dn_key', 'text')
    .addColumn('dn', 'text')
    .addColumn('domain', 'text')
    .addColumn('site', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('federated', 'integer', flag(0))
    .addColumn('policy_id', 'integer', (c) => c.references('policies.id').onDelete('set null'))
    .addColumn('password_hash', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('principals_dn_key').on('principals').column('dn_key').unique().execute();
  await db.schema.createIndex('principals_domain').on('principals').column('domain').execute();
  await db.schema.createIndex('principals_kind').on('principals').columns(['kind', 'status']).execute();

  await db.schema.createTable('group_members')
    .addColumn('group_id', 'integer', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addColumn('member_id', 'integer', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'member_id'])
    .execute();
  await db.schema.createIndex('group_members_member').on('group_members').column('member_id').execute();

  await db.schema.createTable('administrators')
    .addColumn('principal_id', 'integer', (c) => c.primaryKey().references('principals.id').onDelete('cascade'))
    .execute();

  await db.schema.createTable('node_names')
    .addColumn('name_key', 'text', (c) => c.primaryKey())
    .addColumn('node_kind', 'text', (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('categories'), dialect)
    .addColumn('guid', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('invitations', 'integer', flag(0))
    .addColumn('file_upload', 'integer', flag(0))
    .addColumn('chat_history', 'integer', flag(1))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('principals.id').onDelete('set null'))
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('principals.id').onDelete('set null'))
    .execute();

  await db.schema.createTable('category_principals')
    .addColumn('category_id', 'integer', (c) => c.notNull().references('categories.id').onDelete('cascade'))
    .addColumn('list', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'integer', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('category_principals_pk', ['category_id', 'list', 'principal_id'])
    .execute();
  await db.schema.createIndex('category_principals_principal').on('category_principals').column('principal_id').execute();

  await withId(db.schema.createTable('addins'), dialect)
    .addColumn('guid', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('rooms'), dialect)
    .addColumn('guid', 'text', (c) => c.notNull().unique())
    .addColumn('category_id', 'integer', (c) => c.notNull().references('categories.id').onDelete('restrict'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('privacy', 'text', (c) => c.notNull())
    .addColumn('invitations', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', flag(0))
    .addColumn('addin_id', 'integer', (c) => c.references('addins.id').onDelete('restrict'))
    .addColumn('last_chat_id', big, (c) => c.notNull().defaultTo(0))
    .addColumn('content_bytes', big, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('principals.id').onDelete('set null'))
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'integer', (c) => c.references('principals.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('rooms_category').on('rooms').column('category_id').execute();
  await db.schema.createIndex('rooms_addin').on('rooms').column('addin_id').execute();

  await db.schema.createTable('room_principals')
    .addColumn('room_id', 'integer', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'integer', (c) => c.notNull().references('principals.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('room_principals_pk', ['room_id', 'role', 'principal_id'])
    .execute();
  await db.schema.createIndex('room_principals_principal').on('room_principals').columns(['principal_id', 'role']).execute();

  await withId(db.schema.createTable('configurations'), dialect)
    .addColumn('identity_key', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('default_chat_history', 'integer', (c) => c.notNull())
    .addColumn('max_file_size_kb', big, (c) => c.notNull())
    .addColumn('participant_update_limit', big, (c) => c.notNull())
    .addColumn('room_management_url', 'text', (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('compliance_configurations'), dialect)
    .addColumn('identity_key', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('adapter_type', 'text', (c) => c.notNull())
    .addColumn('adapter_name', 'text', (c) => c.notNull())
    .addColumn('adapter_output_directory', 'text', (c) => c.notNull())
    .addColumn('run_interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('one_chat_room_per_output_file', 'integer', flag(0))
    .addColumn('add_chat_room_details', 'integer', flag(0))
    .addColumn('add_user_details', 'integer', flag(0))
    .addColumn('create_file_attachments_manifest', 'integer', flag(0))
    .addColumn('custom_configuration', 'text', (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('endpoints'), dialect)
    .addColumn('guid', 'text', (c) => c.notNull().unique())
    .addColumn('sip_uri', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('pool_fqdn', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('messages'), dialect, true)
    .addColumn('room_id', 'integer', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('chat_id', big, (c) => c.notNull())
    .addColumn('author_id', 'integer', (c) => c.notNull().references('principals.id'))
    .addColumn('posted_at', big, (c) => c.notNull())
    .addColumn('posted_at_ticks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('rtf', 'text')
    .addColumn('is_alert', 'integer', flag(0))
    .addColumn('story_title', 'text')
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addUniqueConstraint('messages_room_chat', ['room_id', 'chat_id'])
    .execute();
  await db.schema.createIndex('messages_author').on('messages').column('author_id').execute();

}

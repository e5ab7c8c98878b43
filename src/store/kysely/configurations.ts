import type { Kysely } from 'kysely';
import type { ScopedRecord, ScopedSettingsStore } from '../types.js';
import type { ChatConfiguration, ComplianceConfiguration, ConfigScope } from '../../domain/settings.js';
import { fromFlag, must, toFlag, type Executor } from './common.js';

type Row = Record<string, unknown> & { id: number; identityKey: string; scope: string; name: string; updatedAt: number };

/**
 * Both scoped settings tables (service and compliance configuration) share one shape:
 * identity columns plus one column per setting; only the column mapping differs.
 */
function scopedSettingsStore<S>(
  ex: Executor,
  table: 'configurations' | 'complianceConfigurations',
  toSettings: (row: Row) => S,
  toColumns: (settings: S) => Record<string, unknown>,
): ScopedSettingsStore<S> {
  // The table name is a parameter, so this one place works on the untyped query builder.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = ex.db as unknown as Kysely<any>;
  const toRecord = (row: Row): ScopedRecord<S> => ({
    id: row.id,
    identityKey: row.identityKey,
    scope: row.scope as ConfigScope,
    name: row.name,
    settings: toSettings(row),
    updatedAt: Number(row.updatedAt),
  });
  return {
    async insert(r) {
      const values = { identityKey: r.identityKey, scope: r.scope, name: r.name, updatedAt: r.updatedAt, ...toColumns(r.settings) };
      return toRecord((await db.insertInto(table).values(values).returningAll().executeTakeFirstOrThrow()) as Row);
    },
    async update(id, settings, now) {
      const row = await db.updateTable(table).set({ ...toColumns(settings), updatedAt: now }).where('id', '=', id).returningAll().executeTakeFirst();
      return toRecord(must(row as Row | undefined, `${table} ${id}`));
    },
    async delete(id) {
      await db.deleteFrom(table).where('id', '=', id).execute();
    },
    async getByKey(identityKey) {
      const row = await db.selectFrom(table).selectAll().where('identityKey', '=', identityKey).executeTakeFirst();
      return row && toRecord(row as Row);
    },
    async list() {
      const rows = await db.selectFrom(table).selectAll().orderBy('scope').orderBy('identityKey').execute();
      return rows.map((r) => toRecord(r as Row));
    },
  };
}

export function configurationStore(ex: Executor): ScopedSettingsStore<ChatConfiguration> {
  return scopedSettingsStore<ChatConfiguration>(
    ex,
    'configurations',
    (r) => ({
      defaultChatHistory: Number(r.defaultChatHistory),
      maxFileSizeKB: Number(r.maxFileSizeKb),
      participantUpdateLimit: Number(r.participantUpdateLimit),
      roomManagementUrl: String(r.roomManagementUrl),
    }),
    (s) => ({
      defaultChatHistory: s.defaultChatHistory,
      maxFileSizeKb: s.maxFileSizeKB,
      participantUpdateLimit: s.participantUpdateLimit,
      roomManagementUrl: s.roomManagementUrl,
    }),
  );
}

export function complianceConfigurationStore(ex: Executor): ScopedSettingsStore<ComplianceConfiguration> {
  return scopedSettingsStore<ComplianceConfiguration>(
    ex,
    'complianceConfigurations',
    (r) => ({
      adapterType: String(r.adapterType) as ComplianceConfiguration['adapterType'],
      adapterName: String(r.adapterName),
      adapterOutputDirectory: String(r.adapterOutputDirectory),
      runIntervalSeconds: Number(r.runIntervalSeconds),
      oneChatRoomPerOutputFile: fromFlag(Number(r.oneChatRoomPerOutputFile)),
      addChatRoomDetails: fromFlag(Number(r.addChatRoomDetails)),
      addUserDetails: fromFlag(Number(r.addUserDetails)),
      createFileAttachmentsManifest: fromFlag(Number(r.createFileAttachmentsManifest)),
      customConfiguration: String(r.customConfiguration),
    }),
    (s) => ({
      ...s,
      oneChatRoomPerOutputFile: toFlag(s.oneChatRoomPerOutputFile),
      addChatRoomDetails: toFlag(s.addChatRoomDetails),
      addUserDetails: toFlag(s.addUserDetails),
      createFileAttachmentsManifest: toFlag(s.createFileAttachmentsManifest),
    }),
  );
}

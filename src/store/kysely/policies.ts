import type { Selectable } from 'kysely';
import type { PoliciesTable } from '../schema.js';
import type { PolicyRecord, PolicyStore } from '../types.js';
import type { PolicyScope } from '../../domain/settings.js';
import { fromFlag, must, toFlag, type Executor } from './common.js';

function toRecord(row: Selectable<PoliciesTable>): PolicyRecord {
  return {
    ...row,
    scope: row.scope as PolicyScope,
    enablePersistentChat: fromFlag(row.enablePersistentChat),
    updatedAt: Number(row.updatedAt),
  };
}

export function policyStore({ db }: Executor): PolicyStore {
  return {
    async insert(p) {
      const values = { ...p, enablePersistentChat: toFlag(p.enablePersistentChat) };
      return toRecord(await db.insertInto('policies').values(values).returningAll().executeTakeFirstOrThrow());
    },
    async update(id, patch) {
      const { enablePersistentChat, ...rest } = patch;
      const values = { ...rest, ...(enablePersistentChat === undefined ? {} : { enablePersistentChat: toFlag(enablePersistentChat) }) };
      return toRecord(must(await db.updateTable('policies').set(values).where('id', '=', id).returningAll().executeTakeFirst(), `policy ${id}`));
    },
    async delete(id) {
      await db.deleteFrom('policies').where('id', '=', id).execute();
    },
    async getById(id) {
      const row = await db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async getByKey(identityKey) {
      const row = await db.selectFrom('policies').selectAll().where('identityKey', '=', identityKey).executeTakeFirst();
      return row && toRecord(row);
    },
    async list() {
      return (await db.selectFrom('policies').selectAll().orderBy('scope').orderBy('identityKey').execute()).map(toRecord);
    },
  };
}

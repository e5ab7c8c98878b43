import type { AddinStore } from '../types.js';
import { must, type Executor, idIn, whole } from './common.js';

const num = <T extends { createdAt: number; updatedAt: number }>(r: T): T => ({
  ...r,
  createdAt: Number(r.createdAt),
  updatedAt: Number(r.updatedAt),
});

export function addinStore({ db, dialect }: Executor): AddinStore {
  return {
    async insert(a) {
      return num(await db.insertInto('addins').values(a).returningAll().executeTakeFirstOrThrow());
    },
    async update(id, patch) {
      return num(must(await db.updateTable('addins').set(patch).where('id', '=', id).returningAll().executeTakeFirst(), `add-in ${id}`));
    },
    async delete(id) {
      await db.deleteFrom('addins').where('id', '=', id).execute();
    },
    async getById(id) {
      const row = await db.selectFrom('addins').selectAll().where('id', '=', id).executeTakeFirst();
      return row && num(row);
    },
    async getManyByIds(ids) {
      const out = [];
      for (const part of whole([...new Set(ids)])) {
        out.push(...(await db.selectFrom('addins').selectAll().where(idIn(dialect, 'addins.id', part)).execute()).map(num));
      }
      return out;
    },
    async getByNameKey(nameKey) {
      const row = await db.selectFrom('addins').selectAll().where('nameKey', '=', nameKey).executeTakeFirst();
      return row && num(row);
    },
    async list() {
      return (await db.selectFrom('addins').selectAll().orderBy('nameKey').execute()).map(num);
    },
  };
}

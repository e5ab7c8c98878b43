import type { MetaStore } from '../types.js';
import type { Executor } from './common.js';

export function metaStore({ db }: Executor): MetaStore {
  return {
    async get(key) {
      const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    async set(key, value) {
      await db
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },
    async swap(key, expected, value) {
      if (expected === undefined) {
        const inserted = await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
        return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
      }
      const updated = await db.updateTable('meta').set({ value }).where('key', '=', key).where('value', '=', expected).executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1;
    },
  };
}

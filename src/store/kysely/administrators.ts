import type { AdministratorStore } from '../types.js';
import type { Executor } from './common.js';

export function administratorStore({ db }: Executor): AdministratorStore {
  return {
    async add(principalId) {
      const r = await db.insertInto('administrators').values({ principalId }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async remove(principalId) {
      const r = await db.deleteFrom('administrators').where('principalId', '=', principalId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async list() {
      return (await db.selectFrom('administrators').select('principalId').orderBy('principalId').execute()).map((r) => r.principalId);
    },
  };
}

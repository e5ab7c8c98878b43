import type { EndpointStore } from '../types.js';
import type { Executor } from './common.js';

export function endpointStore({ db }: Executor): EndpointStore {
  const num = <T extends { createdAt: number }>(r: T): T => ({ ...r, createdAt: Number(r.createdAt) });
  return {
    async insert(e) {
      return num(await db.insertInto('endpoints').values(e).returningAll().executeTakeFirstOrThrow());
    },
    async delete(id) {
      await db.deleteFrom('endpoints').where('id', '=', id).execute();
    },
    async getByUri(sipUri) {
      const row = await db.selectFrom('endpoints').selectAll().where('sipUri', '=', sipUri).executeTakeFirst();
      return row && num(row);
    },
    async list() {
      return (await db.selectFrom('endpoints').selectAll().orderBy('sipUri').execute()).map(num);
    },
  };
}

import type { NodeNameStore } from '../types.js';
import type { Executor } from './common.js';

export function nodeNameStore({ db }: Executor): NodeNameStore {
  return {
    async holder(nameKey) {
      const row = await db.selectFrom('nodeNames').select('nodeKind').where('nameKey', '=', nameKey).executeTakeFirst();
      return row?.nodeKind as 'category' | 'room' | undefined;
    },
    async claim(nameKey, kind) {
      await db.insertInto('nodeNames').values({ nameKey, nodeKind: kind }).execute();
    },
    async release(nameKey) {
      await db.deleteFrom('nodeNames').where('nameKey', '=', nameKey).execute();
    },
  };
}

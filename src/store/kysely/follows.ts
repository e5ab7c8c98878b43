import type { FollowStore } from '../types.js';
import type { Executor } from './common.js';

export function followStore({ db }: Executor): FollowStore {
  return {
    async follow(f) {
      const r = await db.insertInto('roomFollows').values(f).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async unfollow(principalId, roomId) {
      const r = await db.deleteFrom('roomFollows').where('principalId', '=', principalId).where('roomId', '=', roomId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async list(principalId) {
      const rows = await db.selectFrom('roomFollows').selectAll().where('principalId', '=', principalId).orderBy('createdAt').execute();
      return rows.map((r) => ({ ...r, lastReadChatId: Number(r.lastReadChatId), createdAt: Number(r.createdAt) }));
    },
    async markRead(principalId, roomId, chatId) {
      const r = await db
        .updateTable('roomFollows')
        .set({ lastReadChatId: chatId })
        .where('principalId', '=', principalId)
        .where('roomId', '=', roomId)
        .where('lastReadChatId', '<', chatId)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}

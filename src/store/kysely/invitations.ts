import type { InvitationRecord, InvitationStore } from '../types.js';
import { chunks, type Executor } from './common.js';

export const invitationRecord = (r: { id: number; principalId: number; roomId: number; createdAt: number }): InvitationRecord => ({
  ...r,
  id: Number(r.id),
  createdAt: Number(r.createdAt),
});

export function invitationStore({ db }: Executor): InvitationStore {
  return {
    async add(principalIds, roomId, now) {
      const out: InvitationRecord[] = [];
      for (const part of chunks([...new Set(principalIds)])) {
        const rows = await db
          .insertInto('invitations')
          .values(part.map((principalId) => ({ principalId, roomId, createdAt: now })))
          .returningAll()
          .execute();
        out.push(...rows.map(invitationRecord));
      }
      return out;
    },
    async since(principalId, afterId, limit) {
      const rows = await db
        .selectFrom('invitations')
        .selectAll()
        .where('principalId', '=', principalId)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(invitationRecord);
    },
    async accept(principalId, roomId) {
      const result = await db.deleteFrom('invitations').where('principalId', '=', principalId).where('roomId', '=', roomId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

import type { Selectable } from 'kysely';
import type { NotificationsTable } from '../schema.js';
import type { NotificationKind, NotificationRecord, NotificationStore } from '../types.js';
import { chunks, type Executor } from './common.js';

const toRecord = (r: Selectable<NotificationsTable>): NotificationRecord => ({
  ...r,
  id: Number(r.id),
  kind: r.kind as NotificationKind,
  messageId: Number(r.messageId),
  createdAt: Number(r.createdAt),
});

export function notificationStore({ db }: Executor): NotificationStore {
  return {
    async add(rows) {
      const out: NotificationRecord[] = [];
      for (const part of chunks([...rows], 200)) {
        out.push(...(await db.insertInto('notifications').values(part).returningAll().execute()).map(toRecord));
      }
      return out;
    },
    async list(principalId, { beforeId, afterId, kind, limit }) {
      let q = db.selectFrom('notifications').selectAll().where('principalId', '=', principalId);
      if (beforeId !== undefined) q = q.where('id', '<', beforeId);
      if (afterId !== undefined) q = q.where('id', '>', afterId);
      if (kind !== undefined) q = q.where('kind', '=', kind);
      return (await q.orderBy('id', 'desc').limit(limit).execute()).map(toRecord);
    },
  };
}

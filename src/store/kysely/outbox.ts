import { sql } from 'kysely';
import type { OutboxStore } from '../types.js';
import { idIn, toFlag, type Executor } from './common.js';

export function outboxStore({ db, dialect }: Executor): OutboxStore {
  return {
    async append(row) {
      const inserted = await db
        .insertInto('eventOutbox')
        .values({ origin: row.origin, publishedByOrigin: toFlag(row.publishedByOrigin), events: row.events, createdAt: row.createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(inserted.id);
    },
    async due(staleBefore, limit) {
      const query = db
        .selectFrom('eventOutbox')
        .select(['id', 'origin', 'events', 'createdAt'])
        .where((eb) => eb.or([eb('publishedByOrigin', '=', 0), eb('createdAt', '<', staleBefore)]))
        .orderBy('id')
        .limit(limit);
      // Two nodes relaying at once take different rows (SQLite has one writer: nothing to skip).
      const rows = await (dialect === 'postgres' ? query.modifyEnd(sql`for update skip locked`) : query).execute();
      return rows.map((r) => ({ id: Number(r.id), origin: r.origin, events: r.events, createdAt: Number(r.createdAt) }));
    },
    async remove(ids) {
      if (ids.length === 0) return;
      await db.deleteFrom('eventOutbox').where(idIn(dialect, 'id', ids)).execute();
    },
  };
}

import type { Selectable } from 'kysely';
import type { SessionsTable } from '../schema.js';
import type { SessionKind, SessionRecord, SessionStore } from '../types.js';
import { likeEscape, likePattern, type Executor } from './common.js';

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    ...row,
    kind: row.kind as SessionKind,
    createdAt: Number(row.createdAt),
    expiresAt: row.expiresAt === null ? null : Number(row.expiresAt),
    lastUsedAt: Number(row.lastUsedAt),
  };
}

export function sessionStore({ db }: Executor): SessionStore {
  return {
    async insert(s) {
      await db.insertInto('sessions').values(s).execute();
    },
    async get(tokenHash) {
      const row = await db.selectFrom('sessions').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst();
      return row && toRecord(row);
    },
    async touch(tokenHash, now) {
      await db.updateTable('sessions').set({ lastUsedAt: now }).where('tokenHash', '=', tokenHash).execute();
    },
    async delete(tokenHash) {
      const r = await db.deleteFrom('sessions').where('tokenHash', '=', tokenHash).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async deleteByPrefix(principalId, prefix) {
      const r = await db
        .deleteFrom('sessions')
        .where('principalId', '=', principalId)
        .where('kind', '=', 'api')
        .where('tokenHash', 'like', likePattern(`${likeEscape(prefix)}%`))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteForPrincipal(principalId, kind) {
      let q = db.deleteFrom('sessions').where('principalId', '=', principalId);
      if (kind !== undefined) q = q.where('kind', '=', kind);
      return Number((await q.executeTakeFirst()).numDeletedRows);
    },
    async list(principalId, kind) {
      let q = db.selectFrom('sessions').selectAll().where('principalId', '=', principalId);
      if (kind !== undefined) q = q.where('kind', '=', kind);
      return (await q.orderBy('createdAt').execute()).map(toRecord);
    },
    async purgeExpired(now) {
      const r = await db.deleteFrom('sessions').where('expiresAt', 'is not', null).where('expiresAt', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

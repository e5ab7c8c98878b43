import type { Selectable } from 'kysely';
import type { FilesTable, FileTokensTable } from '../schema.js';
import type { FileRecord, FileStore, FileTokenRecord } from '../types.js';
import { type Executor, idIn, whole } from './common.js';

export const fileRecord = (r: Selectable<FilesTable>): FileRecord => ({
  ...r,
  id: Number(r.id),
  sizeBytes: Number(r.sizeBytes),
  createdAt: Number(r.createdAt),
});

const tokenRecord = (r: Selectable<FileTokensTable>): FileTokenRecord => ({
  ...r,
  direction: r.direction as FileTokenRecord['direction'],
  fileId: r.fileId === null ? null : Number(r.fileId),
  sizeBytes: r.sizeBytes === null ? null : Number(r.sizeBytes),
  expiresAt: Number(r.expiresAt),
});

export function fileStore({ db, dialect }: Executor): FileStore {
  return {
    async insert(f) {
      return fileRecord(await db.insertInto('files').values(f).returningAll().executeTakeFirstOrThrow());
    },
    async getById(id) {
      const row = await db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
      return row && fileRecord(row);
    },
    async getByGuid(guid) {
      const row = await db.selectFrom('files').selectAll().where('guid', '=', guid).executeTakeFirst();
      return row && fileRecord(row);
    },
    async getManyByIds(ids) {
      const out: FileRecord[] = [];
      for (const part of whole([...new Set(ids)])) {
        out.push(...(await db.selectFrom('files').selectAll().where(idIn(dialect, 'files.id', part)).execute()).map(fileRecord));
      }
      return out;
    },
    async deleteByRoom(roomId) {
      const rows = await db.deleteFrom('files').where('roomId', '=', roomId).returning('guid').execute();
      return rows.map((r) => r.guid);
    },
    async deleteMany(ids) {
      const out: string[] = [];
      for (const part of whole([...new Set(ids)])) {
        out.push(...(await db.deleteFrom('files').where(idIn(dialect, 'files.id', part)).returning('guid').execute()).map((r) => r.guid));
      }
      return out;
    },
    async unattached(before, limit) {
      const rows = await db
        .selectFrom('files')
        .selectAll()
        .where('createdAt', '<', before)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('messages').select('messages.id').whereRef('messages.fileId', '=', 'files.id'))))
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(fileRecord);
    },
    async insertToken(t) {
      await db.insertInto('fileTokens').values(t).execute();
    },
    async getToken(tokenHash) {
      const row = await db.selectFrom('fileTokens').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst();
      return row && tokenRecord(row);
    },
    async deleteToken(tokenHash) {
      const r = await db.deleteFrom('fileTokens').where('tokenHash', '=', tokenHash).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async purgeExpiredTokens(now) {
      const r = await db.deleteFrom('fileTokens').where('expiresAt', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

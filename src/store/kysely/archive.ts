import { sql } from 'kysely';
import type { ArchiveStore } from '../types.js';
import { chunks, toFlag, type Executor } from './common.js';
import { principalRecord } from './principals.js';
import { messageRecord, utf8Bytes } from './messages.js';
import { fileRecord } from './files.js';
import { invitationRecord } from './invitations.js';

export function archiveStore({ db }: Executor): ArchiveStore {
  return {
    async principals(afterId, limit) {
      const rows = await db.selectFrom('principals').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
      return rows.map(principalRecord);
    },
    async messages(roomId, afterChatId, limit, from) {
      let q = db.selectFrom('messages').selectAll().where('roomId', '=', roomId).where('chatId', '>', afterChatId);
      if (from !== undefined) q = q.where('postedAt', '>=', from);
      return (await q.orderBy('chatId').limit(limit).execute()).map(messageRecord);
    },
    async referencedFiles(roomId, from) {
      const rows = await db
        .selectFrom('files')
        .selectAll()
        .where('roomId', '=', roomId)
        .where((eb) => {
          let used = eb.selectFrom('messages').select('messages.id').whereRef('messages.fileId', '=', 'files.id');
          if (from !== undefined) used = used.where('messages.postedAt', '>=', from);
          return eb.exists(used);
        })
        .orderBy('id')
        .execute();
      return rows.map(fileRecord);
    },
    async invitations(roomId) {
      return (await db.selectFrom('invitations').selectAll().where('roomId', '=', roomId).orderBy('id').execute()).map(invitationRecord);
    },
    async follows(roomId) {
      const rows = await db.selectFrom('roomFollows').selectAll().where('roomId', '=', roomId).orderBy('principalId').execute();
      return rows.map((r) => ({ ...r, lastReadChatId: Number(r.lastReadChatId), createdAt: Number(r.createdAt) }));
    },
    async insertMessages(roomId, rows) {
      if (rows.length === 0) return;
      let bytes = 0;
      let last = 0;
      // 13 columns a row: 60 rows stay well under SQLite's and PostgreSQL's parameter limits.
      for (const part of chunks([...rows], 60)) {
        await db
          .insertInto('messages')
          .values(
            part.map((m) => {
              const sizeBytes = utf8Bytes(m.content) + utf8Bytes(m.rtf) + utf8Bytes(m.storyTitle);
              bytes += sizeBytes;
              last = Math.max(last, m.chatId);
              return {
                roomId,
                chatId: m.chatId,
                authorId: m.authorId,
                postedAt: m.postedAt,
                postedAtTicks: m.postedAtTicks,
                content: m.content,
                rtf: m.rtf,
                isAlert: toFlag(m.isAlert),
                storyTitle: m.storyTitle,
                sizeBytes,
                fileId: m.fileId,
                inHistory: toFlag(m.inHistory),
                replacedAt: m.replacedAt,
              };
            }),
          )
          .execute();
      }
      await db
        .updateTable('rooms')
        .set((eb) => ({
          contentBytes: eb('contentBytes', '+', bytes),
          lastChatId: sql<number>`case when ${eb.ref('lastChatId')} < ${last} then ${last} else ${eb.ref('lastChatId')} end`,
        }))
        .where('id', '=', roomId)
        .execute();
    },
    async raiseLastChatId(roomId, chatId) {
      await db.updateTable('rooms').set({ lastChatId: chatId }).where('id', '=', roomId).where('lastChatId', '<', chatId).execute();
    },
    async clearRoom(roomId) {
      await db.deleteFrom('notifications').where('roomId', '=', roomId).execute();
      await db.deleteFrom('messages').where('roomId', '=', roomId).execute();
      await db.deleteFrom('invitations').where('roomId', '=', roomId).execute();
      await db.deleteFrom('roomFollows').where('roomId', '=', roomId).execute();
      const files = await db.deleteFrom('files').where('roomId', '=', roomId).returning('guid').execute();
      await db.updateTable('rooms').set({ lastChatId: 0, contentBytes: 0 }).where('id', '=', roomId).execute();
      return files.map((f) => f.guid);
    },
    async addInvitation(principalId, roomId, createdAt) {
      const same = await db
        .selectFrom('invitations')
        .select('id')
        .where('principalId', '=', principalId)
        .where('roomId', '=', roomId)
        .where('createdAt', '=', createdAt)
        .executeTakeFirst();
      if (same !== undefined) return false;
      await db.insertInto('invitations').values({ principalId, roomId, createdAt }).execute();
      return true;
    },
    async putFollow(f) {
      await db
        .insertInto('roomFollows')
        .values(f)
        .onConflict((oc) => oc.columns(['principalId', 'roomId']).doUpdateSet({ lastReadChatId: f.lastReadChatId, createdAt: f.createdAt }))
        .execute();
    },
  };
}

import { sql } from 'kysely';
import type { ArchiveStore } from '../types.js';
import { toFlag, type Executor } from './common.js';
import { principalRecord } from './principals.js';
import { messageRecord, utf8Bytes } from './messages.js';
import { fileRecord } from './files.js';
import { invitationRecord } from './invitations.js';

/** Bytes of message text one insert statement carries at most (a batch of large messages takes several). */
const INSERT_BYTES = 8 * 1024 * 1024;

/**
 * The text as SQLite stores it: a lone surrogate (possible in an archive's JSON escapes)
 * becomes U+FFFD, as better-sqlite3 binds it; node-postgres would send bytes that are not
 * UTF-8 inside a text array.
 */
function wellFormed<T extends string | null>(text: T): T {
  const s = text as (string & { isWellFormed(): boolean; toWellFormed(): string }) | null;
  return (s === null || s.isWellFormed() ? text : s.toWellFormed()) as T;
}

/** Consecutive runs of items whose weights add up to at most `max` (an item heavier than that alone). */
function* byBytes<T>(items: readonly T[], weight: (item: T) => number, max: number): Generator<T[]> {
  let run: T[] = [];
  let total = 0;
  for (const item of items) {
    const w = weight(item);
    if (run.length > 0 && total + w > max) {
      yield run;
      run = [];
      total = 0;
    }
    run.push(item);
    total += w;
  }
  if (run.length > 0) yield run;
}

/** The columns of an imported message, in the order insertMessages lays its values out. */
const COLUMNS = 'room_id, chat_id, author_id, posted_at, posted_at_ticks, content, rtf, is_alert, story_title, size_bytes, file_id, in_history, replaced_at';
const SQLITE_INSERT = `insert into messages (${COLUMNS}) values (${COLUMNS.split(',').map(() => '?').join(', ')})`;

export function archiveStore({ db, dialect, runMany }: Executor): ArchiveStore {
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
      const columns = rows.map((m) => {
        const sizeBytes = utf8Bytes(m.content) + utf8Bytes(m.rtf) + utf8Bytes(m.storyTitle);
        bytes += sizeBytes;
        last = Math.max(last, m.chatId);
        return [m.chatId, m.authorId, m.postedAt, m.postedAtTicks, wellFormed(m.content), wellFormed(m.rtf), toFlag(m.isAlert), wellFormed(m.storyTitle), sizeBytes, m.fileId, toFlag(m.inHistory), m.replacedAt] as const;
      });
      if (runMany !== undefined) {
        // SQLite, in the import's transaction: one prepared insert, row after row.
        runMany(SQLITE_INSERT, columns.map((row) => [roomId, ...row]));
      } else if (dialect === 'sqlite') {
        throw new Error('messages are imported inside a transaction');
      } else {
        // PostgreSQL: one array per column, a statement per few megabytes of text.
        for (const part of byBytes(columns, (row) => row[8] + 64, INSERT_BYTES)) {
          const column = (i: number) => part.map((row) => row[i]);
          await sql`insert into messages (${sql.raw(COLUMNS)}) select ${roomId}, * from unnest(${column(0)}::bigint[], ${column(1)}::bigint[], ${column(2)}::bigint[], ${column(3)}::integer[], ${column(4)}::text[],
              ${column(5)}::text[], ${column(6)}::integer[], ${column(7)}::text[], ${column(8)}::bigint[], ${column(9)}::bigint[], ${column(10)}::integer[], ${column(11)}::bigint[])`.execute(db);
        }
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

import type { Selectable } from 'kysely';
import type { MessagesTable } from '../schema.js';
import type { MessageRecord, MessageStore } from '../types.js';
import { fromFlag, must, toFlag, type Executor } from './common.js';

function toRecord(row: Selectable<MessagesTable>): MessageRecord {
  return {
    ...row,
    id: Number(row.id),
    chatId: Number(row.chatId),
    postedAt: Number(row.postedAt),
    isAlert: fromFlag(row.isAlert),
  };
}

const utf8Bytes = (text: string | null | undefined): number => (text ? Buffer.byteLength(text, 'utf8') : 0);

export function messageStore({ db }: Executor): MessageStore {
  return {
    async append(m) {
      const sizeBytes = utf8Bytes(m.content) + utf8Bytes(m.rtf) + utf8Bytes(m.storyTitle);
      const room = await db
        .updateTable('rooms')
        .set((eb) => ({ lastChatId: eb('lastChatId', '+', 1), contentBytes: eb('contentBytes', '+', sizeBytes) }))
        .where('id', '=', m.roomId)
        .returning('lastChatId')
        .executeTakeFirst();
      const chatId = Number(must(room, `room ${m.roomId}`).lastChatId);
      const row = await db
        .insertInto('messages')
        .values({
          roomId: m.roomId,
          chatId,
          authorId: m.authorId,
          postedAt: m.postedAt,
          postedAtTicks: m.postedAtTicks ?? 0,
          content: m.content,
          rtf: m.rtf ?? null,
          isAlert: toFlag(m.isAlert ?? false),
          storyTitle: m.storyTitle ?? null,
          sizeBytes,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },
    async latest(roomId, limit) {
      const rows = await db
        .selectFrom('messages')
        .selectAll()
        .where('roomId', '=', roomId)
        .orderBy('chatId', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRecord).reverse();
    },
  };
}

import { sql, type Expression, type ExpressionBuilder, type Selectable, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database, MessagesTable } from '../schema.js';
import type { MessageRecord, MessageSearch, MessageStore } from '../types.js';
import { chunks, containing, fromFlag, likeEscape, must, toFlag, type Executor, idIn, whole } from './common.js';
import { roomConditions, type RoomCondition } from './room-conditions.js';
import { ftsPhrase, postgresVocabulary, tsWordQuery } from './words.js';

export function messageRecord(row: Selectable<MessagesTable>): MessageRecord {
  return {
    ...row,
    id: Number(row.id),
    chatId: Number(row.chatId),
    postedAt: Number(row.postedAt),
    isAlert: fromFlag(row.isAlert),
    inHistory: fromFlag(row.inHistory),
    replacedAt: row.replacedAt === null ? null : Number(row.replacedAt),
  };
}

/**
 * The rooms a search runs over: a list of ids (a reader's readable rooms, kept by the access
 * cache: one JSON parameter on SQLite, one array on PostgreSQL), or a condition on the rooms
 * table (however many rooms it selects).
 */
type RoomFilter = { ids: readonly number[]; json: string } | { condition: RoomCondition };

function roomFilter(query: MessageSearch['rooms']): RoomFilter | undefined {
  const onlyIds = query.ids !== undefined && Object.entries(query).every(([k, v]) => k === 'ids' || v === undefined);
  if (onlyIds) return query.ids!.length === 0 ? undefined : { ids: query.ids!, json: JSON.stringify(query.ids) };
  const condition = roomConditions(query);
  return condition === undefined ? undefined : { condition };
}

/** Vocabulary words a term may gain between a search's plan and its run that the search still adds. */
const MAX_FRESH_WORDS = 256;

/** Messages outside the word index (pending, or too large for it) a PostgreSQL word search still looks up by id. */
const MAX_DIRECT = 5_000;

export const utf8Bytes = (text: string | null | undefined): number => (text ? Buffer.byteLength(text, 'utf8') : 0);


export function messageStore({ db, can, dialect }: Executor): MessageStore {
  /** Recomputes what ChatContentExceedsMB counts after messages go or change. */
  async function recountContent(roomId: number) {
    await db
      .updateTable('rooms')
      .set((eb) => ({
        contentBytes: eb.fn.coalesce(
          eb.selectFrom('messages').select((m) => m.fn.sum<number>('sizeBytes').as('s')).where('roomId', '=', roomId),
          sql.lit(0),
        ),
      }))
      .where('id', '=', roomId)
      .execute();
  }

  /**
   * One search term the full-text index does not take (PostgreSQL's trigram index works
   * under ILIKE; on SQLite, terms under three characters): a case-insensitive substring of
   * the text or the story title.
   */
  function termMatches(eb: ExpressionBuilder<Database, 'messages'>, term: string) {
    if (can.textSearch === 'pg-trigram') {
      const pattern = `%${likeEscape(term)}%`;
      return eb.or([
        sql<boolean>`${eb.ref('content')} ilike ${pattern} escape '\\'`,
        sql<boolean>`${eb.ref('storyTitle')} ilike ${pattern} escape '\\'`,
      ]);
    }
    return eb.or([eb('messages.content', 'like', containing(term)), eb('messages.storyTitle', 'like', containing(term))]);
  }

  /** What every arm of a search asks beside the terms: readable rooms, history, author, dates, file, paging. */
  function narrowed<Q extends SelectQueryBuilder<Database, 'messages', object>>(q: Q, query: MessageSearch, rooms: RoomFilter, byRoom = true): Q {
    let out = q
      .where((eb) => {
        // `+room_id` keeps SQLite off the room index where the walk must go by id, newest first.
        const roomId = byRoom ? eb.ref('messages.roomId') : sql<number>`+${eb.ref('messages.roomId')}`;
        return 'ids' in rooms
          ? dialect === 'sqlite'
            ? sql<SqlBool>`${roomId} in (select value from json_each(${rooms.json}))`
            : sql<SqlBool>`${roomId} = any(${[...rooms.ids]}::bigint[])`
          : eb(roomId, 'in', eb.selectFrom('rooms').select('rooms.id').where(rooms.condition));
      })
      .where('messages.inHistory', '=', 1);
    if (query.authorIds !== undefined) out = out.where('messages.authorId', 'in', [...query.authorIds]);
    if (query.from !== undefined) out = out.where('messages.postedAt', '>=', query.from);
    if (query.to !== undefined) out = out.where('messages.postedAt', '<=', query.to);
    if (query.hasFile !== undefined) out = out.where('messages.fileId', query.hasFile ? 'is not' : 'is', null);
    if (query.beforeId !== undefined) out = out.where('messages.id', '<', query.beforeId);
    return out as Q;
  }

  /**
   * Through the word index (SQLite): messages whose indexed words include, for every term,
   * one of the vocabulary words containing it, walked newest first until the page is full;
   * and the messages not indexed yet (newer than the index, or changed since) matched
   * directly. Both arms check every term on the text itself (stoa_contains), so an index
   * entry that went stale can only cost time, never return a wrong message.
   */
  async function sqliteWordSearch(query: MessageSearch, words: NonNullable<MessageSearch['words']>, rooms: RoomFilter) {
    const contains = (eb: ExpressionBuilder<Database, 'messages'>) =>
      eb.and(query.terms.map((t) => sql<boolean>`stoa_contains(${eb.ref('messages.content')}, ${eb.ref('messages.storyTitle')}, ${t})`));
    // Each arm is walked on its own index, newest first, and stops at the page size: the
    // messages above the index (a range of ids), those waiting to be indexed again (a
    // short list), and the index's matches.
    const direct = (pending: (eb: ExpressionBuilder<Database, 'messages'>) => Expression<SqlBool>) =>
      narrowed(db.selectFrom('messages').selectAll('messages').where(pending).where(contains), query, rooms, false)
        .orderBy('messages.id', 'desc')
        .limit(query.limit);
    // The arms are disjoint (above the watermark; at or below it and changed; at or below
    // it, unchanged and indexed), so their rows are simply put together.
    const changed = (eb: ExpressionBuilder<Database, 'messages'>) => eb.selectFrom(sql<{ messageId: number }>`search_reindex`.as('r')).select('r.messageId');
    const arms = [
      direct((eb) => eb('messages.id', '>', words.indexedThrough)),
      direct((eb) => eb.and([eb('messages.id', 'in', changed(eb)), eb('messages.id', '<=', words.indexedThrough)])),
    ];
    if (words.expansions.every((e) => e.length > 0)) {
      const match = words.expansions.map((e) => `(${e.map(ftsPhrase).join(' OR ')})`).join(' AND ');
      const indexed = narrowed(
        // The join only narrows and orders the rows: every column is the messages table's.
        db
          .selectFrom('messages')
          .innerJoin(sql<{ rowid: number }>`message_words`.as('hits'), (join) => join.onRef('hits.rowid', '=', 'messages.id'))
          .where(sql<boolean>`hits.message_words match ${match}`)
          .where('messages.id', '<=', words.indexedThrough)
          .where((eb) => eb('messages.id', 'not in', changed(eb))) as unknown as SelectQueryBuilder<Database, 'messages', object>,
        query,
        rooms,
      )
        .selectAll('messages')
        .where(contains)
        .orderBy(sql.ref('hits.rowid'), 'desc')
        .limit(query.limit);
      arms.push(indexed);
    }
    return newestOf(arms, query.limit, 'disjoint');
  }

  /**
   * Through the word index (PostgreSQL): the messages whose words (a tsvector, GIN-indexed)
   * hold, for every term, one of the vocabulary words containing it; and the messages
   * pending (new or changed, not indexed yet) or too large to index, matched directly. A
   * message is pending or indexed, never stale in the index: a change of its text takes
   * it out in the same transaction (migration 0007).
   */
  async function postgresWordSearch(query: MessageSearch, words: NonNullable<MessageSearch['words']>, rooms: RoomFilter) {
    // The messages not in the index, listed first (a few: the planner only takes the word
    // index while few wait), so the search looks them up by id whatever the table
    // statistics say about a queue that empties and fills all day; past MAX_DIRECT (an
    // import landed since the plan), the trigram index answers instead.
    const waiting = (
      await sql<{ messageId: string }>`(select message_id from search_pending limit ${MAX_DIRECT + 1})
        union all (select message_id from message_words where words is null limit ${MAX_DIRECT + 1})`.execute(db)
    ).rows.map((r) => Number(r.messageId));
    if (waiting.length > MAX_DIRECT) return trigramSearch(query, rooms);
    // A message the indexer took between the plan's look at the vocabulary and the list
    // above is in neither arm, unless the words it brought join the expansions: the words
    // added since the plan are read now (usually none; a range of the vocabulary's key).
    const since = await postgresVocabulary(db, query.terms, MAX_FRESH_WORDS, words.vocabulary);
    const expansions = words.expansions.map((e, i) => [...new Set([...e, ...(since[i] ?? [])])]);
    const arms: SelectQueryBuilder<Database, 'messages', Selectable<MessagesTable>>[] = [];
    if (waiting.length > 0) {
      arms.push(
        narrowed(
          db
            .selectFrom('messages')
            .selectAll('messages')
            .where(idIn(dialect, 'messages.id', waiting))
            .where((eb) => eb.and(query.terms.map((t) => termMatches(eb, t)))),
          query,
          rooms,
        )
          .orderBy('messages.id', 'desc')
          .limit(query.limit),
      );
    }
    if (expansions.every((e) => e.length > 0)) {
      const indexed = narrowed(
        // The join only narrows the rows: every column is the messages table's.
        db
          .selectFrom('messages')
          .innerJoin(sql<{ messageId: number }>`message_words`.as('w'), (join) => join.onRef('w.messageId', '=', 'messages.id'))
          .where(sql<boolean>`w.words @@ cast(${tsWordQuery(expansions)} as tsquery)`) as unknown as SelectQueryBuilder<Database, 'messages', object>,
        query,
        rooms,
      )
        .selectAll('messages')
        .orderBy('messages.id', 'desc')
        .limit(query.limit);
      arms.push(indexed);
    }
    if (arms.length === 0) return [];
    // UNION: a message indexed between the two statements is in both arms.
    return newestOf(arms, query.limit, 'overlapping');
  }

  /**
   * Through the trigram index: on SQLite, terms of three characters or more go to the FTS5
   * index, and the index drives the query: its matches are walked newest first and the
   * walk stops once the page is full. (Asking `id in (matches)` instead collects every
   * match first — millions for a common word in a large pool — before the first row comes
   * back.) Shorter terms, and every term on PostgreSQL, match by (I)LIKE.
   *
   * The SQLite index holds the messages up to the indexer's watermark (migration 0010);
   * those above it (just posted, or a bulk import the indexer is still working through)
   * are matched directly, walked newest first on their range of ids.
   */
  async function trigramSearch(query: MessageSearch, rooms: RoomFilter) {
    const indexed = can.textSearch === 'fts5-trigram' ? query.terms.filter((t) => [...t].length >= 3) : [];
    const others = query.terms.filter((t) => !indexed.includes(t));
    const base = db.selectFrom('messages');
    const withOthers = <Q extends SelectQueryBuilder<Database, 'messages', Selectable<MessagesTable>>>(q: Q): Q => {
      for (const term of others) q = q.where((eb) => termMatches(eb, term)) as Q;
      return q;
    };
    if (indexed.length === 0) {
      const rows = await withOthers(narrowed(base.selectAll('messages'), query, rooms)).orderBy('messages.id', 'desc').limit(query.limit).execute();
      return rows.map(messageRecord);
    }
    const watermark = sql<number>`(select indexed_through from search_index_state where id = 1)`;
    // The join only narrows and orders the rows: every column below is the messages table's, so the builder keeps its type.
    const hits = base
      .innerJoin(sql<{ rowid: number }>`messages_fts`.as('hits'), (join) => join.onRef('hits.rowid', '=', 'messages.id'))
      .where(sql<boolean>`hits.messages_fts match ${indexed.map(ftsPhrase).join(' AND ')}`)
      .where('messages.id', '<=', watermark) as unknown as typeof base;
    const fromIndex = withOthers(narrowed(hits.selectAll('messages'), query, rooms)).orderBy(sql.ref('hits.rowid'), 'desc').limit(query.limit);
    const tail = withOthers(
      narrowed(base.selectAll('messages').where('messages.id', '>', watermark), query, rooms, false).where((eb) =>
        eb.and(indexed.map((t) => sql<boolean>`stoa_contains(${eb.ref('messages.content')}, ${eb.ref('messages.storyTitle')}, ${t.toLowerCase()})`)),
      ),
    )
      .orderBy('messages.id', 'desc')
      .limit(query.limit);
    return newestOf([tail, fromIndex], query.limit, 'disjoint');
  }

  /**
   * The newest `limit` messages of several arms, each already newest first and limited.
   * Disjoint arms are put together as they are (UNION ALL); others are deduplicated, which
   * costs SQLite a sort of every arm by every column.
   */
  async function newestOf(arms: SelectQueryBuilder<Database, 'messages', Selectable<MessagesTable>>[], limit: number, kind: 'disjoint' | 'overlapping') {
    const [first, ...rest] = arms.map((arm) => db.selectFrom(arm.as('arm')).selectAll());
    let all = first!;
    for (const arm of rest) all = kind === 'disjoint' ? all.unionAll(arm) : all.union(arm);
    const rows = await db.selectFrom(all.as('found')).selectAll().orderBy('found.id', 'desc').limit(limit).execute();
    return rows.map(messageRecord);
  }

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
          fileId: m.fileId ?? null,
          inHistory: toFlag(m.inHistory ?? true),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return messageRecord(row);
    },
    async latest(roomId, limit) {
      const rows = await db
        .selectFrom('messages')
        .selectAll()
        .where('roomId', '=', roomId)
        .where('inHistory', '=', 1)
        .orderBy('chatId', 'desc')
        .limit(limit)
        .execute();
      return rows.map(messageRecord).reverse();
    },
    async page({ roomId, beforeChatId, afterChatId, limit }) {
      let q = db.selectFrom('messages').selectAll().where('roomId', '=', roomId).where('inHistory', '=', 1);
      if (afterChatId !== undefined) q = q.where('chatId', '>', afterChatId);
      if (beforeChatId !== undefined) q = q.where('chatId', '<', beforeChatId);
      // Paging backwards reads the newest before the position; forwards the oldest after it.
      const backwards = afterChatId === undefined;
      const rows = await q.orderBy('chatId', backwards ? 'desc' : 'asc').limit(limit).execute();
      const out = rows.map(messageRecord);
      return backwards ? out.reverse() : out;
    },
    async getById(id) {
      const row = await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row && messageRecord(row);
    },
    async getManyByIds(ids) {
      const out: MessageRecord[] = [];
      for (const part of whole([...new Set(ids)])) {
        out.push(...(await db.selectFrom('messages').selectAll().where(idIn(dialect, 'messages.id', part)).execute()).map(messageRecord));
      }
      return out;
    },
    async getByChatId(roomId, chatId) {
      const row = await db.selectFrom('messages').selectAll().where('roomId', '=', roomId).where('chatId', '=', chatId).executeTakeFirst();
      return row && messageRecord(row);
    },
    async search(query) {
      const rooms = roomFilter(query.rooms);
      if (rooms === undefined) return [];
      if (query.authorIds !== undefined && query.authorIds.length === 0) return [];
      if (query.words !== undefined) {
        return can.textSearch === 'fts5-trigram' ? sqliteWordSearch(query, query.words, rooms) : postgresWordSearch(query, query.words, rooms);
      }
      return trigramSearch(query, rooms);
    },
    async countAfter(positions) {
      const out = new Map<number, number>(positions.map((p) => [p.roomId, 0]));
      for (const part of chunks([...positions], 200)) {
        const rows = await db
          .selectFrom('messages')
          .select(['roomId', (eb) => eb.fn.countAll<number>().as('n')])
          .where('inHistory', '=', 1)
          .where((eb) => eb.or(part.map((p) => eb.and([eb('roomId', '=', p.roomId), eb('chatId', '>', p.afterChatId)]))))
          .groupBy('roomId')
          .execute();
        for (const r of rows) out.set(r.roomId, Number(r.n));
      }
      return out;
    },
    async select({ roomId, authorId, from, to }) {
      let q = db.selectFrom('messages').selectAll().where('roomId', '=', roomId);
      if (authorId !== undefined) q = q.where('authorId', '=', authorId);
      if (from !== undefined) q = q.where('postedAt', '>=', from);
      if (to !== undefined) q = q.where('postedAt', '<=', to);
      return (await q.orderBy('chatId').execute()).map(messageRecord);
    },
    async remove(roomId, ids) {
      let n = 0;
      for (const part of whole([...ids])) {
        const r = await db.deleteFrom('messages').where('roomId', '=', roomId).where(idIn(dialect, 'messages.id', part)).executeTakeFirst();
        n += Number(r.numDeletedRows);
      }
      if (n > 0) await recountContent(roomId);
      return n;
    },
    async replace(roomId, ids, content, now) {
      let n = 0;
      const sizeBytes = utf8Bytes(content);
      for (const part of whole([...ids])) {
        const r = await db
          .updateTable('messages')
          .set({ content, rtf: null, storyTitle: null, sizeBytes, replacedAt: now })
          .where('roomId', '=', roomId)
          .where(idIn(dialect, 'messages.id', part))
          .executeTakeFirst();
        n += Number(r.numUpdatedRows);
      }
      if (n > 0) await recountContent(roomId);
      return n;
    },
    async clearUpTo(roomId, endInclusive) {
      const r = await db.deleteFrom('messages').where('roomId', '=', roomId).where('postedAt', '<=', endInclusive).executeTakeFirst();
      const n = Number(r.numDeletedRows);
      if (n > 0) await recountContent(roomId);
      return n;
    },
  };
}

/** Per-user keyword alerts and saved topic feeds. */
import type { KeywordAlertRecord, KeywordAlertStore, TopicFeedRecord, TopicFeedStore } from '../types.js';
import type { Executor } from './common.js';

const keywordRecord = (r: KeywordAlertRecord): KeywordAlertRecord => ({ ...r, id: Number(r.id), createdAt: Number(r.createdAt) });
const feedRecord = (r: TopicFeedRecord): TopicFeedRecord => ({ ...r, id: Number(r.id), createdAt: Number(r.createdAt) });

export function keywordAlertStore({ db }: Executor): KeywordAlertStore {
  return {
    async add(a) {
      return keywordRecord(await db.insertInto('keywordAlerts').values(a).returningAll().executeTakeFirstOrThrow());
    },
    async remove(principalId, id) {
      const r = await db.deleteFrom('keywordAlerts').where('principalId', '=', principalId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async list(principalId) {
      return (await db.selectFrom('keywordAlerts').selectAll().where('principalId', '=', principalId).orderBy('id').execute()).map(keywordRecord);
    },
    async all() {
      return (await db.selectFrom('keywordAlerts').selectAll().orderBy('id').execute()).map(keywordRecord);
    },
  };
}

export function topicFeedStore({ db }: Executor): TopicFeedStore {
  return {
    async add(f) {
      return feedRecord(await db.insertInto('topicFeeds').values(f).returningAll().executeTakeFirstOrThrow());
    },
    async remove(principalId, id) {
      const r = await db.deleteFrom('topicFeeds').where('principalId', '=', principalId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async list(principalId) {
      return (await db.selectFrom('topicFeeds').selectAll().where('principalId', '=', principalId).orderBy('id').execute()).map(feedRecord);
    },
    async all() {
      return (await db.selectFrom('topicFeeds').selectAll().orderBy('id').execute()).map(feedRecord);
    },
  };
}

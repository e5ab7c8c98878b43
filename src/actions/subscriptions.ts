/**
 * What a user asks to be told about (D1): keyword alerts and saved topic feeds, and the
 * notifications they (and @mentions) produced.
 */
import { AppError } from '../domain/errors.js';
import { normaliseKeyword } from '../domain/messages.js';
import { isEmptyQuery, parseSearchQuery } from '../domain/search-query.js';
import { nameKey } from '../domain/names.js';
import type { NotificationKind } from '../store/types.js';
import { loadActorFacts } from '../access/actor.js';
import { requireServiceUser } from '../access/categories.js';
import { loadRooms } from '../access/rooms.js';
import { canJoin } from '../domain/permissions.js';
import { runWrite, type Actor, type Services } from './context.js';
import {
  presentKeywordAlert,
  presentNotifications,
  presentTopicFeed,
  type KeywordAlertView,
  type NotificationView,
  type TopicFeedView,
} from './chat-views.js';

const PER_USER_MAX = 100;

async function user(services: Services, actor: Actor): Promise<number> {
  if (actor.kind !== 'user') throw new AppError('PERMISSION_DENIED', 'only users have alerts and feeds');
  requireServiceUser(await loadActorFacts(services.store, actor));
  return actor.principalId;
}

export async function listKeywordAlerts(services: Services, actor: Actor): Promise<KeywordAlertView[]> {
  return (await services.store.keywordAlerts.list(await user(services, actor))).map(presentKeywordAlert);
}

export async function addKeywordAlert(services: Services, actor: Actor, raw: string): Promise<KeywordAlertView> {
  const principalId = await user(services, actor);
  const { keyword, key } = normaliseKeyword(raw);
  const outcome = await runWrite(services, actor, {}, async (tx) => {
    const existing = await tx.store.keywordAlerts.list(principalId);
    if (existing.some((k) => k.keywordKey === key)) throw new AppError('ALREADY_EXISTS', `you already have the keyword '${keyword}'`);
    if (existing.length >= PER_USER_MAX) throw new AppError('INVALID_VALUE', `at most ${PER_USER_MAX} keywords per user`);
    tx.emit({ type: 'subscriptions.changed', principalId, what: 'keywords' });
    return presentKeywordAlert(await tx.store.keywordAlerts.add({ principalId, keyword, keywordKey: key, createdAt: tx.now }));
  });
  return outcome.result;
}

export async function removeKeywordAlert(services: Services, actor: Actor, id: number): Promise<void> {
  const principalId = await user(services, actor);
  await runWrite(services, actor, {}, async (tx) => {
    if (!(await tx.store.keywordAlerts.remove(principalId, id))) throw new AppError('KEYWORD_NOT_FOUND', `you have no keyword alert ${id}`);
    tx.emit({ type: 'subscriptions.changed', principalId, what: 'keywords' });
  });
}

export async function listTopicFeeds(services: Services, actor: Actor): Promise<TopicFeedView[]> {
  return (await services.store.topicFeeds.list(await user(services, actor))).map(presentTopicFeed);
}

export async function addTopicFeed(services: Services, actor: Actor, input: { name: string; query: string }): Promise<TopicFeedView> {
  const principalId = await user(services, actor);
  const name = String(input.name ?? '').normalize('NFC').trim();
  if (name === '' || [...name].length > 100 || /\p{Cc}/u.test(name)) {
    throw new AppError('INVALID_NAME', 'a feed name is 1–100 characters on one line');
  }
  const query = String(input.query ?? '').trim();
  if (isEmptyQuery(parseSearchQuery(query))) throw new AppError('INVALID_VALUE', 'a feed needs a search: words, "a phrase" or operators');
  const outcome = await runWrite(services, actor, {}, async (tx) => {
    const existing = await tx.store.topicFeeds.list(principalId);
    if (existing.some((f) => f.nameKey === nameKey(name))) throw new AppError('ALREADY_EXISTS', `you already have a feed named '${name}'`);
    if (existing.length >= PER_USER_MAX) throw new AppError('INVALID_VALUE', `at most ${PER_USER_MAX} feeds per user`);
    tx.emit({ type: 'subscriptions.changed', principalId, what: 'feeds' });
    return presentTopicFeed(await tx.store.topicFeeds.add({ principalId, name, nameKey: nameKey(name), query, createdAt: tx.now }));
  });
  return outcome.result;
}

export async function removeTopicFeed(services: Services, actor: Actor, id: number): Promise<void> {
  const principalId = await user(services, actor);
  await runWrite(services, actor, {}, async (tx) => {
    if (!(await tx.store.topicFeeds.remove(principalId, id))) throw new AppError('FEED_NOT_FOUND', `you have no topic feed ${id}`);
    tx.emit({ type: 'subscriptions.changed', principalId, what: 'feeds' });
  });
}

/** Newest first; `before` pages back, `after` asks for what arrived since. */
export async function listNotifications(
  services: Services,
  actor: Actor,
  query: { before?: number; after?: number; kind?: NotificationKind; limit?: number },
): Promise<NotificationView[]> {
  const principalId = await user(services, actor);
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  const rows = await services.store.notifications.list(principalId, {
    ...(query.before === undefined ? {} : { beforeId: query.before }),
    ...(query.after === undefined ? {} : { afterId: query.after }),
    ...(query.kind === undefined ? {} : { kind: query.kind }),
    limit,
  });
  // Only rooms the user may still read: losing access hides what was said there.
  const facts = await loadActorFacts(services.store, actor);
  const rooms = await loadRooms(services.store, await services.store.rooms.getManyByIds(rows.map((r) => r.roomId)));
  const readable = new Set(rooms.filter((l) => canJoin(facts, l.facts)).map((l) => l.room.id));
  return presentNotifications(services.store, rows.filter((r) => readable.has(r.roomId)), { keptOnly: true });
}

/**
 * Conformance of the live-chat part of the Store on every database: history pages,
 * full-text search (trigram FTS5 vs pg_trgm must answer alike), content operations,
 * sessions, follows, invitations, notifications, subscriptions and files.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Store } from '../types.js';
import { newCategory, newRoom, principal } from './store-conformance.js';

type Open = () => Promise<Store>;
const NOW = 1_700_000_000_000;

export function defineChatStoreConformance(open: Open): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  async function roomWith(texts: readonly string[], extra: { inHistory?: boolean } = {}) {
    const cat = await newCategory(store, `c-${randomUUID()}`);
    const room = await newRoom(store, cat.id, `r-${randomUUID()}`);
    const author = await store.principals.insert(principal('user', `sip:${randomUUID().slice(0, 8)}@contoso.com`));
    const messages = [];
    for (const [i, content] of texts.entries()) {
      messages.push(await store.messages.append({ roomId: room.id, authorId: author.id, postedAt: NOW + i * 1000, content, ...extra }));
    }
    return { room, author, messages };
  }

  it('pages history before and after a chat id, skipping messages kept out of history', async () => {
    const { room } = await roomWith(['a', 'b', 'c', 'd', 'e']);
    await store.messages.append({ roomId: room.id, authorId: (await store.principals.list({ kind: 'user' }))[0]!.id, postedAt: NOW, content: 'live only', inHistory: false });
    const chatIds = async (q: { beforeChatId?: number; afterChatId?: number; limit: number }) => (await store.messages.page({ roomId: room.id, ...q })).map((m) => m.chatId);
    expect(await chatIds({ limit: 2 })).toEqual([4, 5]);
    expect(await chatIds({ beforeChatId: 4, limit: 2 })).toEqual([2, 3]);
    expect(await chatIds({ afterChatId: 2, limit: 2 })).toEqual([3, 4]);
    expect(await chatIds({ afterChatId: 1, beforeChatId: 4, limit: 10 })).toEqual([2, 3]);
    expect((await store.messages.latest(room.id, 10)).map((m) => m.content)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect((await store.messages.getByChatId(room.id, 6))?.inHistory).toBe(false);
  });

  it('searches substrings of any length, phrases, CJK and mixed case the same way on every database', async () => {
    const { room, author } = await roomWith(['The Quarterly Report', 'quarter past nine', '東京で会議', 'ab cd', '100% sure_thing']);
    const texts = async (terms: string[], extra: object = {}) =>
      (await store.messages.search({ rooms: { ids: [room.id] }, terms, limit: 50, ...extra })).map((m) => m.content).sort();
    expect(await texts(['quarter'])).toEqual(['The Quarterly Report', 'quarter past nine']);
    expect(await texts(['quarterly report'])).toEqual(['The Quarterly Report']);
    expect(await texts(['ua'])).toEqual(['The Quarterly Report', 'quarter past nine']);
    expect(await texts(['会議'])).toEqual(['東京で会議']);
    expect(await texts(['京で会'])).toEqual(['東京で会議']);
    expect(await texts(['b c'])).toEqual(['ab cd']);
    expect(await texts(['%'])).toEqual(['100% sure_thing']);
    expect(await texts(['e_t'])).toEqual(['100% sure_thing']);
    expect(await texts(['"quarter'])).toEqual([]);
    expect(await texts(['quarter', 'nine'])).toEqual(['quarter past nine']);
    expect(await texts([], { authorIds: [author.id], to: NOW + 1000 })).toEqual(['The Quarterly Report', 'quarter past nine']);
    expect(await texts([], { from: NOW + 4000 })).toEqual(['100% sure_thing']);
    expect(await texts([], { hasFile: true })).toEqual([]);
    expect(await texts(['quarter'], { rooms: { ids: [] } })).toEqual([]);
    const newestFirst = await store.messages.search({ rooms: { ids: [room.id] }, terms: [], limit: 2 });
    expect(newestFirst.map((m) => m.chatId)).toEqual([5, 4]);
    expect((await store.messages.search({ rooms: { ids: [room.id] }, terms: [], limit: 10, beforeId: newestFirst[1]!.id })).map((m) => m.chatId)).toEqual([3, 2, 1]);
  });

  it('pages a term search newest first, within the rooms asked for, with short and long terms together', async () => {
    const { room } = await roomWith(['risk one', 'no match', 'risk two ok', 'risk three', 'kept out', 'risk four ok']);
    await store.messages.append({ roomId: room.id, authorId: (await store.principals.list({ kind: 'user' }))[0]!.id, postedAt: NOW, content: 'risk live only', inHistory: false });
    const other = await roomWith(['risk elsewhere', 'risk elsewhere ok']);
    const search = async (terms: string[], extra: { beforeId?: number; limit?: number } = {}) =>
      (await store.messages.search({ rooms: { ids: [room.id] }, terms, limit: extra.limit ?? 50, ...(extra.beforeId === undefined ? {} : { beforeId: extra.beforeId }) })).map((m) => m.content);
    const first = await store.messages.search({ rooms: { ids: [room.id] }, terms: ['risk'], limit: 2 });
    expect(first.map((m) => m.content)).toEqual(['risk four ok', 'risk three']);
    expect(await search(['risk'], { beforeId: first[1]!.id })).toEqual(['risk two ok', 'risk one']);
    expect(await search(['risk', 'ok'])).toEqual(['risk four ok', 'risk two ok']);
    expect(await search(['ok', 'risk', 'four'])).toEqual(['risk four ok']);
    expect((await store.messages.search({ rooms: { ids: [room.id, other.room.id] }, terms: ['risk', 'ok'], limit: 50 })).map((m) => m.content)).toEqual(['risk elsewhere ok', 'risk four ok', 'risk two ok']);
  });

  it('finds replaced text and forgets removed messages in the index', async () => {
    const { room, messages } = await roomWith(['alpha secret', 'beta secret', 'gamma']);
    expect(await store.messages.replace(room.id, [messages[0]!.id], 'redacted', NOW)).toBe(1);
    expect(await store.messages.remove(room.id, [messages[1]!.id])).toBe(1);
    const find = async (term: string) => (await store.messages.search({ rooms: { ids: [room.id] }, terms: [term], limit: 10 })).map((m) => m.content);
    expect(await find('secret')).toEqual([]);
    expect(await find('redacted')).toEqual(['redacted']);
    expect((await store.messages.getById(messages[0]!.id))?.replacedAt).toBe(NOW);
    expect((await store.messages.getManyByIds([messages[2]!.id, messages[1]!.id, messages[0]!.id])).map((m) => m.content).sort()).toEqual(['gamma', 'redacted']);
    expect((await store.rooms.getById(room.id))?.contentBytes).toBe('redacted'.length + 'gamma'.length);
  });

  it('clears a room up to an inclusive time and counts unread messages after read marks', async () => {
    const { room, author } = await roomWith(['1', '2', '3', '4']);
    expect(await store.messages.clearUpTo(room.id, NOW + 1000)).toBe(2);
    expect((await store.messages.latest(room.id, 10)).map((m) => m.content)).toEqual(['3', '4']);
    const other = await roomWith(['x']);
    const counts = await store.messages.countAfter([
      { roomId: room.id, afterChatId: 3 },
      { roomId: other.room.id, afterChatId: 0 },
    ]);
    expect([...counts]).toEqual([
      [room.id, 1],
      [other.room.id, 1],
    ]);
    expect((await store.messages.select({ roomId: room.id, authorId: author.id, from: NOW + 3000 })).map((m) => m.content)).toEqual(['4']);
  });

  it('keeps sessions and API tokens by hash, and expires them', async () => {
    const u = await store.principals.insert(principal('user', 'sip:tok@contoso.com'));
    const base = { principalId: u.id, name: 'n', createdAt: NOW, lastUsedAt: NOW };
    await store.sessions.insert({ ...base, tokenHash: 'aaaa1111', kind: 'session', expiresAt: NOW + 10 });
    await store.sessions.insert({ ...base, tokenHash: 'bbbb2222', kind: 'api', expiresAt: null });
    await store.sessions.touch('aaaa1111', NOW + 5);
    expect((await store.sessions.get('aaaa1111'))?.lastUsedAt).toBe(NOW + 5);
    expect((await store.sessions.list(u.id, 'api')).map((s) => s.tokenHash)).toEqual(['bbbb2222']);
    expect(await store.sessions.deleteByPrefix(u.id, 'aaaa')).toBe(0);
    expect(await store.sessions.purgeExpired(NOW + 10)).toBe(1);
    expect(await store.sessions.deleteByPrefix(u.id, 'bbbb')).toBe(1);
    expect(await store.sessions.list(u.id)).toEqual([]);
  });

  it('keeps follows with forward-only read marks, invitations, notifications and subscriptions', async () => {
    const { room, messages } = await roomWith(['m']);
    const u = await store.principals.insert(principal('user', 'sip:f@contoso.com'));
    expect(await store.follows.follow({ principalId: u.id, roomId: room.id, lastReadChatId: 0, createdAt: NOW })).toBe(true);
    expect(await store.follows.follow({ principalId: u.id, roomId: room.id, lastReadChatId: 0, createdAt: NOW })).toBe(false);
    expect(await store.follows.markRead(u.id, room.id, 5)).toBe(true);
    expect(await store.follows.markRead(u.id, room.id, 3)).toBe(false);
    expect((await store.follows.list(u.id))[0]?.lastReadChatId).toBe(5);
    expect(await store.follows.unfollow(u.id, room.id)).toBe(true);

    const invites = await store.invitations.add([u.id, u.id], room.id, NOW);
    expect(invites).toHaveLength(1);
    expect(await store.invitations.since(u.id, invites[0]!.id, 10)).toEqual([]);
    expect((await store.invitations.since(u.id, 0, 10)).map((i) => i.roomId)).toEqual([room.id]);

    const notes = await store.notifications.add([
      { principalId: u.id, kind: 'mention', roomId: room.id, messageId: messages[0]!.id, detail: '', createdAt: NOW },
      { principalId: u.id, kind: 'keyword', roomId: room.id, messageId: messages[0]!.id, detail: 'm', createdAt: NOW },
    ]);
    expect((await store.notifications.list(u.id, { limit: 10 })).map((n) => n.kind)).toEqual(['keyword', 'mention']);
    expect((await store.notifications.list(u.id, { limit: 10, kind: 'mention' })).map((n) => n.id)).toEqual([notes[0]!.id]);
    expect(await store.notifications.list(u.id, { limit: 10, afterId: notes[1]!.id })).toEqual([]);

    const k = await store.keywordAlerts.add({ principalId: u.id, keyword: 'Outage', keywordKey: 'outage', createdAt: NOW });
    await expect(store.keywordAlerts.add({ principalId: u.id, keyword: 'OUTAGE', keywordKey: 'outage', createdAt: NOW })).rejects.toThrow();
    const f = await store.topicFeeds.add({ principalId: u.id, name: 'F', nameKey: 'f', query: 'x', createdAt: NOW });
    expect((await store.keywordAlerts.all()).map((a) => a.id)).toEqual([k.id]);
    expect((await store.topicFeeds.list(u.id)).map((x) => x.id)).toEqual([f.id]);
    expect(await store.keywordAlerts.remove(u.id + 1, k.id)).toBe(false);
    expect(await store.topicFeeds.remove(u.id, f.id)).toBe(true);
  });

  it('keeps files and their tokens; removing a room removes its messages, files and tokens', async () => {
    const { room, author } = await roomWith([]);
    const file = await store.files.insert({ guid: randomUUID(), roomId: room.id, uploaderId: author.id, name: 'a.txt', contentType: 'text/plain', sizeBytes: 3, sha256: 'ab', createdAt: NOW });
    await store.files.insertToken({ tokenHash: 'h1', direction: 'download', principalId: author.id, roomId: room.id, fileId: file.id, name: null, contentType: null, sizeBytes: null, expiresAt: NOW + 1 });
    const message = await store.messages.append({ roomId: room.id, authorId: author.id, postedAt: NOW, content: 'file', fileId: file.id });
    expect(message.fileId).toBe(file.id);
    expect((await store.files.getByGuid(file.guid))?.id).toBe(file.id);
    expect(await store.files.purgeExpiredTokens(NOW)).toBe(0);
    expect(await store.files.purgeExpiredTokens(NOW + 1)).toBe(1);
    await store.rooms.delete(room.id);
    expect(await store.files.getById(file.id)).toBeUndefined();
    expect(await store.messages.getById(message.id)).toBeUndefined();
  });
}

/**
 * What a new message tells people beyond the room: @mentions, keyword alerts and topic
 * feeds (D1). Evaluated in the posting transaction, so a notification exists exactly when
 * its message does; only users who may read the room are told.
 */
import type { MessageRecord, NotificationRecord, Store } from '../store/types.js';
import type { LoadedRoom } from '../access/rooms.js';
import { loadActorFactsMany } from '../access/actor.js';
import { canJoin } from '../domain/permissions.js';
import { extractMentions } from '../domain/messages.js';
import type { Tx } from './context.js';
import type { MessageView } from './chat-views.js';

type Candidate = Omit<NotificationRecord, 'id'>;

async function mentioned(store: Store, text: string): Promise<number[]> {
  const { addresses, userParts } = extractMentions(text);
  const byAddress = await store.principals.getManyByKeys(addresses);
  const byPart = await store.principals.usersByUserPart(userParts);
  const ids = byAddress.filter((p) => p.kind === 'user').map((p) => p.id);
  // `@name` names one user only when exactly one has that user part.
  for (const part of userParts) {
    const owners = byPart.filter((p) => p.key.startsWith(`sip:${part}@`));
    if (owners.length === 1) ids.push((owners[0] as (typeof owners)[number]).id);
  }
  return [...new Set(ids)];
}

export async function doNotify(tx: Tx, loaded: LoadedRoom, message: MessageRecord, view: MessageView): Promise<void> {
  const store = tx.store;
  const base = { roomId: loaded.room.id, messageId: message.id, createdAt: tx.now };
  const candidates: Candidate[] = [];
  for (const principalId of await mentioned(store, message.content)) {
    candidates.push({ ...base, principalId, kind: 'mention', detail: '' });
  }
  const searchable = `${message.content}\n${message.storyTitle ?? ''}`;
  const facts = {
    text: message.content,
    storyTitle: message.storyTitle,
    roomName: loaded.room.name,
    categoryName: loaded.category.name,
    authorKey: view.author,
    postedAt: message.postedAt,
    hasFile: message.fileId !== null,
  };
  const matched = await tx.services.subscriptions.match(searchable, facts, store);
  for (const alert of matched.keywords) candidates.push({ ...base, principalId: alert.principalId, kind: 'keyword', detail: alert.keyword });
  for (const feed of matched.feeds) candidates.push({ ...base, principalId: feed.principalId, kind: 'feed', detail: feed.name });
  const others = candidates.filter((c) => c.principalId !== message.authorId);
  if (others.length === 0) return;
  const readers = await loadActorFactsMany(store, [...new Set(others.map((c) => c.principalId))]);
  // The room as these readers' checks need it: their role entries only (one statement).
  let room = loaded.facts;
  if (loaded.entries === 'actor') {
    const affiliations = new Set<number>();
    for (const r of readers.values()) if (r.kind === 'user') for (const a of r.principal.affiliations) affiliations.add(a);
    room = { ...loaded.facts, ...(await store.rooms.rolesFor(loaded.room.id, [...affiliations])) };
  }
  // One notification per user, kind and detail (two keywords in one message: two alerts).
  const seen = new Set<string>();
  const allowed = others.filter((c) => {
    const reader = readers.get(c.principalId);
    const key = `${c.principalId}\u0000${c.kind}\u0000${c.detail}`;
    if (reader === undefined || !canJoin(reader, room) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (allowed.length === 0) return;
  const records = await store.notifications.add(allowed);
  // The message is already presented: no need to read it back for each notification.
  const createdAt = new Date(tx.now).toISOString();
  tx.emit({
    type: 'notification.created',
    notifications: records.map((r) => ({ principalId: r.principalId, notification: { id: r.id, kind: r.kind, detail: r.detail, createdAt, message: view } })),
  });
}

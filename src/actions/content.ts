/**
 * Administrators' content operations (01 §4.10): Clear-CsPersistentChatRoom (everything
 * from the oldest message up to and including the end date) and
 * Remove-CsPersistentChatMessage (remove, or replace the text, of the messages a filter
 * selects). Authors can do neither; both are recorded and delivered live.
 */
import type { MessageRecord } from '../store/types.js';
import { AppError } from '../domain/errors.js';
import { DEFAULT_REPLACEMENT_TEXT, validateMessage } from '../domain/messages.js';
import { normaliseSipUri } from '../domain/principals.js';
import { formatIdentity } from '../domain/identity.js';
import { loadActorFacts } from '../access/actor.js';
import { accessRoom } from '../access/rooms.js';
import { runWrite, type Actor, type Outcome, type Services, type WriteOptions } from './context.js';
import { presentMessages } from './chat-views.js';
import { discardBlobs } from './files.js';

export interface ClearResult {
  room: string;
  endDate: string;
  removed: number;
}

export async function checkClearRoom(
  services: Services,
  actor: Actor,
  identity: string,
  endDate: number,
  options: WriteOptions = {},
): Promise<Outcome<ClearResult>> {
  if (!Number.isFinite(endDate)) throw new AppError('INVALID_VALUE', 'an end date is required');
  return runWrite(services, actor, options, async (tx) => {
    const facts = await loadActorFacts(tx.store, actor);
    const loaded = await accessRoom(tx.store, services.poolFqdn, facts, identity, 'delete', { lock: true });
    const attached = (await tx.store.messages.select({ roomId: loaded.room.id, to: endDate })).flatMap((m) => (m.fileId === null ? [] : [m.fileId]));
    const removed = await tx.store.messages.clearUpTo(loaded.room.id, endDate);
    discardBlobs(tx, await tx.store.files.deleteMany(attached));
    const view = { room: formatIdentity(services.poolFqdn, loaded.room.name), endDate: new Date(endDate).toISOString(), removed };
    tx.emit({ type: 'room.cleared', roomId: loaded.room.id, through: view.endDate, removed });
    tx.capture({ type: 'CLEAR', room: loaded.room, content: view.endDate, details: { through: view.endDate, removed } });
    tx.record({ action: 'remove', kind: 'room content', identity: view.room, notes: [`${removed} message(s) posted up to and including ${view.endDate}`] });
    return view;
  });
}

export type MatchClause = 'All' | 'Or' | 'Exact';

export interface RemoveMessagesInput {
  /** Exactly one: remove the messages, or replace their text. */
  remove?: boolean;
  replaceMessage?: string;
  userUri?: string;
  startDate?: number;
  endDate?: number;
  filter?: string;
  matchClause?: MatchClause;
  caseSensitive?: boolean;
}

export interface RemoveMessagesResult {
  room: string;
  action: 'removed' | 'replaced';
  count: number;
  chatIds: number[];
}

/** -Filter keywords against one message, as -MatchClause and -CaseSensitive say. */
export function messageMatchesFilter(text: string, filter: string, clause: MatchClause, caseSensitive: boolean): boolean {
  const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
  const haystack = fold(text);
  if (clause === 'Exact') return haystack.includes(fold(filter.trim()));
  const words = filter.split(/\s+/).filter((w) => w !== '').map(fold);
  return clause === 'All' ? words.every((w) => haystack.includes(w)) : words.some((w) => haystack.includes(w));
}

export async function checkRemoveMessages(
  services: Services,
  actor: Actor,
  identity: string,
  input: RemoveMessagesInput,
  options: WriteOptions = {},
): Promise<Outcome<RemoveMessagesResult>> {
  const replacing = input.replaceMessage !== undefined;
  if ((input.remove === true) === replacing) throw new AppError('INVALID_INPUT', 'give exactly one of --remove or --replace-message');
  const replacement = replacing ? (input.replaceMessage === '' ? DEFAULT_REPLACEMENT_TEXT : validateMessage({ text: input.replaceMessage as string }).text) : '';
  const clause = input.matchClause ?? 'All';
  if (!['All', 'Or', 'Exact'].includes(clause)) throw new AppError('INVALID_VALUE', `--match-clause is All, Or or Exact, not '${String(clause)}'`);
  const authorKey = input.userUri === undefined ? undefined : normaliseSipUri(input.userUri);
  return runWrite(services, actor, options, async (tx) => {
    const facts = await loadActorFacts(tx.store, actor);
    const loaded = await accessRoom(tx.store, services.poolFqdn, facts, identity, 'delete', { lock: true });
    let authorId: number | undefined;
    if (authorKey !== undefined) {
      const author = await tx.store.principals.getByKey(authorKey);
      if (author === undefined) throw new AppError('PRINCIPAL_NOT_FOUND', `there is no user '${authorKey}'`);
      authorId = author.id;
    }
    const candidates = await tx.store.messages.select({
      roomId: loaded.room.id,
      ...(authorId === undefined ? {} : { authorId }),
      ...(input.startDate === undefined ? {} : { from: input.startDate }),
      ...(input.endDate === undefined ? {} : { to: input.endDate }),
    });
    const filter = input.filter?.trim();
    const chosen: MessageRecord[] = filter
      ? candidates.filter((m) => messageMatchesFilter(`${m.content}\n${m.storyTitle ?? ''}`, filter, clause, input.caseSensitive === true))
      : candidates;
    const ids = chosen.map((m) => m.id);
    // The message's file goes with its text, whether it is removed or replaced.
    const attached = chosen.flatMap((m) => (m.fileId === null ? [] : [m.fileId]));
    const room = formatIdentity(services.poolFqdn, loaded.room.name);
    if (replacing) {
      await tx.store.messages.replace(loaded.room.id, ids, replacement, tx.now);
      discardBlobs(tx, await tx.store.files.deleteMany(attached));
      if (ids.length > 0) {
        const updated = await tx.store.messages.getManyByIds(ids);
        tx.emit({ type: 'message.replaced', roomId: loaded.room.id, messages: await presentMessages(tx.store, updated) });
      }
    } else {
      await tx.store.messages.remove(loaded.room.id, ids);
      discardBlobs(tx, await tx.store.files.deleteMany(attached));
      if (ids.length > 0) tx.emit({ type: 'message.removed', roomId: loaded.room.id, messageIds: ids });
    }
    // Per message, as the legacy compliance store did (cmplType 10 replace, 11 purge).
    for (const m of chosen) {
      tx.capture({
        type: replacing ? 'REPLACE' : 'PURGE',
        room: loaded.room,
        messageId: m.id,
        content: replacing ? replacement : '',
        details: { chatId: m.chatId, authorId: m.authorId, postedAt: new Date(m.postedAt).toISOString() },
      });
    }
    tx.record({ action: replacing ? 'update' : 'remove', kind: 'messages', identity: room, notes: [`${ids.length} message(s) ${replacing ? 'replaced' : 'removed'}`] });
    return { room, action: replacing ? 'replaced' : 'removed', count: ids.length, chatIds: chosen.map((m) => m.chatId) };
  });
}

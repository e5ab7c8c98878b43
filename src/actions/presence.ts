/**
 * Joining and leaving rooms (live delivery). The realtime gateway keeps who is where;
 * the rules and what a joiner receives (the backchat) are decided here.
 */
import { canManage, canPost } from '../domain/permissions.js';
import { accessRoomById, type LoadedRoom } from '../access/rooms.js';
import { runWrite, SYSTEM_ACTOR, type Actor, type Capture, type Services } from './context.js';
import { AppError } from '../domain/errors.js';
import { presentRoomSummaries, type MessageView, type RoomSummary } from './chat-views.js';
import { backchatCapture, getBackchat } from './messages.js';
import { channelUri } from '../domain/compliance.js';
import type { ParticipantRecord } from '../store/types.js';

export interface Joined {
  loaded: LoadedRoom;
  room: RoomSummary & { canPost: boolean; canManage: boolean; chatHistory: boolean; fileUpload: boolean; addin: { name: string; url: string } | null };
  backchat: readonly MessageView[];
}

/** One live connection of one process (what a JOIN and its PART belong to). */
export interface Session {
  connection: number;
}

/** May the actor join the room, and what they may do there (nothing is recorded). */
export async function describeRoom(services: Services, actor: Actor, roomId: string): Promise<Omit<Joined, 'backchat'>> {
  const facts = await services.access.actorFacts(actor);
  const categories = await services.access.categorySnapshot();
  const loaded = await accessRoomById(services.store, facts, roomId, 'join', { categories });
  const [summary] = await presentRoomSummaries(services.store, [loaded.room], (id) => services.presence.participants(id), categories.byId);
  const addin = loaded.room.addinId === null ? undefined : await services.store.addins.getById(loaded.room.addinId);
  return {
    loaded,
    room: {
      ...(summary as RoomSummary),
      canPost: canPost(facts, loaded.facts),
      canManage: canManage(facts, loaded.facts),
      chatHistory: loaded.category.chatHistory,
      fileUpload: loaded.category.fileUpload,
      // The room's add-in: a page the client shows beside the room (sandboxed).
      addin: addin === undefined ? null : { name: addin.name, url: addin.url },
    },
  };
}

/**
 * Joins a connection to a room: describeRoom with the backchat. The JOIN (once per
 * connection) and the backchat read are recorded for compliance before the answer leaves.
 */
export async function checkJoinRoom(services: Services, actor: Actor, roomId: string, session: Session): Promise<Joined> {
  if (actor.kind !== 'user') throw new AppError('PERMISSION_DENIED', 'only users join rooms');
  const described = await describeRoom(services, actor, roomId);
  const { loaded } = described;
  const backchat = await getBackchat(services, loaded);
  await runWrite(services, actor, {}, async (tx) => {
    const [user] = await services.access.principalsByIds([actor.principalId], tx.store);
    const fresh = await tx.store.compliance.addParticipant({
      instance: services.instanceId,
      connection: session.connection,
      roomId: loaded.room.id,
      roomUri: channelUri(services.poolFqdn, loaded.room.guid),
      principalId: actor.principalId,
      principalUri: user?.key ?? '',
      joinedAt: tx.now,
    });
    if (fresh) tx.capture({ type: 'JOIN', actorUri: user?.key ?? '', room: loaded.room });
    // Going in answers an invitation to the room (it leaves the user's list on every device).
    if ((await tx.store.invitations.accept(actor.principalId, loaded.room.id)) > 0) {
      tx.emit({ type: 'invitation.accepted', roomId: loaded.room.id, room: loaded.room.guid, principalId: actor.principalId });
    }
    if (backchat.length > 0) tx.capture({ ...backchatCapture(loaded.room, 'join', backchat), actorUri: user?.key ?? '' });
  });
  return { ...described, backchat };
}

/**
 * Records that a connection left rooms (all its rooms unless listed): one PART each, for
 * compliance. `why` says how (left, kicked, disconnected, server stopped).
 */
export async function recordParts(services: Services, session: Session, roomIds: readonly number[] | undefined, why: string): Promise<void> {
  await runWrite(services, SYSTEM_ACTOR, {}, async (tx) => {
    const gone = await tx.store.compliance.removeParticipants(services.instanceId, session.connection, roomIds);
    for (const p of gone) tx.capture(partCapture(p, why));
  });
}

/** Every participant of an instance leaves (its shutdown, or its crash found later). */
export async function recordInstanceParts(services: Services, instance: string, why: string, at?: number): Promise<number> {
  const outcome = await runWrite(services, SYSTEM_ACTOR, {}, async (tx) => {
    const gone = await tx.store.compliance.removeInstanceParticipants(instance);
    for (const p of gone) tx.capture({ ...partCapture(p, why), ...(at === undefined ? {} : { at }) });
    return gone.length;
  });
  return outcome.result;
}

function partCapture(p: ParticipantRecord, why: string): Capture {
  return { type: 'PART', actorId: p.principalId, actorUri: p.principalUri, room: { id: p.roomId, guid: '' }, roomUri: p.roomUri, details: { reason: why } };
}

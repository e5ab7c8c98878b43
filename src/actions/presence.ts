/**
 * Joining and leaving rooms (live delivery). The realtime gateway keeps who is where;
 * the rules and what a joiner receives (the backchat) are decided here.
 */
import { canPost } from '../domain/permissions.js';
import { loadActorFacts } from '../access/actor.js';
import { accessRoomById, type LoadedRoom } from '../access/rooms.js';
import type { Actor, Services } from './context.js';
import { presentRoomSummaries, type MessageView, type RoomSummary } from './chat-views.js';
import { getBackchat } from './messages.js';

export interface Joined {
  loaded: LoadedRoom;
  room: RoomSummary & { canPost: boolean; chatHistory: boolean; fileUpload: boolean };
  backchat: MessageView[];
}

/** May the actor join the room; what they may do there; with the backchat unless not wanted. */
export async function checkJoinRoom(services: Services, actor: Actor, roomId: string, options: { backchat?: boolean } = {}): Promise<Joined> {
  const facts = await loadActorFacts(services.store, actor);
  const loaded = await accessRoomById(services.store, facts, roomId, 'join');
  const [summary] = await presentRoomSummaries(services.store, [loaded.room], (id) => services.presence.participants(id));
  const backchat = options.backchat === false ? [] : await getBackchat(services, loaded);
  return {
    loaded,
    room: {
      ...(summary as RoomSummary),
      canPost: canPost(facts, loaded.facts),
      chatHistory: loaded.category.chatHistory,
      fileUpload: loaded.category.fileUpload,
    },
    backchat,
  };
}

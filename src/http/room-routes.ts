/** The room directory, my rooms, following, history, posting and the roster. */
import { ROSTER_PAGE_DEFAULT, ROSTER_PAGE_MAX } from '../realtime/protocol.js';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../actions/context.js';
import { followRoom, followedRooms, markRead, myRooms, roomsIManage, searchDirectory, unfollowRoom } from '../actions/directory.js';
import { checkPostMessage, getHistory, type HistoryPage } from '../actions/messages.js';
import { describeRoom } from '../actions/presence.js';
import type { Gateway } from '../realtime/gateway.js';
import { actorOf, type AuthHook } from './auth-hook.js';
import { ERRORS, bool, int, listOf, nullable, ref, roomParams, str } from './schemas.js';

const limitQuery = { type: 'object', properties: { q: { type: 'string', maxLength: 256 }, limit: { type: 'integer', minimum: 1, maximum: 500 } }, additionalProperties: false } as const;

export const roomRoutes: FastifyPluginAsync<{ services: Services; auth: AuthHook; gateway?: Gateway }> = async (app, { services, auth, gateway }) => {
  app.addHook('preHandler', auth);
  const tags = ['rooms'];

  app.get<{ Querystring: { q?: string; limit?: number } }>(
    '/api/v1/rooms',
    { schema: { summary: 'Find rooms: name contains q (administrators: or description)', tags, querystring: limitQuery, response: { 200: listOf('RoomSummary'), ...ERRORS } } },
    async (request) => searchDirectory(services, actorOf(request), { ...(request.query.q === undefined ? {} : { text: request.query.q }), ...(request.query.limit === undefined ? {} : { limit: request.query.limit }) }),
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/api/v1/rooms/mine',
    { schema: { summary: 'Rooms you are a member of', tags, querystring: limitQuery, response: { 200: listOf('RoomSummary'), ...ERRORS } } },
    async (request) => myRooms(services, actorOf(request), request.query.limit),
  );

  app.get<{ Querystring: { limit?: number; q?: string } }>(
    '/api/v1/rooms/managed',
    { schema: { summary: 'Rooms you manage (disabled ones included; every room for administrators), optionally those whose name holds q', tags, querystring: limitQuery, response: { 200: listOf('RoomSummary'), ...ERRORS } } },
    async (request) => roomsIManage(services, actorOf(request), request.query.limit, request.query.q),
  );

  app.get(
    '/api/v1/rooms/followed',
    { schema: { summary: 'Rooms you follow, with unread counts', tags, response: { 200: listOf('RoomSummary'), ...ERRORS } } },
    async (request) => followedRooms(services, actorOf(request)),
  );

  app.get<{ Params: { roomId: string } }>(
    '/api/v1/rooms/:roomId',
    {
      schema: {
        summary: 'One room you may join, with what you may do in it',
        tags,
        params: roomParams,
        response: {
          200: {
            type: 'object',
            properties: { room: ref('RoomSummary'), canPost: bool, canManage: bool, chatHistory: bool, fileUpload: bool, addin: nullable({ type: 'object', properties: { name: str, url: str }, required: ['name', 'url'] }) },
            required: ['room', 'canPost', 'canManage', 'chatHistory', 'fileUpload', 'addin'],
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      const joined = await describeRoom(services, actorOf(request), request.params.roomId);
      const { canPost, canManage, chatHistory, fileUpload, addin, ...room } = joined.room;
      return { room, canPost, canManage, chatHistory, fileUpload, addin };
    },
  );

  app.get<{ Params: { roomId: string }; Querystring: { before?: number; after?: number; limit?: number } }>(
    '/api/v1/rooms/:roomId/messages',
    {
      schema: {
        summary: 'History: the newest messages, or a page before/after a chat id',
        tags,
        params: roomParams,
        querystring: { type: 'object', properties: { before: int, after: int, limit: { type: 'integer', minimum: 1, maximum: 200 } }, additionalProperties: false },
        response: { 200: { type: 'object', properties: { messages: listOf('Message'), more: bool }, required: ['messages', 'more'] }, ...ERRORS },
      },
    },
    async (request, reply) => reply.type('application/json; charset=utf-8').send(serialisedPage(await getHistory(services, actorOf(request), request.params.roomId, request.query), reply)),
  );

  app.post<{ Params: { roomId: string }; Body: { text: string; alert?: boolean; story?: { title: string } | null; fileId?: string } }>(
    '/api/v1/rooms/:roomId/messages',
    {
      schema: {
        summary: 'Post a message; answered once it is committed',
        tags,
        params: roomParams,
        body: {
          type: 'object',
          properties: { text: str, alert: bool, story: nullable({ type: 'object', properties: { title: str }, required: ['title'], additionalProperties: false }), fileId: str },
          required: ['text'],
          additionalProperties: false,
        },
        response: { 201: ref('Message'), ...ERRORS },
      },
    },
    async (request, reply) => {
      const { story, ...rest } = request.body;
      return reply.code(201).send(await checkPostMessage(services, actorOf(request), request.params.roomId, { ...rest, ...(story == null ? {} : { story }) }));
    },
  );

  app.get<{ Params: { roomId: string }; Querystring: { limit?: number; after?: string } }>(
    '/api/v1/rooms/:roomId/participants',
    {
      schema: {
        summary: 'Who is in the room now (on this server): a page by SIP address',
        tags,
        params: roomParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: ROSTER_PAGE_MAX }, after: { type: 'string', maxLength: 512 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { participants: { type: 'array', items: { type: 'object', properties: { sipUri: str, displayName: nullable(str) } } }, total: { type: 'integer' }, more: bool, large: bool },
            required: ['participants', 'total', 'more', 'large'],
          },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      const { loaded } = await describeRoom(services, actorOf(request), request.params.roomId);
      if (gateway === undefined) return { participants: [], total: 0, more: false, large: false };
      const page = await gateway.rosterPage(loaded.room.id, request.query.limit ?? ROSTER_PAGE_DEFAULT, request.query.after);
      return { ...page, large: gateway.isLarge(loaded.room.id) };
    },
  );

  app.put<{ Params: { roomId: string } }>(
    '/api/v1/rooms/:roomId/follow',
    { schema: { summary: 'Follow a room (on every device)', tags, params: roomParams, response: { 200: ref('RoomSummary'), ...ERRORS } } },
    async (request) => followRoom(services, actorOf(request), request.params.roomId),
  );

  app.delete<{ Params: { roomId: string } }>(
    '/api/v1/rooms/:roomId/follow',
    { schema: { summary: 'Stop following a room', tags, params: roomParams, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (request, reply) => {
      await unfollowRoom(services, actorOf(request), request.params.roomId);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { roomId: string }; Body: { chatId: number } }>(
    '/api/v1/rooms/:roomId/read',
    {
      schema: {
        summary: 'Mark a followed room read up to a chat id',
        tags,
        params: roomParams,
        body: { type: 'object', properties: { chatId: { type: 'integer', minimum: 0 } }, required: ['chatId'], additionalProperties: false },
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (request, reply) => {
      await markRead(services, actorOf(request), request.params.roomId, request.body.chatId);
      return reply.code(204).send();
    },
  );
};

/**
 * A history page as sent, serialised by the route's response schema once per page object:
 * the newest page of a room is one object shared by its readers until the room changes
 * (messages.ts), so a busy room's page is serialised once per post, not once per read.
 */
const serialisedPages = new WeakMap<HistoryPage, Buffer>();

function serialisedPage(page: HistoryPage, reply: FastifyReply): Buffer {
  let body = serialisedPages.get(page);
  if (body === undefined) {
    const text = reply.serialize(page);
    body = typeof text === 'string' ? Buffer.from(text) : Buffer.from(text as ArrayBuffer);
    serialisedPages.set(page, body);
  }
  return body;
}

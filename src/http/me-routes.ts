/** Search, invitations, notifications, keyword alerts and topic feeds of the signed-in user. */
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../actions/context.js';
import { searchMessages } from '../actions/messages.js';
import { listInvitations } from '../actions/directory.js';
import { addKeywordAlert, addTopicFeed, listKeywordAlerts, listNotifications, listTopicFeeds, removeKeywordAlert, removeTopicFeed } from '../actions/subscriptions.js';
import type { NotificationKind } from '../store/types.js';
import { actorOf, type AuthHook } from './auth-hook.js';
import { ERRORS, bool, int, listOf, str } from './schemas.js';

const idParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const Keyword = { type: 'object', properties: { id: int, keyword: str }, required: ['id', 'keyword'] } as const;
const Feed = { type: 'object', properties: { id: int, name: str, query: str }, required: ['id', 'name', 'query'] } as const;

export const meRoutes: FastifyPluginAsync<{ services: Services; auth: AuthHook }> = async (app, { services, auth }) => {
  app.addHook('preHandler', auth);

  app.get<{ Querystring: { q: string; limit?: number; before?: number } }>(
    '/api/v1/search',
    {
      schema: {
        summary: 'Search the history of every room you may read',
        description: 'Words and "phrases" match anywhere in the text (any language, CJK included); operators room:, category:, from:, after:, before:, has:file.',
        tags: ['search'],
        querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 1000 }, limit: { type: 'integer', minimum: 1, maximum: 200 }, before: int }, required: ['q'], additionalProperties: false },
        response: { 200: { type: 'object', properties: { messages: listOf('Message'), more: bool }, required: ['messages', 'more'] }, ...ERRORS },
      },
    },
    async (request) => searchMessages(services, actorOf(request), request.query),
  );

  app.get<{ Querystring: { since?: number; limit?: number } }>(
    '/api/v1/invitations',
    {
      schema: {
        summary: 'Invitations after the last id you saw',
        tags: ['me'],
        querystring: { type: 'object', properties: { since: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 500 } }, additionalProperties: false },
        response: { 200: listOf('Invitation'), ...ERRORS },
      },
    },
    async (request) => listInvitations(services, actorOf(request), request.query.since ?? 0, request.query.limit),
  );

  app.get<{ Querystring: { before?: number; after?: number; kind?: NotificationKind; limit?: number } }>(
    '/api/v1/notifications',
    {
      schema: {
        summary: 'Mentions, keyword alerts and feed hits, newest first',
        tags: ['me'],
        querystring: {
          type: 'object',
          properties: { before: int, after: int, kind: { type: 'string', enum: ['mention', 'keyword', 'feed'] }, limit: { type: 'integer', minimum: 1, maximum: 200 } },
          additionalProperties: false,
        },
        response: { 200: listOf('Notification'), ...ERRORS },
      },
    },
    async (request) => listNotifications(services, actorOf(request), request.query),
  );

  app.get('/api/v1/keywords', { schema: { summary: 'Your keyword alerts', tags: ['me'], response: { 200: { type: 'array', items: Keyword }, ...ERRORS } } }, async (request) =>
    listKeywordAlerts(services, actorOf(request)),
  );
  app.post<{ Body: { keyword: string } }>(
    '/api/v1/keywords',
    { schema: { summary: 'Be alerted when a word or phrase is posted', tags: ['me'], body: { type: 'object', properties: { keyword: str }, required: ['keyword'], additionalProperties: false }, response: { 201: Keyword, ...ERRORS } } },
    async (request, reply) => reply.code(201).send(await addKeywordAlert(services, actorOf(request), request.body.keyword)),
  );
  app.delete<{ Params: { id: number } }>('/api/v1/keywords/:id', { schema: { summary: 'Remove a keyword alert', tags: ['me'], params: idParams, response: { 204: { type: 'null' }, ...ERRORS } } }, async (request, reply) => {
    await removeKeywordAlert(services, actorOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.get('/api/v1/feeds', { schema: { summary: 'Your topic feeds', tags: ['me'], response: { 200: { type: 'array', items: Feed }, ...ERRORS } } }, async (request) =>
    listTopicFeeds(services, actorOf(request)),
  );
  app.post<{ Body: { name: string; query: string } }>(
    '/api/v1/feeds',
    {
      schema: {
        summary: 'Save a search as a topic feed, evaluated on every new message',
        tags: ['me'],
        body: { type: 'object', properties: { name: str, query: { type: 'string', maxLength: 1000 } }, required: ['name', 'query'], additionalProperties: false },
        response: { 201: Feed, ...ERRORS },
      },
    },
    async (request, reply) => reply.code(201).send(await addTopicFeed(services, actorOf(request), request.body)),
  );
  app.delete<{ Params: { id: number } }>('/api/v1/feeds/:id', { schema: { summary: 'Remove a topic feed', tags: ['me'], params: idParams, response: { 204: { type: 'null' }, ...ERRORS } } }, async (request, reply) => {
    await removeTopicFeed(services, actorOf(request), request.params.id);
    return reply.code(204).send();
  });
};

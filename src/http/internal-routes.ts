/**
 * The local control channel: a CLI working on this server's data dir commits its change
 * to the database, then hands the committed events to the server here, so they take
 * effect live (kicks, roster, caches) as if the server had made the change itself.
 * Authenticated with the secret in `<data dir>/server.json` (owner-only file).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../actions/context.js';
import type { DomainEvent } from '../events/types.js';
import { AppError } from '../domain/errors.js';
import { bearerToken } from './auth-hook.js';
import { ERRORS } from './schemas.js';

export const internalRoutes: FastifyPluginAsync<{ services: Services; controlSecret: string }> = async (app, { services, controlSecret }) => {
  const expected = Buffer.from(controlSecret);
  app.post<{ Body: { events: DomainEvent[] } }>(
    '/api/v1/internal/events',
    {
      schema: {
        summary: 'Committed events from a local CLI (control secret only)',
        tags: ['internal'],
        body: {
          type: 'object',
          properties: { events: { type: 'array', maxItems: 10_000, items: { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] } } },
          required: ['events'],
        },
        response: { 204: { type: 'null' }, ...ERRORS },
      },
    },
    async (request, reply) => {
      const given = Buffer.from(bearerToken(request) ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new AppError('UNAUTHENTICATED', 'this endpoint takes the control secret of the data dir');
      }
      await services.bus.publish(request.body.events);
      return reply.code(204).send();
    },
  );
};

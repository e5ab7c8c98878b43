import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../main.js';
import { VERSION } from '../version.js';

/** `/healthz`: 200 when the database answers, 503 when it does not. */
export const healthRoutes: FastifyPluginAsync<{ runtime: Runtime }> = async (app, { runtime }) => {
  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { status: { const: 'ok' }, pool: { type: 'string' }, version: { type: 'string' } },
            required: ['status', 'pool', 'version'],
          },
          503: {
            type: 'object',
            properties: { status: { const: 'unavailable' }, reason: { type: 'string' } },
            required: ['status', 'reason'],
          },
        },
      },
    },
    async (request, reply) => {
      try {
        await runtime.services.store.meta.get('pool_fqdn');
        return { status: 'ok' as const, pool: runtime.deployment.poolFqdn, version: VERSION };
      } catch (err) {
        request.log.error({ err }, 'health check: database unreachable');
        return reply.code(503).send({ status: 'unavailable' as const, reason: 'database unreachable' });
      }
    },
  );
};

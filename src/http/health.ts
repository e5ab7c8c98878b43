import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../main.js';
import { VERSION } from '../version.js';

/** `/healthz`: 200 when the database answers and the node is active, 503 when not. */
export const healthRoutes: FastifyPluginAsync<{ runtime: Runtime }> = async (app, { runtime }) => {
  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { status: { const: 'ok' }, pool: { type: 'string' }, version: { type: 'string' }, database: { enum: ['primary', 'backup'] } },
            required: ['status', 'pool', 'version'],
          },
          503: {
            type: 'object',
            properties: { status: { enum: ['unavailable', 'inactive'] }, reason: { type: 'string' } },
            required: ['status', 'reason'],
          },
        },
      },
    },
    async (request, reply) => {
      try {
        await runtime.services.store.meta.get('pool_fqdn');
        // Off the pool's active-server list: the load balancer sends new clients elsewhere
        // (this node keeps the connections it has).
        if (!(await runtime.services.activeServers.accepting())) {
          return reply.code(503).send({ status: 'inactive' as const, reason: 'not an active server of the pool (stoa pool active-server get)' });
        }
        // With a backup database: which one this node uses (the pool state, docs/pool.md).
        const database = runtime.failover?.using();
        return { status: 'ok' as const, pool: runtime.deployment.poolFqdn, version: VERSION, ...(database === undefined ? {} : { database }) };
      } catch (err) {
        request.log.error({ err }, 'health check: database unreachable');
        return reply.code(503).send({ status: 'unavailable' as const, reason: 'database unreachable' });
      }
    },
  );
};

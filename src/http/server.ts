import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Runtime } from '../main.js';
import { healthRoutes } from './health.js';

/** The HTTP server: one Fastify plugin per resource, registered here. */
export async function buildHttpServer(runtime: Runtime, logger: FastifyBaseLogger): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger, trustProxy: false });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cache-control', 'no-store');
  });
  await app.register(healthRoutes, { runtime });
  return app;
}

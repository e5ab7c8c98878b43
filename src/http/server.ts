import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Services } from '../actions/context.js';
import type { Runtime } from '../main.js';
import { isAppError } from '../domain/errors.js';
import { VERSION } from '../version.js';
import type { Gateway } from '../realtime/gateway.js';
import { healthRoutes } from './health.js';
import { authRoutes } from './auth-routes.js';
import { roomRoutes } from './room-routes.js';
import { meRoutes } from './me-routes.js';
import { roomManagementRoutes } from './room-management-routes.js';
import { fileRoutes } from './file-routes.js';
import { adminRoutes } from './admin-routes.js';
import { webRoutes } from './web-routes.js';
import { Metrics, metricsRoutes } from './metrics.js';
import { SHARED_SCHEMAS } from './schemas.js';

export interface HttpParts {
  gateway?: Gateway;
  metrics?: Metrics;
  /** The secret a CLI on this data dir presents to run commands in the server. */
  controlSecret?: string;
}

/** The HTTP server: one Fastify plugin per resource, registered here. */
export async function buildHttpServer(runtime: Runtime, logger: FastifyBaseLogger, parts: HttpParts = {}): Promise<FastifyInstance> {
  const services: Services = runtime.services;
  // Request lines are logged below by route pattern, never by URL: file transfer URLs
  // carry their (short-lived) tokens.
  const app = Fastify({
    loggerInstance: logger,
    trustProxy: false,
    bodyLimit: 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
  });
  const metrics = parts.metrics ?? new Metrics();
  app.decorateRequest('auth', null);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    // The web client's page and assets set their own (web-routes.ts); everything else is data.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isAppError(err)) {
      const problems = err.details?.problems;
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...(Array.isArray(problems) ? { problems } : {}) } });
    }
    if (err.validation !== undefined) {
      return reply.code(400).send({ error: { code: 'INVALID_INPUT', message: err.message } });
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: { code: err.statusCode === 413 ? 'TOO_LARGE' : 'INVALID_INPUT', message: err.message } });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Stoa API', version: VERSION, description: 'Persistent chat: rooms, history, search, files. WebSocket frames: docs/api.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  await app.register(healthRoutes, { runtime });
  await app.register(metricsRoutes, { metrics, services });
  await app.register(authRoutes, { services });
  await app.register(roomRoutes, { services, ...(parts.gateway === undefined ? {} : { gateway: parts.gateway }) });
  await app.register(meRoutes, { services });
  await app.register(roomManagementRoutes, { services });
  await app.register(fileRoutes, { services });
  if (parts.controlSecret !== undefined) await app.register(adminRoutes, { runtime, controlSecret: parts.controlSecret });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(webRoutes);
  return app;
}

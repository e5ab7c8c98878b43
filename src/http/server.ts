import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { DEFAULT_LIMITS, type Limits } from '../config/schema.js';
import { RateLimiter } from '../auth/rate-limit.js';
import { AppError, isAppError } from '../domain/errors.js';
import { requireAuth } from './auth-hook.js';
import { clientErrorHandler, limitConnectionsPerAddress } from './connection-limits.js';
import type { Services } from '../actions/context.js';
import type { Runtime } from '../main.js';
import { VERSION } from '../version.js';
import type { Gateway } from '../realtime/gateway.js';
import { healthRoutes } from './health.js';
import { authRoutes } from './auth-routes.js';
import { roomRoutes } from './room-routes.js';
import { meRoutes } from './me-routes.js';
import { roomManagementRoutes } from './room-management-routes.js';
import { fileRoutes } from './file-routes.js';
import { adminRoutes, type CommandRunner } from './admin-routes.js';
import { webRoutes } from './web-routes.js';
import { Metrics, metricsRoutes } from './metrics.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { databaseUnavailable } from '../store/db-errors.js';

export interface HttpParts {
  gateway?: Gateway;
  metrics?: Metrics;
  /** The secret a CLI on this data dir presents to run commands in the server. */
  controlSecret?: string;
  /** Runs forwarded command lines (given by the CLI; without it, none are taken). */
  runCommand?: CommandRunner;
  limits?: Limits;
  /** Who may read /metrics: anyone (undefined), no one (null), or this bearer token. */
  metricsToken?: string | null;
  /** Where users reach the server (for OpenID Connect's redirect URI): known once it listens. */
  publicUrl?: () => string;
}

/**
 * Request bodies are validated as sent: no type coercion (`{"text": 12345}` is not a
 * text) and no silently dropped unknown fields. Query strings and path parameters are
 * text by nature, so they are still read as the numbers their schemas ask for.
 */
function strictValidators() {
  const factory = AjvCompiler();
  return (externalSchemas: unknown, options: { customOptions?: object; plugins?: unknown[] }) => {
    const schemas = externalSchemas as never;
    const strict = factory(schemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false, removeAdditional: false } } as never);
    const lenient = factory(schemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: 'array', removeAdditional: false } } as never);
    return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : lenient)(route);
  };
}

/** The HTTP server: one Fastify plugin per resource, registered here. */
export async function buildHttpServer(runtime: Runtime, logger: FastifyBaseLogger, parts: HttpParts = {}): Promise<FastifyInstance> {
  const services: Services = runtime.services;
  // Request lines are logged below by route pattern, never by URL: file transfer URLs
  // carry their (short-lived) tokens.
  const limits = parts.limits ?? DEFAULT_LIMITS;
  const app = Fastify({
    loggerInstance: logger,
    trustProxy: false,
    bodyLimit: limits.bodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs) },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: Math.min(limits.idleTimeoutMs, 5000),
    clientErrorHandler,
    // Malformed URLs and oversized path parameters go through the error handler below.
    frameworkErrors: (err, _request, reply) => {
      const [status, code, message] = frameworkError(err);
      void (reply as FastifyReply).code(status).send({ error: { code, message } });
    },
    schemaController: { compilersFactory: { buildValidator: strictValidators() as never } },
  });
  const metrics = parts.metrics ?? new Metrics();
  limitConnectionsPerAddress(app.server, limits.connectionsPerAddress, () => metrics.refused('connections_per_address'));
  const requests = new RateLimiter({ perSecond: limits.httpRequestsPerSecond, burst: limits.httpRequestBurst });
  runtime.shareRate('http', requests);
  const auth = requireAuth(services, requests);
  app.decorateRequest('auth', null);
  app.addHook('onSend', async (request, reply) => {
    // An answer before the body was read (a body announced over the limit): Node would
    // reset the connection at once; lingerClose (onResponse) closes it without losing the answer.
    if (!request.raw.complete && reply.getHeader('connection') === 'close') reply.removeHeader('connection');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    // The web client's page and assets set their own (web-routes.ts); everything else is data.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!request.raw.complete) lingerClose(request.raw.socket);
    const route = request.routeOptions.url ?? 'unknown';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isAppError(err)) {
      const problems = err.details?.problems;
      const principals = err.details?.principals;
      return reply
        .code(err.status)
        .send({ error: { code: err.code, message: err.message, ...(Array.isArray(problems) ? { problems } : {}), ...(Array.isArray(principals) ? { principals } : {}) } });
    }
    if (err.validation !== undefined) {
      return reply.code(400).send({ error: { code: 'INVALID_INPUT', message: err.message } });
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      const [status, code, message] = frameworkError(err);
      return reply.code(status).send({ error: { code, message } });
    }
    const unavailable = databaseUnavailable(err);
    if (unavailable !== undefined) {
      request.log.warn({ err }, 'request failed: the database does not answer');
      return reply.code(unavailable.status).send({ error: { code: unavailable.code, message: unavailable.message } });
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
  if (parts.metricsToken !== null) await app.register(metricsRoutes, { metrics, services, ...(parts.metricsToken === undefined ? {} : { allow: bearerEquals(parts.metricsToken) }) });
  await app.register(authRoutes, { services, auth });
  const providers = runtime.config.directory.oidc;
  if (providers.length > 0) {
    const [{ OidcSignIn }, { oidcRoutes }] = await Promise.all([import('../auth/oidc.js'), import('./oidc-routes.js')]);
    const publicUrl = parts.publicUrl ?? (() => runtime.config.publicUrl ?? `http://${runtime.config.host}:${runtime.config.port}`);
    await app.register(oidcRoutes, { oidc: new OidcSignIn(services, providers, publicUrl), secure: (runtime.config.publicUrl ?? '').startsWith('https://') });
  } else {
    // The sign-in page asks which providers there are: none.
    app.get('/api/v1/auth/providers', { schema: { hide: true } }, () => []);
  }
  await app.register(roomRoutes, { services, auth, ...(parts.gateway === undefined ? {} : { gateway: parts.gateway }) });
  await app.register(meRoutes, { services, auth });
  await app.register(roomManagementRoutes, { services, auth });
  await app.register(fileRoutes, { services, auth });
  if (parts.controlSecret !== undefined && parts.runCommand !== undefined) {
    await app.register(adminRoutes, { services, run: parts.runCommand, controlSecret: parts.controlSecret, bodyLimit: limits.adminCliBodyBytes });
  }
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(webRoutes);
  return app;
}

/** A framework refusal (a body too large, a bad URL, an unknown content type) as a stable code. */
function frameworkError(err: FastifyError): [number, string, string] {
  const status = err.statusCode ?? 400;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [413, 'TOO_LARGE', 'the request body is larger than this route accepts'];
    case 'FST_ERR_BAD_URL':
      return [400, 'INVALID_INPUT', 'the URL is not valid (bad percent-encoding)'];
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return [414, 'URI_TOO_LONG', 'a path parameter is too long'];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [415, 'UNSUPPORTED_MEDIA_TYPE', 'send a JSON body (content-type: application/json)'];
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return [400, 'INVALID_INPUT', 'the body is not valid JSON'];
    default:
      return status === 413 ? [413, 'TOO_LARGE', err.message] : [status, 'INVALID_INPUT', err.message];
  }
}

/** A request check: its bearer token is this secret (compared in constant time). */
function bearerEquals(secret: string): (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void {
  const expected = Buffer.from(secret);
  return (request, _reply, done) => {
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return done(new AppError('UNAUTHENTICATED', 'metrics need the bearer token of the metrics token file'));
    done();
  };
}

/** How long a connection whose request body was refused unread keeps reading (and dropping) it. */
const LINGER_MS = 1000;

/**
 * A request answered before its body was read (an unknown upload token, a body over
 * the limit): the answer has left, so the connection is half-closed and what the client
 * is still sending is read and dropped for a moment before the socket goes. Closing at
 * once would reset the connection with the client's bytes unread, and the client's
 * kernel could drop the answer with it (the "lingering close" of nginx and Apache).
 */
function lingerClose(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

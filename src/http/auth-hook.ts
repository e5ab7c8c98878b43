import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../actions/context.js';
import { authenticate, type Authenticated } from '../actions/auth.js';
import { canUseService } from '../domain/permissions.js';
import { AppError } from '../domain/errors.js';
import type { RateLimiter } from '../auth/rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Authenticated | null;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * preHandler for signed-in routes: a valid token of a user who may use the service. The
 * policy is looked up on every request, so switching it off cuts the user off at once.
 * With `rate`, each user's requests are counted (D9): over it, 429 RATE_LIMITED.
 */
export function requireAuth(services: Services, rate?: RateLimiter): AuthHook {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const auth = await authenticate(services, bearerToken(request));
    const wait = rate?.take(auth.actor.principalId) ?? 0;
    if (wait > 0) {
      reply.header('retry-after', Math.ceil(wait / 1000));
      throw new AppError('RATE_LIMITED', `too many requests; try again in ${Math.ceil(wait / 1000)} s`, { retryAfterMs: wait });
    }
    const facts = await services.access.actorFacts(auth.actor);
    if (!canUseService(facts)) throw new AppError('SERVICE_DISABLED', 'this account may not use Persistent Chat');
    request.auth = auth;
  };
}

export function actorOf(request: FastifyRequest): Authenticated['actor'] {
  if (request.auth === null) throw new AppError('UNAUTHENTICATED', 'sign in first');
  return request.auth.actor;
}

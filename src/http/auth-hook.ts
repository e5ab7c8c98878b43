import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../actions/context.js';
import { authenticate, type Authenticated } from '../actions/auth.js';
import { loadActorFacts } from '../access/actor.js';
import { canUseService } from '../domain/permissions.js';
import { AppError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Authenticated | null;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/**
 * preHandler for signed-in routes: a valid token of a user who may use the service. The
 * policy is looked up on every request, so switching it off cuts the user off at once.
 */
export function requireAuth(services: Services) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const auth = await authenticate(services, bearerToken(request));
    const facts = await loadActorFacts(services.store, auth.actor);
    if (!canUseService(facts)) throw new AppError('SERVICE_DISABLED', 'this account may not use Persistent Chat');
    request.auth = auth;
  };
}

export function actorOf(request: FastifyRequest): Authenticated['actor'] {
  if (request.auth === null) throw new AppError('UNAUTHENTICATED', 'sign in first');
  return request.auth.actor;
}

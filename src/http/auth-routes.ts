/** Sign-in, sign-out, who am I, and API tokens. */
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../actions/context.js';
import { createApiToken, listApiTokens, revokeApiToken, signIn, signOut, whoAmI } from '../actions/auth.js';
import { isAppError } from '../domain/errors.js';
import { actorOf, type AuthHook } from './auth-hook.js';
import { ERRORS, bool, listOf, nullable, ref, str, int } from './schemas.js';

const User = {
  type: 'object',
  properties: { sipUri: str, displayName: nullable(str), administrator: bool },
  required: ['sipUri', 'displayName', 'administrator'],
} as const;

export const authRoutes: FastifyPluginAsync<{ services: Services; auth: AuthHook }> = async (app, { services, auth }) => {

  app.post<{ Body: { user: string; password: string } }>(
    '/api/v1/auth/sign-in',
    {
      schema: {
        summary: 'Sign in with a local password, or with the directory password when directory sign-in is configured (user: SIP address, UPN or account name); returns a session token (7 days)',
        tags: ['auth'],
        body: {
          type: 'object',
          properties: { user: { type: 'string', minLength: 1, maxLength: 300 }, password: { type: 'string', maxLength: 1024 } },
          required: ['user', 'password'],
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { token: str, expiresAt: str, user: User }, required: ['token', 'expiresAt', 'user'] }, ...ERRORS },
      },
    },
    async (request, reply) => {
      const { user, password } = request.body;
      try {
        return await signIn(services, user, password, { address: request.ip });
      } catch (err) {
        const wait = isAppError(err) ? err.details?.retryAfterMs : undefined;
        if (typeof wait === 'number') reply.header('retry-after', Math.ceil(wait / 1000));
        throw err;
      }
    },
  );

  app.post('/api/v1/auth/sign-out', { preHandler: auth, schema: { summary: 'End this session (or revoke this API token)', tags: ['auth'], response: { 204: { type: 'null' }, ...ERRORS } } }, async (request, reply) => {
    await signOut(services, request.auth!);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', { preHandler: auth, schema: { summary: 'The signed-in user', tags: ['auth'], response: { 200: User, ...ERRORS } } }, async (request) => {
    return whoAmI(services, actorOf(request));
  });

  app.get('/api/v1/me/tokens', { preHandler: auth, schema: { summary: 'Your API tokens', tags: ['auth'], response: { 200: listOf('ApiToken'), ...ERRORS } } }, async (request) =>
    listApiTokens(services, actorOf(request)),
  );

  app.post<{ Body: { name: string; expiresInDays?: number } }>(
    '/api/v1/me/tokens',
    {
      preHandler: auth,
      schema: {
        summary: 'Create a long-lived API token (shown once)',
        tags: ['auth'],
        body: { type: 'object', properties: { name: str, expiresInDays: int }, required: ['name'], additionalProperties: false },
        response: { 201: { type: 'object', properties: { token: str, info: ref('ApiToken') }, required: ['token', 'info'] }, ...ERRORS },
      },
    },
    async (request, reply) => reply.code(201).send(await createApiToken(services, actorOf(request), request.body)),
  );

  app.delete<{ Params: { tokenId: string } }>(
    '/api/v1/me/tokens/:tokenId',
    { preHandler: auth, schema: { summary: 'Revoke an API token', tags: ['auth'], params: { type: 'object', properties: { tokenId: str }, required: ['tokenId'] }, response: { 204: { type: 'null' }, ...ERRORS } } },
    async (request, reply) => {
      await revokeApiToken(services, actorOf(request), request.params.tokenId);
      return reply.code(204).send();
    },
  );
};

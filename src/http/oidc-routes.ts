/**
 * OpenID Connect sign-in (docs/directory.md): the providers the sign-in page shows, the
 * redirect to one, its answer, and the exchange of the one-time code the web client gets
 * for a session token. The state travels in an HttpOnly cookie scoped to these routes, so
 * an answer is only accepted in the browser that started the sign-in.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { OidcSignIn } from '../auth/oidc.js';
import { isAppError } from '../domain/errors.js';
import { ERRORS, str } from './schemas.js';

const COOKIE = 'stoa_oidc_state';
const COOKIE_PATH = '/api/v1/auth/oidc';

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export const oidcRoutes: FastifyPluginAsync<{ oidc: OidcSignIn; secure: boolean }> = async (app, { oidc, secure }) => {
  const setState = (reply: FastifyReply, value: string, maxAge: number) =>
    reply.header('set-cookie', `${COOKIE}=${value}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`);

  app.get(
    '/api/v1/auth/providers',
    {
      schema: {
        summary: 'The OpenID Connect providers users may sign in with (shown on the sign-in page)',
        tags: ['auth'],
        response: { 200: { type: 'array', items: { type: 'object', properties: { name: str, label: str, start: str }, required: ['name', 'label', 'start'] } } },
      },
    },
    () => oidc.list().map((p) => ({ ...p, start: `${COOKIE_PATH}/${p.name}/start` })),
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/auth/oidc/:name/start',
    { schema: { summary: 'Start signing in with an OpenID Connect provider (a redirect to it)', tags: ['auth'], params: { type: 'object', properties: { name: { type: 'string', maxLength: 40 } }, required: ['name'] } } },
    async (request, reply) => {
      try {
        const { url, state } = await oidc.start(request.params.name);
        setState(reply, state, 600);
        return await reply.redirect(url, 302);
      } catch (err) {
        if (!isAppError(err)) throw err;
        return reply.redirect(`/?signin-error=${encodeURIComponent(err.message)}`, 302);
      }
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/auth/oidc/:name/callback',
    { schema: { summary: "The provider's answer: on to the web client with a one-time code, or with what went wrong", tags: ['auth'], params: { type: 'object', properties: { name: { type: 'string', maxLength: 40 } }, required: ['name'] } } },
    async (request, reply) => {
      setState(reply, '', 0);
      try {
        const code = await oidc.finish(request.params.name, new URL(request.url, 'http://callback.invalid'), cookieOf(request.headers.cookie, COOKIE));
        return await reply.redirect(`/?signin=${code}`, 302);
      } catch (err) {
        if (!isAppError(err)) throw err;
        return reply.redirect(`/?signin-error=${encodeURIComponent(err.message)}`, 302);
      }
    },
  );

  app.post<{ Body: { code: string } }>(
    '/api/v1/auth/oidc/exchange',
    {
      schema: {
        summary: 'Exchange the one-time code of an OpenID Connect sign-in for a session token',
        tags: ['auth'],
        body: { type: 'object', properties: { code: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['code'], additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: { token: str, expiresAt: str, user: { type: 'object', properties: { sipUri: str, displayName: { type: ['string', 'null'] }, administrator: { type: 'boolean' } }, required: ['sipUri', 'displayName', 'administrator'] } },
            required: ['token', 'expiresAt', 'user'],
          },
          ...ERRORS,
        },
      },
    },
    (request) => oidc.exchange(request.body.code),
  );
};

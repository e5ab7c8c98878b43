/**
 * Runs a `stoa` command line inside this server (POST /api/v1/admin/cli), so changes
 * made from the CLI go through the server and take effect live. A CLI on this server's
 * data dir authenticates with the secret of the owner-only control file (it acts as the
 * local administrator); `stoa --server URL --token T` with an administrator's API token.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { SYSTEM_ACTOR, type Actor, type Services } from '../actions/context.js';
import { authenticateAdministrator } from '../actions/auth.js';
import { AppError } from '../domain/errors.js';
import { bearerToken } from './auth-hook.js';
import { ERRORS, int, str } from './schemas.js';

/** Commands that make no sense inside a server. */
const LOCAL_COMMANDS = new Set(['serve']);

/**
 * Runs a stoa command line inside the server on behalf of an actor. The CLI provides it
 * (`stoa serve` hands it to the server): the HTTP layer does not depend on the CLI.
 */
export type CommandRunner = (argv: readonly string[], input: { stdin: string; actor: Actor }) => Promise<{ code: number; stdout: string; stderr: string }>;

export const adminRoutes: FastifyPluginAsync<{ services: Services; run: CommandRunner; controlSecret: string; bodyLimit: number }> = async (
  app,
  { services, run, controlSecret, bodyLimit },
) => {
  const secret = Buffer.from(controlSecret);
  const isControlSecret = (token: string) => {
    const given = Buffer.from(token);
    return given.length === secret.length && timingSafeEqual(given, secret);
  };

  app.post<{ Body: { argv: string[]; stdin?: string } }>(
    '/api/v1/admin/cli',
    {
      bodyLimit,
      schema: {
        summary: 'Run a stoa command line in the server (administrators)',
        tags: ['admin'],
        body: {
          type: 'object',
          properties: { argv: { type: 'array', maxItems: 500, items: { type: 'string', maxLength: 1024 * 1024 } }, stdin: { type: 'string', maxLength: 1024 * 1024 } },
          required: ['argv'],
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { code: int, stdout: str, stderr: str }, required: ['code', 'stdout', 'stderr'] }, ...ERRORS },
      },
    },
    async (request) => {
      const token = bearerToken(request) ?? '';
      let actor: Actor;
      if (isControlSecret(token)) {
        actor = SYSTEM_ACTOR;
      } else {
        actor = await authenticateAdministrator(services, token);
      }
      const { argv, stdin } = request.body;
      const command = argv.find((a) => !a.startsWith('-'));
      if (command !== undefined && LOCAL_COMMANDS.has(command)) throw new AppError('INVALID_INPUT', `'${command}' runs only locally`);
      const result = await run(argv, { stdin: stdin ?? '', actor });
      request.log.info({ command: argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' '), code: result.code, admin: actor.kind }, 'cli command');
      return result;
    },
  );
};

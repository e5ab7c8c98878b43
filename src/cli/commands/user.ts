/** `stoa user passwd` (the local password a user signs in with) and `stoa user token` (API tokens). */
import type { Command } from 'commander';
import { checkSetPassword } from '../../actions/principals.js';
import { withDeployment } from '../context.js';
import { cliEnvironment } from '../environment.js';
import { UsageError, parseInteger, requireValue, whatIfOption } from '../options.js';
import { formatObject, printList, printOutcome } from '../output.js';
import { createApiToken, listApiTokens, revokeApiToken } from '../../actions/auth.js';
import { readPasswordFromStdin, promptPassword } from '../password-input.js';

export function registerUser(program: Command): void {
  const user = program.command('user').description('user accounts');
  whatIfOption(
    user
      .command('passwd')
      .description("set a user's password (asked twice on a terminal)")
      .argument('<user>', 'sip:user@domain')
      .option('--password-stdin', 'read the password from standard input')
      .option('--legacy', 'legacy clients (NTLM) sign in with it too: its NT hash is stored (docs/legacy-clients.md)')
      .option('--no-legacy', 'remove the NT hash: legacy clients can no longer sign in with a password')
      .option('--keep-api-tokens', "keep the user's API tokens (by default a new password revokes them, and always signs every session out)")
      .addHelpText('after', '\nWithout --legacy or --no-legacy, a user who has legacy sign-in keeps it, with the new password.'),
  ).action((who: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      let password: string;
      if (opts.passwordStdin === true) password = await readPasswordFromStdin();
      else if (cliEnvironment().stdinIsTTY) password = await promptPassword();
      else throw new UsageError('standard input is not a terminal: use --password-stdin');
      const legacy = opts.legacy as boolean | undefined;
      printOutcome(
        printer,
        await checkSetPassword(services, actor, who, password, { whatIf: opts.whatIf === true, keepApiTokens: opts.keepApiTokens === true, ...(legacy === undefined ? {} : { legacy }) }),
      );
    }),
  );

  const token = user.command('token').description('long-lived API tokens for bots and scripts');
  token
    .command('new')
    .description('create an API token for a user (printed once)')
    .argument('<user>', 'sip:user@domain')
    .option('--name <name>', 'what the token is for (required)')
    .option('--expires-in-days <days>', 'expire after this many days (default: never)')
    .action((who: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        const name = requireValue(opts.name as string | undefined, 'name');
        const days = parseInteger(opts.expiresInDays as string | undefined, '--expires-in-days');
        const created = await createApiToken(services, actor, { user: who, name, ...(days === undefined ? {} : { expiresInDays: days }) });
        if (printer.json) return printer.out(JSON.stringify(created, null, 2));
        printer.out(formatObject({ ...created.info, token: created.token }));
        printer.err('note: the token is shown only now; send it as "Authorization: Bearer <token>"');
      }),
    );
  token
    .command('get')
    .description("list a user's API tokens")
    .argument('<user>', 'sip:user@domain')
    .action((who: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer }) => {
        printList(printer, await listApiTokens(services, actor, who), ['id', 'name', 'createdAt', 'expiresAt', 'lastUsedAt']);
      }),
    );
  token
    .command('remove')
    .description('revoke an API token (its id from stoa user token get)')
    .argument('<user>', 'sip:user@domain')
    .argument('<id>', 'the token id')
    .action((who: string, id: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer }) => {
        await revokeApiToken(services, actor, id, who);
        printer.out(printer.json ? JSON.stringify({ revoked: id }) : `revoked API token ${id}`);
      }),
    );
}

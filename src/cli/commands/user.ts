/** `stoa user passwd`: the local password a user signs in with. */
import type { Command } from 'commander';
import { checkSetPassword } from '../../actions/principals.js';
import { withDeployment } from '../context.js';
import { UsageError, whatIfOption } from '../options.js';
import { printOutcome } from '../output.js';
import { readPasswordFromStdin, promptPassword } from '../password-input.js';

export function registerUser(program: Command): void {
  const user = program.command('user').description('user accounts');
  whatIfOption(
    user
      .command('passwd')
      .description("set a user's password (asked twice on a terminal)")
      .argument('<user>', 'sip:user@domain')
      .option('--password-stdin', 'read the password from standard input'),
  ).action((who: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      let password: string;
      if (opts.passwordStdin === true) password = await readPasswordFromStdin();
      else if (process.stdin.isTTY) password = await promptPassword();
      else throw new UsageError('standard input is not a terminal: use --password-stdin');
      printOutcome(printer, await checkSetPassword(services, actor, who, password, { whatIf: opts.whatIf === true }));
    }),
  );
}

/** `stoa admin grant/revoke/get`: the CsPersistentChatAdministrator role. */
import type { Command } from 'commander';
import { checkGrantAdministrator, listAdministrators } from '../../actions/administrators.js';
import { withDeployment } from '../context.js';
import { whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('the Persistent Chat administrator role');
  for (const [verb, grant] of [['grant', true], ['revoke', false]] as const) {
    whatIfOption(admin.command(verb).description(`${verb} the administrator role`).argument('<principal>', 'a user or a group')).action(
      (principal: string, _opts, cmd: Command) =>
        withDeployment(cmd, async ({ services, actor, printer, opts }) => {
          printOutcome(printer, await checkGrantAdministrator(services, actor, principal, grant, { whatIf: opts.whatIf === true }));
        }),
    );
  }
  admin
    .command('get')
    .description('show who holds the administrator role')
    .action((_opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer }) => {
        printList(printer, await listAdministrators(services, actor), ['key', 'kind', 'displayName', 'status']);
      }),
    );
}

/** `stoa addin new/set/get/remove` — *-CsPersistentChatAddin. */
import type { Command } from 'commander';
import { checkCreateAddin, checkRemoveAddin, checkUpdateAddin, listAddins } from '../../actions/addins.js';
import { checkPool } from '../../domain/identity.js';
import { withDeployment } from '../context.js';
import { requireValue, whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

export function registerAddin(program: Command): void {
  const addin = program.command('addin').description('manage room add-ins (*-CsPersistentChatAddin)');

  whatIfOption(
    addin
      .command('new')
      .description('register an add-in')
      .option('--name <name>', 'add-in name (1–50 characters)')
      .option('--url <url>', 'http(s) URL shown beside rooms (up to 255 characters)')
      .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)'),
  ).action((_opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      checkPool(opts.persistentChatPoolFqdn as string | undefined, services.poolFqdn);
      const input = { name: requireValue(opts.name as string | undefined, 'name'), url: requireValue(opts.url as string | undefined, 'url') };
      printOutcome(printer, await checkCreateAddin(services, actor, input, { whatIf: opts.whatIf === true }));
    }),
  );

  whatIfOption(addin.command('set').description('change an add-in URL').argument('<identity>').option('--url <url>', 'new URL')).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        const input = { url: requireValue(opts.url as string | undefined, 'url') };
        printOutcome(printer, await checkUpdateAddin(services, actor, identity, input, { whatIf: opts.whatIf === true }));
      }),
  );

  addin
    .command('get')
    .description('show add-ins')
    .argument('[identity]')
    .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)')
    .action((identity: string | undefined, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        checkPool(opts.persistentChatPoolFqdn as string | undefined, services.poolFqdn);
        printList(printer, await listAddins(services, actor, identity), ['identity', 'url']);
      }),
    );

  whatIfOption(
    addin.command('remove').description('remove an add-in').argument('<identity>').option('--force', 'also take it off the rooms that use it'),
  ).action((identity: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      printOutcome(printer, await checkRemoveAddin(services, actor, identity, { whatIf: opts.whatIf === true, force: opts.force === true }));
    }),
  );
}

/** `stoa policy new/set/get/remove/grant` — *-CsPersistentChatPolicy, Grant-CsPersistentChatPolicy. */
import type { Command } from 'commander';
import { checkCreatePolicy, checkGrantPolicy, checkRemovePolicy, checkUpdatePolicy, listPolicies } from '../../actions/policies.js';
import { withDeployment } from '../context.js';
import { UsageError, booleanOption, readBoolean, whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

function properties(cmd: Command): Command {
  return cmd
    .addOption(booleanOption('enable-persistent-chat', 'users governed by the policy may use Persistent Chat'))
    .option('--description <text>', 'description');
}

function readInput(opts: Record<string, unknown>) {
  return {
    enablePersistentChat: readBoolean(opts, 'enable-persistent-chat'),
    ...(opts.description === undefined ? {} : { description: opts.description as string }),
  };
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('who may use Persistent Chat (*-CsPersistentChatPolicy)');

  whatIfOption(properties(policy.command('new').description('create a site (site:<name>) or per-user policy').argument('<identity>'))).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await checkCreatePolicy(services, actor, identity, readInput(opts), { whatIf: opts.whatIf === true }));
      }),
  );

  whatIfOption(properties(policy.command('set').description('change a policy (default: global)').argument('[identity]', 'policy', 'global'))).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await checkUpdatePolicy(services, actor, identity, readInput(opts), { whatIf: opts.whatIf === true }));
      }),
  );

  policy
    .command('get')
    .description('show policies')
    .argument('[identity]')
    .action((identity: string | undefined, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer }) => {
        printList(printer, await listPolicies(services, actor, identity), ['identity', 'enablePersistentChat', 'description']);
      }),
    );

  whatIfOption(
    policy
      .command('remove')
      .description('remove a policy (the global policy is reset instead)')
      .argument('<identity>')
      .option('--force', 'also unassign it from the users it is granted to'),
  ).action((identity: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      printOutcome(printer, await checkRemovePolicy(services, actor, identity, { whatIf: opts.whatIf === true, force: opts.force === true }));
    }),
  );

  whatIfOption(
    policy
      .command('grant')
      .description('assign a per-user policy to a user, or unassign it')
      .argument('<user>', 'sip:user@domain')
      .option('--policy-name <name>', 'the per-user policy')
      .option('--unassign', 'remove the per-user policy: the site, then the global policy applies'),
  ).action((user: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      const name = opts.policyName as string | undefined;
      if ((name === undefined) === (opts.unassign !== true)) throw new UsageError('give either --policy-name NAME or --unassign');
      printOutcome(printer, await checkGrantPolicy(services, actor, user, name ?? null, { whatIf: opts.whatIf === true }));
    }),
  );
}

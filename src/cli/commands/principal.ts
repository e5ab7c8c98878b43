/**
 * `stoa principal add/set/remove/get/eligible`, `stoa group member add/remove`: the
 * embedded directory, and Get-CsPersistentChatEligiblePrincipal.
 */
import type { Command } from 'commander';
import {
  checkAddPrincipal,
  checkGroupMembership,
  checkRemovePrincipal,
  checkUpdatePrincipal,
  listPrincipals,
  type PrincipalAttributes,
} from '../../actions/principals.js';
import { eligiblePrincipals } from '../../actions/eligible.js';
import type { PrincipalView } from '../../actions/views.js';
import { PRINCIPAL_KINDS, type PrincipalKind } from '../../domain/principals.js';
import { parseEnum } from '../../domain/rooms.js';
import { withDeployment } from '../context.js';
import { booleanOption, enumValue, listOptions, parseInteger, parseList, readBoolean, readListEdit, requireValue, whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

const COLUMNS: (keyof PrincipalView)[] = ['key', 'kind', 'displayName', 'status', 'memberOf', 'administrator'];

const parseKind = (raw: string) => parseEnum<PrincipalKind>(raw, PRINCIPAL_KINDS, 'principal kind');

function attributeOptions(cmd: Command): Command {
  return cmd
    .option('--display-name <name>', 'display name')
    .option('--email <address>', 'e-mail address')
    .option('--dn <dn>', "users: the user's place in the directory (for container membership)")
    .option('--site <site>', 'users: the site whose policy applies to them')
    .addOption(booleanOption('enabled', 'users: may sign in and use Persistent Chat'))
    .addOption(booleanOption('federated', 'users: a federated (external) user'));
}

function readAttributes(opts: Record<string, unknown>): PrincipalAttributes {
  return {
    ...(opts.displayName === undefined ? {} : { displayName: opts.displayName as string }),
    ...(opts.email === undefined ? {} : { email: opts.email as string }),
    ...(opts.dn === undefined ? {} : { dn: opts.dn as string }),
    ...(opts.site === undefined ? {} : { site: opts.site as string }),
    ...(opts.enabled === undefined ? {} : { enabled: readBoolean(opts, 'enabled') }),
    ...(opts.federated === undefined ? {} : { federated: readBoolean(opts, 'federated') }),
  };
}

export function registerPrincipal(program: Command): void {
  const principal = program.command('principal').description('the directory of users, groups, containers and domains');

  whatIfOption(
    attributeOptions(
      principal
        .command('add')
        .description('provision a principal')
        .argument('<key>', 'sip:user@domain, a group or container DN, or a domain name')
        .option('--kind <kind>', 'user, group, container or domain')
        .option('--member-of <groups>', "groups it belongs to (DNs separated by ';')"),
    ),
  ).action((key: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      const input = {
        key,
        kind: enumValue(requireValue(opts.kind as string | undefined, 'kind'), parseKind) as PrincipalKind,
        ...readAttributes(opts),
        ...(opts.memberOf === undefined ? {} : { memberOf: parseList(opts.memberOf as string) }),
      };
      printOutcome(printer, await checkAddPrincipal(services, actor, input, { whatIf: opts.whatIf === true }));
    }),
  );

  const set = attributeOptions(principal.command('set').description('change a principal').argument('<key>'));
  listOptions(set, 'member-of', 'member-of', 'groups it belongs to');
  whatIfOption(set).action((key: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      const input = { ...readAttributes(opts), memberOf: readListEdit(opts, 'member-of', 'member-of') };
      printOutcome(printer, await checkUpdatePrincipal(services, actor, key, input, { whatIf: opts.whatIf === true }));
    }),
  );

  whatIfOption(principal.command('remove').description('remove a principal from the directory and every role').argument('<key>')).action(
    (key: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await checkRemovePrincipal(services, actor, key, { whatIf: opts.whatIf === true }));
      }),
  );

  principal
    .command('get')
    .description('show principals')
    .argument('[key]')
    .option('--kind <kind>', 'only this kind')
    .option('--filter <text>', 'key, display name or e-mail contains the text')
    .option('--include-deleted', 'also removed principals')
    .option('--result-size <n>', 'at most n principals')
    .option('--as-object', 'name groups by display name, as -AsObject does (default: SIP address or DN)')
    .action((key: string | undefined, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        const filters = {
          ...(key === undefined ? {} : { key }),
          ...(opts.kind === undefined ? {} : { kind: enumValue(opts.kind as string, parseKind) as PrincipalKind }),
          ...(opts.filter === undefined ? {} : { filter: opts.filter as string }),
          ...(opts.includeDeleted === true ? { includeDeleted: true } : {}),
          ...(opts.resultSize === undefined ? {} : { resultSize: parseInteger(opts.resultSize as string, '--result-size') }),
          ...(opts.asObject === true ? { labels: 'display' as const } : {}),
        };
        printList(printer, await listPrincipals(services, actor, filters), COLUMNS);
      }),
    );

  principal
    .command('eligible')
    .description('who may hold roles in a category or room, groups expanded (Get-CsPersistentChatEligiblePrincipal)')
    .option('--category <category>', 'a category')
    .option('--room <room>', 'a room')
    .option('--presenters', 'eligible presenters of an auditorium room')
    .option('--filter <text>', "users whose SIP address matches (wildcards * and ?)")
    .option('--result-size <n>', 'at most n principals')
    .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)')
    .action((_opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        const query = {
          ...(opts.category === undefined ? {} : { category: opts.category as string }),
          ...(opts.room === undefined ? {} : { room: opts.room as string }),
          ...(opts.presenters === true ? { presenters: true } : {}),
          ...(opts.filter === undefined ? {} : { filter: opts.filter as string }),
          ...(opts.resultSize === undefined ? {} : { resultSize: parseInteger(opts.resultSize as string, '--result-size') }),
        };
        printList(printer, await eligiblePrincipals(services, actor, query), COLUMNS);
      }),
    );

  const member = program.command('group').description('group membership in the directory').command('member').description('members of a group');
  for (const change of ['add', 'remove'] as const) {
    whatIfOption(
      member
        .command(change)
        .description(`${change} a member (a user or a group) ${change === 'add' ? 'to' : 'from'} a group`)
        .argument('<group>', 'group DN')
        .argument('<member>', 'sip:user@domain or a group DN'),
    ).action((group: string, memberKey: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await checkGroupMembership(services, actor, group, memberKey, change, { whatIf: opts.whatIf === true }));
      }),
    );
  }
}

/** `stoa category new/set/get/remove` — *-CsPersistentChatCategory. */
import type { Command } from 'commander';
import { checkCreateCategory, checkRemoveCategory, checkUpdateCategory, listCategories } from '../../actions/categories.js';
import { checkPool } from '../../domain/identity.js';
import type { CategoryView } from '../../actions/views.js';
import { withDeployment } from '../context.js';
import { booleanOption, listOptions, parseList, readBoolean, readListEdit, requireValue, whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

const LISTS: [string, string, string][] = [
  ['allowed-members', 'allowed-member', 'allowed members (scope)'],
  ['denied-members', 'denied-member', 'denied members'],
  ['creators', 'creator', 'creators'],
];

const COLUMNS: (keyof CategoryView)[] = ['identity', 'invitations', 'fileUpload', 'chatHistory', 'allowedMembers', 'deniedMembers', 'creators'];

export function registerCategory(program: Command): void {
  const category = program.command('category').description('manage categories (*-CsPersistentChatCategory)');

  const create = category
    .command('new')
    .description('create a category')
    .option('--name <name>', 'category name (1–256 characters, unique ignoring case)')
    .option('--description <text>', 'description (up to 256 characters)')
    .option('--enable-invitations', 'rooms of the category may send invitations')
    .option('--enable-file-upload', 'rooms of the category accept files')
    .option('--remove-chat-history', 'keep no history for users (compliance still records)')
    .option('--allowed-members <list>', 'who may hold roles in its rooms (scope)')
    .option('--denied-members <list>', 'excluded from the scope (beats allowed)')
    .option('--creators <list>', 'who may create rooms in it')
    .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)');
  whatIfOption(create).action((_opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      checkPool(opts.persistentChatPoolFqdn as string | undefined, services.poolFqdn);
      const list = (flag: string) => (opts[flag] === undefined ? undefined : { mode: 'replace' as const, values: parseList(opts[flag] as string) });
      const outcome = await checkCreateCategory(
        services,
        actor,
        {
          name: requireValue(opts.name as string | undefined, 'name'),
          ...(opts.description === undefined ? {} : { description: opts.description as string }),
          invitations: opts.enableInvitations === true,
          fileUpload: opts.enableFileUpload === true,
          chatHistory: opts.removeChatHistory !== true,
          allowedMembers: list('allowedMembers'),
          deniedMembers: list('deniedMembers'),
          creators: list('creators'),
        },
        { whatIf: opts.whatIf === true },
      );
      printOutcome(printer, outcome);
    }),
  );

  const set = category
    .command('set')
    .description('change a category')
    .argument('<identity>', 'category name or <pool>\\<name>')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'description')
    .addOption(booleanOption('invitations', 'rooms may send invitations'))
    .addOption(booleanOption('file-upload', 'rooms accept files'))
    .addOption(booleanOption('chat-history', 'keep history for users'));
  for (const [plural, singular, what] of LISTS) listOptions(set, plural, singular, what);
  whatIfOption(set).action((identity: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      const outcome = await checkUpdateCategory(
        services,
        actor,
        identity,
        {
          ...(opts.name === undefined ? {} : { name: opts.name as string }),
          ...(opts.description === undefined ? {} : { description: opts.description as string }),
          invitations: readBoolean(opts, 'invitations'),
          fileUpload: readBoolean(opts, 'file-upload'),
          chatHistory: readBoolean(opts, 'chat-history'),
          allowedMembers: readListEdit(opts, 'allowed-members', 'allowed-member'),
          deniedMembers: readListEdit(opts, 'denied-members', 'denied-member'),
          creators: readListEdit(opts, 'creators', 'creator'),
        },
        { whatIf: opts.whatIf === true },
      );
      printOutcome(printer, outcome);
    }),
  );

  category
    .command('get')
    .description('show categories')
    .argument('[identity]', 'one category')
    .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)')
    .option('--as-object', 'name principals by display name, as -AsObject does (default: SIP address or DN)')
    .action((identity: string | undefined, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        checkPool(opts.persistentChatPoolFqdn as string | undefined, services.poolFqdn);
        printList(printer, await listCategories(services, actor, identity, opts.asObject === true ? 'display' : 'key'), COLUMNS);
      }),
    );

  whatIfOption(category.command('remove').description('remove an empty category').argument('<identity>')).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await checkRemoveCategory(services, actor, identity, { whatIf: opts.whatIf === true }));
      }),
  );
}

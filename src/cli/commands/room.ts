/** `stoa room new/set/get/remove` — *-CsPersistentChatRoom. */
import type { Command } from 'commander';
import { checkCreateRoom, checkRemoveRoom, checkUpdateRoom } from '../../actions/rooms.js';
import { getRoom, listRooms, type RoomFilters } from '../../actions/room-queries.js';
import { parseRoomInvitations, parseRoomPrivacy, parseRoomType } from '../../domain/rooms.js';
import { checkPool } from '../../domain/identity.js';
import type { RoomView } from '../../actions/views.js';
import { withDeployment } from '../context.js';
import {
  UsageError,
  booleanOption,
  enumValue,
  listOptions,
  parseInteger,
  parseList,
  readBoolean,
  readListEdit,
  requireValue,
  whatIfOption,
} from '../options.js';
import { printList, printOutcome } from '../output.js';
import { registerRoomClear } from './message.js';

const ROLES: [string, string, string][] = [
  ['members', 'member', 'members'],
  ['managers', 'manager', 'managers'],
  ['presenters', 'presenter', 'presenters (auditorium rooms)'],
];

const COLUMNS: (keyof RoomView)[] = ['identity', 'category', 'privacy', 'type', 'disabled', 'invitations', 'addin', 'managers'];

function roomProperties(cmd: Command): Command {
  return cmd
    .option('--description <text>', 'description (up to 256 characters)')
    .option('--type <type>', 'Normal or Auditorium (only presenters post)')
    .option('--privacy <privacy>', 'Open, Closed or Secret')
    .option('--invitations <value>', 'Inherit (from the category) or False')
    .option('--addin <name>', 'a registered add-in shown beside the room');
}

function readProperties(opts: Record<string, unknown>) {
  return {
    ...(opts.description === undefined ? {} : { description: opts.description as string }),
    ...(opts.type === undefined ? {} : { type: enumValue(opts.type as string, parseRoomType) }),
    ...(opts.privacy === undefined ? {} : { privacy: enumValue(opts.privacy as string, parseRoomPrivacy) }),
    ...(opts.invitations === undefined ? {} : { invitations: enumValue(opts.invitations as string, parseRoomInvitations) }),
    ...(opts.addin === undefined ? {} : { addin: opts.addin as string }),
  };
}

export function registerRoom(program: Command): void {
  const room = program.command('room').description('manage rooms (*-CsPersistentChatRoom)');

  const create = roomProperties(
    room
      .command('new')
      .description('create a room')
      .option('--name <name>', 'room name (1–256 characters, unique ignoring case, not a category name)')
      .option('--category <category>', 'the category the room belongs to'),
  )
    .addOption(booleanOption('disabled', 'create it disabled'))
    .option('--members <list>', 'members')
    .option('--managers <list>', 'managers')
    .option('--presenters <list>', 'presenters (auditorium rooms)')
    .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)');
  whatIfOption(create).action((_opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      checkPool(opts.persistentChatPoolFqdn as string | undefined, services.poolFqdn);
      const list = (flag: string) => (opts[flag] === undefined ? undefined : { mode: 'replace' as const, values: parseList(opts[flag] as string) });
      const outcome = await checkCreateRoom(
        services,
        actor,
        {
          name: requireValue(opts.name as string | undefined, 'name'),
          category: requireValue(opts.category as string | undefined, 'category'),
          ...readProperties(opts),
          disabled: readBoolean(opts, 'disabled') ?? false,
          members: list('members'),
          managers: list('managers'),
          presenters: list('presenters'),
        },
        { whatIf: opts.whatIf === true },
      );
      printOutcome(printer, outcome);
    }),
  );

  const set = roomProperties(
    room
      .command('set')
      .description('change a room (managers: everything but deletion; moving needs creator rights in the destination)')
      .argument('<identity>', 'room name or <pool>\\<name>')
      .option('--name <name>', 'new name')
      .option('--category <category>', 'move the room to another category'),
  )
    .option('--clear-addin', 'take the add-in off the room')
    .addOption(booleanOption('disabled', 'disable (kicks everyone out) or enable'));
  for (const [plural, singular, what] of ROLES) listOptions(set, plural, singular, what);
  whatIfOption(set).action((identity: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      if (opts.addin !== undefined && opts.clearAddin === true) throw new UsageError('--addin and --clear-addin cannot be used together');
      const outcome = await checkUpdateRoom(
        services,
        actor,
        identity,
        {
          ...(opts.name === undefined ? {} : { name: opts.name as string }),
          ...(opts.category === undefined ? {} : { category: opts.category as string }),
          ...readProperties(opts),
          ...(opts.clearAddin === true ? { addin: null } : {}),
          disabled: readBoolean(opts, 'disabled'),
          members: readListEdit(opts, 'members', 'member'),
          managers: readListEdit(opts, 'managers', 'manager'),
          presenters: readListEdit(opts, 'presenters', 'presenter'),
        },
        { whatIf: opts.whatIf === true },
      );
      printOutcome(printer, outcome);
    }),
  );

  room
    .command('get')
    .description('show rooms: one by identity, or all matching the filters')
    .argument('[identity]', 'one room')
    .option('--category <category>', 'rooms of this category')
    .option('--filter <text>', 'name matches (wildcards * and ?; otherwise a substring)')
    .option('--search-description', '--filter also matches descriptions')
    .option('--privacy <privacy>', 'Open, Closed or Secret')
    .option('--type <type>', 'Normal or Auditorium')
    .addOption(booleanOption('disabled', 'disabled (true) or active (false) rooms'))
    .option('--manager <principal>', 'rooms this principal manages (directly or through a group)')
    .option('--member <principal>', 'rooms this principal is a member of')
    .option('--addin <name>', 'rooms using this add-in')
    .option('--invitations <value>', 'Inherit or False')
    .option('--chat-content-exceeds-mb <n>', 'rooms whose stored messages exceed n MB')
    .option('--result-size <n>', 'at most n rooms (0..2147483647)')
    .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)')
    .option('--as-object', 'name principals by display name, as -AsObject does (default: SIP address or DN)')
    .action((identity: string | undefined, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        checkPool(opts.persistentChatPoolFqdn as string | undefined, services.poolFqdn);
        const filters: RoomFilters = {
          ...(opts.category === undefined ? {} : { category: opts.category as string }),
          ...(opts.filter === undefined ? {} : { filter: opts.filter as string }),
          ...(opts.searchDescription === true ? { searchDescription: true } : {}),
          ...(opts.privacy === undefined ? {} : { privacy: enumValue(opts.privacy as string, parseRoomPrivacy) }),
          ...(opts.type === undefined ? {} : { type: enumValue(opts.type as string, parseRoomType) }),
          ...(opts.disabled === undefined ? {} : { disabled: readBoolean(opts, 'disabled') }),
          ...(opts.manager === undefined ? {} : { manager: opts.manager as string }),
          ...(opts.member === undefined ? {} : { member: opts.member as string }),
          ...(opts.addin === undefined ? {} : { addin: opts.addin as string }),
          ...(opts.invitations === undefined ? {} : { invitations: enumValue(opts.invitations as string, parseRoomInvitations) }),
          ...(opts.chatContentExceedsMb === undefined ? {} : { chatContentExceedsMB: parseInteger(opts.chatContentExceedsMb as string, '--chat-content-exceeds-mb') }),
          ...(opts.resultSize === undefined ? {} : { resultSize: parseInteger(opts.resultSize as string, '--result-size') }),
        };
        const labels = opts.asObject === true ? 'display' : 'key';
        if (identity !== undefined) {
          if (Object.keys(filters).length > 0) throw new UsageError('an identity cannot be combined with filters');
          printList(printer, [await getRoom(services, actor, identity, labels)], COLUMNS);
          return;
        }
        printList(printer, await listRooms(services, actor, { ...filters, labels }), COLUMNS);
      }),
    );

  whatIfOption(room.command('remove').description('remove a room and its history (administrators)').argument('<identity>')).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await checkRemoveRoom(services, actor, identity, { whatIf: opts.whatIf === true }));
      }),
  );

  registerRoomClear(room);
}

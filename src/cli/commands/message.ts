/**
 * `stoa room clear` (Clear-CsPersistentChatRoom), `stoa message remove`
 * (Remove-CsPersistentChatMessage) and `stoa message test` (Test-CsPersistentChatMessage).
 */
import type { Command } from 'commander';
import { checkClearRoom, checkRemoveMessages, type MatchClause } from '../../actions/content.js';
import { runMessageTest } from '../message-test.js';
import { AppError } from '../../domain/errors.js';
import { withDeployment } from '../context.js';
import { UsageError, parseDateOption, requireValue, whatIfOption } from '../options.js';
import { printOutcome } from '../output.js';

export function registerRoomClear(room: Command): void {
  whatIfOption(
    room
      .command('clear')
      .description('delete every message of a room from the oldest up to and including --end-date')
      .argument('<room>', 'room name or <pool>\\<name>')
      .option('--end-date <date>', 'last day (or time, UTC) to delete, inclusive'),
  ).action((identity: string, _opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      const end = requireValue(parseDateOption(opts.endDate as string | undefined, 'end-date', 'end'), 'end-date');
      printOutcome(printer, await checkClearRoom(services, actor, identity, end, { whatIf: opts.whatIf === true }));
    }),
  );
}

const CLAUSES: Record<string, MatchClause> = { all: 'All', or: 'Or', exact: 'Exact' };

export function registerMessage(program: Command): void {
  const message = program.command('message').description('room content (Remove-/Test-CsPersistentChatMessage)');
  whatIfOption(
    message
      .command('remove')
      .description('remove messages, or replace their text, selected by poster, dates and keywords')
      .option('--room <room>', 'the room (required)')
      .option('--remove', 'delete the messages without a trace in the room')
      .option('--replace-message [text]', 'replace the text (default: the standard administrator notice)')
      .option('--user-uri <sip>', 'only messages posted by this user')
      .option('--start-date <date>', 'only messages posted on or after (UTC)')
      .option('--end-date <date>', 'only messages posted on or before (UTC, a date includes the whole day)')
      .option('--filter <keywords>', 'space-separated keywords')
      .option('--match-clause <clause>', 'All (every keyword, default), Or (any keyword) or Exact (the phrase)')
      .option('--case-sensitive', 'keywords match case'),
  ).action((_opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      const room = requireValue(opts.room as string | undefined, 'room');
      const replace = opts.replaceMessage as string | boolean | undefined;
      if ((opts.remove === true) === (replace !== undefined)) throw new UsageError('give exactly one of --remove or --replace-message');
      const clauseText = opts.matchClause as string | undefined;
      const clause = clauseText === undefined ? undefined : CLAUSES[clauseText.toLowerCase()];
      if (clauseText !== undefined && clause === undefined) throw new UsageError(`--match-clause takes All, Or or Exact (got '${clauseText}')`);
      const startDate = parseDateOption(opts.startDate as string | undefined, 'start-date', 'start');
      const endDate = parseDateOption(opts.endDate as string | undefined, 'end-date', 'end');
      const outcome = await checkRemoveMessages(
        services,
        actor,
        room,
        {
          ...(opts.remove === true ? { remove: true } : { replaceMessage: replace === true ? '' : (replace as string) }),
          ...(opts.userUri === undefined ? {} : { userUri: opts.userUri as string }),
          ...(startDate === undefined ? {} : { startDate }),
          ...(endDate === undefined ? {} : { endDate }),
          ...(opts.filter === undefined ? {} : { filter: opts.filter as string }),
          ...(clause === undefined ? {} : { matchClause: clause }),
          caseSensitive: opts.caseSensitive === true,
        },
        { whatIf: opts.whatIf === true },
      );
      printOutcome(printer, outcome);
    }),
  );

  message
    .command('test')
    .description('synthetic transaction against the running server: two users join a room and exchange two messages')
    .option('--sender <sip>', 'first test user (required)')
    .option('--receiver <sip>', 'second test user (required)')
    .option('--room <room>', 'the room to use (default: the first room both may post in)')
    .option('--timeout <seconds>', 'give up after this long', '15')
    .action((_opts, cmd: Command) =>
      withDeployment(cmd, async (ctx) => {
        const sender = requireValue(ctx.opts.sender as string | undefined, 'sender');
        const receiver = requireValue(ctx.opts.receiver as string | undefined, 'receiver');
        const seconds = Number(ctx.opts.timeout);
        if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError('--timeout takes a number of seconds');
        const result = await runMessageTest(ctx, { sender, receiver, ...(ctx.opts.room === undefined ? {} : { room: ctx.opts.room as string }), timeoutMs: seconds * 1000 });
        if (ctx.printer.json) ctx.printer.out(JSON.stringify(result, null, 2));
        else for (const step of result.steps) ctx.printer.out(`${step.ok ? 'ok  ' : 'FAIL'} ${step.name}${step.detail ? `: ${step.detail}` : ''}`);
        if (!result.ok) throw new AppError('TEST_FAILED', `the test failed at: ${result.steps.find((s) => !s.ok)?.name ?? 'unknown'}`);
      }),
    );
}

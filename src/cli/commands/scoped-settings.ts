/**
 * `stoa config` and `stoa compliance-config`: the same four verbs over scoped settings
 * (global / site:<name> / service:PersistentChatServer:<pool>).
 */
import type { Command } from 'commander';
import type { Actor, Outcome, Services, WriteOptions } from '../../actions/context.js';
import { withDeployment } from '../context.js';
import { whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

interface SettingsActions<I, V extends object> {
  create(services: Services, actor: Actor, identity: string, input: I, options?: WriteOptions): Promise<Outcome<V>>;
  update(services: Services, actor: Actor, identity: string, input: I, options?: WriteOptions): Promise<Outcome<V>>;
  remove(services: Services, actor: Actor, identity: string, options?: WriteOptions): Promise<Outcome<V>>;
  list(services: Services, actor: Actor, identity?: string): Promise<V[]>;
}

export function registerScopedSettings<I, V extends object>(
  program: Command,
  spec: {
    name: string;
    description: string;
    actions: SettingsActions<I, V>;
    addOptions(cmd: Command): Command;
    readInput(opts: Record<string, unknown>): I;
    columns: (keyof V & string)[];
  },
): void {
  const group = program.command(spec.name).description(spec.description);
  const { actions } = spec;

  whatIfOption(spec.addOptions(group.command('new').description('create settings for a site or this pool').argument('<identity>'))).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await actions.create(services, actor, identity, spec.readInput(opts), { whatIf: opts.whatIf === true }));
      }),
  );

  whatIfOption(spec.addOptions(group.command('set').description('change settings (default: global)').argument('[identity]', 'scope', 'global'))).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await actions.update(services, actor, identity, spec.readInput(opts), { whatIf: opts.whatIf === true }));
      }),
  );

  group
    .command('get')
    .description('show settings')
    .argument('[identity]')
    .action((identity: string | undefined, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer }) => {
        printList(printer, await actions.list(services, actor, identity), spec.columns);
      }),
    );

  whatIfOption(group.command('remove').description('remove site or pool settings (global is reset to defaults)').argument('<identity>')).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await actions.remove(services, actor, identity, { whatIf: opts.whatIf === true }));
      }),
  );
}

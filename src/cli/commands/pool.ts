/**
 * `stoa pool node get` (the legacy tblServerIdentity) and `stoa pool active-server get|set`
 * (Get/Set-CsPersistentChatActiveServer).
 */
import type { Command } from 'commander';
import { listNodes } from '../../actions/nodes.js';
import { getActiveServers, MAX_ACTIVE_SERVERS, setActiveServers, type ActiveServersEdit } from '../../actions/active-servers.js';
import { withDeployment } from '../context.js';
import { parseList, UsageError, whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

export function registerPool(program: Command): void {
  const pool = program.command('pool').description('the nodes of the deployment, its active servers');
  const node = pool.command('node').description('running nodes (stoa serve processes) and their heartbeats');

  node
    .command('get')
    .description('list the running nodes: state, version, address, connections, last heartbeat')
    .argument('[identity]', 'a node name')
    .action((identity: string | undefined, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer }) => {
        const nodes = await listNodes(services, actor, identity);
        if (nodes.length === 0 && !printer.json) return printer.out('no node is running (stoa serve starts one)');
        printList(printer, nodes, ['name', 'state', 'version', 'address', 'connections', 'lastHeartbeat']);
      }),
    );

  const active = pool.command('active-server').description(`the nodes that accept new connections (at most ${MAX_ACTIVE_SERVERS}; Set-CsPersistentChatActiveServer)`);
  active
    .command('get')
    .description('show the active-server list (unset: every node is active)')
    .action((_opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer }) => {
        const view = await getActiveServers(services, actor);
        if (printer.json) return printer.out(JSON.stringify(view, null, 2));
        printer.out(`Identity      : ${view.identity}`);
        printer.out(`ActiveServers : ${view.activeServers === null ? '(not set: every node is active)' : view.activeServers.join(', ') || '(none: no node accepts new connections)'}`);
      }),
    );
  whatIfOption(
    active
      .command('set')
      .description('change the list: add and remove nodes, clear it (no node accepts new connections), or swap it (the running nodes off the list become the list)')
      .option('--add <names>', 'nodes to add (comma-separated)')
      .option('--remove <names>', 'nodes to remove (comma-separated)')
      .option('--clear', 'empty the list')
      .option('--swap', 'make the running nodes that are off the list the active ones'),
  ).action((_opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      const add = opts.add === undefined ? undefined : parseList(opts.add as string);
      const remove = opts.remove === undefined ? undefined : parseList(opts.remove as string);
      const modes = [add !== undefined || remove !== undefined, opts.clear === true, opts.swap === true].filter(Boolean).length;
      if (modes !== 1) throw new UsageError('give --add and/or --remove, or --clear, or --swap');
      const edit: ActiveServersEdit =
        opts.clear === true ? { clear: true } : opts.swap === true ? { swap: true } : { ...(add === undefined ? {} : { add }), ...(remove === undefined ? {} : { remove }) };
      printOutcome(printer, await setActiveServers(services, actor, edit, { whatIf: opts.whatIf === true }));
    }),
  );
}

/** `stoa pool node get`: the nodes of the deployment (the legacy tblServerIdentity). */
import type { Command } from 'commander';
import { listNodes } from '../../actions/nodes.js';
import { withDeployment } from '../context.js';
import { printList } from '../output.js';

export function registerPool(program: Command): void {
  const pool = program.command('pool').description('the nodes of the deployment');
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
}

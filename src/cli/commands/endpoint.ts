/** `stoa endpoint new/get/remove` — *-CsPersistentChatEndpoint. */
import type { Command } from 'commander';
import { checkCreateEndpoint, checkRemoveEndpoint, listEndpoints } from '../../actions/endpoints.js';
import { withDeployment } from '../context.js';
import { parseInteger, requireValue, whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

export function registerEndpoint(program: Command): void {
  const endpoint = program.command('endpoint').description('SIP URIs of the pool for legacy clients (*-CsPersistentChatEndpoint)');

  whatIfOption(
    endpoint
      .command('new')
      .description('add an endpoint URI (e.g. the old sip:ocschat@<domain>)')
      .option('--sip-address <uri>', 'sip:name@domain')
      .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)')
      .option('--display-name <name>', 'display name'),
  ).action((_opts, cmd: Command) =>
    withDeployment(cmd, async ({ services, actor, printer, opts }) => {
      const input = {
        sipAddress: requireValue(opts.sipAddress as string | undefined, 'sip-address'),
        ...(opts.persistentChatPoolFqdn === undefined ? {} : { poolFqdn: opts.persistentChatPoolFqdn as string }),
        ...(opts.displayName === undefined ? {} : { displayName: opts.displayName as string }),
      };
      printOutcome(printer, await checkCreateEndpoint(services, actor, input, { whatIf: opts.whatIf === true }));
    }),
  );

  endpoint
    .command('get')
    .description('show endpoints')
    .argument('[identity]', 'SIP address or display name')
    .option('--filter <text>', 'SIP address or display name matches (wildcards * and ?)')
    .option('--persistent-chat-pool-fqdn <fqdn>', 'the pool (only this one exists)')
    .option('--result-size <n>', 'at most n endpoints')
    .action((identity: string | undefined, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        const query = {
          ...(identity === undefined ? {} : { identity }),
          ...(opts.filter === undefined ? {} : { filter: opts.filter as string }),
          ...(opts.persistentChatPoolFqdn === undefined ? {} : { poolFqdn: opts.persistentChatPoolFqdn as string }),
          ...(opts.resultSize === undefined ? {} : { resultSize: parseInteger(opts.resultSize as string, '--result-size') }),
        };
        printList(printer, await listEndpoints(services, actor, query), ['sipAddress', 'displayName', 'persistentChatPoolFqdn']);
      }),
    );

  whatIfOption(endpoint.command('remove').description('remove an endpoint').argument('<identity>', 'SIP address or display name')).action(
    (identity: string, _opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, actor, printer, opts }) => {
        printOutcome(printer, await checkRemoveEndpoint(services, actor, identity, { whatIf: opts.whatIf === true }));
      }),
  );
}

/**
 * `stoa pool node get` (the legacy tblServerIdentity) and `stoa pool active-server get|set`
 * (Get/Set-CsPersistentChatActiveServer).
 */
import type { Command } from 'commander';
import { listNodes } from '../../actions/nodes.js';
import { getActiveServers, MAX_ACTIVE_SERVERS, setActiveServers, type ActiveServersEdit } from '../../actions/active-servers.js';
import { getPoolState, planPoolState, setPoolState, type PoolDatabases } from '../../actions/pool-state.js';
import { POOL_STATES, type PoolStateName } from '../../store/failover.js';
import { AppError } from '../../domain/errors.js';
import type { Config } from '../../config/schema.js';
import { openRuntime } from '../../main.js';
import { withConfiguration, withDeployment } from '../context.js';
import { parseList, UsageError, whatIfOption } from '../options.js';
import { printList, printOutcome } from '../output.js';

/** The pool's databases: the pool state is a PostgreSQL pool's (the embedded database has no standby). */
function poolDatabases(config: Config): PoolDatabases {
  if (config.databaseUrl === undefined) {
    throw new AppError('INVALID_CONFIG', 'the pool state chooses between a PostgreSQL primary and its backup database: give --database-url postgres://... and --backup-database-url postgres://... (the embedded SQLite database has no standby)');
  }
  return { primary: config.databaseUrl, ...(config.backupDatabaseUrl === undefined ? {} : { backup: config.backupDatabaseUrl }) };
}

function parseState(raw: string): PoolStateName {
  const state = POOL_STATES.find((s) => s.toLowerCase() === raw.toLowerCase());
  if (state === undefined) throw new UsageError(`the pool state is ${POOL_STATES.join(' or ')}, not '${raw}'`);
  return state;
}

export function registerPool(program: Command): void {
  const pool = program.command('pool').description('the nodes of the deployment, its active servers, its pool state');
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

  const state = pool.command('state').description('which database the pool uses: Normal (the primary) or FailedOver (the backup; Get/Set-CsPersistentChatState)');
  state
    .command('get')
    .description("show the pool state and what each of the pool's databases is doing")
    .action((_opts, cmd: Command) =>
      withConfiguration(cmd, async ({ config, actor, printer, runtime }) => {
        const view = await getPoolState(poolDatabases(config), { actor, ...(runtime === undefined ? {} : { services: runtime.services }), ...(config.poolFqdn === undefined ? {} : { poolFqdn: config.poolFqdn }) });
        if (printer.json) return printer.out(JSON.stringify(view, null, 2));
        const db = (d: typeof view.primary) => (d.status === 'not configured' ? '(none configured: --backup-database-url)' : `${d.url}: ${d.status}${d.error === undefined ? '' : ` (${d.error})`}`);
        printer.out(`Identity  : ${view.identity}`);
        printer.out(`PoolState : ${view.poolState}`);
        printer.out(`Epoch     : ${view.epoch}`);
        printer.out(`ChangedAt : ${view.changedAt ?? '(never set)'}`);
        printer.out(`Primary   : ${db(view.primary)}`);
        printer.out(`Backup    : ${db(view.backup)}`);
        if (view.problem !== undefined) printer.out(`Problem   : ${view.problem}`);
      }),
    );
  whatIfOption(
    state
      .command('set')
      .description('switch every node to the backup database (FailedOver: promote the standby first) or back to the primary (Normal); docs/pool.md, "Failover"')
      .argument('<state>', POOL_STATES.join(' or '))
      .option('--force', 'switch even though the database being left still accepts writes'),
  ).action((raw: string, _opts, cmd: Command) =>
    withConfiguration(cmd, async ({ config, actor, printer, opts, runtime }) => {
      const to = parseState(raw);
      const plan = await planPoolState(poolDatabases(config), { to, force: opts.force === true }, { actor, now: Date.now(), ...(runtime === undefined ? {} : { services: runtime.services }) });
      // The record goes into the database the new state names, as a change of the deployment there.
      const { backupDatabaseUrl: _backup, redisUrl: _redis, ...rest } = config;
      const there = await openRuntime({ ...rest, databaseUrl: plan.target.url }, { role: 'command' });
      try {
        printOutcome(printer, await setPoolState(there.services, actor, plan, { whatIf: opts.whatIf === true }));
      } finally {
        await there.close();
      }
    }),
  );
}

/** `stoa serve`: runs the server until interrupted. */
import type { Command } from 'commander';
import { loadConfig, sipSettings } from '../../config/load.js';
import { startServer } from '../../main.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the server: HTTP API, WebSocket, web client, compliance worker (and the SIP endpoint for legacy clients)')
    .summary('start the server')
    .option('--host <host>', 'address to listen on (STOA_HOST; default 127.0.0.1)')
    .option('--port <port>', 'HTTP port (STOA_PORT; default 8080; 0 picks a free one)')
    .option('--node-name <name>', "this node's name among the deployment's running nodes (STOA_NODE_NAME; default the host name)")
    .option('--redis-url <url>', "the pool's Redis, through which nodes on one PostgreSQL database hear each other's events (STOA_REDIS_URL; docs/pool.md)")
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (STOA_LOG_LEVEL; default info)')
    .option('--sip-port <port>', 'turn on the SIP endpoint for legacy Group Chat clients on this port (STOA_SIP_PORT; default off)')
    .option('--sip-trusted-networks <cidr,...>', 'networks whose SIP clients sign in without credentials (STOA_SIP_TRUSTED_NETWORKS; default none)')
    .addHelpText(
      'after',
      [
        '',
        'Also (options of every command, before or after "serve"):',
        '  --data-dir <dir>        SQLite database, file store, compliance output (STOA_DATA_DIR; default ./stoa-data)',
        '  --database-url <url>    postgres://... instead of SQLite (STOA_DATABASE_URL)',
        "  --backup-database-url <url>  the pool's backup database, a streaming standby (STOA_BACKUP_DATABASE_URL)",
        '  --pool-fqdn <fqdn>      the pool FQDN of a new deployment (STOA_POOL_FQDN; default the host name)',
        '  --file-store <dir>      uploaded files; in a pool the directory every node mounts (STOA_FILE_STORE)',
        '  --config <file>         a JSON configuration file: every setting, including limits,',
        '                          metrics access and SIP over TLS (docs/operations.md)',
        'Environment only: STOA_ADMIN_PASSWORD (the first administrator), STOA_COMPLIANCE_BATCH_SIZE.',
      ].join('\n'),
    )
    .action(async (_opts, cmd: Command) => {
      const all = cmd.optsWithGlobals<Record<string, string | undefined>>();
      const sip = sipSettings(all.sipPort, all.sipTrustedNetworks);
      const config = loadConfig({
        ...(all.config === undefined ? {} : { file: all.config }),
        overrides: {
          dataDir: all.dataDir,
          databaseUrl: all.databaseUrl,
          backupDatabaseUrl: all.backupDatabaseUrl,
          poolFqdn: all.poolFqdn,
          fileStore: all.fileStore,
          host: all.host,
          port: all.port,
          nodeName: all.nodeName,
          redisUrl: all.redisUrl,
          logLevel: all.logLevel as never,
          ...(sip === undefined ? {} : { sip: sip }),
        },
      });
      // Signals are caught before the server starts: one that arrives while it is starting
      // (right after the banner, say) still ends in an orderly shutdown, exit code 0.
      let stopping!: () => void;
      const stopped = new Promise<void>((resolve) => (stopping = resolve));
      const onSignal = () => stopping();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        // Forwarded command lines run here (imported lazily: in-server.ts imports the CLI parser).
        const { cliRunner } = await import('../in-server.js');
        const server = await startServer(config, undefined, { commandRunner: cliRunner });
        await stopped;
        await server.close();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

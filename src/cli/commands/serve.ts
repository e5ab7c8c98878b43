/** `stoa serve`: runs the server until interrupted. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { startServer } from '../../main.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the server (HTTP API and health endpoint)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'HTTP port (default 8080; 0 picks a free one)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(async (_opts, cmd: Command) => {
      const all = cmd.optsWithGlobals<Record<string, string | undefined>>();
      const config = loadConfig({
        ...(all.config === undefined ? {} : { file: all.config }),
        overrides: {
          dataDir: all.dataDir,
          databaseUrl: all.databaseUrl,
          poolFqdn: all.poolFqdn,
          host: all.host,
          port: all.port,
          logLevel: all.logLevel as never,
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
        const server = await startServer(config);
        await stopped;
        await server.close();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

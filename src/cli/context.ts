import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import path from 'node:path';
import { openRuntime, readControlFile, type Runtime } from '../main.js';
import { cliEnvironment } from './environment.js';
import { forwardCommand, ServerUnreachable } from './forward.js';
import { UsageError } from './options.js';
import { SYSTEM_ACTOR, type Actor, type Services } from '../actions/context.js';
import type { Printer } from './output.js';

export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
  poolFqdn?: string;
  fileStore?: string;
  config?: string;
  json?: boolean;
  server?: string;
  token?: string;
}

export interface CliContext {
  services: Services;
  runtime: Runtime;
  /** The CLI on the data dir acts as the local administrator (01 §3.5, "RTC Local Administrators"). */
  actor: Actor;
  printer: Printer;
  /** The command's own options. */
  opts: Record<string, unknown>;
}

export function makePrinter(json: boolean): Printer {
  const env = cliEnvironment();
  return { json, out: (text) => env.out(text), err: (text) => env.err(text) };
}

export interface DeploymentOptions {
  /**
   * Work on the data dir or database even while a server runs on it (long, file-based
   * commands such as `data export|import`, which a request could not carry).
   */
  direct?: string;
}

/** Opens the deployment named by the global options and runs one command against it. */
export async function withDeployment(cmd: Command, fn: (ctx: CliContext) => Promise<void>, options: DeploymentOptions = {}): Promise<void> {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  const printer = makePrinter(globals.json === true);
  const env = cliEnvironment();
  if (options.direct !== undefined && (env.inServer !== undefined || globals.server !== undefined)) {
    throw new UsageError(`${options.direct} works on the data dir or database itself; run it on a machine that reaches them, without --server`);
  }
  if (env.inServer !== undefined) {
    // Forwarded to a running server: its runtime, the actor the request authenticated as.
    return fn({ services: env.inServer.runtime.services, runtime: env.inServer.runtime, actor: env.inServer.actor, printer, opts: cmd.opts() });
  }
  if (globals.server !== undefined) {
    const token = globals.token ?? process.env.STOA_TOKEN;
    if (token === undefined || token === '') throw new UsageError('--server needs an administrator\'s API token: --token or STOA_TOKEN');
    return forwardCommand({ url: globals.server, token });
  }
  const config = loadConfig({
    ...(globals.config === undefined ? {} : { file: globals.config }),
    overrides: { dataDir: globals.dataDir, databaseUrl: globals.databaseUrl, poolFqdn: globals.poolFqdn, fileStore: globals.fileStore },
  });
  const running = readControlFile(path.resolve(config.dataDir));
  if (running !== undefined && options.direct !== undefined) {
    printer.err(`stoa: note: a server (pid ${running.pid}) runs on this data dir; ${options.direct} works on the data dir directly, and clients connected to that server see its changes when they next load them`);
  } else if (running !== undefined) {
    try {
      return await forwardCommand({ url: running.url, token: running.secret });
    } catch (err) {
      if (!(err instanceof ServerUnreachable)) throw err;
      printer.err(`stoa: warning: the server on this data dir (pid ${running.pid}) does not answer (${err.message}); working on the data dir directly`);
    }
  }
  const runtime = await openRuntime(config, { role: 'command' });
  try {
    if (runtime.deployment.created) {
      printer.err(`stoa: created a new deployment in ${runtime.dataDir} (pool ${runtime.deployment.poolFqdn})`);
    }
    await fn({ services: runtime.services, runtime, actor: SYSTEM_ACTOR, printer, opts: cmd.opts() });
  } finally {
    await runtime.close();
  }
}

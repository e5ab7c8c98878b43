import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
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
  backupDatabaseUrl?: string;
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
  /**
   * A bulk load: WAL checkpoints (and their fsyncs) run in a worker thread, as on a serving
   * node, instead of in the commits of the load (SQLite; docs/benchmarks.md "archive").
   */
  bulk?: boolean;
  /** A bulk load that a second run brings to the same result: commits not waiting for the disk, synced at its end (RuntimeOptions.relaxedCommits). */
  relaxedCommits?: boolean;
}

/**
 * Where a command runs: in a server it was forwarded to (that server's runtime and the
 * actor its request authenticated as), or here on the configuration the global options
 * name. Undefined when it was forwarded to a server from here (the server answered).
 */
type Place = { inServer: { runtime: Runtime; actor: Actor } } | { config: Config };

async function locate(cmd: Command, printer: Printer, options: DeploymentOptions): Promise<Place | undefined> {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  const env = cliEnvironment();
  if (options.direct !== undefined && (env.inServer !== undefined || globals.server !== undefined)) {
    throw new UsageError(`${options.direct} works on the data dir or database itself; run it on a machine that reaches them, without --server`);
  }
  if (env.inServer !== undefined) return { inServer: env.inServer };
  if (globals.server !== undefined) {
    const token = globals.token ?? process.env.STOA_TOKEN;
    if (token === undefined || token === '') throw new UsageError('--server needs an administrator\'s API token: --token or STOA_TOKEN');
    await forwardCommand({ url: globals.server, token });
    return undefined;
  }
  const config = loadConfig({
    ...(globals.config === undefined ? {} : { file: globals.config }),
    overrides: { dataDir: globals.dataDir, databaseUrl: globals.databaseUrl, backupDatabaseUrl: globals.backupDatabaseUrl, poolFqdn: globals.poolFqdn, fileStore: globals.fileStore },
  });
  const running = readControlFile(path.resolve(config.dataDir));
  if (running !== undefined && options.direct !== undefined) {
    printer.err(`stoa: note: a server (pid ${running.pid}) runs on this data dir; ${options.direct} works on the data dir directly, and clients connected to that server see its changes when they next load them`);
  } else if (running !== undefined) {
    try {
      await forwardCommand({ url: running.url, token: running.secret });
      return undefined;
    } catch (err) {
      if (!(err instanceof ServerUnreachable)) throw err;
      printer.err(`stoa: warning: the server on this data dir (pid ${running.pid}) does not answer (${err.message}); working on the data dir directly`);
    }
  }
  return { config };
}

/** Opens the deployment named by the global options and runs one command against it. */
export async function withDeployment(cmd: Command, fn: (ctx: CliContext) => Promise<void>, options: DeploymentOptions = {}): Promise<void> {
  const printer = makePrinter(cmd.optsWithGlobals<GlobalOptions>().json === true);
  const place = await locate(cmd, printer, options);
  if (place === undefined) return;
  if ('inServer' in place) {
    // Forwarded to a running server: its runtime, the actor the request authenticated as.
    return fn({ services: place.inServer.runtime.services, runtime: place.inServer.runtime, actor: place.inServer.actor, printer, opts: cmd.opts() });
  }
  const runtime = await openRuntime(place.config, {
    role: 'command',
    ...(options.relaxedCommits === true ? { relaxedCommits: true } : {}),
    ...(options.bulk === true
      ? { onCheckpointError: (err: unknown) => printer.err(`stoa: warning: WAL checkpoints in the background failed (${err instanceof Error ? err.message : String(err)}); SQLite checkpoints in the load's own commits again`) }
      : {}),
  });
  try {
    if (runtime.deployment.created) {
      printer.err(`stoa: created a new deployment in ${runtime.dataDir} (pool ${runtime.deployment.poolFqdn})`);
    }
    await fn({ services: runtime.services, runtime, actor: SYSTEM_ACTOR, printer, opts: cmd.opts() });
  } finally {
    await runtime.close();
  }
}

/**
 * Runs a command that must not open the deployment's database the usual way (`pool state`:
 * the primary may be lost): with the configuration, and the administrator's check when
 * the command was forwarded to a server.
 */
export async function withConfiguration(
  cmd: Command,
  fn: (ctx: { config: Config; actor: Actor; printer: Printer; opts: Record<string, unknown>; runtime?: Runtime }) => Promise<void>,
): Promise<void> {
  const printer = makePrinter(cmd.optsWithGlobals<GlobalOptions>().json === true);
  const place = await locate(cmd, printer, {});
  if (place === undefined) return;
  if ('inServer' in place) {
    const { runtime, actor } = place.inServer;
    return fn({ config: runtime.config, actor, printer, opts: cmd.opts(), runtime });
  }
  return fn({ config: place.config, actor: SYSTEM_ACTOR, printer, opts: cmd.opts() });
}

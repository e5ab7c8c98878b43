import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { openRuntime, type Runtime } from '../main.js';
import { SYSTEM_ACTOR, type Actor, type Services } from '../actions/context.js';
import type { Printer } from './output.js';

export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
  poolFqdn?: string;
  config?: string;
  json?: boolean;
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
  return {
    json,
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  };
}

/** Opens the deployment named by the global options and runs one command against it. */
export async function withDeployment(cmd: Command, fn: (ctx: CliContext) => Promise<void>): Promise<void> {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  const config = loadConfig({
    ...(globals.config === undefined ? {} : { file: globals.config }),
    overrides: { dataDir: globals.dataDir, databaseUrl: globals.databaseUrl, poolFqdn: globals.poolFqdn },
  });
  const printer = makePrinter(globals.json === true);
  const runtime = await openRuntime(config, {
    forwardToServer: {
      onForwardError: (err) =>
        printer.err(`stoa: warning: the change is saved, but the running server could not be told (${err instanceof Error ? err.message : String(err)}); it applies to live sessions after a restart`),
    },
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

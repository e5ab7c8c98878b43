/**
 * `stoa <noun> <verb> [identity] [--options]` (spec 04). Exit codes: 0 success,
 * 1 operation refused or failed, 2 usage error; errors are one line on stderr.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { isAppError } from '../domain/errors.js';
import { ConfigError } from '../config/load.js';
import { DataDirError } from '../config/data-dir.js';
import { UsageError } from './options.js';
import { registerCategory } from './commands/category.js';
import { registerRoom } from './commands/room.js';
import { registerAddin } from './commands/addin.js';
import { registerPolicy } from './commands/policy.js';
import { registerConfig } from './commands/config.js';
import { registerComplianceConfig } from './commands/compliance-config.js';
import { registerEndpoint } from './commands/endpoint.js';
import { registerPrincipal } from './commands/principal.js';
import { registerAdmin } from './commands/admin.js';
import { registerUser } from './commands/user.js';
import { registerServe } from './commands/serve.js';
import { registerMessage } from './commands/message.js';

export function buildProgram(): Command {
  const program = new Command('stoa')
    .description('Stoa persistent chat server: serve it, and administer it (spec 04)')
    .version(VERSION)
    .option('--data-dir <dir>', 'the deployment (default ./stoa-data, or STOA_DATA_DIR)')
    .option('--database-url <url>', 'postgres://... for a pool on PostgreSQL (or STOA_DATABASE_URL)')
    .option('--pool-fqdn <fqdn>', 'pool FQDN of a new deployment (default: the host name)')
    .option('--config <file>', 'JSON configuration file')
    .option('--json', 'machine-readable output')
    .enablePositionalOptions(false)
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const register of [
    registerServe,
    registerCategory,
    registerRoom,
    registerAddin,
    registerPolicy,
    registerConfig,
    registerComplianceConfig,
    registerEndpoint,
    registerPrincipal,
    registerAdmin,
    registerUser,
    registerMessage,
  ]) {
    register(program);
  }
  const inherit = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(inherit);
  };
  program.commands.forEach(inherit);
  return program;
}

function report(json: boolean, code: string, message: string): void {
  const line = json ? JSON.stringify({ error: { code, message } }) : `stoa: ${message} [${code}]`;
  process.stderr.write(`${line}\n`);
}

export async function main(argv: string[]): Promise<number> {
  process.umask(0o077);
  const json = argv.includes('--json');
  const program = buildProgram();
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      report(json, 'USAGE', err.message);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`stoa: ${err.message}\n`);
      return 2;
    }
    if (isAppError(err)) {
      report(json, err.code, err.message);
      return 1;
    }
    if (err instanceof DataDirError) {
      report(json, 'DATA_DIR', err.message);
      return 1;
    }
    report(json, 'INTERNAL', `internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.STOA_DEBUG) console.error(err);
    return 1;
  }
}

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
import { cliEnvironment, processEnvironment, runInEnvironment, setProcessEnvironment, type CliEnvironment } from './environment.js';
import { ForwardedExit } from './forward.js';
import { registerCategory } from './commands/category.js';
import { registerRoom } from './commands/room.js';
import { registerAddin } from './commands/addin.js';
import { registerPolicy } from './commands/policy.js';
import { registerConfig } from './commands/config.js';
import { registerComplianceConfig } from './commands/compliance-config.js';
import { registerCompliance } from './commands/compliance.js';
import { registerEndpoint } from './commands/endpoint.js';
import { registerPrincipal } from './commands/principal.js';
import { registerAdmin } from './commands/admin.js';
import { registerUser } from './commands/user.js';
import { registerServe } from './commands/serve.js';
import { registerMessage } from './commands/message.js';
import { registerData } from './commands/data.js';
import { registerMigrate } from './commands/migrate.js';
import { registerDirectory } from './commands/directory.js';
import { registerPool } from './commands/pool.js';

export function buildProgram(): Command {
  const program = new Command('stoa')
    .description('Stoa persistent chat server: serve it, and administer it (spec 04)')
    .version(VERSION)
    .option('--data-dir <dir>', 'the deployment (default ./stoa-data, or STOA_DATA_DIR)')
    .option('--database-url <url>', 'postgres://... for a pool on PostgreSQL (or STOA_DATABASE_URL)')
    .option('--backup-database-url <url>', "the pool's backup database, a streaming standby used after `pool state set FailedOver` (or STOA_BACKUP_DATABASE_URL)")
    .option('--pool-fqdn <fqdn>', 'pool FQDN of a new deployment (default: the host name)')
    .option('--file-store <dir>', 'where uploaded files live: in a pool, the directory every node mounts (default <data dir>/files, or STOA_FILE_STORE)')
    .option('--config <file>', 'JSON configuration file')
    .option('--json', 'machine-readable output')
    .option('--server <url>', 'send the command to a running Stoa server (with --token)')
    .option('--token <token>', "an administrator's API token for --server (or STOA_TOKEN)")
    .enablePositionalOptions(false)
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => cliEnvironment().out(text.replace(/\n$/, '')),
      writeErr: (text) => cliEnvironment().err(text.replace(/\n$/, '')),
    })
    .exitOverride();
  for (const register of [
    registerServe,
    registerCategory,
    registerRoom,
    registerAddin,
    registerPolicy,
    registerConfig,
    registerComplianceConfig,
    registerCompliance,
    registerEndpoint,
    registerPrincipal,
    registerAdmin,
    registerUser,
    registerMessage,
    registerData,
    registerMigrate,
    registerPool,
    registerDirectory,
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

/**
 * `stoa room get | head`: once the reader closes the pipe, output is dropped quietly and
 * the command finishes what it was doing (a change is never cut off halfway).
 */
function quietOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      stream.write = () => true;
    });
  }
}

function report(json: boolean, code: string, message: string): void {
  cliEnvironment().err(json ? JSON.stringify({ error: { code, message } }) : `stoa: ${message} [${code}]`);
}

/** Runs one command line; inside a server, `env` carries its runtime and captures output. */
export async function main(argv: string[], env?: CliEnvironment): Promise<number> {
  if (env === undefined) {
    process.umask(0o077);
    quietOnClosedOutput();
    setProcessEnvironment(processEnvironment(argv));
    return run(argv);
  }
  return runInEnvironment(env, () => run(argv));
}

/** Global options that take a value (skipped when looking for the command's name). */
const VALUE_OPTIONS = new Set(['--data-dir', '--database-url', '--backup-database-url', '--pool-fqdn', '--file-store', '--config', '--server', '--token']);

/**
 * The command words as given (`room`, `get`), checked before commander runs: with
 * `--help`, commander would print the nearest known command's help and exit 0, hiding
 * that `stoa pool --help` names no command at all.
 */
function checkCommandWords(program: Command, args: readonly string[]): void {
  let current = program;
  for (let i = 0; i < args.length && current.commands.length > 0; i++) {
    const arg = args[i] as string;
    if (arg === '--') return;
    if (arg.startsWith('-')) {
      if (current === program && VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    if (arg === 'help') return;
    const next = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (next === undefined) {
      const known = current.commands.map((c) => c.name()).join(', ');
      const where = current === program ? '' : ` ${current.name()}`;
      throw new UsageError(`unknown command '${[...(current === program ? [] : [current.name()]), arg].join(' ')}' (stoa${where} knows: ${known})`);
    }
    current = next;
  }
}

async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const program = buildProgram();
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return 2;
    }
    checkCommandWords(program, argv.slice(2));
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ForwardedExit) return err.code;
    if (err instanceof UsageError) {
      report(json, 'USAGE', err.message);
      return 2;
    }
    if (err instanceof ConfigError) {
      cliEnvironment().err(`stoa: ${err.message}`);
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

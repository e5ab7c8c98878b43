/**
 * Sending a command to a running server instead of writing behind its back (04: "When a
 * server is running on the data dir, the CLI sends its changes through that server").
 * The server runs the same command with the same code and answers with its output and
 * exit code. Used for the server on this data dir (authenticated by the secret in its
 * owner-only control file) and for `--server URL` with an administrator's API token.
 */
import fs from 'node:fs';
import { cliEnvironment } from './environment.js';
import { UsageError } from './options.js';
import { promptPassword } from './password-input.js';

/** Global options that choose a deployment: the server uses its own. */
const LOCAL_ONLY = ['--data-dir', '--database-url', '--backup-database-url', '--pool-fqdn', '--file-store', '--config', '--server', '--token'];

export function forwardableArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.split('=')[0] as string;
    if (LOCAL_ONLY.includes(name)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** Thrown to end the local process with the exit code the server's run returned. */
export class ForwardedExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export class ServerUnreachable extends Error {}

export interface ForwardTarget {
  url: string;
  token: string;
}

/**
 * Options that name a file on this machine: read here and sent as the option that
 * carries the content (the server reads no paths it is sent, D9).
 */
const LOCAL_FILES: Record<string, string> = { '--custom-configuration-file': '--custom-configuration' };

export function inlineLocalFiles(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const carrier = LOCAL_FILES[name];
    if (carrier === undefined) {
      out.push(arg);
      continue;
    }
    const file = inline ?? args[++i];
    if (file === undefined) throw new UsageError(`${name} needs a file`);
    let content: string;
    try {
      content = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    out.push(carrier, content);
  }
  return out;
}

/** Standard input the command will read, gathered here because the server cannot ask. */
async function gatherInput(given: string[]): Promise<{ args: string[]; stdin?: string }> {
  const env = cliEnvironment();
  const args = inlineLocalFiles(given);
  if (args.includes('--password-stdin')) return { args, stdin: await env.readStdin() };
  if (args.includes('passwd') && env.stdinIsTTY) return { args: [...args, '--password-stdin'], stdin: await promptPassword() };
  return { args };
}

export async function forwardCommand(target: ForwardTarget): Promise<void> {
  const env = cliEnvironment();
  const { args, stdin } = await gatherInput(forwardableArgv(env.argv.slice(2)));
  let response: Response;
  try {
    response = await fetch(`${target.url.replace(/\/$/, '')}/api/v1/admin/cli`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
      body: JSON.stringify({ argv: args, ...(stdin === undefined ? {} : { stdin }) }),
      signal: AbortSignal.timeout(10 * 60_000),
    });
  } catch (err) {
    throw new ServerUnreachable(err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));
  }
  const body = (await response.json().catch(() => ({}))) as { code?: number; stdout?: string; stderr?: string; error?: { code: string; message: string } };
  if (response.status !== 200 || typeof body.code !== 'number') {
    env.err(`stoa: the server refused the command: ${body.error?.message ?? `HTTP ${response.status}`} [${body.error?.code ?? 'REMOTE'}]`);
    throw new ForwardedExit(1);
  }
  if (body.stdout) process.stdout.write(body.stdout);
  if (body.stderr) process.stderr.write(body.stderr);
  if (body.code !== 0) throw new ForwardedExit(body.code);
}

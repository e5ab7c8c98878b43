/**
 * Where a CLI command runs. Locally: the process's standard streams and the data dir.
 * Inside a running server (a command the CLI forwarded to it): captured output, the
 * forwarded standard input, the server's own runtime, and the actor the request
 * authenticated as. Commands never touch process.stdout/stdin directly.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from '../actions/context.js';
import type { Runtime } from '../main.js';

export interface CliEnvironment {
  out(text: string): void;
  err(text: string): void;
  /** All of standard input as text. */
  readStdin(): Promise<string>;
  stdinIsTTY: boolean;
  /** The command line as given (forwarding sends it on). */
  argv: readonly string[];
  /** Set inside a server: run on its runtime as this actor. */
  inServer?: { runtime: Runtime; actor: Actor };
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function processEnvironment(argv: readonly string[]): CliEnvironment {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    readStdin: readProcessStdin,
    stdinIsTTY: process.stdin.isTTY === true,
    argv,
  };
}

const storage = new AsyncLocalStorage<CliEnvironment>();

export function runInEnvironment<T>(env: CliEnvironment, fn: () => Promise<T>): Promise<T> {
  return storage.run(env, fn);
}

export function cliEnvironment(): CliEnvironment {
  return storage.getStore() ?? processEnvironment(process.argv);
}

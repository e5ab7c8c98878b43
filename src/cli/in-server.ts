/**
 * Command lines forwarded to a running server (`POST /api/v1/admin/cli`) run through the
 * same parser as the terminal, with the server's runtime and the caller as actor. `stoa
 * serve` hands this runner to the server, so the HTTP layer never imports the CLI.
 */
import type { Runtime } from '../main.js';
import type { CommandRunner } from '../http/admin-routes.js';
import { main } from './index.js';

export function cliRunner(runtime: Runtime): CommandRunner {
  return async (argv, { stdin, actor }) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await main(['node', 'stoa', ...argv], {
      out: (text) => stdout.push(`${text}\n`),
      err: (text) => stderr.push(`${text}\n`),
      readStdin: () => Promise.resolve(stdin),
      stdinIsTTY: false,
      argv: ['node', 'stoa', ...argv],
      inServer: { runtime, actor },
    });
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  };
}

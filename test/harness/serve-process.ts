/** `stoa serve` as a separate process, the way an operator runs it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { STOA } from './cli.js';

export interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
}

const running: ChildProcess[] = [];

/** Kills every server a test started and left running. */
export function killAllServers(): void {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Starts `stoa serve` on a free port and waits for its banner. */
export function serve(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [STOA, 'serve', '--port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, STOA_ADMIN_PASSWORD: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 20 s:\n${out}`)), 20_000);
    const check = () => {
      const m = /is running at (http:\/\/\S+)/.exec(out);
      if (m && out.includes('administer with the CLI')) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, output: () => out });
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stoa serve exited ${code}:\n${out}`));
    });
  });
}

export function stop(server: Server): Promise<number | null> {
  return new Promise((resolve) => {
    server.child.removeAllListeners('exit');
    server.child.on('exit', (code) => resolve(code));
    server.child.kill('SIGTERM');
  });
}


/**
 * A throwaway Redis for the pool tests, from Debian's `redis-server`: on a free loopback
 * port, nothing saved. Under STOA_TEST_REQUIRE_ALL=1 (CI) a missing redis-server fails
 * the tests that need it; locally they skip with a loud message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './postgres-server.js';

export interface RedisServer {
  url: string;
  port: number;
  /** The redis-server process (benches read its CPU). */
  pid: number;
  /** Stops it (SIGKILL: what the tests of a lost Redis need; nothing is saved anyway). */
  stop(): Promise<void>;
}

let warned = false;

export function redisEnabled(): boolean {
  const found = spawnSync('redis-server', ['--version']).error === undefined;
  if (found) return true;
  if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error('STOA_TEST_REQUIRE_ALL=1 but redis-server is not installed (apt-get install -y redis-server)');
  if (!warned) console.warn('\n*** redis-server not found: the pool tests are SKIPPED (apt-get install -y redis-server) ***\n');
  warned = true;
  return false;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * A shell that runs redis-server and kills it when the process that started it is gone,
 * however it ended (a test worker killed on a timeout runs no exit handler): no Redis
 * outlives its test run.
 */
const WATCHED = `redis-server "$@" & r=$!
( while kill -0 "$STOA_PARENT" 2>/dev/null; do sleep 1; done; kill -9 "$r" 2>/dev/null ) & w=$!
wait "$r"
kill "$w" 2>/dev/null`;

/** Its process id, from Redis itself (the child is the watching shell). */
function serverPid(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('no answer to INFO')));
    socket.on('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /process_id:(\d+)/.exec(text);
      if (m !== null) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
  });
}

/** Starts redis-server on `port` (a free one by default) and waits until it answers. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const at = port ?? (await freePort());
  const args = ['--port', String(at), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
  const child: ChildProcess = spawn('sh', ['-c', WATCHED, 'redis-server', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STOA_PARENT: String(process.pid) },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await answers(at))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${at}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const pid = await serverPid(at);
  return {
    url: `redis://127.0.0.1:${at}`,
    port: at,
    pid,
    // SIGKILL to Redis itself; the shell sees it gone and ends, and then the port is free.
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }),
  };
}

/**
 * What the hostile-input suite throws at a real `stoa serve`: raw WebSocket frames built
 * byte by byte, raw HTTP over a socket, and the checks that the process is still there,
 * still answers quickly and stayed within its memory.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { serve, type Server } from './serve-process.js';
import { tempDir } from './stores.js';

export const POOL_FQDN = 'pc.contoso.com';
export const ADMIN = `sip:admin@${POOL_FQDN}`;
export const ADMIN_PASSWORD = 'hostile-admin-password-1';
export const USER_PASSWORD = 'user-password-1';

export interface HostileServer extends Server {
  dataDir: string;
  port: number;
  sipPort: number;
  adminToken: string;
  /** Runs a `stoa` command line in the server as the administrator. */
  cli(argv: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** `stoa serve` with a configuration file (limits lowered where a test waits for them). */
export async function startHostileServer(config: object, args: string[] = []): Promise<HostileServer> {
  const dir = tempDir('stoa-hostile-');
  const dataDir = path.join(dir, 'data');
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const server = await serve(['--data-dir', dataDir, '--pool-fqdn', POOL_FQDN, '--config', configFile, '--sip-port', '0', ...args], { STOA_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const port = Number(new URL(server.url).port);
  // The SIP line follows the banner.
  const sipLine = /SIP over TCP\): [\d.]+:(\d+)/;
  for (let i = 0; i < 100 && !sipLine.test(server.output()); i++) await new Promise((r) => setTimeout(r, 50));
  const sip = sipLine.exec(server.output());
  if (sip === null) throw new Error(`no SIP endpoint in the banner:\n${server.output()}`);
  const adminToken = await signIn(server.url, ADMIN, ADMIN_PASSWORD);
  const cli = async (argv: string[], stdin?: string) => {
    const r = await fetch(`${server.url}/api/v1/admin/cli`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ argv, ...(stdin === undefined ? {} : { stdin }) }),
    });
    if (r.status !== 200) throw new Error(`admin cli ${argv.join(' ')}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as { code: number; stdout: string; stderr: string };
  };
  return { ...server, dataDir, port, sipPort: Number(sip[1]), adminToken, cli };
}

export async function signIn(url: string, user: string, password: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
  if (r.status !== 200) throw new Error(`sign-in of ${user}: HTTP ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

/** Makes a user with a password (through the server) and signs them in. */
export async function makeUser(server: HostileServer, name: string): Promise<{ key: string; token: string }> {
  const key = `sip:${name}@contoso.com`;
  const added = await server.cli(['principal', 'add', key, '--kind', 'user', '--display-name', name]);
  expect(added.code, added.stderr).toBe(0);
  const passwd = await server.cli(['user', 'passwd', key, '--password-stdin'], `${USER_PASSWORD}\n`);
  expect(passwd.code, passwd.stderr).toBe(0);
  return { key, token: await signIn(server.url, key, USER_PASSWORD) };
}

export async function api(server: Pick<Server, 'url'>, token: string | undefined, method: string, route: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${server.url}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

/** Resident memory of a process, in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) / 1024;
}

/**
 * The server survived: the same process answers /healthz and a signed-in user's post,
 * each within a second, and its memory stayed under `maxRssMiB`.
 */
export async function expectHealthy(server: HostileServer, poster: { token: string; roomId: string }, maxRssMiB = 400): Promise<void> {
  expect(server.child.exitCode, `the server exited:\n${server.output().slice(-3000)}`).toBeNull();
  const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) });
  expect(health.status).toBe(200);
  const post = await fetch(`${server.url}/api/v1/rooms/${poster.roomId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${poster.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'still here' }),
    signal: AbortSignal.timeout(1000),
  });
  expect(post.status, await post.clone().text()).toBeLessThan(300);
  await post.arrayBuffer();
  expect(rssMiB(server.child.pid!)).toBeLessThan(maxRssMiB);
}

// ---------------------------------------------------------------------------------------
// Raw sockets

export class RawSocket {
  readonly received: Buffer[] = [];
  ended = false;
  error: Error | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.received.push(d);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
  }

  static connect(port: number): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  text(): string {
    return Buffer.concat(this.received).toString('latin1');
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Waits until `done` holds over what arrived, or the socket closed; false on timeout. */
  async until(done: (all: Buffer) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (done(Buffer.concat(this.received)) || this.ended) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async closed(timeoutMs: number): Promise<boolean> {
    await this.until(() => false, timeoutMs);
    return this.ended;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A WebSocket frame, masked like a client's unless told otherwise. */
export function wsFrame(opcode: number, payload: Buffer, options: { mask?: boolean; rsv?: number; fin?: boolean; announce?: number } = {}): Buffer {
  const mask = options.mask ?? true;
  const length = options.announce ?? payload.length;
  const first = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, (mask ? 0x80 : 0) | length]);
  else if (length < 65536) {
    header = Buffer.alloc(4);
    header.writeUInt8(first, 0);
    header.writeUInt8((mask ? 0x80 : 0) | 126, 1);
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header.writeUInt8(first, 0);
    header.writeUInt8((mask ? 0x80 : 0) | 127, 1);
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!mask) return Buffer.concat([header, payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ (key[i % 4] as number)));
  return Buffer.concat([header, key, masked]);
}

export function upgradeRequest(token?: string): string {
  return [
    'GET /api/v1/ws HTTP/1.1',
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...(token === undefined ? [] : [`Authorization: Bearer ${token}`]),
    '',
    '',
  ].join('\r\n');
}

/** The frames the server sent after its 101 answer: [opcode, payload]. */
export function serverFrames(all: Buffer): [number, Buffer][] {
  const start = all.indexOf('\r\n\r\n');
  if (start < 0) return [];
  const frames: [number, Buffer][] = [];
  let at = start + 4;
  while (at + 2 <= all.length) {
    const opcode = (all[at] as number) & 0x0f;
    let length = (all[at + 1] as number) & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (offset + 2 > all.length) break;
      length = all.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (offset + 8 > all.length) break;
      length = Number(all.readBigUInt64BE(offset));
      offset += 8;
    }
    if (offset + length > all.length) break;
    frames.push([opcode, all.subarray(offset, offset + length)]);
    at = offset + length;
  }
  return frames;
}

/** The code of the server's close frame, once it has sent one (or the socket closed). */
export async function closeCode(raw: RawSocket, timeoutMs = 5000): Promise<number | 'no close frame'> {
  const find = (all: Buffer) => serverFrames(all).find(([op]) => op === 8);
  await raw.until((all) => find(all) !== undefined, timeoutMs);
  const close = find(Buffer.concat(raw.received));
  return close === undefined || close[1].length < 2 ? 'no close frame' : close[1].readUInt16BE(0);
}

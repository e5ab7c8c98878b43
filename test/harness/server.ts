/**
 * A real `stoa serve` in the test process (real HTTP, real WebSocket, real database), and
 * clients that talk to it as any client would.
 */
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/main.js';
import { cliRunner } from '../../src/cli/in-server.js';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { SYSTEM_ACTOR, type Services } from '../../src/actions/context.js';
import { checkSetPassword } from '../../src/actions/principals.js';
import { buildUser } from '../factories.js';
import { postgresDatabaseUrl, tempDir, type StoreKind } from './stores.js';
import { POOL } from './services.js';

export const PASSWORD = 'correct horse battery';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Api {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get = <T = any>(path: string) => this.call<T>('GET', path);
  post = <T = any>(path: string, body?: unknown) => this.call<T>('POST', path, body ?? {});
  put = <T = any>(path: string, body?: unknown) => this.call<T>('PUT', path, body);
  delete = <T = any>(path: string) => this.call<T>('DELETE', path);
}

export type Frame = Record<string, any> & { type: string };

/** A WebSocket client that keeps every frame it receives and can wait for one. */
export class WsClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  /** The connection's error, if it had one (it closes after it). */
  failure: Error | undefined;
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    // A refused handshake (a proxy's 502 while a node restarts) or a broken connection is
    // an 'error' and then a 'close': kept, so a waiter says why, never an uncaught exception.
    ws.on('error', (err) => {
      this.failure = err;
      this.wake();
    });
    ws.on('message', (data) => {
      this.frames.push(JSON.parse((data as Buffer).toString('utf8')) as Frame);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  static async connect(base: string, token: string | undefined): Promise<WsClient> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/ws`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    const client = new WsClient(ws);
    await client.waitFor((f) => f.type === 'ready').catch(() => undefined);
    return client;
  }

  async waitFor(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      if (this.closed !== undefined) throw new Error(`connection closed (${this.closed.code} ${this.closed.reason}${this.failure === undefined ? '' : `: ${this.failure.message}`}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (this.closed === undefined) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closed;
  }

  /** Sends a command and resolves with its reply frame. */
  async call(command: Record<string, unknown>): Promise<Frame> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ ...command, id }));
    return this.waitFor((f) => f.type === 'reply' && f.id === id);
  }

  /** Sends a command that must succeed and returns its result. */
  async ok(command: Record<string, unknown>): Promise<any> {
    const reply = await this.call(command);
    if (reply.ok !== true) throw new Error(`${String(command.type)} refused: ${JSON.stringify(reply.error)}`);
    return reply.result;
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  close(): void {
    this.ws.close();
  }
}

export interface SignedInUser {
  key: string;
  id: number;
  token: string;
  api: Api;
  ws(): Promise<WsClient>;
}

export interface TestServer {
  url: string;
  server: RunningServer;
  services: Services;
  dataDir: string;
  anonymous: Api;
  /** A new user with a password, signed in through the API. */
  user(opts?: Parameters<typeof buildUser>[1]): Promise<SignedInUser>;
  signIn(key: string, password?: string): Promise<SignedInUser>;
  /** Resolves when the gateway has handled every event published so far. */
  settle(): Promise<void>;
  /**
   * The SQL statements the server ran while `fn` ran (and the events it caused were
   * handled). Background work (the compliance worker) is stopped first.
   */
  statements(fn: () => Promise<unknown>): Promise<string[]>;
  close(): Promise<void>;
}

export async function startTestServer(kind: Pick<StoreKind, 'dialect'>, extra: Partial<ConfigInput> = {}): Promise<TestServer> {
  const dataDir = tempDir('stoa-server-');
  const config = configSchema.parse({
    dataDir,
    port: 0,
    poolFqdn: POOL,
    logLevel: 'silent',
    adminPassword: 'admin-password-1',
    ...(kind.dialect === 'postgres' ? { databaseUrl: await postgresDatabaseUrl() } : {}),
    ...extra,
  });
  let recorded: string[] | undefined;
  const server = await startServer(config, () => {}, { onStatement: (sql) => recorded?.push(sql), commandRunner: cliRunner });
  const services = server.runtime.services;
  const signIn = async (key: string, password = PASSWORD): Promise<SignedInUser> => {
    const anonymous = new Api(server.url);
    const r = await anonymous.post('/api/v1/auth/sign-in', { user: key, password });
    if (r.status !== 200) throw new Error(`sign-in of ${key} failed: ${r.status} ${JSON.stringify(r.body)}`);
    const principal = await services.store.principals.getByKey(key);
    const token = r.body.token as string;
    return { key, id: principal!.id, token, api: new Api(server.url, token), ws: () => WsClient.connect(server.url, token) };
  };
  return {
    url: server.url,
    server,
    services,
    dataDir,
    anonymous: new Api(server.url),
    async user(opts) {
      const built = await buildUser(services, opts);
      await checkSetPassword(services, SYSTEM_ACTOR, built.key, PASSWORD);
      return signIn(built.key);
    },
    signIn,
    settle: () => server.gateway.idle(),
    async statements(fn) {
      await server.runtime.compliance.stop();
      // A node on PostgreSQL looks at the outbox every second for what CLI commands left.
      await server.runtime.relay?.stop();
      // The search index is brought up to date first, and holds still while counting.
      await services.words.catchUp();
      await services.words.stop();
      await server.gateway.idle();
      const out: string[] = [];
      recorded = out;
      try {
        await fn();
        await server.gateway.idle();
      } finally {
        recorded = undefined;
      }
      return out;
    },
    close: () => server.close(),
  };
}

/** One server for the tests of the enclosing describe (each test makes its own data). */
export function useServer(kind: Pick<StoreKind, 'dialect'>, extra: Partial<ConfigInput> = {}): TestServer {
  const current = {} as TestServer;
  beforeAll(async () => {
    Object.assign(current, await startTestServer(kind, extra));
  });
  afterAll(() => current.close?.());
  return current;
}

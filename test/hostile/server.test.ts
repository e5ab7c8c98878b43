/**
 * The hostile-input suite (D9): a real `stoa serve` process, and everything an attacker
 * with or without an account can send it — malformed WebSocket frames, oversized and
 * half-sent HTTP, floods on one connection and on many, guessed passwords, probed
 * names, server paths, malformed SIP. After every case the same process must still
 * answer /healthz and a signed-in user's post within a second, with bounded memory;
 * the suite fails if the process ever exits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { assertBuilt, runStoa } from '../harness/cli.js';
import { killAllServers } from '../harness/serve-process.js';
import {
  RawSocket,
  USER_PASSWORD,
  api,
  closeCode,
  expectHealthy,
  makeUser,
  serverFrames,
  signIn,
  startHostileServer,
  upgradeRequest,
  wsFrame,
  type HostileServer,
} from '../harness/hostile.js';
import { WsClient } from '../harness/server.js';

const LIMITS = {
  headersTimeoutMs: 2000,
  idleTimeoutMs: 3000,
  requestTimeoutMs: 6000,
  connectionsPerAddress: 60,
  wsConnectionsPerUser: 4,
  wsFrameBytes: 64 * 1024,
  sipConnectionsPerAddress: 6,
  sipRegisterTimeoutMs: 2000,
};

let server: HostileServer;
let ana: { key: string; token: string };
let bob: { key: string; token: string };
let carl: { key: string; token: string };
let roomId: string;
let filesRoomId: string;

beforeAll(async () => {
  assertBuilt();
  server = await startHostileServer({ limits: LIMITS });
  for (const argv of [
    ['principal', 'add', 'contoso.com', '--kind', 'domain'],
    ['category', 'new', '--name', 'General', '--allowed-members', 'contoso.com', '--creators', 'contoso.com'],
    ['category', 'new', '--name', 'Shared files', '--allowed-members', 'contoso.com', '--enable-file-upload'],
    ['category', 'new', '--name', 'Board', '--allowed-members', 'contoso.com'],
    ['room', 'new', '--name', 'Lobby', '--category', 'General', '--privacy', 'Open'],
    ['room', 'new', '--name', 'Drop box', '--category', 'Shared files', '--privacy', 'Open'],
    ['room', 'new', '--name', 'Secret-Fab', '--category', 'Board', '--privacy', 'Secret'],
  ]) {
    const r = await server.cli(argv);
    expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
  }
  [ana, bob, carl] = [await makeUser(server, 'ana'), await makeUser(server, 'bob'), await makeUser(server, 'carl')];
  roomId = (await api(server, bob.token, 'GET', '/api/v1/rooms?q=Lobby')).body[0].id;
  filesRoomId = (await api(server, bob.token, 'GET', '/api/v1/rooms?q=Drop')).body[0].id;
}, 120_000);

afterEach(async () => {
  if (server !== undefined) await expectHealthy(server, { token: bob.token, roomId });
});

afterAll(() => {
  const exited = server?.child.exitCode;
  killAllServers();
  if (server !== undefined) expect(exited, 'the server process exited during the suite').toBeNull();
});

describe('malformed WebSocket frames', () => {
  const cases: [string, () => Buffer, number][] = [
    ['an unmasked frame', () => Buffer.from([0x81, 0x01, 0x41]), 1002],
    ['reserved bits set', () => wsFrame(0x1, Buffer.from('{}'), { rsv: 0b100 }), 1002],
    ['an unknown opcode', () => wsFrame(0x3, Buffer.from('x')), 1002],
    ['invalid UTF-8 in a text frame', () => wsFrame(0x1, Buffer.from([0xc3, 0x28])), 1007],
    ['a frame over the size limit', () => wsFrame(0x1, Buffer.alloc(16), { announce: LIMITS.wsFrameBytes + 1 }), 1009],
    ['a fragmented control frame', () => wsFrame(0x9, Buffer.from('p'), { fin: false }), 1002],
  ];

  it.each(cases)('%s closes that connection with its close code, before and after sign-in', async (_what, frame, code) => {
    // Before sign-in: with no token and a bad one, the frame arrives with the upgrade.
    for (const token of [undefined, 'stoa_ses_not-a-real-token']) {
      const raw = await RawSocket.connect(server.port);
      raw.write(Buffer.concat([Buffer.from(upgradeRequest(token)), frame()]));
      expect([code, 4401]).toContain(await closeCode(raw));
      raw.destroy();
    }
    // After sign-in: the 'ready' frame first, then the bad frame.
    const raw = await RawSocket.connect(server.port);
    raw.write(upgradeRequest(ana.token));
    expect(await raw.until((all) => serverFrames(all).some(([op, p]) => op === 1 && p.toString().includes('"ready"')), 5000)).toBe(true);
    raw.write(frame());
    expect(await closeCode(raw)).toBe(code);
    raw.destroy();
  });

  it('answers upgrades to other paths, malformed handshakes and resets on that socket only', async () => {
    const requests = [
      upgradeRequest().replace('/api/v1/ws', '/elsewhere'),
      upgradeRequest().replace('/api/v1/ws', '/api/v1/ws?token=%E0%A4%A'),
      upgradeRequest().replace('/api/v1/ws', '//[::1'),
      upgradeRequest().replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 99'),
      upgradeRequest().replace(/Sec-WebSocket-Key: .*\r\n/, ''),
    ];
    for (const request of requests) {
      const raw = await RawSocket.connect(server.port);
      raw.write(request);
      expect(await raw.until((all) => all.includes('\r\n\r\n'), 3000), request.split('\r\n')[0]).toBe(true);
      raw.destroy();
    }
    for (const cut of [20, 60, upgradeRequest().length - 2]) {
      const raw = await RawSocket.connect(server.port);
      raw.write(upgradeRequest(ana.token).slice(0, cut));
      await raw.until(() => false, 50);
      raw.socket.resetAndDestroy();
    }
  });

  it('a binary frame and a non-JSON text frame are answered on that connection only', async () => {
    const ws = await WsClient.connect(server.url, ana.token);
    ws.ws.send('not json at all');
    const reply = await ws.waitFor((f) => f.type === 'reply' && f.ok === false);
    expect(reply.error.code).toBe('INVALID_INPUT');
    ws.ws.send(Buffer.from([1, 2, 3]));
    expect((await ws.waitClosed()).code).toBe(4400);
  });

  it('answers a command sent before the connection is ready, after its ready frame', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/ws`, { headers: { authorization: `Bearer ${ana.token}` } });
    const frames: { type: string; id?: unknown }[] = [];
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString('utf8')) as { type: string }));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'ping', id: 'early' }));
    await expect.poll(() => frames.map((f) => f.type)).toEqual(['ready', 'reply']);
    expect(frames[1]).toMatchObject({ id: 'early', ok: true });
    ws.close();
  });
});

describe('oversized and slow HTTP', () => {
  /** Streams `total` bytes to a route until the server answers; returns the answer and how much it took. */
  async function streamBody(route: string, contentType: string, total: number, method = 'PUT', headers = ''): Promise<{ status: number; body: string; sent: number }> {
    const raw = await RawSocket.connect(server.port);
    raw.write(`${method} ${route} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${total}\r\n${headers}\r\n`);
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    while (sent < total && raw.received.length === 0 && !raw.ended) {
      await new Promise<void>((resolve) => {
        if (raw.socket.write(chunk)) return setImmediate(resolve);
        raw.socket.once('drain', resolve);
        raw.socket.once('close', resolve);
      });
      sent += chunk.length;
    }
    await raw.until((all) => all.includes('\r\n\r\n{') && all.toString().includes('}}'), 5000);
    const text = raw.text();
    raw.destroy();
    return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4), sent };
  }

  it('refuses an upload with an unknown token before reading its body, whatever its content type', async () => {
    for (const type of ['text/plain', 'application/json', 'application/octet-stream']) {
      const r = await streamBody(`/api/v1/files/upload/${'A'.repeat(43)}`, type, 600 * 1024 * 1024);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body).error.code).toBe('TOKEN_NOT_FOUND');
      expect(r.sent).toBeLessThan(64 * 1024 * 1024);
    }
    // Three at once stay within bounded memory (afterEach checks the server's RSS).
    const all = await Promise.all([0, 1, 2].map(() => streamBody(`/api/v1/files/upload/${'B'.repeat(43)}`, 'text/plain', 300 * 1024 * 1024)));
    expect(all.map((r) => r.status)).toEqual([404, 404, 404]);
  });

  it('takes text and JSON files as raw bytes', async () => {
    for (const [name, type, content] of [
      ['notes.txt', 'text/plain', 'hello'],
      ['data.json', 'application/json', '{"a":[1,2]}'],
      ['empty.json', 'application/json', ''],
    ] as const) {
      const ticket = await api(server, ana.token, 'POST', `/api/v1/rooms/${filesRoomId}/files`, { name, size: Buffer.byteLength(content), contentType: type });
      expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
      const put = await fetch(`${server.url}${ticket.body.url}`, { method: 'PUT', headers: { 'content-type': type }, body: content });
      expect(put.status, await put.clone().text()).toBe(201);
      expect(await put.json()).toMatchObject({ name, size: Buffer.byteLength(content) });
    }
  });

  it('refuses bodies over the limit on every JSON route with TOO_LARGE', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 10) });
    for (const [method, route, token] of [
      ['POST', `/api/v1/rooms/${roomId}/messages`, ana.token],
      ['POST', '/api/v1/auth/sign-in', undefined],
      ['POST', '/api/v1/keywords', ana.token],
      ['POST', '/api/v1/rooms', ana.token],
      ['PATCH', `/api/v1/rooms/${roomId}`, ana.token],
    ] as const) {
      const r = await fetch(`${server.url}${route}`, { method, headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }, body: big });
      expect(r.status, route).toBe(413);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('TOO_LARGE');
    }
    // The administrators' CLI route has a limit of its own (2 MiB): a larger body is
    // refused as its first bytes arrive, and the connection closed.
    const cli = await streamBody('/api/v1/admin/cli', 'application/json', 3 * 1024 * 1024, 'POST', `Authorization: Bearer ${server.adminToken}\r\n`);
    expect(cli.status).toBe(413);
    expect(JSON.parse(cli.body).error.code).toBe('TOO_LARGE');
  });

  it('cuts off a request whose headers or body never finish, on every route', async () => {
    const headers = await RawSocket.connect(server.port);
    headers.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
    // Bodies that stop halfway, and one that trickles a byte a second (never idle, never done).
    const routes: [string, string][] = [
      ['POST', '/api/v1/auth/sign-in'],
      ['POST', `/api/v1/rooms/${roomId}/messages`],
      ['PUT', `/api/v1/files/upload/${'C'.repeat(43)}`],
      ['POST', '/api/v1/admin/cli'],
      ['POST', '/api/v1/keywords'],
    ];
    const bodies = await Promise.all(
      routes.map(async ([method, route]) => {
        const raw = await RawSocket.connect(server.port);
        raw.write(`${method} ${route} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ana.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"text":`);
        return raw;
      }),
    );
    const trickle = await RawSocket.connect(server.port);
    trickle.write(`POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
    const drip = setInterval(() => trickle.write(' '), 1000);
    try {
      expect(await headers.closed(LIMITS.headersTimeoutMs + 3000)).toBe(true);
      expect(headers.text()).toMatch(/^HTTP\/1\.1 408/);
      expect(headers.text()).toContain('"code":"REQUEST_TIMEOUT"');
      for (const raw of bodies) expect(await raw.closed(LIMITS.requestTimeoutMs + 3000)).toBe(true);
      expect(await trickle.closed(LIMITS.requestTimeoutMs + 3000)).toBe(true);
    } finally {
      clearInterval(drip);
    }
  });

  it('refuses an oversized search: a query over its length, a URL over the header limit', async () => {
    const long = await api(server, ana.token, 'GET', `/api/v1/search?q=${'w'.repeat(5000)}`);
    expect(long.status).toBe(400);
    expect(long.body.error.code).toBe('INVALID_INPUT');
    const huge = await fetch(`${server.url}/api/v1/search?q=${'w'.repeat(40_000)}`, { headers: { authorization: `Bearer ${ana.token}` } });
    expect(huge.status).toBe(431);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('HEADERS_TOO_LARGE');
  });

  it("answers the framework's own refusals in the API's error shape", async () => {
    const probes: [string, number, string][] = [
      [`GET /api/v1/rooms/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'INVALID_INPUT'],
      [`GET /api/v1/rooms/${'r'.repeat(500)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'URI_TOO_LONG'],
      [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
      [`GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`, 400, 'INVALID_INPUT'],
      [`POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"use`, 400, 'INVALID_INPUT'],
      [`POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi`, 400, 'INVALID_INPUT'],
      [`POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: 4\r\n\r\n<a/>`, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ];
    for (const [request, status, code] of probes) {
      const raw = await RawSocket.connect(server.port);
      raw.write(request);
      await raw.until((all) => all.includes('}}'), 5000);
      const text = raw.text();
      raw.destroy();
      expect(text, request.slice(0, 60)).toMatch(new RegExp(`^HTTP/1\\.1 ${status}`));
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code, request.slice(0, 60)).toBe(code);
    }
  });

  it('refuses wrong types and unknown fields instead of coercing or dropping them', async () => {
    const wrong = await api(server, ana.token, 'POST', `/api/v1/rooms/${roomId}/messages`, { text: 12345 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('INVALID_INPUT');
    const unknown = await api(server, ana.token, 'PATCH', `/api/v1/rooms/${roomId}`, { description: 'x', colour: 'red' });
    expect(unknown.status).toBe(400);
    const flag = await api(server, ana.token, 'POST', `/api/v1/rooms/${roomId}/messages`, { text: 'hi', alert: 'true' });
    expect(flag.status).toBe(400);
  });

  it('answers a roster page asked for with nonsense with 400, and hostile cursors with a page', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', `after=${'x'.repeat(600)}`, 'colour=red']) {
      const r = await api(server, ana.token, 'GET', `/api/v1/rooms/${roomId}/participants?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error.code, query).toMatch(/^INVALID_/);
    }
    for (const after of ['%00', '%F0%9F%92%A9', encodeURIComponent('sip:"quoted"'), '']) {
      const r = await api(server, ana.token, 'GET', `/api/v1/rooms/${roomId}/participants?after=${after}&limit=1000`);
      expect([200, 400], after).toContain(r.status);
    }
  });

  it('answers a search with a NUL or broken Unicode with 400, never 500', async () => {
    // Half a surrogate pair cannot be percent-encoded as UTF-8: sent as the bytes of one.
    for (const q of ['a%00b', 'x%07', '%ED%A0%80abc', '%FF%FE', encodeURIComponent('caf\u00e9 "unterminated'), '%22%22%22', 'from%3A', 'after%3Anonsense']) {
      const r = await api(server, ana.token, 'GET', `/api/v1/search?q=${q}`);
      expect([200, 400], q).toContain(r.status);
      if (r.status === 400) expect(r.body.error.code).toMatch(/^INVALID_/);
    }
    expect((await api(server, ana.token, 'GET', '/api/v1/search?q=a%00b')).status).toBe(400);
  });
});

describe('floods', () => {
  it('3,000 commands at once on one connection delay no one else, and the sender is told, then closed', async () => {
    const ws = await WsClient.connect(server.url, carl.token);
    const frames = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ type: 'post', id: i, room: roomId, text: `flood ${i}` }));
    for (const frame of frames) ws.ws.send(frame);
    const started = Date.now();
    const me = await api(server, bob.token, 'GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await ws.waitClosed(15_000)).code).toBe(1008);
    const replies = ws.of('reply');
    const refused = replies.filter((f) => f.ok === false).map((f) => f.error.code as string);
    expect(refused.length).toBeGreaterThan(100);
    for (const code of new Set(refused)) expect(['RATE_LIMITED', 'TOO_MANY_COMMANDS']).toContain(code);
    expect(replies.find((f) => f.error?.code === 'RATE_LIMITED')?.error.retryAfterMs).toBeGreaterThan(0);
    // What was accepted was stored and acknowledged; the user's budget refills.
    const accepted = replies.filter((f) => f.ok === true).length;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(100);
    await new Promise((r) => setTimeout(r, 1500));
    const again = await WsClient.connect(server.url, carl.token);
    expect((await again.call({ type: 'ping' })).ok).toBe(true);
    again.close();
  });

  it('bounds WebSocket connections per user', async () => {
    const open: WsClient[] = [];
    for (let i = 0; i < LIMITS.wsConnectionsPerUser; i++) open.push(await WsClient.connect(server.url, ana.token));
    expect(open.every((c) => c.closed === undefined)).toBe(true);
    const extra = await WsClient.connect(server.url, ana.token);
    const closed = await extra.waitClosed();
    expect(closed.code).toBe(4429);
    expect(closed.reason).toMatch(/at most 4 connections/);
    for (const c of open) c.close();
    await expect.poll(async () => (await WsClient.connect(server.url, ana.token)).closed === undefined).toBe(true);
  });

  it('bounds connections per address: those over the limit are closed before a byte is read', async () => {
    const sockets: RawSocket[] = [];
    for (let i = 0; i < LIMITS.connectionsPerAddress + 10; i++) sockets.push(await RawSocket.connect(server.port));
    await new Promise((r) => setTimeout(r, 300));
    const cut = sockets.filter((s) => s.ended).length;
    expect(cut).toBeGreaterThanOrEqual(10);
    expect(cut).toBeLessThanOrEqual(10 + 8);
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
  });
});

describe('sign-in and sessions', () => {
  it('keeps one failure budget per account however its name is written', async () => {
    const dora = await makeUser(server, 'dora');
    const spellings = ['dora@contoso.com', ' sip:dora@contoso.com', 'SIP:Dora@Contoso.com', 'sip:DORA@contoso.COM ', 'Dora@contoso.com'];
    for (let i = 0; i < 10; i++) {
      const r = await api(server, undefined, 'POST', '/api/v1/auth/sign-in', { user: spellings[i % spellings.length], password: 'wrong guess' });
      expect(r.status).toBe(401);
    }
    const blocked = await api(server, undefined, 'POST', '/api/v1/auth/sign-in', { user: 'DoRa@CONTOSO.com', password: USER_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(dora.token).toBeDefined();
  });

  it('revokes API tokens with a password change, and a re-enabled account gets none of its sessions back', async () => {
    const eve = await makeUser(server, 'eve');
    const created = await api(server, eve.token, 'POST', '/api/v1/me/tokens', { name: 'bot' });
    expect(created.status).toBe(201);
    const bot = created.body.token as string;
    expect((await api(server, bot, 'GET', '/api/v1/me')).status).toBe(200);
    expect((await server.cli(['user', 'passwd', eve.key, '--password-stdin'], 'a brand new password\n')).code).toBe(0);
    expect((await api(server, bot, 'GET', '/api/v1/me')).status).toBe(401);
    expect((await api(server, eve.token, 'GET', '/api/v1/me')).status).toBe(401);
    // --keep-api-tokens keeps them (sessions still end).
    const session = await signIn(server.url, eve.key, 'a brand new password');
    const kept = (await api(server, session, 'POST', '/api/v1/me/tokens', { name: 'kept' })).body.token as string;
    expect((await server.cli(['user', 'passwd', eve.key, '--password-stdin', '--keep-api-tokens'], `${USER_PASSWORD}\n`)).code).toBe(0);
    expect((await api(server, kept, 'GET', '/api/v1/me')).status).toBe(200);
    expect((await api(server, session, 'GET', '/api/v1/me')).status).toBe(401);
    // Disabling ends everything; enabling again does not revive it.
    const fresh = await signIn(server.url, eve.key, USER_PASSWORD);
    expect((await server.cli(['principal', 'set', eve.key, '--enabled', 'false'])).code).toBe(0);
    expect((await server.cli(['principal', 'set', eve.key, '--enabled', 'true'])).code).toBe(0);
    expect((await api(server, fresh, 'GET', '/api/v1/me')).status).toBe(401);
    expect((await api(server, kept, 'GET', '/api/v1/me')).status).toBe(401);
  });

  it('serves /metrics only with the token of its owner-only file', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ana.token}` } })).status).toBe(401);
    const token = fs.readFileSync(path.join(server.dataDir, 'metrics-token'), 'utf8').trim();
    const metrics = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/stoa_limit_refusals_total\{limit="ws_rate"\} [1-9]/);
  });
});

describe('probing and server paths', () => {
  it('answers a taken name the same for a visible and a Secret room, without its spelling', async () => {
    const visible = await api(server, ana.token, 'POST', '/api/v1/rooms', { name: 'LOBBY', category: 'General' });
    const secret = await api(server, ana.token, 'POST', '/api/v1/rooms', { name: 'secret-fab', category: 'General' });
    expect([visible.status, secret.status]).toEqual([409, 409]);
    expect(secret.body.error.code).toBe('NAME_TAKEN');
    expect(secret.body.error.message).not.toContain('Secret-Fab');
    expect(secret.body.error.message.replace('secret-fab', 'NAME')).toBe(visible.body.error.message.replace('LOBBY', 'NAME'));
    const created = await api(server, ana.token, 'POST', '/api/v1/rooms', { name: 'Ana corner', category: 'General' });
    expect(created.status).toBe(201);
    const renamed = await api(server, ana.token, 'PATCH', `/api/v1/rooms/${created.body.id}`, { name: 'SECRET-FAB' });
    expect(renamed.status).toBe(409);
    expect(renamed.body.error.message).not.toContain('Secret-Fab');
  });

  it("confines an administrator's paths over the network to the data dir", async () => {
    const outside = await server.cli(['compliance-config', 'set', '--adapter-output-directory', '/tmp/stoa-hostile-elsewhere']);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('PATH_NOT_ALLOWED');
    const escape = await server.cli(['compliance-config', 'set', '--adapter-output-directory', '../../etc']);
    expect(escape.stderr).toContain('PATH_NOT_ALLOWED');
    const inside = await server.cli(['compliance-config', 'set', '--adapter-output-directory', 'archive/compliance']);
    expect(inside.code, inside.stderr).toBe(0);
    const read = await server.cli(['compliance-config', 'set', '--custom-configuration-file', '/etc/passwd']);
    expect(read.code).toBe(2);
    expect(read.stderr).not.toMatch(/root|daemon/);
    expect(read.stderr).toContain('--custom-configuration');
    // The CLI on the data dir reads a stylesheet where it runs and sends its content.
    const xslt = path.join(server.dataDir, '..', 'style.xsl');
    fs.writeFileSync(xslt, '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><out/></xsl:template></xsl:stylesheet>');
    const local = await runStoa(['--data-dir', server.dataDir, 'compliance-config', 'set', '--custom-configuration-file', xslt, '--json']);
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toContain('xsl:stylesheet');
    expect((await server.cli(['compliance-config', 'set', '--custom-configuration', '', '--adapter-output-directory', ''])).code).toBe(0);
  });
});

describe('the SIP endpoint', () => {
  const sipConnect = () => RawSocket.connect(server.sipPort);

  it('survives garbage, oversized headers and half messages, each on its own connection', async () => {
    const inputs = [
      Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]),
      Buffer.from(`REGISTER sip:x SIP/2.0\r\nVia: ${'v'.repeat(200_000)}\r\n\r\n`),
      Buffer.from('INVITE sip:ocschat@contoso.com SIP/2.0\r\nContent-Length: 99999999\r\n\r\nabc'),
      Buffer.from('OPTIONS sip:x SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x>\r\nContent-Length: -5\r\n\r\n'),
      Buffer.from('\r\n\r\n\r\n'.repeat(10_000)),
    ];
    for (const input of inputs) {
      const raw = await sipConnect();
      raw.write(input);
      await raw.until(() => false, 300);
      raw.destroy();
    }
  });

  it('answers a flood of requests on one connection in order, refusing those past its queue', async () => {
    const raw = await sipConnect();
    const options = (i: number) => `OPTIONS sip:ocschat@contoso.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK${i}\r\nCall-ID: flood-${i}\r\nCSeq: ${i} OPTIONS\r\nFrom: <sip:x@contoso.com>;tag=${i}\r\nTo: <sip:ocschat@contoso.com>\r\nContent-Length: 0\r\n\r\n`;
    raw.write(Array.from({ length: 2000 }, (_, i) => options(i)).join(''));
    await raw.until((all) => (all.toString('latin1').match(/^SIP\/2\.0 /gm) ?? []).length >= 2000, 5000);
    const statuses = raw.text().match(/^SIP\/2\.0 (\d+)/gm) ?? [];
    expect(statuses.length).toBeGreaterThan(64);
    expect(statuses.some((l) => l.endsWith('503'))).toBe(true);
    raw.destroy();
  });

  it('bounds connections per address and closes those that never sign in', async () => {
    const sockets: RawSocket[] = [];
    for (let i = 0; i < LIMITS.sipConnectionsPerAddress + 3; i++) sockets.push(await sipConnect());
    await new Promise((r) => setTimeout(r, 300));
    expect(sockets.filter((s) => s.ended).length).toBe(3);
    const quiet = sockets.filter((s) => !s.ended);
    for (const s of quiet) expect(await s.closed(LIMITS.sipRegisterTimeoutMs + 3000)).toBe(true);
  });
});

describe('the process', () => {
  it('logged every refused frame and connection without a stack trace of its own', () => {
    expect(server.output()).not.toMatch(/Unhandled|uncaught|ERR_UNHANDLED_ERROR/i);
    expect(server.child.exitCode).toBeNull();
  });

  it('keeps serving ordinary clients on a fresh connection', async () => {
    const ws = await WsClient.connect(server.url, bob.token);
    await ws.ok({ type: 'join', room: roomId });
    const posted = await ws.ok({ type: 'post', room: roomId, text: 'hello after the storm' });
    expect(posted.message.text).toBe('hello after the storm');
    ws.close();
  });
});

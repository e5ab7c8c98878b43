/**
 * Property-based fuzzing of a real `stoa serve` (fast-check): a few thousand generated
 * WebSocket frames and JSON bodies per run. Whatever arrives, the answer is a reply or
 * a 4xx in the documented error shape, never a 5xx, and the process stays up. Limits
 * are raised here so the generated input reaches the handlers instead of the rate limits
 * (the other suite tests the limits).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertBuilt } from '../harness/cli.js';
import { describeEachStore } from '../harness/each-store.js';
import { postgresDatabaseUrl } from '../harness/stores.js';
import { killAllServers } from '../harness/serve-process.js';
import { RawSocket, api, expectHealthy, makeUser, startHostileServer, upgradeRequest, wsFrame, type HostileServer } from '../harness/hostile.js';
import { WsClient } from '../harness/server.js';

/** A query string value; half a surrogate pair (no UTF-8 for it) is sent as the bytes of one. */
function encodeQuery(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

/** Strings that have broken servers: NUL, half a surrogate pair, paths, entities, sizes. */
const NASTY_STRINGS = ['', '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '../../etc/passwd', 'sip:', '"', '%', '\u202e', 'a'.repeat(70_000), '<?xml ?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'];

/** Values of every JSON type, with strings that matter to a chat server. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(...NASTY_STRINGS),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const anyJson = fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), nasty), fc.array(nasty));
const command = fc.record(
  {
    type: fc.oneof(fc.constantFrom('join', 'part', 'post', 'participants', 'ping'), fc.string()),
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double()),
    room: fc.oneof(fc.constant('ROOM'), nasty),
    text: nasty,
    alert: nasty,
    story: fc.oneof(fc.constant(null), fc.record({ title: nasty }), nasty),
    fileId: nasty,
  },
  { requiredKeys: ['type'] },
);

describeEachStore('fuzzing', (kind) => {
  let server: HostileServer;
  let user: { key: string; token: string };
  let roomId: string;

  beforeAll(async () => {
    assertBuilt();
    const database = kind.dialect === 'postgres' ? ['--database-url', await postgresDatabaseUrl()] : [];
    server = await startHostileServer(
      {
        limits: { wsCommandsPerSecond: 100_000, wsCommandBurst: 100_000, wsQueuedCommands: 10_000, httpRequestsPerSecond: 100_000, httpRequestBurst: 100_000, signInFailuresPerAddress: 1_000_000 },
      },
      database,
    );
    for (const argv of [
      ['principal', 'add', 'contoso.com', '--kind', 'domain'],
      ['category', 'new', '--name', 'General', '--allowed-members', 'contoso.com', '--creators', 'contoso.com', '--enable-file-upload'],
      ['room', 'new', '--name', 'Fuzz', '--category', 'General', '--privacy', 'Open'],
    ]) {
      expect((await server.cli(argv)).code).toBe(0);
    }
    user = await makeUser(server, 'fuzz');
    roomId = (await api(server, user.token, 'GET', '/api/v1/rooms?q=Fuzz')).body[0].id;
  }, 120_000);

  afterAll(() => {
    const exited = server?.child.exitCode;
    killAllServers();
    if (server !== undefined) expect(exited, 'the server process exited while fuzzed').toBeNull();
  });

  it('answers every generated WebSocket frame with a reply, on a connection that stays open', async () => {
    const ws = await WsClient.connect(server.url, user.token);
    const frames = fc.sample(fc.oneof(command.map((c) => JSON.stringify(c).replaceAll('"ROOM"', JSON.stringify(roomId))), anyJson.map((j) => JSON.stringify(j)), fc.string()), { numRuns: 2000, seed: 42 });
    for (const frame of frames) ws.ws.send(frame);
    ws.ws.send(JSON.stringify({ type: 'ping', id: 'last' }));
    await ws.waitFor((f) => f.type === 'reply' && f.id === 'last', 60_000);
    expect(ws.closed).toBeUndefined();
    // Every frame got its one reply, in order, the last one last.
    expect(ws.of('reply')).toHaveLength(frames.length + 1);
    expect(ws.of('reply').filter((f) => f.ok === true).length).toBeGreaterThan(0);
    // Replies come in the order the frames were sent: the i-th answers frames[i].
    const internal = ws.of('reply').flatMap((f, i) => (f.ok === false && (typeof f.error?.code !== 'string' || f.error.code === 'INTERNAL') ? [frames[i]?.slice(0, 300)] : []));
    expect(internal).toEqual([]);
    ws.close();
    await expectHealthy(server, { token: user.token, roomId });
  });

  it('closes a connection on generated frame bytes, never the process', async () => {
    const run = async (bytes: Uint8Array, opcode: number, rsv: number, mask: boolean) => {
      const raw = await RawSocket.connect(server.port);
      raw.write(upgradeRequest(user.token));
      raw.write(wsFrame(opcode, Buffer.from(bytes), { rsv, mask }));
      raw.write(Buffer.from(bytes));
      await raw.until(() => false, 20);
      raw.destroy();
    };
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 7 }), fc.boolean(), async (bytes, opcode, rsv, mask) => {
        await run(bytes, opcode, rsv, mask);
      }),
      { numRuns: 300, seed: 7 },
    );
    await expectHealthy(server, { token: user.token, roomId });
  });

  it('answers every generated JSON body with a 2xx or a 4xx in the error shape, never a 5xx', async () => {
    // Each route with the fields its body has (so generated values reach the handlers),
    // and with any JSON at all.
    const routes: [string, string, string[]][] = [
      ['POST', '/api/v1/auth/sign-in', ['user', 'password']],
      ['POST', `/api/v1/rooms/${roomId}/messages`, ['text', 'alert', 'story', 'fileId']],
      ['POST', '/api/v1/rooms', ['name', 'category', 'description', 'privacy', 'type', 'invitations', 'addin']],
      ['PATCH', `/api/v1/rooms/${roomId}`, ['name', 'description', 'privacy', 'disabled', 'addin', 'members']],
      ['POST', `/api/v1/rooms/${roomId}/files`, ['name', 'size', 'contentType']],
      ['POST', `/api/v1/rooms/${roomId}/read`, ['chatId']],
      ['POST', '/api/v1/keywords', ['keyword']],
      ['POST', '/api/v1/feeds', ['name', 'query']],
      ['POST', '/api/v1/me/tokens', ['name', 'expiresInDays']],
      ['GET', '/api/v1/search?q=QUERY', []],
      ['GET', `/api/v1/rooms/${roomId}/messages?before=QUERY`, []],
      ['GET', '/api/v1/rooms?q=QUERY', []],
      ['GET', '/api/v1/principals?q=QUERY', []],
      ['GET', '/api/v1/principals?limit=5&category=QUERY&q=a', []],
    ];
    // Every field of every route with every nasty string, then generated bodies.
    const sweep: [readonly [string, string], unknown, string][] = routes.flatMap(([method, route, fields]) =>
      fields.flatMap((field) => NASTY_STRINGS.map((value) => [[method, route] as const, { [field]: value }, value] as [readonly [string, string], unknown, string])),
    );
    const shaped = (fields: string[]) => (fields.length === 0 ? anyJson : fc.record(Object.fromEntries(fields.map((f) => [f, nasty])), { requiredKeys: [] }));
    const bodies = fc.sample(
      fc.constantFrom(...routes).chain(([method, route, fields]) => fc.tuple(fc.constant([method, route] as const), fc.oneof(shaped(fields), anyJson), fc.string({ maxLength: 50 }))),
      { numRuns: 1500, seed: 99 },
    );
    const serverErrors: string[] = [];
    const badShape: string[] = [];
    for (const [[method, route], body, query] of [...sweep, ...bodies]) {
      const r = await api(server, user.token, method, route.replace('QUERY', encodeQuery(query)), method === 'GET' ? undefined : body);
      const what = `${method} ${route} ${JSON.stringify(body).slice(0, 200)}`;
      if (r.status >= 500) serverErrors.push(`${r.status} ${what}`);
      else if (r.status >= 400 && (typeof r.body?.error?.code !== 'string' || typeof r.body?.error?.message !== 'string')) badShape.push(`${r.status} ${what}`);
    }
    expect(serverErrors).toEqual([]);
    expect(badShape).toEqual([]);
    await expectHealthy(server, { token: user.token, roomId });
  });
});

/**
 * The legacy clients' SIP gateway inside a real `stoa serve`, driven over TCP the way SIPE
 * drives it (spec 03): sign-in, provisioning, the two-step requri hand-off, the room list
 * (privacy respected), join, backchat, posting both ways with WebSocket clients, the
 * refusals with their reply codes, kicks, and malformed SIP and XCCOS answered without
 * bringing the gateway down; NTLMv2 sign-in with every message signed both ways, and its
 * refusals (wrong password, tampered or replayed requests, throttling).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/stores.js';
import { PASSWORD, startTestServer, type TestServer } from '../harness/server.js';
import { checkSetPassword, checkUpdatePrincipal } from '../../src/actions/principals.js';
import { SipClient, type ClientDialog } from '../harness/sip-client.js';
import { buildCategory, buildDomain, buildRoom, buildUser } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkUpdateRoom } from '../../src/actions/rooms.js';
import { channelUri } from '../../src/domain/compliance.js';
import { POOL } from '../harness/services.js';
import { find, findAll, type XmlElement } from '../../src/sip/xccos.js';
import { pendingEvents } from '../harness/compliance-output.js';

let server: TestServer;
let port: number;
const clients: SipClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ dialect: 'sqlite' }, { sip: { enabled: true, port: 0, trustedNetworks: ['127.0.0.1/32', '::1/128'] } });
  port = server.server.sip!.port;
  await buildDomain(server.services, 'contoso.com');
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

async function client(user: string): Promise<SipClient> {
  const c = await SipClient.connect(port, user);
  clients.push(c);
  return c;
}

const code = (rpl: XmlElement) => find(rpl, 'resp')!.attrs.code;

async function world() {
  const s = server.services;
  const alice = await buildUser(s, { domain: 'contoso.com' });
  const bob = await buildUser(s, { domain: 'contoso.com' });
  const carol = await buildUser(s, { domain: 'contoso.com' });
  const category = await buildCategory(s, { allowed: ['contoso.com'] });
  const closed = await buildRoom(s, category.name, { privacy: 'Closed', members: [alice.key, bob.key] });
  const secret = await buildRoom(s, category.name, { privacy: 'Secret', members: [bob.key] });
  const stage = await buildRoom(s, category.name, { privacy: 'Open', type: 'Auditorium', presenters: [bob.key], members: [alice.key, bob.key] });
  return { alice, bob, carol, closed, secret, stage, category };
}

describe('legacy clients over SIP', () => {
  it('signs in, is provisioned, hands off with requri, lists rooms (privacy respected), joins, reads the backchat and chats both ways with a WebSocket client', async () => {
    const w = await world();
    await checkSetPassword(server.services, SYSTEM_ACTOR, w.bob.key, PASSWORD);
    const bobWs = await server.signIn(w.bob.key);
    const ws = await bobWs.ws();
    await ws.ok({ type: 'join', room: w.closed.guid });
    await ws.ok({ type: 'post', room: w.closed.guid, text: 'before alice came — <b>not html</b> & more' });

    const alice = await client(w.alice.key);
    const { chat, poolUri, channelServer } = await alice.signIn();
    expect(poolUri).toBe(`sip:persistentchat@${POOL}`);
    expect(channelServer).toBe(poolUri);
    const register = alice.received.find((m) => m.kind === 'response' && m.headers.get('cseq') === '1 REGISTER')!;
    expect(register.headers.get('expires')).toBe('3600');
    expect(register.headers.getAll('supported')).toContain('msrtc-event-categories');
    expect(register.headers.get('allow-events')).toBe('vnd-microsoft-provisioning-v2');

    const info = await alice.ask(chat, 'cmd:getserverinfo');
    expect(find(info, 'sib')!.attrs.rootUri).toBe(`ma-cat://${POOL}/root`);
    const listing = await alice.ask(chat, 'cmd:chansrch', '<qib qtype="BYNAME" criteria="" extended="false"/>');
    const rooms = findAll(listing, 'chanib').map((c) => c.attrs.uri);
    expect(rooms).toContain(channelUri(POOL, w.closed.guid));
    expect(rooms).toContain(channelUri(POOL, w.stage.guid));
    expect(rooms).not.toContain(channelUri(POOL, w.secret.guid));
    const stageEntry = findAll(listing, 'chanib').find((c) => c.attrs.uri === channelUri(POOL, w.stage.guid))!;
    expect(stageEntry.children.find((c) => c.attrs.id === 'urn:parlano:ma:info:visibilty')!.text).toBe('open');

    const joined = await alice.ask(chat, 'cmd:join', `<chanid key="0" domain="${POOL}" value="${w.closed.guid}"/>`);
    expect(code(joined)).toBe('200');
    expect(findAll(joined, 'uib').map((u) => u.attrs.uri).sort()).toEqual([w.alice.key, w.bob.key].sort());
    expect(find(joined, 'chanib')!.attrs).toMatchObject({ name: w.closed.name, uri: channelUri(POOL, w.closed.guid) });
    // Bob's WebSocket sees Alice arrive.
    await ws.waitFor((f) => f.type === 'participant.joined' && f.user.sipUri === w.alice.key);

    const history = await alice.ask(chat, 'cmd:bccontext', `<chanib uri="${channelUri(POOL, w.closed.guid)}"/><bcq><last cnt="25"/></bcq>`);
    const past = findAll(history, 'msg');
    expect(past.map((m) => [m.attrs.author, find(m, 'chat')!.text])).toEqual([[w.bob.key, 'before alice came — <b>not html</b> & more']]);

    // Alice posts from the legacy client: Bob's WebSocket gets it.
    const posted = await alice.post(chat, channelUri(POOL, w.closed.guid), 'hello from the legacy client & friends');
    expect(posted.status).toBe(200);
    const got = await ws.waitFor((f) => f.type === 'message' && f.message.text === 'hello from the legacy client & friends');
    expect(got.message.author).toBe(w.alice.key);
    // Bob posts from the WebSocket: Alice's legacy client gets a grpchat.
    await ws.ok({ type: 'post', room: w.closed.guid, text: 'hi alice\nsecond line' });
    const grpchat = await alice.waitFor(() => alice.envelopes.flatMap((e) => e.items).find((i) => i.name === 'grpchat'), 'a grpchat');
    expect(grpchat.attrs).toMatchObject({ chanUri: channelUri(POOL, w.closed.guid), author: w.bob.key });
    expect(find(grpchat, 'chat')!.text).toBe('hi alice\nsecond line');
    // Her own post is not echoed back to her.
    expect(alice.envelopes.flatMap((e) => e.items).filter((i) => i.name === 'grpchat')).toHaveLength(1);

    // Compliance sees the legacy client like any other: JOIN, BACKCHAT, CHAT.
    const events = (await pendingEvents(server.services)).filter((e) => e.actorUri === w.alice.key);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['JOIN', 'BACKCHAT', 'CHAT']));

    const parted = await alice.ask(chat, 'cmd:part', `<chanib uri="${channelUri(POOL, w.closed.guid)}"/>`);
    expect(code(parted)).toBe('200');
    await ws.waitFor((f) => f.type === 'participant.left' && f.user.sipUri === w.alice.key);
    ws.close();
  });

  it('refuses with reply codes: unknown room, not a member, auditorium without the presenter role, disabled room', async () => {
    const w = await world();
    const carol = await client(w.carol.key);
    const { chat } = await carol.signIn();
    const unknown = await carol.ask(chat, 'cmd:join', `<chanid key="0" domain="${POOL}" value="00000000-0000-4000-8000-000000000000"/>`);
    expect(find(unknown, 'resp')!.attrs.code).toBe('404');
    // A Secret room she is not in looks the same as one that does not exist.
    expect(code(await carol.ask(chat, 'cmd:join', `<chanid key="0" domain="${POOL}" value="${w.secret.guid}"/>`))).toBe('404');
    expect(find(await carol.ask(chat, 'cmd:join', `<chanid key="0" domain="${POOL}" value="${w.closed.guid}"/>`), 'resp')!.text).toBe('ERR_NOT_MEMBER');

    const alice = await client(w.alice.key);
    const a = await alice.signIn();
    expect(code(await alice.ask(a.chat, 'cmd:join', `<chanid key="0" domain="${POOL}" value="${w.stage.guid}"/>`))).toBe('200');
    const refused = await alice.post(a.chat, channelUri(POOL, w.stage.guid), 'may I speak?');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('warning')).toMatch(/ERR_NOT_PRESENTER/);

    await checkUpdateRoom(server.services, SYSTEM_ACTOR, w.closed.name, { disabled: true });
    expect(find(await alice.ask(a.chat, 'cmd:join', `<chanid key="0" domain="${POOL}" value="${w.closed.guid}"/>`), 'resp')!.text).toBe('ERR_CHANNEL_DISABLED');
    const unknownCommand = await alice.ask(a.chat, 'cmd:frobnicate');
    expect(find(unknownCommand, 'resp')!.attrs.code).toBe('501');
  });

  it('cuts the legacy session out of a room when the room is disabled or the member removed', async () => {
    const w = await world();
    const alice = await client(w.alice.key);
    const { chat } = await alice.signIn();
    expect(code(await alice.ask(chat, 'cmd:join', `<chanid key="0" domain="${POOL}" value="${w.closed.guid}"/>`))).toBe('200');
    const { replace } = await import('../factories.js');
    await checkUpdateRoom(server.services, SYSTEM_ACTOR, w.closed.name, { members: replace([w.bob.key]) });
    await server.settle();
    const part = await alice.waitFor(() => alice.envelopes.flatMap((e) => e.items).find((i) => i.attrs.id === 'ntc:part'), 'ntc:part');
    expect(find(part, 'chanib')!.attrs.uri).toBe(channelUri(POOL, w.closed.guid));
    expect(find(part, 'uib')!.attrs.uri).toBe(w.alice.key);
    const refused = await alice.post(chat, channelUri(POOL, w.closed.guid), 'still here?');
    expect(refused.status).toBe(403);
  });

  it('answers malformed SIP and XCCOS with errors and stays up', async () => {
    const w = await world();
    const bad = await client(w.alice.key);
    bad.raw('HELLO WORLD\r\nCall-ID: x\r\nFrom: <sip:a@b.c>\r\nTo: <sip:a@b.c>\r\nCSeq: 1 HELLO\r\nContent-Length: 0\r\n\r\n');
    const badStart = await bad.waitFor(() => bad.received.find((m) => m.kind === 'response'), 'a 400');
    expect(badStart).toMatchObject({ status: 400 });
    // Requests before REGISTER are refused.
    expect((await bad.invite(`sip:persistentchat@${POOL}`)).response.status).toBe(403);
    const { chat } = await bad.signIn();
    expect((await bad.inDialog(chat, 'INFO', '<xccos><cmd id="cmd:requri"')).status).toBe(400);
    expect((await bad.inDialog(chat, 'INFO', '<!DOCTYPE x [<!ENTITY a "aaaa">]><xccos>&a;</xccos>')).status).toBe(400);
    expect((await bad.inDialog(chat, 'INFO', 'not xml at all')).status).toBe(400);
    const stale: ClientDialog = { ...chat, callId: 'no-such-call' };
    expect((await bad.inDialog(stale, 'INFO', '<xccos envid="1"/>')).status).toBe(481);
    expect((await bad.invite(`sip:nobody@${POOL}`)).response.status).toBe(404);
    expect((await bad.send('MESSAGE', w.alice.key, [['From', `<${w.alice.key}>;tag=1`], ['To', `<${w.alice.key}>`], ['CSeq', '9 MESSAGE'], ['Call-ID', 'm1']])).status).toBe(405);
    expect((await bad.send('OPTIONS', `sip:${POOL}`, [['From', `<${w.alice.key}>;tag=1`], ['To', `<sip:${POOL}>`], ['CSeq', '1 OPTIONS'], ['Call-ID', 'o1']])).status).toBe(200);

    // Huge headers lose the framing: that connection is closed, the gateway carries on.
    const huge = await client(w.alice.key);
    huge.raw(`INVITE sip:x SIP/2.0\r\nX-Pad: ${'a'.repeat(40_000)}`);
    await huge.waitFor(() => (huge.closed ? true : undefined), 'the connection to close');
    const truncated = await client(w.alice.key);
    truncated.raw('REGISTER sip:contoso.com SIP/2.0\r\nContent-Length: 500\r\n\r\nshort');
    truncated.close();
    const after = await client(w.bob.key);
    const { chat: ok } = await after.signIn();
    expect(code(await after.ask(ok, 'cmd:requri'))).toBe('200');
  });

  it('speaks SIP over TLS with the configured certificate, and refuses to start with one it cannot read', async () => {
    const dir = tempDir('stoa-sip-tls-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const secure = await startTestServer({ dialect: 'sqlite' }, { sip: { enabled: true, port: 0, trustedNetworks: ['127.0.0.1/32'], tls: { port: 0, certFile: cert, keyFile: key } } });
    try {
      const user = await buildUser(secure.services, {});
      const c = await SipClient.connect(secure.server.sip!.tlsPort!, user.key, { ca: fs.readFileSync(cert) });
      clients.push(c);
      const { chat } = await c.signIn();
      expect(code(await c.ask(chat, 'cmd:requri'))).toBe('200');
      const invited = c.received.find((m) => m.kind === 'response' && m.headers.get('cseq') === '1 INVITE')!;
      expect(invited.headers.get('contact')).toMatch(/transport=tls/);
    } finally {
      await secure.close();
    }
    await expect(startTestServer({ dialect: 'sqlite' }, { sip: { enabled: true, port: 0, tls: { port: 0, certFile: path.join(dir, 'missing.pem'), keyFile: key } } })).rejects.toThrow(/sip\.tls\.certFile: cannot read .*missing\.pem \(ENOENT\)/);
  });

  it('refuses unknown accounts on a trusted network', async () => {
    const nobody = await client('sip:nobody@contoso.com');
    expect((await nobody.register()).status).toBe(403);
  });
});

describe('legacy clients signing in with NTLMv2', () => {
  const LEGACY = 'legacy secret of the old client';
  let ntlm: TestServer;
  beforeAll(async () => {
    ntlm = await startTestServer({ dialect: 'sqlite' }, { sip: { enabled: true, port: 0, trustedNetworks: ['10.0.0.0/8'] } });
    await buildDomain(ntlm.services, 'contoso.com');
  });
  afterAll(() => ntlm?.close());

  async function ntlmClient(user: string): Promise<SipClient> {
    const c = await SipClient.connect(ntlm.server.sip!.port, user);
    clients.push(c);
    return c;
  }

  /** A user with LEGACY as password, for legacy clients too unless `legacy` is false. */
  async function legacyUser(legacy = true) {
    const user = await buildUser(ntlm.services, { domain: 'contoso.com' });
    await checkSetPassword(ntlm.services, SYSTEM_ACTOR, user.key, LEGACY, { legacy });
    return user;
  }

  it('signs in, chats both ways with a WebSocket client, and every message is signed both ways', async () => {
    const s = ntlm.services;
    const alice = await legacyUser();
    const bob = await buildUser(s, { domain: 'contoso.com' });
    await checkSetPassword(s, SYSTEM_ACTOR, bob.key, PASSWORD);
    const category = await buildCategory(s, { allowed: ['contoso.com'] });
    const room = await buildRoom(s, category.name, { privacy: 'Closed', members: [alice.key, bob.key] });
    const c = await ntlmClient(alice.key);
    const offered = await c.register();
    expect([offered.status, offered.headers.get('www-authenticate')]).toEqual([401, `NTLM realm="SIP Communications Service", targetname="${POOL}", version=3`]);
    const { chat } = await c.signIn(LEGACY);
    const registered = c.received.find((m) => m.kind === 'response' && m.status === 200 && m.headers.get('cseq')?.endsWith('REGISTER'))!;
    expect(registered.headers.get('authentication-info')).toMatch(/^NTLM rspauth="01000000[0-9A-F]{16}64000000", srand="[0-9a-f]{8}", snum="1", qop="auth", opaque="[0-9A-F]{8}"/);

    const ws = await (await ntlm.signIn(bob.key)).ws();
    await ws.ok({ type: 'join', room: room.guid });
    const chanUri = channelUri(POOL, room.guid);
    expect(code(await c.ask(chat, 'cmd:join', `<chanid key="0" domain="${POOL}" value="${room.guid}"/>`))).toBe('200');
    await ws.ok({ type: 'post', room: room.guid, text: 'to the signed client' });
    await c.waitFor(() => c.envelopes.find((e) => e.items.some((i) => i.name === 'grpchat' && find(i, 'chat')?.text === 'to the signed client')), 'the WebSocket post');
    expect((await c.post(chat, chanUri, 'from the signed client')).status).toBe(200);
    await ws.waitFor((f) => f.type === 'message' && f.message.text === 'from the signed client' && f.message.author === alice.key);
    // Responses and the server's own INFOs all carried a valid rspauth; snum counts up.
    expect(c.badlySigned).toEqual([]);
    const snums = c.received.filter((m) => m.headers.get('authentication-info') !== undefined).map((m) => Number(/snum="(\d+)"/.exec(m.headers.get('authentication-info')!)![1]));
    expect(snums.length).toBeGreaterThan(8);
    expect(snums).toEqual(snums.map((_, i) => i + 1));
    ws.close();
  });

  it('refuses requests that are unsigned, tampered with or replayed, and goes on serving the signed ones', async () => {
    const alice = await legacyUser();
    const c = await ntlmClient(alice.key);
    const { chat } = await c.signIn(LEGACY);
    const options = (extra: [string, string][] = []) => c.send('OPTIONS', `sip:${POOL}`, [['From', `<${alice.key}>;tag=o1`], ['To', `<sip:${POOL}>`], ['CSeq', '7 OPTIONS'], ['Call-ID', 'options-1'], ...extra]);
    expect((await options()).status).toBe(200);
    const replay = c.lastAuthorization!;
    const refused = await options([['Authorization', replay]]);
    expect([refused.status, refused.headers.get('warning')]).toEqual([403, `399 stoa "the request is not signed by this connection's NTLM security association"`]);
    const tampered = replay.replace(/cnum="\d+"/, 'cnum="999"');
    expect((await options([['Authorization', tampered]])).status).toBe(403);
    expect((await options([['Authorization', 'NTLM qop="auth"']])).status).toBe(403);
    expect((await c.inDialog(chat, 'INFO', '<xccos ver="1" envid="1" xmlns="urn:parlano:xml:ns:xccos"><cmd id="cmd:getserverinfo" seqid="1"><data/></cmd></xccos>')).status).toBe(200);
    expect(c.badlySigned).toEqual([]);
    // Signing out ends the association: a request after it is refused until the next sign-in.
    expect((await c.register(0)).status).toBe(200);
    expect(c.closed).toBe(false);
    c.ntlm = undefined;
    expect((await c.subscribeProvisioning()).headers.get('warning')).toMatch(/register first/);
    expect((await c.registerNtlm(LEGACY)).status).toBe(200);
  });

  it('refuses wrong passwords, users without a legacy secret, other login names and old NTLM, with the reason', async () => {
    const s = ntlm.services;
    const alice = await legacyUser();
    const plain = await legacyUser(false);
    const bob = await legacyUser();
    const warning = (r: { status: number; headers: { get(n: string): string | undefined } }) => [r.status, r.headers.get('warning')];
    const wrong = '399 stoa "the user name or password is wrong"';
    expect(warning(await (await ntlmClient(alice.key)).registerNtlm('not the password'))).toEqual([403, wrong]);
    expect(warning(await (await ntlmClient(plain.key)).registerNtlm(LEGACY))).toEqual([403, wrong]);
    expect(warning(await (await ntlmClient('sip:nobody@contoso.com')).registerNtlm(LEGACY))).toEqual([403, wrong]);
    expect(warning(await (await ntlmClient(alice.key)).registerNtlm(LEGACY, { login: bob.key.slice(4) }))).toEqual([403, `399 stoa "the NTLM user name '${bob.key.slice(4)}' is not ${alice.key.slice(4)}"`]);
    // Without extended session security (flags of old NTLM clients) the keys would be weak.
    expect(warning(await (await ntlmClient(alice.key)).registerNtlm(LEGACY, { flags: 0x62988255 & ~0x00080000 }))).toEqual([403, '399 stoa "NTLM without extended session security is not accepted"']);
    // A DOMAIN\\user login (user part, NetBIOS domain) is the same account.
    expect((await (await ntlmClient(alice.key)).registerNtlm(LEGACY, { login: alice.key.slice(4, alice.key.indexOf('@')), domain: 'CONTOSO' })).status).toBe(200);
    // An AUTHENTICATE for a challenge this connection never sent.
    const stale = await ntlmClient(alice.key);
    const r = await stale.register(3600, [['Authorization', `NTLM qop="auth", opaque="DEADBEEF", realm="SIP Communications Service", targetname="${POOL}", gssapi-data="TlRMTVNTUAADAAAA", version=3`]]);
    expect(warning(r)).toEqual([403, '399 stoa "the NTLM answer is for a challenge this connection did not send"']);
    // A disabled account with the right password: known, refused for what it is.
    await checkUpdatePrincipal(s, SYSTEM_ACTOR, alice.key, { enabled: false });
    expect(warning(await (await ntlmClient(alice.key)).registerNtlm(LEGACY))).toEqual([403, '399 stoa "this account may not use Persistent Chat"']);
  });

  it('stops accepting sign-ins for a user after ten failures (Retry-After), even with the right password', async () => {
    const carol = await legacyUser();
    for (let i = 0; i < 10; i++) expect((await (await ntlmClient(carol.key)).registerNtlm(`wrong ${i}`)).status).toBe(403);
    const locked = await (await ntlmClient(carol.key)).registerNtlm(LEGACY);
    expect(locked.status).toBe(403);
    expect(locked.headers.get('warning')).toMatch(/too many failed sign-ins; try again in \d+ s/);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    // Another user from the same address is not locked out.
    expect((await (await ntlmClient((await legacyUser()).key)).registerNtlm(LEGACY)).status).toBe(200);
  });
});

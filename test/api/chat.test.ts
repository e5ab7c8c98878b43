/** Joining, posting, live delivery, backchat and history over the real API and WebSocket. */
import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useServer } from '../harness/server.js';
import { buildCategory, buildDomain, buildRoom, unique } from '../factories.js';
import { configurations } from '../../src/actions/configurations.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkUpdateRoom } from '../../src/actions/rooms.js';
import { checkClearRoom, checkRemoveMessages } from '../../src/actions/content.js';
import { checkUpdatePrincipal } from '../../src/actions/principals.js';
import { pendingEvents } from '../harness/compliance-output.js';

describeEachStore('live chat', (kind) => {
  const t = useServer(kind);

  async function openCategory(opts: Parameters<typeof buildCategory>[1] = {}) {
    const domain = unique('d') + '.example';
    await buildDomain(t.services, domain);
    const category = await buildCategory(t.services, { allowed: [domain], ...opts });
    return { domain, category };
  }

  it('delivers a post to every joined client, acknowledges it, and not to others', async () => {
    const { domain, category } = await openCategory();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const [alice, bob, carol] = await Promise.all([t.user({ domain }), t.user({ domain }), t.user({ domain })]);
    const [wa, wb, wc] = await Promise.all([alice.ws(), bob.ws(), carol.ws()]);
    await wa.ok({ type: 'join', room: room.guid });
    await wb.ok({ type: 'join', room: room.guid });
    const posted = await wa.ok({ type: 'post', room: room.guid, text: 'hello room' });
    expect(posted.message).toMatchObject({ chatId: 1, text: 'hello room', author: alice.key, room: room.name, alert: false, story: null });
    const got = await wb.waitFor((f) => f.type === 'message');
    expect(got.message).toEqual(posted.message);
    await t.settle();
    expect(wc.of('message')).toEqual([]);
    for (const c of [wa, wb, wc]) c.close();
  });

  it('keeps the room order: chat ids increase by one per post', async () => {
    const { domain, category } = await openCategory();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const alice = await t.user({ domain });
    const posts = await Promise.all(Array.from({ length: 20 }, (_, i) => alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `m${i}` })));
    expect(posts.every((p) => p.status === 201)).toBe(true);
    expect(posts.map((p) => p.body.chatId).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const history = await alice.api.get(`/api/v1/rooms/${room.guid}/messages?limit=200`);
    expect(history.body.messages.map((m: { chatId: number }) => m.chatId)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('sends the last DefaultChatHistory messages on join, and pages history before and after', async () => {
    const { domain, category } = await openCategory();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const alice = await t.user({ domain });
    for (let i = 1; i <= 40; i++) await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `n${i}` });
    const ws = await alice.ws();
    const joined = await ws.ok({ type: 'join', room: room.guid });
    expect(joined.backchat.map((m: { chatId: number }) => m.chatId)).toEqual(Array.from({ length: 30 }, (_, i) => i + 11));
    const before = await alice.api.get(`/api/v1/rooms/${room.guid}/messages?before=11&limit=5`);
    expect(before.body.messages.map((m: { chatId: number }) => m.chatId)).toEqual([6, 7, 8, 9, 10]);
    expect(before.body.more).toBe(true);
    const first = await alice.api.get(`/api/v1/rooms/${room.guid}/messages?before=3&limit=5`);
    expect(first.body).toMatchObject({ more: false });
    expect(first.body.messages.map((m: { chatId: number }) => m.chatId)).toEqual([1, 2]);
    const after = await alice.api.get(`/api/v1/rooms/${room.guid}/messages?after=37&limit=5`);
    expect(after.body.messages.map((m: { chatId: number }) => m.chatId)).toEqual([38, 39, 40]);
    expect(after.body.more).toBe(false);
    ws.close();
  });

  it('takes DefaultChatHistory from the configuration at join time', async () => {
    const { domain, category } = await openCategory();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const alice = await t.user({ domain });
    for (let i = 1; i <= 5; i++) await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `n${i}` });
    await configurations.update(t.services, SYSTEM_ACTOR, 'global', { defaultChatHistory: 2 });
    try {
      const ws = await alice.ws();
      const joined = await ws.ok({ type: 'join', room: room.guid });
      expect(joined.backchat.map((m: { chatId: number }) => m.chatId)).toEqual([4, 5]);
      ws.close();
    } finally {
      await configurations.update(t.services, SYSTEM_ACTOR, 'global', { defaultChatHistory: 30 });
    }
  });

  it('lets only presenters post in auditorium rooms', async () => {
    const { domain, category } = await openCategory();
    const [presenter, listener] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    const room = await buildRoom(t.services, category.name, { type: 'Auditorium', members: [presenter.key, listener.key], presenters: [presenter.key] });
    const [wp, wl] = await Promise.all([presenter.ws(), listener.ws()]);
    await wp.ok({ type: 'join', room: room.guid });
    const joined = await wl.ok({ type: 'join', room: room.guid });
    expect(joined.room.canPost).toBe(false);
    const refused = await wl.call({ type: 'post', room: room.guid, text: 'may I?' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    const http = await listener.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'may I?' });
    expect(http.status).toBe(403);
    expect((await listener.api.get(`/api/v1/rooms/${room.guid}`)).body).toMatchObject({ room: { id: room.guid, type: 'Auditorium' }, canPost: false });
    expect((await presenter.api.get(`/api/v1/rooms/${room.guid}`)).body).toMatchObject({ canPost: true, chatHistory: true, fileUpload: false });
    await wp.ok({ type: 'post', room: room.guid, text: 'welcome' });
    expect((await wl.waitFor((f) => f.type === 'message')).message.text).toBe('welcome');
    wp.close();
    wl.close();
  });

  it('refuses non-members of closed rooms exactly like missing rooms, and secret rooms too', async () => {
    const { domain, category } = await openCategory();
    const [member, outsider] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    const closed = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [member.key] });
    const secret = await buildRoom(t.services, category.name, { privacy: 'Secret', members: [member.key] });
    const ws = await outsider.ws();
    expect(await ws.call({ type: 'join', room: closed.guid })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    const secretJoin = await ws.call({ type: 'join', room: secret.guid });
    const missing = await ws.call({ type: 'join', room: '00000000-0000-0000-0000-000000000000' });
    expect(secretJoin.error.code).toBe('ROOM_NOT_FOUND');
    expect(missing.error.code).toBe('ROOM_NOT_FOUND');
    expect((await outsider.api.get(`/api/v1/rooms/${secret.guid}/messages`)).status).toBe(404);
    ws.close();
  });

  it('posts alerts and stories, and refuses oversized or empty messages', async () => {
    const { domain, category } = await openCategory();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const alice = await t.user({ domain });
    const url = `/api/v1/rooms/${room.guid}/messages`;
    expect((await alice.api.post(url, { text: 'fire drill', alert: true })).body).toMatchObject({ alert: true });
    const story = await alice.api.post(url, { text: 'x'.repeat(100_000), story: { title: 'Quarterly report' } });
    expect(story.status).toBe(201);
    expect(story.body.story).toEqual({ title: 'Quarterly report' });
    const big = await alice.api.post(url, { text: 'x'.repeat(16 * 1024 + 1) });
    expect(big).toMatchObject({ status: 413, body: { error: { code: 'MESSAGE_TOO_LARGE' } } });
    expect((await alice.api.post(url, { text: '   ' })).status).toBe(400);
    expect((await alice.api.post(url, { text: 'bad \u0007 bell' })).status).toBe(400);
    expect((await alice.api.post(url, { text: 'no title', story: { title: '' } })).status).toBe(400);
    const history = await alice.api.get(url);
    expect(history.body.messages).toHaveLength(2);
  });

  it('delivers live but keeps no history where the category has chat history off', async () => {
    const { domain, category } = await openCategory({ chatHistory: false });
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const [alice, bob] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    const [wa, wb] = await Promise.all([alice.ws(), bob.ws()]);
    await wa.ok({ type: 'join', room: room.guid });
    await wb.ok({ type: 'join', room: room.guid });
    await wa.ok({ type: 'post', room: room.guid, text: 'ephemeral' });
    expect((await wb.waitFor((f) => f.type === 'message')).message.text).toBe('ephemeral');
    const late = await (await t.user({ domain })).ws();
    expect((await late.ok({ type: 'join', room: room.guid })).backchat).toEqual([]);
    expect((await alice.api.get(`/api/v1/rooms/${room.guid}/messages`)).status).toBe(403);
    expect((await alice.api.get(`/api/v1/search?q=ephemeral`)).body.messages).toEqual([]);
    // A mention there is told live, but not kept to be listed later.
    await wb.ok({ type: 'post', room: room.guid, text: `ephemeral @${alice.key.slice(4)}` });
    expect((await wa.waitFor((f) => f.type === 'notification')).notification.kind).toBe('mention');
    expect((await alice.api.get('/api/v1/notifications')).body).toEqual([]);
    for (const c of [wa, wb, late]) c.close();
  });

  it('sends roster changes until ParticipantUpdateLimit is passed, and again below 80 % of it', async () => {
    const { domain, category } = await openCategory();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    await configurations.create(t.services, SYSTEM_ACTOR, `service:${t.services.poolFqdn}`, { participantUpdateLimit: 5 });
    try {
      const users = await Promise.all(Array.from({ length: 7 }, () => t.user({ domain })));
      const clients = [];
      for (const u of users.slice(0, 5)) {
        const c = await u.ws();
        const joined = await c.ok({ type: 'join', room: room.guid });
        expect(joined.large).toBe(false);
        expect(joined.participants).toHaveLength(clients.length + 1);
        clients.push(c);
      }
      const watcher = clients[0]!;
      await watcher.waitFor((f) => f.type === 'participant.joined' && f.user.sipUri === users[4]!.key);
      const sixth = await users[5]!.ws();
      const over = await sixth.ok({ type: 'join', room: room.guid });
      expect(over).toMatchObject({ large: true, participants: null });
      // Asking explicitly (the legacy clients' roster poll) still answers, flagged large.
      const polled = await users[0]!.api.get(`/api/v1/rooms/${room.guid}/participants`);
      expect(polled.body.large).toBe(true);
      expect(polled.body.participants).toHaveLength(6);
      expect(polled.body).toMatchObject({ total: 6, more: false });
      // Paged by SIP address: two pages of 4 and 2 make the whole roster, in order.
      const keys = users.slice(0, 6).map((u) => u.key).sort();
      const first = await watcher.ok({ type: 'participants', room: room.guid, limit: 4 });
      expect(first).toMatchObject({ total: 6, more: true, large: true });
      expect(first.participants.map((p: { sipUri: string }) => p.sipUri)).toEqual(keys.slice(0, 4));
      const second = await users[0]!.api.get(`/api/v1/rooms/${room.guid}/participants?limit=4&after=${encodeURIComponent(keys[3]!)}`);
      expect(second.body).toMatchObject({ total: 6, more: false });
      expect(second.body.participants.map((p: { sipUri: string }) => p.sipUri)).toEqual(keys.slice(4));
      expect((await users[0]!.api.get(`/api/v1/rooms/${room.guid}/participants?limit=0`)).status).toBe(400);
      expect((await watcher.call({ type: 'participants', room: room.guid, limit: 1001 })).error.code).toBe('INVALID_INPUT');
      await t.settle();
      expect(watcher.of('participant.joined').map((f) => f.user.sipUri)).not.toContain(users[5]!.key);
      // 6 → 4 users: 4 is not below 80 % of 5; 3 is.
      await sixth.ok({ type: 'part', room: room.guid });
      await clients[4]!.ok({ type: 'part', room: room.guid });
      await clients[3]!.ok({ type: 'part', room: room.guid });
      const seventh = await users[6]!.ws();
      const back = await seventh.ok({ type: 'join', room: room.guid });
      expect(back.large).toBe(false);
      expect(back.participants).toHaveLength(4);
      // A roster read before people left is not served again.
      expect((await watcher.ok({ type: 'participants', room: room.guid })).total).toBe(4);
      await watcher.waitFor((f) => f.type === 'participant.joined' && f.user.sipUri === users[6]!.key);
      for (const c of [...clients, sixth, seventh]) c.close();
    } finally {
      const { configurations: c } = await import('../../src/actions/configurations.js');
      await c.remove(t.services, SYSTEM_ACTOR, `service:${t.services.poolFqdn}`);
    }
  });

  it('delivers messages while housekeeping is busy, but holds a room whose roles changed until its kicks are out', async () => {
    const { domain, category } = await openCategory();
    const [alice, bob] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    const open = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const closed = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [alice.key, bob.key] });
    const [wa, wb] = await Promise.all([alice.ws(), bob.ws()]);
    for (const ws of [wa, wb]) for (const room of [open, closed]) await ws.ok({ type: 'join', room: room.guid });
    await t.settle();
    // Stand-in for a long re-check (a policy change over every connected user): the
    // gateway's housekeeping queue is held until released.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    void (t.server.gateway as unknown as { queue: { push(job: () => Promise<void>): Promise<void> } }).queue.push(() => held);
    try {
      await wa.ok({ type: 'post', room: open.guid, text: 'while housekeeping is busy' });
      expect((await wb.waitFor((f) => f.type === 'message')).message.text).toBe('while housekeeping is busy');
      // Bob leaves the Closed room's members: that room's frames now wait for the re-check.
      await checkUpdateRoom(t.services, SYSTEM_ACTOR, closed.name, { members: { mode: 'edit', add: [], remove: [bob.key] } });
      await wa.ok({ type: 'post', room: closed.guid, text: 'after bob left' });
      await wa.ok({ type: 'post', room: open.guid, text: 'other rooms go on' });
      expect((await wb.waitFor((f) => f.type === 'message' && f.message.text === 'other rooms go on')).message.room).toBe(open.name);
      expect(wa.of('message').map((f) => f.message.text)).not.toContain('after bob left');
    } finally {
      release();
    }
    expect(await wb.waitFor((f) => f.type === 'room.kicked')).toMatchObject({ room: closed.guid });
    expect((await wa.waitFor((f) => f.type === 'message' && f.message.text === 'after bob left')).message.room).toBe(closed.name);
    await t.settle();
    expect(wb.of('message').map((f) => f.message.text)).not.toContain('after bob left');
    wa.close();
    wb.close();
  });

  it('answers the newest page from memory and keeps it true after posts, removals, replacements, renames and clears', async () => {
    const { domain, category } = await openCategory();
    const alice = await t.user({ domain });
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const post = (text: string) => alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text });
    const newest = async (limit = 50) => {
      const body = (await alice.api.get(`/api/v1/rooms/${room.guid}/messages?limit=${limit}`)).body as { messages: { text: string; authorName: string; chatId: number }[]; more: boolean };
      // What memory answers is what the store holds.
      const stored = await t.services.store.messages.latest(room.id, limit);
      expect(body.messages.map((m) => m.chatId)).toEqual(stored.map((m) => m.chatId));
      return body;
    };
    for (let i = 0; i < 70; i++) await post(`m${i}`);
    expect((await newest()).more).toBe(true);
    const hits = t.services.recent.stats.hits;
    await post('m70');
    await t.settle();
    const page = await newest();
    expect(t.services.recent.stats.hits).toBe(hits + 1);
    expect(page.messages.at(-1)?.text).toBe('m70');
    expect(page.messages).toHaveLength(50);
    expect((await newest(3)).messages.map((m) => m.text)).toEqual(['m68', 'm69', 'm70']);
    await checkRemoveMessages(t.services, SYSTEM_ACTOR, room.name, { remove: true, filter: 'm69', matchClause: 'Exact' });
    await t.settle();
    expect((await newest(3)).messages.map((m) => m.text)).toEqual(['m67', 'm68', 'm70']);
    await checkRemoveMessages(t.services, SYSTEM_ACTOR, room.name, { replaceMessage: 'gone', filter: 'm70', matchClause: 'Exact' });
    await t.settle();
    expect((await newest(1)).messages.map((m) => m.text)).toEqual(['gone']);
    await checkUpdatePrincipal(t.services, SYSTEM_ACTOR, alice.key, { displayName: 'Alice Renamed' });
    await t.settle();
    expect((await newest(1)).messages[0]?.authorName).toBe('Alice Renamed');
    await checkClearRoom(t.services, SYSTEM_ACTOR, room.name, Date.now() + 86_400_000);
    await t.settle();
    expect((await newest()).messages).toEqual([]);
  });

  it('serves one newest page to every reader until the room changes, and records each read with its reader', async () => {
    const { domain, category } = await openCategory();
    const [ana, ben] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    for (let i = 0; i < 5; i++) await ana.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `shared ${i}` });
    await t.settle();
    const raw = async (user: typeof ana) => {
      const r = await fetch(`${t.url}/api/v1/rooms/${room.guid}/messages?limit=3`, { headers: { authorization: `Bearer ${user.token}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
      return r.text();
    };
    const first = await raw(ana);
    expect(await raw(ben)).toBe(first);
    expect(await raw(ana)).toBe(first);
    expect((JSON.parse(first) as { messages: { text: string }[] }).messages.map((m) => m.text)).toEqual(['shared 2', 'shared 3', 'shared 4']);
    await ben.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'shared 5' });
    await t.settle();
    const after = JSON.parse(await raw(ana)) as { messages: { text: string }[]; more: boolean };
    expect(after.messages.map((m) => m.text)).toEqual(['shared 3', 'shared 4', 'shared 5']);
    expect(after.more).toBe(true);
    // Each read is its own BACKCHAT record, with its own reader, though they shared a page.
    const reads = (await pendingEvents(t.services)).filter((e) => e.type === 'BACKCHAT' && e.roomId === room.id && e.content.startsWith('history'));
    expect(reads.map((e) => e.actorUri)).toEqual([ana.key, ben.key, ana.key, ana.key]);
    expect(reads.map((e) => (JSON.parse(e.details ?? '{}') as { chatIds: number[] }).chatIds)).toEqual([[3, 4, 5], [3, 4, 5], [3, 4, 5], [4, 5, 6]]);
  });

  it('kicks joined users when the room is disabled and hides it, and when they lose membership', async () => {
    const { domain, category } = await openCategory();
    const [keeper, leaver] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    const room = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [keeper.key, leaver.key] });
    const [wk, wl] = await Promise.all([keeper.ws(), leaver.ws()]);
    await wk.ok({ type: 'join', room: room.guid });
    await wl.ok({ type: 'join', room: room.guid });
    // History read before the change (the node keeps the room as loaded for this reader)...
    expect((await leaver.api.get(`/api/v1/rooms/${room.guid}/messages`)).status).toBe(200);
    await checkUpdateRoom(t.services, SYSTEM_ACTOR, room.name, { members: { mode: 'edit', add: [], remove: [leaver.key] } });
    // ...is refused at once after it (the room stays visible: it is Closed, not Secret).
    expect((await leaver.api.get(`/api/v1/rooms/${room.guid}/messages`)).status).toBe(403);
    expect(await wl.waitFor((f) => f.type === 'room.kicked')).toMatchObject({ room: room.guid });
    await wk.waitFor((f) => f.type === 'participant.left' && f.user.sipUri === leaver.key);
    await wk.ok({ type: 'post', room: room.guid, text: 'after the kick' });
    await t.settle();
    expect(wl.of('message')).toEqual([]);
    await checkUpdateRoom(t.services, SYSTEM_ACTOR, room.name, { disabled: true });
    expect(await wk.waitFor((f) => f.type === 'room.kicked')).toMatchObject({ room: room.guid, reason: 'the room was disabled' });
    expect((await keeper.api.get('/api/v1/rooms')).body.map((r: { id: string }) => r.id)).not.toContain(room.guid);
    expect((await wk.call({ type: 'join', room: room.guid })).error.code).toBe('ROOM_NOT_FOUND');
    wk.close();
    wl.close();
  });
});

describe('websocket handshake', () => {
  const t = useServer({ dialect: 'sqlite' });
  it('refuses connections without a valid token', async () => {
    const { WsClient } = await import('../harness/server.js');
    const anonymous = await WsClient.connect(t.url, undefined);
    expect((await anonymous.waitClosed()).code).toBe(4401);
    const forged = await WsClient.connect(t.url, 'stoa_ses_forged');
    expect((await forged.waitClosed()).code).toBe(4401);
  });

  it('answers bad frames with a clear error and keeps the connection', async () => {
    const u = await t.user();
    const ws = await u.ws();
    ws.ws.send('not json');
    expect((await ws.waitFor((f) => f.type === 'reply')).error.code).toBe('INVALID_INPUT');
    expect(await ws.ok({ type: 'ping' })).toHaveProperty('pong');
    ws.close();
  });
});

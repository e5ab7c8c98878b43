/** The directory, my rooms, following with unread counts, search, invitations and notifications. */
import { expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useServer } from '../harness/server.js';
import { buildCategory, buildDomain, buildGroup, buildRoom, unique } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkUpdateRoom } from '../../src/actions/rooms.js';
import { checkGrantAdministrator } from '../../src/actions/administrators.js';

describeEachStore('finding rooms and being told', (kind) => {
  const t = useServer(kind);

  async function world() {
    const domain = `${unique('d')}.example`;
    await buildDomain(t.services, domain);
    const category = await buildCategory(t.services, { allowed: [domain], invitations: true });
    const [alice, bob] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    return { domain, category, alice, bob };
  }

  it('lists open and closed rooms in scope, secret rooms to members only, never disabled rooms', async () => {
    const { category, alice, bob } = await world();
    const tag = unique('dir');
    const open = await buildRoom(t.services, category.name, { name: `${tag} open`, privacy: 'Open' });
    const closed = await buildRoom(t.services, category.name, { name: `${tag} closed`, privacy: 'Closed' });
    const secret = await buildRoom(t.services, category.name, { name: `${tag} secret`, privacy: 'Secret', members: [alice.key] });
    await buildRoom(t.services, category.name, { name: `${tag} disabled`, privacy: 'Open', disabled: true });
    const outsider = await t.user();
    const names = async (u: typeof alice) => (await u.api.get(`/api/v1/rooms?q=${encodeURIComponent(tag)}`)).body.map((r: { name: string }) => r.name).sort();
    expect(await names(alice)).toEqual([closed.name, open.name, secret.name].sort());
    expect(await names(bob)).toEqual([closed.name, open.name].sort());
    expect(await names(outsider)).toEqual([]);
    expect((await alice.api.get('/api/v1/rooms/mine')).body.map((r: { id: string }) => r.id)).toEqual([secret.guid]);
  });

  it('matches descriptions only for administrators', async () => {
    const { category, alice } = await world();
    const word = unique('needle');
    const room = await buildRoom(t.services, category.name, { privacy: 'Open', description: `about ${word}` });
    expect((await alice.api.get(`/api/v1/rooms?q=${word}`)).body).toEqual([]);
    await checkGrantAdministrator(t.services, SYSTEM_ACTOR, alice.key, true);
    expect((await alice.api.get(`/api/v1/rooms?q=${word}`)).body.map((r: { id: string }) => r.id)).toEqual([room.guid]);
  });

  it('lists the rooms a user manages, disabled ones included', async () => {
    const { category, alice } = await world();
    const room = await buildRoom(t.services, category.name, { members: [alice.key], managers: [alice.key], disabled: true });
    expect((await alice.api.get('/api/v1/rooms/managed')).body).toEqual([expect.objectContaining({ id: room.guid, disabled: true })]);
  });

  it('follows rooms server-side with unread counts and read marks', async () => {
    const { category, alice, bob } = await world();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'before following' });
    expect((await bob.api.put(`/api/v1/rooms/${room.guid}/follow`)).body).toMatchObject({ id: room.guid, unread: 0 });
    for (const text of ['one', 'two', 'three']) await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text });
    // A second device of the same user sees the same follows.
    const bobAgain = await t.signIn(bob.key);
    expect((await bobAgain.api.get('/api/v1/rooms/followed')).body).toEqual([expect.objectContaining({ id: room.guid, unread: 3 })]);
    expect((await bob.api.post(`/api/v1/rooms/${room.guid}/read`, { chatId: 3 })).status).toBe(204);
    expect((await bob.api.get('/api/v1/rooms/followed')).body[0].unread).toBe(1);
    await bob.api.post(`/api/v1/rooms/${room.guid}/read`, { chatId: 1 });
    expect((await bob.api.get('/api/v1/rooms/followed')).body[0].unread).toBe(1);
    expect((await bob.api.delete(`/api/v1/rooms/${room.guid}/follow`)).status).toBe(204);
    expect((await bob.api.get('/api/v1/rooms/followed')).body).toEqual([]);
  });

  it("pushes a post in a followed room to the follower's clients, and follows and reads to all their devices", async () => {
    const { domain, category, alice, bob } = await world();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const [phone, desk] = [await bob.ws(), await (await t.signIn(bob.key)).ws()];
    // Not following yet: nothing.
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'not yet' });
    expect((await bob.api.put(`/api/v1/rooms/${room.guid}/follow`)).status).toBe(200);
    for (const ws of [phone, desk]) expect(await ws.waitFor((f) => f.type === 'follow.changed')).toMatchObject({ room: room.guid, following: true });
    const posted = (await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'now' })).body;
    for (const ws of [phone, desk]) expect(await ws.waitFor((f) => f.type === 'room.activity')).toEqual({ type: 'room.activity', room: room.guid, chatId: posted.chatId, author: alice.key });
    // A client in the room gets the message itself, not the activity.
    await desk.ok({ type: 'join', room: room.guid });
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'in the room' });
    await desk.waitFor((f) => f.type === 'message' && f.message.text === 'in the room');
    await phone.waitFor(() => phone.of('room.activity').length === 2);
    await t.settle();
    expect(desk.of('room.activity')).toHaveLength(1);
    // Read on one device: every device hears it.
    expect((await bob.api.post(`/api/v1/rooms/${room.guid}/read`, { chatId: posted.chatId + 1 })).status).toBe(204);
    await phone.waitFor((f) => f.type === 'follow.changed' && f.lastReadChatId === posted.chatId + 1);
    // Unfollowed: no more activity.
    expect((await bob.api.delete(`/api/v1/rooms/${room.guid}/follow`)).status).toBe(204);
    await phone.waitFor((f) => f.type === 'follow.changed' && f.following === false);
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'after' });
    await t.settle();
    expect(phone.of('room.activity')).toHaveLength(2);
    // A user's follows are read when their first connection opens: following before connecting counts too.
    const carol = await t.user({ domain });
    expect((await carol.api.put(`/api/v1/rooms/${room.guid}/follow`)).status).toBe(200);
    const carols = await carol.ws();
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'for carol' });
    expect(await carols.waitFor((f) => f.type === 'room.activity')).toMatchObject({ room: room.guid });
    for (const ws of [phone, desk, carols]) ws.close();
  });

  it('searches words, phrases, substrings and CJK text in readable rooms only, with operators', async () => {
    const { category, alice, bob } = await world();
    const open = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const closed = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [alice.key] });
    const tag = unique('z');
    const post = (room: { guid: string }, text: string) => alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `${tag} ${text}` });
    await post(open, 'The quarterly report is ready');
    await post(open, '東京で会議があります');
    await post(closed, 'secret quarterly numbers');
    await bob.api.post(`/api/v1/rooms/${open.guid}/messages`, { text: `${tag} report from bob` });
    const search = async (u: typeof alice, q: string) =>
      (await u.api.get(`/api/v1/search?q=${encodeURIComponent(`${tag} ${q}`)}`)).body.messages.map((m: { text: string }) => m.text.slice(tag.length + 1)).sort();
    expect(await search(alice, 'quarterly')).toEqual(['The quarterly report is ready', 'secret quarterly numbers']);
    expect(await search(bob, 'quarterly')).toEqual(['The quarterly report is ready']);
    expect(await search(alice, '"report is"')).toEqual(['The quarterly report is ready']);
    expect(await search(alice, '"is report"')).toEqual([]);
    expect(await search(alice, 'arter')).toEqual(['The quarterly report is ready', 'secret quarterly numbers']);
    expect(await search(alice, 'QUARTERLY report')).toEqual(['The quarterly report is ready']);
    expect(await search(alice, '会議')).toEqual(['東京で会議があります']);
    expect(await search(alice, '東京で会議')).toEqual(['東京で会議があります']);
    expect(await search(alice, `report from:${bob.key}`)).toEqual(['report from bob']);
    // By the user part alone, as people say it.
    expect(await search(alice, `report from:${bob.key.slice(4).split('@')[0]!.toUpperCase()}`)).toEqual(['report from bob']);
    expect(await search(alice, `report from:${alice.key.slice(4).split('@')[0]}`)).toEqual(['The quarterly report is ready']);
    expect(await search(alice, `quarterly room:"${closed.name}"`)).toEqual(['secret quarterly numbers']);
    expect(await search(alice, `quarterly category:"${category.name}"`)).toHaveLength(2);
    expect(await search(alice, 'quarterly category:nowhere')).toEqual([]);
    expect(await search(alice, 'quarterly before:2000-01-01')).toEqual([]);
    expect(await search(alice, 'quarterly after:2000-01-01')).toHaveLength(2);
    expect(await search(alice, 'has:file')).toEqual([]);
    const bad = await alice.api.get(`/api/v1/search?q=${encodeURIComponent('after:yesterday')}`);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_VALUE' } } });
  });

  it('excludes disabled rooms from search until they are enabled again', async () => {
    const { category, alice } = await world();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const word = unique('hidden');
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: word });
    await checkUpdateRoom(t.services, SYSTEM_ACTOR, room.name, { disabled: true });
    expect((await alice.api.get(`/api/v1/search?q=${word}`)).body.messages).toEqual([]);
    await checkUpdateRoom(t.services, SYSTEM_ACTOR, room.name, { disabled: false });
    expect((await alice.api.get(`/api/v1/search?q=${word}`)).body.messages).toHaveLength(1);
  });

  it('pages search results', async () => {
    const { category, alice } = await world();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const word = unique('page');
    for (let i = 0; i < 5; i++) await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `${word} ${i}` });
    const first = await alice.api.get(`/api/v1/search?q=${word}&limit=3`);
    expect(first.body.more).toBe(true);
    const next = await alice.api.get(`/api/v1/search?q=${word}&limit=3&before=${first.body.messages[2].id}`);
    expect(next.body.more).toBe(false);
    expect([...first.body.messages, ...next.body.messages].map((m: { text: string }) => m.text)).toEqual([4, 3, 2, 1, 0].map((i) => `${word} ${i}`));
  });

  it('invites every user who gains membership when invitations are effective', async () => {
    const { domain, alice, bob } = await world();
    const group = await buildGroup(t.services);
    const category = await buildCategory(t.services, { allowed: [domain, group.key], invitations: true });
    const carol = await t.user({ domain, memberOf: [group.key] });
    const ws = await carol.ws();
    const room = await buildRoom(t.services, category.name, { members: [alice.key, group.key] });
    expect((await ws.waitFor((f) => f.type === 'invitation')).invitation.room).toMatchObject({ id: room.guid });
    const aliceInvites = (await alice.api.get('/api/v1/invitations')).body;
    expect(aliceInvites.map((i: { room: { id: string } }) => i.room.id)).toContain(room.guid);
    const last = aliceInvites.at(-1).id;
    expect((await alice.api.get(`/api/v1/invitations?since=${last}`)).body).toEqual([]);
    await checkUpdateRoom(t.services, SYSTEM_ACTOR, room.name, { members: { mode: 'edit', add: [bob.key], remove: [] } });
    expect((await bob.api.get('/api/v1/invitations')).body.map((i: { room: { id: string } }) => i.room.id)).toEqual([room.guid]);
    const quiet = await buildRoom(t.services, category.name, { members: [bob.key], invitations: 'False' });
    expect((await bob.api.get('/api/v1/invitations')).body.map((i: { room: { id: string } }) => i.room.id)).not.toContain(quiet.guid);
    // Going in answers the invitation: it leaves the list, and the user's other connections hear it.
    const other = await carol.ws();
    await ws.ok({ type: 'join', room: room.guid });
    expect((await other.waitFor((f) => f.type === 'invitation.accepted')).room).toBe(room.guid);
    expect((await carol.api.get('/api/v1/invitations')).body).toEqual([]);
    // Joining again, or a room without an invitation, says nothing more.
    await ws.ok({ type: 'part', room: room.guid });
    await ws.ok({ type: 'join', room: room.guid });
    await t.settle();
    expect(other.of('invitation.accepted')).toHaveLength(1);
    other.close();
    ws.close();
  });

  it('invites users who gain membership through the directory: a group joined, a user provisioned', async () => {
    const { domain } = await world();
    const group = await buildGroup(t.services);
    const category = await buildCategory(t.services, { allowed: [domain, group.key], invitations: true });
    const room = await buildRoom(t.services, category.name, { members: [group.key] });
    const already = await t.user({ domain, memberOf: [group.key] });
    const joiner = await t.user({ domain });
    const ws = await joiner.ws();
    const { checkGroupMembership } = await import('../../src/actions/principals.js');
    await checkGroupMembership(t.services, SYSTEM_ACTOR, group.key, joiner.key, 'add');
    expect((await ws.waitFor((f) => f.type === 'invitation')).invitation.room.id).toBe(room.guid);
    const rooms = async (u: typeof joiner) => (await u.api.get('/api/v1/invitations')).body.map((i: { room: { id: string } }) => i.room.id);
    expect(await rooms(joiner)).toEqual([room.guid]);
    // Provisioned straight into the group: invited once, at creation.
    expect(await rooms(already)).toEqual([room.guid]);
    // The group brings scope too (it is allowed); users the category denies gain nothing.
    const { checkUpdateCategory } = await import('../../src/actions/categories.js');
    const late = await t.user({ domain: `${unique('y')}.example` });
    await checkGroupMembership(t.services, SYSTEM_ACTOR, group.key, late.key, 'add');
    expect(await rooms(late)).toEqual([room.guid]);
    const denied = await t.user({ domain });
    await checkUpdateCategory(t.services, SYSTEM_ACTOR, category.name, { deniedMembers: { mode: 'edit', add: [denied.key], remove: [] } });
    await checkGroupMembership(t.services, SYSTEM_ACTOR, group.key, denied.key, 'add');
    expect(await rooms(denied)).toEqual([]);
    ws.close();
  });

  it('delivers @mentions only to users who may read the room, live and later', async () => {
    const { category, alice, bob } = await world();
    const outsider = await t.user();
    const closed = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [alice.key, bob.key] });
    const [wb, wo] = await Promise.all([bob.ws(), outsider.ws()]);
    const text = `hi @${bob.key.slice(4)} and @${outsider.key.slice(4)}`;
    await alice.api.post(`/api/v1/rooms/${closed.guid}/messages`, { text });
    const live = await wb.waitFor((f) => f.type === 'notification');
    expect(live.notification).toMatchObject({ kind: 'mention', message: { text } });
    await t.settle();
    expect(wo.of('notification')).toEqual([]);
    expect((await outsider.api.get('/api/v1/notifications')).body).toEqual([]);
    expect((await bob.api.get('/api/v1/notifications?kind=mention')).body.map((n: { message: { text: string } }) => n.message.text)).toEqual([text]);
    wb.close();
    wo.close();
  });

  it('alerts on keywords as whole words and evaluates topic feeds on every new message', async () => {
    const { category, alice, bob } = await world();
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const word = unique('Outage');
    expect((await bob.api.post('/api/v1/keywords', { keyword: word })).status).toBe(201);
    expect((await bob.api.post('/api/v1/keywords', { keyword: word.toLowerCase() })).status).toBe(409);
    const feed = await bob.api.post('/api/v1/feeds', { name: 'Reports', query: `"${word} report" room:"${room.name}"` });
    expect(feed.status).toBe(201);
    expect((await bob.api.post('/api/v1/feeds', { name: 'empty', query: '   ' })).status).toBe(400);
    const ws = await bob.ws();
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `${word}s are not the word` });
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `new ${word} report posted` });
    const kinds = async () => (await bob.api.get('/api/v1/notifications')).body.map((n: { kind: string; detail: string }) => `${n.kind}:${n.detail}`).sort();
    await ws.waitFor((f) => f.type === 'notification' && f.notification.kind === 'feed');
    expect(await kinds()).toEqual([`feed:Reports`, `keyword:${word}`]);
    expect((await bob.api.delete(`/api/v1/feeds/${feed.body.id}`)).status).toBe(204);
    expect((await bob.api.delete(`/api/v1/feeds/${feed.body.id}`)).status).toBe(404);
    ws.close();
  });
});

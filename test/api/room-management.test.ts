/** Room management over the API: the rules and errors of `stoa room new|set|remove`. */
import { expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useServer } from '../harness/server.js';
import { buildCategory, buildDomain, buildRoom, unique } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkGrantAdministrator } from '../../src/actions/administrators.js';
import { checkAddPrincipal, checkGroupMembership, checkUpdatePrincipal } from '../../src/actions/principals.js';
import { checkCreateAddin } from '../../src/actions/addins.js';

describeEachStore('room management over the API', (kind) => {
  const t = useServer(kind);

  async function world() {
    const domain = `${unique('d')}.example`;
    await buildDomain(t.services, domain);
    const [creator, member, outsider] = await Promise.all([t.user({ domain }), t.user({ domain }), t.user()]);
    const category = await buildCategory(t.services, { allowed: [domain], creators: [creator.key] });
    return { domain, category, creator, member, outsider };
  }

  it('lets creators create rooms where they may, and makes them managers', async () => {
    const { category, creator, member } = await world();
    expect((await creator.api.get('/api/v1/categories/creatable')).body.map((c: { name: string }) => c.name)).toContain(category.name);
    expect((await member.api.get('/api/v1/categories/creatable')).body.map((c: { name: string }) => c.name)).not.toContain(category.name);
    const name = unique('Project ');
    const created = await creator.api.post('/api/v1/rooms', { name, category: category.name, privacy: 'Secret', members: [member.key, creator.key], description: 'plans' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, category: category.name, privacy: 'Secret', type: 'Normal', managers: [creator.key], description: 'plans' });
    expect(created.body.members.sort()).toEqual([creator.key, member.key].sort());
    expect((await member.api.get('/api/v1/rooms/mine')).body.map((r: { id: string }) => r.id)).toContain(created.body.id);
    const refused = await member.api.post('/api/v1/rooms', { name: unique('Nope '), category: category.name });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'PERMISSION_DENIED' } } });
    const taken = await creator.api.post('/api/v1/rooms', { name: name.toUpperCase(), category: category.name });
    expect(taken.body.error.code).toBe('NAME_TAKEN');
    expect((await creator.api.post('/api/v1/rooms', { name: 'x'.repeat(257), category: category.name })).body.error.code).toBe('INVALID_NAME');
  });

  it('lets managers change every property within the scope, and nobody else', async () => {
    const { category, creator, member, outsider } = await world();
    const room = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [creator.key, member.key], managers: [creator.key] });
    const url = `/api/v1/rooms/${room.guid}`;
    const renamed = unique('Renamed ');
    const changed = await creator.api.call('PATCH', url, { name: renamed, privacy: 'Open', description: 'new', type: 'Auditorium', presenters: [creator.key] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: renamed, privacy: 'Open', type: 'Auditorium', presenters: [creator.key] });
    const scope = await creator.api.call('PATCH', url, { members: { add: [outsider.key] } });
    expect(scope).toMatchObject({ status: 409, body: { error: { code: 'PRINCIPAL_OUT_OF_SCOPE' } } });
    const mixed = await creator.api.call('PATCH', url, { members: { replace: [member.key], add: [creator.key] } });
    expect(mixed.body.error.code).toBe('INVALID_INPUT');
    expect((await creator.api.call('PATCH', url, { members: { remove: [member.key] } })).body.members).toEqual([creator.key]);
    expect((await member.api.call('PATCH', url, { description: 'mine now' })).status).toBe(403);
    expect((await outsider.api.call('PATCH', url, { description: 'mine now' })).body.error.code).toBe('ROOM_NOT_FOUND');
    expect((await creator.api.get(`${url}/settings`)).body.description).toBe('new');
  });

  it('disables and re-enables a room, kicking participants, and only administrators remove it', async () => {
    const { category, creator, member } = await world();
    const room = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [creator.key, member.key], managers: [creator.key] });
    const ws = await member.ws();
    await ws.ok({ type: 'join', room: room.guid });
    expect((await creator.api.call('PATCH', `/api/v1/rooms/${room.guid}`, { disabled: true })).body.disabled).toBe(true);
    expect((await ws.waitFor((f) => f.type === 'room.kicked')).reason).toBe('the room was disabled');
    expect((await member.api.get(`/api/v1/rooms/${room.guid}/settings`)).status).toBe(404);
    expect((await creator.api.get(`/api/v1/rooms/${room.guid}/settings`)).body.disabled).toBe(true);
    expect((await creator.api.call('PATCH', `/api/v1/rooms/${room.guid}`, { disabled: false })).body.disabled).toBe(false);
    expect((await creator.api.delete(`/api/v1/rooms/${room.guid}`)).body.error.code).toBe('PERMISSION_DENIED');
    await checkGrantAdministrator(t.services, SYSTEM_ACTOR, member.key, true);
    expect((await member.api.delete(`/api/v1/rooms/${room.guid}`)).status).toBe(200);
    expect((await creator.api.get(`/api/v1/rooms/${room.guid}/settings`)).status).toBe(404);
    ws.close();
  });

  it('offers a people picker limited to the category scope, the add-ins, and every room to administrators', async () => {
    const { domain, category, creator, member, outsider } = await world();
    const tag = unique('pick');
    await checkUpdatePrincipal(t.services, SYSTEM_ACTOR, member.key, { displayName: `${tag} Member` });
    await checkUpdatePrincipal(t.services, SYSTEM_ACTOR, outsider.key, { displayName: `${tag} Outsider` });
    const group = await checkAddPrincipal(t.services, SYSTEM_ACTOR, { key: `CN=${tag} team,OU=Groups,DC=contoso,DC=com`, kind: 'group', displayName: `${tag} team` });
    const pick = async (query: string) => (await creator.api.get(`/api/v1/principals?${query}`)).body;
    // Everyone matching, people first, with display names; within the scope, only those it covers.
    expect((await pick(`q=${tag}`)).map((p: { key: string }) => p.key)).toEqual([member.key, outsider.key, group.result.key].sort((a, b) => (a.startsWith('sip:') === b.startsWith('sip:') ? a.localeCompare(b) : a.startsWith('sip:') ? -1 : 1)));
    expect(await pick(`q=${tag}&category=${encodeURIComponent(category.name)}`)).toEqual([{ key: member.key, kind: 'user', displayName: `${tag} Member`, email: null }]);
    // By address (with or without sip:), case-insensitively; the domain itself.
    expect((await pick(`q=${encodeURIComponent(member.key.toUpperCase())}`)).map((p: { key: string }) => p.key)).toEqual([member.key]);
    expect((await pick(`q=${domain}&category=${encodeURIComponent(category.name)}`)).map((p: { key: string; kind: string }) => p.kind)).toContain('domain');
    expect(await pick('q=%20')).toEqual([]);
    expect((await pick(`q=${tag}&limit=1`)).length).toBe(1);
    expect((await creator.api.get(`/api/v1/principals?q=${tag}&limit=26`)).status).toBe(400);
    expect((await creator.api.get(`/api/v1/principals?q=${tag}&category=nowhere`)).body.error.code).toBe('CATEGORY_NOT_FOUND');
    // A refusal names its principals for clients to explain.
    const room = await buildRoom(t.services, category.name, { members: [creator.key], managers: [creator.key] });
    const unknown = await creator.api.call('PATCH', `/api/v1/rooms/${room.guid}`, { members: ['nobody@nowhere.example'] });
    expect(unknown.body.error).toMatchObject({ code: 'PRINCIPAL_NOT_PROVISIONED', principals: ['sip:nobody@nowhere.example'] });
    const outside = await creator.api.call('PATCH', `/api/v1/rooms/${room.guid}`, { members: [outsider.key] });
    expect(outside.body.error).toMatchObject({ code: 'PRINCIPAL_OUT_OF_SCOPE', principals: [outsider.key] });

    await checkCreateAddin(t.services, SYSTEM_ACTOR, { name: `${tag}-addin`, url: 'https://addins.example/board' });
    expect((await member.api.get('/api/v1/addins')).body).toContainEqual({ name: `${tag}-addin`, url: 'https://addins.example/board' });

    // The room says who may change it; administrators manage every room, found by name.
    expect((await creator.api.get(`/api/v1/rooms/${room.guid}`)).body.canManage).toBe(true);
    expect((await member.api.get('/api/v1/rooms/managed')).body).toEqual([]);
    await checkGrantAdministrator(t.services, SYSTEM_ACTOR, member.key, true);
    const managed = (await member.api.get(`/api/v1/rooms/managed?q=${encodeURIComponent(room.name.slice(-6).toUpperCase())}`)).body;
    expect(managed.map((r: { id: string }) => r.id)).toEqual([room.guid]);
  });

  it('tells those in a room that someone changed it, and those given or losing a role to read their rooms again', async () => {
    const { domain, category, creator, member } = await world();
    const group = await checkAddPrincipal(t.services, SYSTEM_ACTOR, { key: `CN=${unique('g')},OU=Groups,${domain.split('.').map((d) => `DC=${d}`).join(',')}`, kind: 'group' });
    await checkGroupMembership(t.services, SYSTEM_ACTOR, group.result.key, member.key, 'add');
    const room = await buildRoom(t.services, category.name, { privacy: 'Open', members: [creator.key], managers: [creator.key] });
    const [mine, theirs] = [await creator.ws(), await member.ws()];
    await mine.ok({ type: 'join', room: room.guid });
    await creator.api.call('PATCH', `/api/v1/rooms/${room.guid}`, { name: `${room.name} renamed`, type: 'Auditorium' });
    expect(await mine.waitFor((f) => f.type === 'room.changed')).toEqual({
      type: 'room.changed',
      room: room.guid,
      settings: expect.objectContaining({ name: `${room.name} renamed`, type: 'Auditorium', category: category.name, canPost: false, canManage: true }),
    });
    // Membership through a group: the member hears it, without an invitation.
    expect((await creator.api.call('PATCH', `/api/v1/rooms/${room.guid}`, { members: { add: [group.result.key] } })).status).toBe(200);
    await theirs.waitFor((f) => f.type === 'rooms.changed');
    await t.settle();
    expect(mine.of('rooms.changed')).toHaveLength(0);
    mine.close();
    theirs.close();
  });
});


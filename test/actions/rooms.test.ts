import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { openDeployment, useDeployment } from '../harness/services.js';
import { expectAppError } from '../harness/expect-error.js';
import { buildAdmin, buildCategory, buildDomain, buildGroup, buildRoom, buildUser, replace, unique } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkCreateRoom, checkRemoveRoom, checkUpdateRoom } from '../../src/actions/rooms.js';
import { getRoom, listRooms } from '../../src/actions/room-queries.js';
import { checkCreateAddin, checkRemoveAddin } from '../../src/actions/addins.js';
import { checkRemovePrincipal } from '../../src/actions/principals.js';
import { checkUpdateCategory } from '../../src/actions/categories.js';
import type { CategoryView } from '../../src/actions/views.js';

describeEachStore('rooms', (kind) => {
  let cat: CategoryView;
  const d = useDeployment(kind, async (deployment) => {
    await buildDomain(deployment.services, 'contoso.com');
    cat = await buildCategory(deployment.services, { allowed: ['contoso.com'] });
  });

  const allRooms = () => listRooms(d.services, SYSTEM_ACTOR);

  describe('creation', () => {
    it('needs a category to exist first', async () => {
      const empty = await openDeployment(await kind.open());
      try {
        await expectAppError(checkCreateRoom(empty.services, SYSTEM_ACTOR, { name: 'R', category: 'Any' }), 'NO_CATEGORY', /create one before creating rooms/);
      } finally {
        await empty.close();
      }
    });

    it('starts Closed, Normal, Inherit, enabled, with no members (§9.1)', async () => {
      const { result } = await checkCreateRoom(d.services, SYSTEM_ACTOR, { name: 'Lobby', category: cat.name });
      expect(result).toMatchObject({
        identity: 'pc.contoso.com\\Lobby',
        category: cat.name,
        privacy: 'Closed',
        type: 'Normal',
        invitations: 'Inherit',
        disabled: false,
        addin: null,
        members: [],
        managers: [],
        presenters: [],
      });
      expect(d.events.map((e) => e.type)).toContain('room.created');
    });

    it('refuses an unknown category', async () => {
      await expectAppError(checkCreateRoom(d.services, SYSTEM_ACTOR, { name: 'R', category: 'Nope' }), 'CATEGORY_NOT_FOUND');
    });

    it('refuses names taken by a room or a category, ignoring case (§9.2)', async () => {
      await buildRoom(d.services, cat.name, { name: 'Dev' });
      await expectAppError(checkCreateRoom(d.services, SYSTEM_ACTOR, { name: 'dEV', category: cat.name }), 'NAME_TAKEN', /the name 'dEV' is not available/);
      await expectAppError(checkCreateRoom(d.services, SYSTEM_ACTOR, { name: cat.name.toUpperCase(), category: cat.name }), 'NAME_TAKEN', /is not available/);
    });

    it('refuses a member outside the category scope and changes nothing', async () => {
      const outsider = await buildUser(d.services, { domain: 'fabrikam.com' });
      const before = await allRooms();
      await expectAppError(
        checkCreateRoom(d.services, SYSTEM_ACTOR, { name: 'Scoped', category: cat.name, members: replace([outsider.key]) }),
        'PRINCIPAL_OUT_OF_SCOPE',
        new RegExp(`category '${cat.name}'.*cannot be member: ${outsider.key}`),
      );
      expect(await allRooms()).toEqual(before);
      // The refused name was not kept.
      await checkCreateRoom(d.services, SYSTEM_ACTOR, { name: 'Scoped', category: cat.name });
    });

    it('refuses a group that is not itself inside the scope (groups only narrow)', async () => {
      const foreign = await buildGroup(d.services, { ou: 'OU=Groups,DC=fabrikam,DC=com' });
      const local = await buildGroup(d.services);
      await expectAppError(
        checkCreateRoom(d.services, SYSTEM_ACTOR, { name: unique('r'), category: cat.name, members: replace([foreign.key]) }),
        'PRINCIPAL_OUT_OF_SCOPE',
      );
      const ok = await buildRoom(d.services, cat.name, { members: [local.key] });
      expect(ok.members).toEqual([local.key]);
    });

    it('refuses presenters on a normal room and accepts them on an auditorium', async () => {
      const p = await buildUser(d.services);
      await expectAppError(
        checkCreateRoom(d.services, SYSTEM_ACTOR, { name: unique('r'), category: cat.name, presenters: replace([p.key]) }),
        'PRESENTERS_REQUIRE_AUDITORIUM',
      );
      const room = await buildRoom(d.services, cat.name, { type: 'Auditorium', members: [p.key], presenters: [p.key] });
      expect(room.presenters).toEqual([p.key]);
    });

    it('makes the creating user a manager (§9.5) and lets only creators create', async () => {
      const creators = await buildGroup(d.services);
      const creator = await buildUser(d.services, { memberOf: [creators.key] });
      const other = await buildUser(d.services);
      const open = await buildCategory(d.services, { allowed: ['contoso.com'], creators: [creators.key] });
      const { result } = await checkCreateRoom(d.services, creator.actor, { name: unique('r'), category: open.name, privacy: 'Secret' });
      expect(result.managers).toEqual([creator.key]);
      await expectAppError(checkCreateRoom(d.services, other.actor, { name: unique('r'), category: open.name }), 'PERMISSION_DENIED', /may not create rooms/);
    });

    it('refuses an unknown add-in and accepts a registered one', async () => {
      await expectAppError(checkCreateRoom(d.services, SYSTEM_ACTOR, { name: unique('r'), category: cat.name, addin: 'Nope' }), 'ADDIN_NOT_FOUND');
      await checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'Wiki', url: 'https://wiki.contoso.com/pane' });
      expect((await buildRoom(d.services, cat.name, { addin: 'wiki' })).addin).toBe('Wiki');
    });
  });

  describe('changes by managers and administrators', () => {
    it('lets a manager change every property but the category, and add themselves as member (§9.4, §9.6)', async () => {
      const manager = await buildUser(d.services);
      const member = await buildUser(d.services);
      await checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'Board', url: 'http://board.contoso.com' });
      const room = await buildRoom(d.services, cat.name, { managers: [manager.key] });
      const { result, changes } = await checkUpdateRoom(d.services, manager.actor, room.name, {
        name: 'Renamed',
        description: 'about builds',
        privacy: 'Secret',
        type: 'Auditorium',
        invitations: 'False',
        addin: 'Board',
        members: { mode: 'edit', add: [manager.key, member.key], remove: [] },
        presenters: replace([manager.key]),
      });
      expect(result).toMatchObject({ name: 'Renamed', privacy: 'Secret', type: 'Auditorium', invitations: 'False', addin: 'Board' });
      expect(result.members.sort()).toEqual([manager.key, member.key].sort());
      expect(changes[0]?.details).toMatchObject({ name: { from: room.name, to: 'Renamed' }, privacy: { from: 'Closed', to: 'Secret' } });
      expect(d.events).toContainEqual(expect.objectContaining({ type: 'room.roles_changed', added: expect.arrayContaining([member.id]) as unknown }));
    });

    it('does not let a manager delete the room or move it without creator rights in the destination', async () => {
      const manager = await buildUser(d.services);
      const room = await buildRoom(d.services, cat.name, { managers: [manager.key] });
      const elsewhere = await buildCategory(d.services, { allowed: ['contoso.com'] });
      await expectAppError(checkRemoveRoom(d.services, manager.actor, room.name), 'PERMISSION_DENIED', /only administrators/);
      await expectAppError(checkUpdateRoom(d.services, manager.actor, room.name, { category: elsewhere.name }), 'PERMISSION_DENIED', /not one of its creators/);
      const creatorThere = await buildCategory(d.services, { allowed: ['contoso.com'], creators: [manager.key] });
      const moved = await checkUpdateRoom(d.services, manager.actor, room.name, { category: creatorThere.name });
      expect(moved.result.category).toBe(creatorThere.name);
      expect(d.events).toContainEqual(expect.objectContaining({ type: 'room.moved', toCategoryId: creatorThere.id }));
    });

    it('answers "not found" for a secret room the caller may not see, "denied" for a visible one', async () => {
      const stranger = await buildUser(d.services);
      const secret = await buildRoom(d.services, cat.name, { privacy: 'Secret' });
      const closed = await buildRoom(d.services, cat.name);
      await expectAppError(checkUpdateRoom(d.services, stranger.actor, secret.name, { description: 'x' }), 'ROOM_NOT_FOUND', new RegExp(`no room named '${secret.name}'`));
      await expectAppError(checkUpdateRoom(d.services, stranger.actor, 'does-not-exist', { description: 'x' }), 'ROOM_NOT_FOUND');
      await expectAppError(checkUpdateRoom(d.services, stranger.actor, closed.name, { description: 'x' }), 'PERMISSION_DENIED');
      await expectAppError(getRoom(d.services, stranger.actor, secret.name), 'ROOM_NOT_FOUND');
    });

    it('moving a room strips the roles the new scope does not cover (§9.7)', async () => {
      const sales = await buildGroup(d.services);
      const seller = await buildUser(d.services, { memberOf: [sales.key] });
      const engineer = await buildUser(d.services);
      const room = await buildRoom(d.services, cat.name, { members: [seller.key, engineer.key], managers: [engineer.key] });
      const salesOnly = await buildCategory(d.services, { allowed: [sales.key] });
      const { result, changes } = await checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { category: salesOnly.name });
      expect(result).toMatchObject({ category: salesOnly.name, members: [seller.key], managers: [] });
      expect(changes[0]?.notes).toEqual([`${engineer.key} lost its roles: outside the scope of category '${salesOnly.name}'`]);
      expect(d.events).toContainEqual(expect.objectContaining({ type: 'room.roles_changed', removed: [engineer.id] }));
    });

    it('refuses, while moving, new roles outside the new scope', async () => {
      const engineer = await buildUser(d.services);
      const sales = await buildGroup(d.services);
      const room = await buildRoom(d.services, cat.name);
      const salesOnly = await buildCategory(d.services, { allowed: [sales.key] });
      await expectAppError(
        checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { category: salesOnly.name, members: replace([engineer.key]) }),
        'PRINCIPAL_OUT_OF_SCOPE',
      );
      expect((await getRoom(d.services, SYSTEM_ACTOR, room.name)).category).toBe(cat.name);
    });

    it('refuses to make an auditorium with presenters normal while presenters remain', async () => {
      const p = await buildUser(d.services);
      const room = await buildRoom(d.services, cat.name, { type: 'Auditorium', presenters: [p.key] });
      await expectAppError(checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { type: 'Normal' }), 'PRESENTERS_REQUIRE_AUDITORIUM');
      const normal = await checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { type: 'Normal', presenters: { mode: 'clear' } });
      expect(normal.result).toMatchObject({ type: 'Normal', presenters: [] });
    });

    it('disabling keeps every setting and announces the kick; enabling restores (§9.8)', async () => {
      const member = await buildUser(d.services);
      const room = await buildRoom(d.services, cat.name, { members: [member.key], description: 'kept' });
      const disabled = await checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { disabled: true });
      expect(disabled.result).toMatchObject({ disabled: true, members: [member.key], description: 'kept' });
      expect(d.events).toContainEqual({ type: 'room.disabled', roomId: room.id, name: room.name });
      const enabled = await checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { disabled: false });
      expect(enabled.result).toMatchObject({ disabled: false, members: [member.key] });
    });

    it('keeps a role whose holder left the scope, but it no longer counts', async () => {
      const member = await buildUser(d.services);
      const room = await buildRoom(d.services, cat.name, { members: [member.key], privacy: 'Secret' });
      expect((await listRooms(d.services, member.actor)).map((r) => r.name)).toContain(room.name);
      await checkUpdateCategory(d.services, SYSTEM_ACTOR, cat.name, { deniedMembers: replace([member.key]) });
      expect((await getRoom(d.services, SYSTEM_ACTOR, room.name)).members).toEqual([member.key]);
      expect((await listRooms(d.services, member.actor)).map((r) => r.name)).not.toContain(room.name);
    });

    it('concurrent edits of one room are all kept', async () => {
      const users = await Promise.all(Array.from({ length: 8 }, () => buildUser(d.services)));
      const room = await buildRoom(d.services, cat.name);
      await Promise.all(users.map((u) => checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { members: { mode: 'edit', add: [u.key], remove: [] } })));
      expect((await getRoom(d.services, SYSTEM_ACTOR, room.name)).members.sort()).toEqual(users.map((u) => u.key).sort());
    });

    it('what-if changes nothing and publishes nothing', async () => {
      const room = await buildRoom(d.services, cat.name);
      const events = d.events.length;
      const outcome = await checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { privacy: 'Open', disabled: true }, { whatIf: true });
      expect(outcome.changes[0]?.details).toEqual({ privacy: { from: 'Closed', to: 'Open' }, disabled: { from: false, to: true } });
      expect(await getRoom(d.services, SYSTEM_ACTOR, room.name)).toEqual(room);
      expect(d.events.length).toBe(events);
    });
  });

  describe('removal', () => {
    it('removes a room with its history and frees its name', async () => {
      const admin = await buildAdmin(d.services);
      const room = await buildRoom(d.services, cat.name);
      await d.store.messages.append({ roomId: room.id, authorId: admin.id, postedAt: Date.now(), content: 'hello' });
      await checkRemoveRoom(d.services, admin.actor, room.identity);
      await expectAppError(getRoom(d.services, SYSTEM_ACTOR, room.name), 'ROOM_NOT_FOUND');
      expect(await d.store.messages.latest(room.id, 10)).toEqual([]);
      await buildRoom(d.services, cat.name, { name: room.name });
    });

    it('takes removed principals out of room roles', async () => {
      const member = await buildUser(d.services);
      const room = await buildRoom(d.services, cat.name, { members: [member.key] });
      await checkRemovePrincipal(d.services, SYSTEM_ACTOR, member.key);
      expect((await getRoom(d.services, SYSTEM_ACTOR, room.name)).members).toEqual([]);
    });
  });

  describe('add-ins in rooms', () => {
    it('an add-in in use is removed only with force, which takes it off the rooms', async () => {
      await checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'Pane', url: 'https://pane.contoso.com' });
      const room = await buildRoom(d.services, cat.name, { addin: 'Pane' });
      await expectAppError(checkRemoveAddin(d.services, SYSTEM_ACTOR, 'Pane'), 'ADDIN_IN_USE', /used by 1 room/);
      const removed = await checkRemoveAddin(d.services, SYSTEM_ACTOR, 'Pane', { force: true });
      expect(removed.changes[0]?.notes).toEqual([`taken off room '${room.name}'`]);
      expect((await getRoom(d.services, SYSTEM_ACTOR, room.name)).addin).toBeNull();
    });
  });

  describe('listing (Get-CsPersistentChatRoom)', () => {
    it('applies each filter', async () => {
      const mgrs = await buildGroup(d.services);
      const manager = await buildUser(d.services, { memberOf: [mgrs.key] });
      const member = await buildUser(d.services);
      await checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'Tool', url: 'https://tool' });
      const other = await buildCategory(d.services, { allowed: ['contoso.com'] });
      const a = await buildRoom(d.services, cat.name, { name: 'Alpha Build', privacy: 'Open', managers: [mgrs.key], addin: 'Tool' });
      const b = await buildRoom(d.services, cat.name, { name: 'Beta', description: 'build logs', type: 'Auditorium', members: [member.key], invitations: 'False' });
      const c = await buildRoom(d.services, other.name, { name: 'Gamma', privacy: 'Secret', disabled: true });
      const names = async (f: Parameters<typeof listRooms>[2]) => (await listRooms(d.services, SYSTEM_ACTOR, f)).map((r) => r.name);
      expect(await names({ category: cat.name })).toEqual([a.name, b.name]);
      expect(await names({ filter: 'build' })).toEqual([a.name]);
      expect(await names({ filter: 'build', searchDescription: true })).toEqual([a.name, b.name]);
      expect(await names({ filter: '?eta' })).toEqual([b.name]);
      expect(await names({ filter: 'alpha*' })).toEqual([a.name]);
      expect(await names({ privacy: 'Secret' })).toEqual([c.name]);
      expect(await names({ type: 'Auditorium' })).toEqual([b.name]);
      expect(await names({ disabled: true })).toEqual([c.name]);
      expect(await names({ invitations: 'False' })).toEqual([b.name]);
      expect(await names({ addin: 'tool' })).toEqual([a.name]);
      expect(await names({ manager: manager.key })).toEqual([a.name]);
      expect(await names({ member: member.key })).toEqual([b.name]);
      expect(await names({ resultSize: 0 })).toEqual([]);
      expect(await names({ resultSize: 1 })).toHaveLength(1);
      await expectAppError(listRooms(d.services, SYSTEM_ACTOR, { resultSize: -1 }), 'INVALID_VALUE');
    });

    it('finds rooms whose chat content exceeds a size', async () => {
      const author = await buildUser(d.services);
      const big = await buildRoom(d.services, cat.name);
      await buildRoom(d.services, cat.name);
      await d.store.messages.append({ roomId: big.id, authorId: author.id, postedAt: Date.now(), content: 'x'.repeat(1024 * 1024 + 1) });
      expect((await listRooms(d.services, SYSTEM_ACTOR, { chatContentExceedsMB: 1 })).map((r) => r.name)).toEqual([big.name]);
      expect(await listRooms(d.services, SYSTEM_ACTOR, { chatContentExceedsMB: 2 })).toEqual([]);
    });

    it('shows users only what they may find, and disabled rooms only to administrators and their managers (§9.29)', async () => {
      const user = await buildUser(d.services);
      const manager = await buildUser(d.services);
      const admin = await buildAdmin(d.services);
      const open = await buildRoom(d.services, cat.name, { privacy: 'Open' });
      const closed = await buildRoom(d.services, cat.name);
      const secret = await buildRoom(d.services, cat.name, { privacy: 'Secret' });
      const mine = await buildRoom(d.services, cat.name, { privacy: 'Secret', members: [user.key] });
      const off = await buildRoom(d.services, cat.name, { disabled: true, members: [user.key], managers: [manager.key] });
      const names = async (actor: typeof user.actor, f = {}) => (await listRooms(d.services, actor, f)).map((r) => r.name).sort();
      expect(await names(user.actor)).toEqual([open.name, closed.name, mine.name].sort());
      expect(await names(user.actor, { disabled: true })).toEqual([]);
      expect(await names(manager.actor, { disabled: true })).toEqual([off.name]);
      expect(await names(admin.actor)).toEqual([open.name, closed.name, secret.name, mine.name, off.name].sort());
      await expectAppError(listRooms(d.services, user.actor, { filter: 'x', searchDescription: true }), 'PERMISSION_DENIED');
    });
  });
});

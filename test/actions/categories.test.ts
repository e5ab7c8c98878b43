import { expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useDeployment } from '../harness/services.js';
import { expectAppError } from '../harness/expect-error.js';
import { buildAdmin, buildCategory, buildDomain, buildGroup, buildRoom, buildUser, replace, unique } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkCreateCategory, checkRemoveCategory, checkUpdateCategory, listCategories } from '../../src/actions/categories.js';
import { checkCreateRoom } from '../../src/actions/rooms.js';

describeEachStore('categories', (kind) => {
  const d = useDeployment(kind, async (deployment) => {
    await buildDomain(deployment.services, 'contoso.com');
  });

  const snapshot = async () => ({
    categories: await listCategories(d.services, SYSTEM_ACTOR),
    events: d.events.length,
  });

  it('creates with the documented defaults (invitations off, uploads off, history on)', async () => {
    const { result, changes, whatIf } = await checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'Engineering' });
    expect(whatIf).toBe(false);
    expect(result).toMatchObject({
      identity: 'pc.contoso.com\\Engineering',
      invitations: false,
      fileUpload: false,
      chatHistory: true,
      allowedMembers: [],
      deniedMembers: [],
      creators: [],
    });
    expect(changes).toEqual([expect.objectContaining({ action: 'create', kind: 'category', identity: 'pc.contoso.com\\Engineering' })]);
    expect(d.events).toContainEqual(expect.objectContaining({ type: 'category.created', name: 'Engineering' }));
  });

  it('accepts 256 characters and refuses 257, changing nothing', async () => {
    await checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'x'.repeat(256) });
    const before = await snapshot();
    await expectAppError(checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'y'.repeat(257) }), 'INVALID_NAME', /257 characters long; the limit is 256/);
    expect(await snapshot()).toEqual(before);
  });

  it('counts characters, not bytes or UTF-16 units', async () => {
    await checkCreateCategory(d.services, SYSTEM_ACTOR, { name: '😀'.repeat(256) });
    await expectAppError(checkCreateCategory(d.services, SYSTEM_ACTOR, { name: '漢'.repeat(257) }), 'INVALID_NAME');
  });

  it('refuses empty names, control characters and long descriptions, naming every problem', async () => {
    await expectAppError(checkCreateCategory(d.services, SYSTEM_ACTOR, { name: '   ' }), 'INVALID_NAME', /must not be empty/);
    await expectAppError(checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'a\u0007b' }), 'INVALID_NAME', /control characters/);
    await expectAppError(
      checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'a\nb', description: 'd'.repeat(257) }),
      'INVALID_INPUT',
      /control characters.*description is 257 characters/,
    );
  });

  it('refuses a name that differs from another only in case', async () => {
    await checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'Finance' });
    const before = await snapshot();
    await expectAppError(checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'FINANCE' }), 'NAME_TAKEN', /the name 'FINANCE' is not available/);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a category named like a room', async () => {
    const cat = await buildCategory(d.services);
    const room = await buildRoom(d.services, cat.name);
    await expectAppError(checkCreateCategory(d.services, SYSTEM_ACTOR, { name: room.name.toUpperCase() }), 'NAME_TAKEN', /is not available/);
  });

  it('refuses principals that are not provisioned, with the command to provision them', async () => {
    await expectAppError(
      checkCreateCategory(d.services, SYSTEM_ACTOR, { name: unique('c'), allowedMembers: replace(['sip:nobody@contoso.com']) }),
      'PRINCIPAL_NOT_PROVISIONED',
      /sip:nobody@contoso.com.*stoa principal add 'sip:nobody@contoso.com' --kind user/,
    );
  });

  it('refuses a principal both allowed and denied', async () => {
    const g = await buildGroup(d.services);
    await expectAppError(
      checkCreateCategory(d.services, SYSTEM_ACTOR, { name: unique('c'), allowedMembers: replace([g.key]), deniedMembers: replace([g.key]) }),
      'PRINCIPAL_ALLOWED_AND_DENIED',
    );
  });

  it('accepts creators in scope only (denied beats allowed)', async () => {
    const inside = await buildUser(d.services);
    const denied = await buildUser(d.services);
    await expectAppError(
      checkCreateCategory(d.services, SYSTEM_ACTOR, {
        name: unique('c'),
        allowedMembers: replace(['contoso.com']),
        deniedMembers: replace([denied.key]),
        creators: replace([inside.key, denied.key]),
      }),
      'PRINCIPAL_OUT_OF_SCOPE',
      new RegExp(`cannot be creator: ${denied.key}`),
    );
    const ok = await buildCategory(d.services, { allowed: ['contoso.com'], creators: [inside.key] });
    expect(ok.creators).toEqual([inside.key]);
  });

  it('edits lists by replace, add/remove and clear', async () => {
    const a = await buildUser(d.services);
    const b = await buildUser(d.services);
    const cat = await buildCategory(d.services, { allowed: [a.key] });
    let r = await checkUpdateCategory(d.services, SYSTEM_ACTOR, cat.name, { allowedMembers: { mode: 'edit', add: [b.key], remove: [a.key] } });
    expect(r.result.allowedMembers).toEqual([b.key]);
    r = await checkUpdateCategory(d.services, SYSTEM_ACTOR, cat.name, { allowedMembers: replace(['contoso.com', a.key]) });
    expect(r.result.allowedMembers).toEqual([a.key, 'contoso.com'].sort());
    expect(r.changes[0]?.notes).toEqual(['room roles held by principals now outside the scope stay listed but no longer count']);
    expect(d.events).toContainEqual(expect.objectContaining({ type: 'category.scope_changed' }));
    r = await checkUpdateCategory(d.services, SYSTEM_ACTOR, cat.name, { allowedMembers: { mode: 'clear' } });
    expect(r.result.allowedMembers).toEqual([]);
  });

  it('keeps every one of several concurrent list edits', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => buildUser(d.services)));
    const cat = await buildCategory(d.services);
    await Promise.all(users.map((u) => checkUpdateCategory(d.services, SYSTEM_ACTOR, cat.name, { allowedMembers: { mode: 'edit', add: [u.key], remove: [] } })));
    expect((await listCategories(d.services, SYSTEM_ACTOR, cat.name))[0]?.allowedMembers.sort()).toEqual(users.map((u) => u.key).sort());
  });

  it('renames, frees the old name, and allows changing only the case', async () => {
    const cat = await buildCategory(d.services, { name: 'Ops' });
    await checkUpdateCategory(d.services, SYSTEM_ACTOR, 'Ops', { name: 'OPS' });
    const renamed = await checkUpdateCategory(d.services, SYSTEM_ACTOR, 'ops', { name: 'Operations', invitations: true });
    expect(renamed.result).toMatchObject({ id: cat.id, name: 'Operations', invitations: true });
    expect(renamed.changes[0]?.details).toMatchObject({ name: { from: 'OPS', to: 'Operations' }, invitations: { from: false, to: true } });
    await checkCreateRoom(d.services, SYSTEM_ACTOR, { name: 'ops', category: 'Operations' });
  });

  it('does not remove a category that has rooms, even disabled ones', async () => {
    const cat = await buildCategory(d.services);
    await buildRoom(d.services, cat.name, { disabled: true });
    await expectAppError(checkRemoveCategory(d.services, SYSTEM_ACTOR, cat.identity), 'CATEGORY_NOT_EMPTY', /still has 1 room/);
    expect(await listCategories(d.services, SYSTEM_ACTOR, cat.name)).toHaveLength(1);
  });

  it('removes an empty category and frees its name', async () => {
    const cat = await buildCategory(d.services);
    await checkRemoveCategory(d.services, SYSTEM_ACTOR, cat.identity);
    await expectAppError(listCategories(d.services, SYSTEM_ACTOR, cat.name), 'CATEGORY_NOT_FOUND');
    await checkCreateCategory(d.services, SYSTEM_ACTOR, { name: cat.name });
  });

  it('what-if reports the change, then changes and publishes nothing', async () => {
    const before = await snapshot();
    const outcome = await checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'Maybe', allowedMembers: replace(['contoso.com']) }, { whatIf: true });
    expect(outcome.whatIf).toBe(true);
    expect(outcome.changes[0]).toMatchObject({ action: 'create', identity: 'pc.contoso.com\\Maybe', details: { allowedMembers: { to: ['contoso.com'] } } });
    expect(await snapshot()).toEqual(before);
    await checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'Maybe' });
  });

  it('what-if reports the same refusal a real run would', async () => {
    const cat = await buildCategory(d.services);
    await buildRoom(d.services, cat.name);
    await expectAppError(checkRemoveCategory(d.services, SYSTEM_ACTOR, cat.name, { whatIf: true }), 'CATEGORY_NOT_EMPTY');
  });

  it('is administrator-only: users are refused, administrators allowed', async () => {
    const user = await buildUser(d.services);
    const admin = await buildAdmin(d.services);
    await expectAppError(checkCreateCategory(d.services, user.actor, { name: unique('c') }), 'PERMISSION_DENIED');
    await expectAppError(listCategories(d.services, user.actor), 'PERMISSION_DENIED');
    const made = await checkCreateCategory(d.services, admin.actor, { name: unique('c') });
    expect(made.result.name).toMatch(/^c/);
  });

  it('refuses identities of another pool', async () => {
    const cat = await buildCategory(d.services);
    await expectAppError(listCategories(d.services, SYSTEM_ACTOR, `other.fabrikam.com\\${cat.name}`), 'UNKNOWN_POOL');
    expect(await listCategories(d.services, SYSTEM_ACTOR, `PC.CONTOSO.COM\\${cat.name}`)).toHaveLength(1);
  });
});

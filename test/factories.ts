/**
 * Test data built through the actions (as the CLI would), each call with unique names so
 * tests never depend on each other's data.
 */
import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR, type Actor, type Services } from '../src/actions/context.js';
import { checkAddPrincipal } from '../src/actions/principals.js';
import { checkCreateCategory, type CategoryInput } from '../src/actions/categories.js';
import { checkCreateRoom, type RoomInput } from '../src/actions/rooms.js';
import { checkGrantAdministrator } from '../src/actions/administrators.js';
import type { CategoryView, PrincipalView, RoomView } from '../src/actions/views.js';
import type { ListEdit } from '../src/domain/list-edit.js';

export const unique = (prefix: string) => `${prefix}${randomUUID().slice(0, 8)}`;

export const replace = (values: string[]): ListEdit => ({ mode: 'replace', values });

export interface BuiltUser extends PrincipalView {
  actor: Actor;
}

export async function buildUser(
  s: Services,
  opts: { domain?: string; name?: string; memberOf?: string[]; dn?: string; site?: string; enabled?: boolean } = {},
): Promise<BuiltUser> {
  const key = `sip:${opts.name ?? unique('user')}@${opts.domain ?? 'contoso.com'}`;
  const { result } = await checkAddPrincipal(s, SYSTEM_ACTOR, {
    key,
    kind: 'user',
    ...(opts.memberOf ? { memberOf: opts.memberOf } : {}),
    ...(opts.dn ? { dn: opts.dn } : {}),
    ...(opts.site ? { site: opts.site } : {}),
    ...(opts.enabled === undefined ? {} : { enabled: opts.enabled }),
  });
  return { ...result, actor: { kind: 'user', principalId: result.id } };
}

export async function buildGroup(s: Services, opts: { memberOf?: string[]; ou?: string } = {}): Promise<PrincipalView> {
  const dn = `CN=${unique('grp')},${opts.ou ?? 'OU=Groups,DC=contoso,DC=com'}`;
  return (await checkAddPrincipal(s, SYSTEM_ACTOR, { key: dn, kind: 'group', ...(opts.memberOf ? { memberOf: opts.memberOf } : {}) })).result;
}

export async function buildContainer(s: Services, dn?: string): Promise<PrincipalView> {
  return (await checkAddPrincipal(s, SYSTEM_ACTOR, { key: dn ?? `OU=${unique('ou')},DC=contoso,DC=com`, kind: 'container' })).result;
}

export async function buildDomain(s: Services, name: string): Promise<PrincipalView> {
  return (await checkAddPrincipal(s, SYSTEM_ACTOR, { key: name, kind: 'domain' })).result;
}

export async function buildAdmin(s: Services): Promise<BuiltUser> {
  const user = await buildUser(s);
  await checkGrantAdministrator(s, SYSTEM_ACTOR, user.key, true);
  return user;
}

export async function buildCategory(
  s: Services,
  opts: { allowed?: string[]; denied?: string[]; creators?: string[] } & Omit<CategoryInput, 'allowedMembers' | 'deniedMembers' | 'creators'> = {},
): Promise<CategoryView> {
  const { allowed, denied, creators, ...rest } = opts;
  const input = {
    name: unique('cat-'),
    ...rest,
    ...(allowed ? { allowedMembers: replace(allowed) } : {}),
    ...(denied ? { deniedMembers: replace(denied) } : {}),
    ...(creators ? { creators: replace(creators) } : {}),
  };
  return (await checkCreateCategory(s, SYSTEM_ACTOR, input)).result;
}

export async function buildRoom(
  s: Services,
  category: string,
  opts: { members?: string[]; managers?: string[]; presenters?: string[] } & Omit<RoomInput, 'members' | 'managers' | 'presenters' | 'category'> = {},
): Promise<RoomView> {
  const { members, managers, presenters, ...rest } = opts;
  const input = {
    name: unique('room-'),
    category,
    ...rest,
    ...(members ? { members: replace(members) } : {}),
    ...(managers ? { managers: replace(managers) } : {}),
    ...(presenters ? { presenters: replace(presenters) } : {}),
  };
  return (await checkCreateRoom(s, SYSTEM_ACTOR, input)).result;
}

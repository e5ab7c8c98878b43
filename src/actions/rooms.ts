/**
 * Rooms (01 §2.3, §3): creation by creators and administrators, changes by managers and
 * administrators, removal by administrators. Every role holder must be inside the
 * category's scope; presenters exist only on auditorium rooms; moving a room strips the
 * roles the new category's scope does not cover.
 */
import type { AddinRecord, CategoryRecord, PrincipalRecord, RoomRecord, RoomRoleName, RoomRoles } from '../store/types.js';
import { AppError, Problems } from '../domain/errors.js';
import { nameKey, normaliseDescription, normaliseName } from '../domain/names.js';
import { ROOM_DEFAULTS, type RoomInvitations, type RoomPrivacy, type RoomType } from '../domain/rooms.js';
import { applyListEdit, type ListEdit } from '../domain/list-edit.js';
import { canCreate, canMove, inScope, type ActorFacts, type CategoryFacts } from '../domain/permissions.js';
import { loadActorFacts } from '../access/actor.js';
import { accessCategory, findCategory, loadCategoryFacts } from '../access/categories.js';
import { accessRoom, type LoadedRoom } from '../access/rooms.js';
import { resolveListEdit } from './principal-refs.js';
import { checkInScope, outsideScope } from './scope.js';
import { claimNodeName, releaseNodeName } from './node-names.js';
import { presentRooms, type RoomView } from './views.js';
import { doInvite } from './invitations.js';
import { discardBlobs } from './files.js';
import { diff, runWrite, type Actor, type Outcome, type Services, type Tx, type WriteOptions } from './context.js';

export interface RoomInput {
  name?: string;
  description?: string;
  category?: string;
  type?: RoomType;
  privacy?: RoomPrivacy;
  invitations?: RoomInvitations;
  disabled?: boolean;
  /** An add-in name, or null to take the room's add-in away. */
  addin?: string | null;
  members?: ListEdit;
  managers?: ListEdit;
  presenters?: ListEdit;
}

function validate(input: RoomInput): RoomInput {
  const problems = new Problems();
  const out: RoomInput = { ...input };
  problems.check(() => {
    if (input.name !== undefined) out.name = normaliseName(input.name, 'room');
  });
  problems.check(() => {
    if (input.description !== undefined) out.description = normaliseDescription(input.description, 'room');
  });
  problems.throwIfAny();
  return out;
}

async function findAddin(tx: Tx, name: string | null | undefined): Promise<AddinRecord | null | undefined> {
  if (name === undefined || name === null) return name;
  const addin = await tx.store.addins.getByNameKey(nameKey(name));
  if (addin === undefined) throw new AppError('ADDIN_NOT_FOUND', `there is no add-in named '${name}'`);
  return addin;
}

const ROLE_FIELDS: [RoomRoleName, keyof RoomRoles, 'members' | 'managers' | 'presenters'][] = [
  ['member', 'members', 'members'],
  ['manager', 'managers', 'managers'],
  ['presenter', 'presenters', 'presenters'],
];

interface RoleChange {
  next: RoomRoles;
  named: PrincipalRecord[];
  /** Principals whose role entries were stripped because a move left them out of scope. */
  stripped: PrincipalRecord[];
}

/**
 * Applies role edits. Newly named holders must be in the category's scope; when the room
 * moves, existing holders outside the new scope are stripped (01 §3.2) and reported.
 */
async function changeRoles(
  tx: Tx,
  current: RoomRoles,
  input: RoomInput,
  category: { name: string; facts: CategoryFacts },
  moving: boolean,
): Promise<RoleChange> {
  const next: RoomRoles = { members: [], managers: [], presenters: [] };
  const named: PrincipalRecord[] = [];
  const added = new Map<RoomRoleName, number[]>();
  for (const [role, field, inputField] of ROLE_FIELDS) {
    const resolved = await resolveListEdit(tx.store, input[inputField]);
    named.push(...resolved.named);
    next[field] = applyListEdit(current[field], resolved.edit);
    added.set(role, next[field].filter((id) => !current[field].includes(id)));
  }
  for (const [role] of ROLE_FIELDS) {
    await checkInScope(tx.store, added.get(role) ?? [], category.facts, role, named, category.name);
  }
  const stripped: PrincipalRecord[] = [];
  if (moving) {
    const kept = [...new Set([...next.members, ...next.managers, ...next.presenters])];
    const outside = new Set(await outsideScope(tx.store, kept, category.facts));
    for (const [, field] of ROLE_FIELDS) next[field] = next[field].filter((id) => !outside.has(id));
    stripped.push(...(await tx.store.principals.getManyByIds([...outside])));
  }
  return { next, named, stripped };
}

function checkPresenters(type: RoomType, roles: RoomRoles): void {
  if (type !== 'Auditorium' && roles.presenters.length > 0) {
    throw new AppError(
      'PRESENTERS_REQUIRE_AUDITORIUM',
      'presenters exist only in auditorium rooms: make the room an Auditorium, or clear its presenters',
    );
  }
}

async function writeRoles(tx: Tx, roomId: number, before: RoomRoles, after: RoomRoles): Promise<{ added: number[]; removed: number[] }> {
  const added = new Set<number>();
  const removed = new Set<number>();
  for (const [role, field] of ROLE_FIELDS) {
    const was = before[field];
    const now = after[field];
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    await tx.store.rooms.setRoles(roomId, role, now);
    for (const id of now) if (!was.includes(id)) added.add(id);
    for (const id of was) if (!now.includes(id)) removed.add(id);
  }
  return { added: [...added], removed: [...removed] };
}

async function present(tx: Tx, room: RoomRecord): Promise<RoomView> {
  return (await presentRooms(tx.store, tx.services.poolFqdn, [room]))[0] as RoomView;
}

// ---------------------------------------------------------------- create

export async function checkCreateRoom(
  services: Services,
  actor: Actor,
  input: RoomInput & { name: string; category: string },
  options: WriteOptions = {},
): Promise<Outcome<RoomView>> {
  const valid = validate(input);
  return runWrite(services, actor, options, async (tx) => {
    const facts = await loadActorFacts(tx.store, actor);
    if ((await tx.store.categories.count()) === 0) {
      throw new AppError('NO_CATEGORY', 'no category exists yet: create one before creating rooms (stoa category new --name ...)');
    }
    const { category, facts: categoryFacts } = await accessCategory(tx.store, services.poolFqdn, facts, valid.category as string, 'create');
    const addin = await findAddin(tx, valid.addin);
    const empty: RoomRoles = { members: [], managers: [], presenters: [] };
    const roles = await changeRoles(tx, empty, valid, { name: category.name, facts: categoryFacts }, false);
    // The creator becomes a manager of the room they create (01 §3.5).
    if (facts.kind === 'user' && inScope(facts.principal, categoryFacts) && !roles.next.managers.includes(facts.principal.id)) {
      roles.next.managers.push(facts.principal.id);
    }
    checkPresenters(valid.type ?? ROOM_DEFAULTS.type, roles.next);
    return doCreateRoom(tx, actor, { ...valid, name: valid.name as string }, category, addin ?? null, roles.next);
  });
}

export async function doCreateRoom(
  tx: Tx,
  actor: Actor,
  input: RoomInput & { name: string },
  category: CategoryRecord,
  addin: AddinRecord | null,
  roles: RoomRoles,
): Promise<RoomView> {
  await claimNodeName(tx, input.name, 'room');
  const by = actor.kind === 'user' ? actor.principalId : null;
  const room = await tx.store.rooms.insert({
    guid: tx.services.newGuid(),
    categoryId: category.id,
    name: input.name,
    nameKey: nameKey(input.name),
    description: input.description ?? '',
    type: input.type ?? ROOM_DEFAULTS.type,
    privacy: input.privacy ?? ROOM_DEFAULTS.privacy,
    invitations: input.invitations ?? ROOM_DEFAULTS.invitations,
    disabled: input.disabled ?? ROOM_DEFAULTS.disabled,
    addinId: addin?.id ?? null,
    createdAt: tx.now,
    createdBy: by,
    updatedAt: tx.now,
    updatedBy: by,
  });
  const { added } = await writeRoles(tx, room.id, { members: [], managers: [], presenters: [] }, roles);
  await doInvite(tx, room, category, [], roles.members);
  const view = await present(tx, room);
  tx.emit({ type: 'room.created', roomId: room.id, name: room.name });
  if (added.length > 0) tx.emit({ type: 'room.roles_changed', roomId: room.id, name: room.name, added, removed: [] });
  tx.record({ action: 'create', kind: 'room', identity: view.identity, details: diff({} as RoomView, view, ['id', 'guid', 'identity']) });
  return view;
}

// ---------------------------------------------------------------- update

export async function checkUpdateRoom(
  services: Services,
  actor: Actor,
  identity: string,
  input: RoomInput,
  options: WriteOptions = {},
): Promise<Outcome<RoomView>> {
  const valid = validate(input);
  return runWrite(services, actor, options, async (tx) => {
    const facts = await loadActorFacts(tx.store, actor);
    const loaded = await accessRoom(tx.store, services.poolFqdn, facts, identity, 'manage', { lock: true });
    const destination = await destinationCategory(tx, facts, loaded, valid.category);
    const moving = destination.category.id !== loaded.room.categoryId;
    const roles = await changeRoles(tx, loaded.roles, valid, destination, moving);
    checkPresenters(valid.type ?? loaded.room.type, roles.next);
    const addin = await findAddin(tx, valid.addin);
    return doUpdateRoom(tx, actor, loaded, valid, destination.category, addin, roles);
  });
}

async function destinationCategory(
  tx: Tx,
  facts: ActorFacts,
  loaded: LoadedRoom,
  requested: string | undefined,
): Promise<{ category: CategoryRecord; name: string; facts: CategoryFacts }> {
  if (requested === undefined) return { category: loaded.category, name: loaded.category.name, facts: loaded.facts.category };
  const category = await findCategory(tx.store, tx.services.poolFqdn, requested);
  if (category.id === loaded.category.id) return { category, name: category.name, facts: loaded.facts.category };
  const destinationFacts = await loadCategoryFacts(tx.store, category);
  if (!canMove(facts, loaded.facts, destinationFacts)) {
    throw new AppError(
      'PERMISSION_DENIED',
      canCreate(facts, destinationFacts)
        ? 'only managers of this room and administrators may move it'
        : `you may not move rooms into category '${category.name}': you are not one of its creators`,
    );
  }
  return { category, name: category.name, facts: destinationFacts };
}

export async function doUpdateRoom(
  tx: Tx,
  actor: Actor,
  loaded: LoadedRoom,
  input: RoomInput,
  category: CategoryRecord,
  addin: AddinRecord | null | undefined,
  roles: RoleChange,
): Promise<RoomView> {
  const { room } = loaded;
  const before = await present(tx, room);
  if (input.name !== undefined && nameKey(input.name) !== room.nameKey) {
    await claimNodeName(tx, input.name, 'room');
    await releaseNodeName(tx, room.nameKey);
  }
  const updated = await tx.store.rooms.update(room.id, {
    ...(input.name === undefined ? {} : { name: input.name, nameKey: nameKey(input.name) }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.type === undefined ? {} : { type: input.type }),
    ...(input.privacy === undefined ? {} : { privacy: input.privacy }),
    ...(input.invitations === undefined ? {} : { invitations: input.invitations }),
    ...(input.disabled === undefined ? {} : { disabled: input.disabled }),
    ...(addin === undefined ? {} : { addinId: addin?.id ?? null }),
    categoryId: category.id,
    updatedAt: tx.now,
    updatedBy: actor.kind === 'user' ? actor.principalId : null,
  });
  const { added, removed } = await writeRoles(tx, room.id, loaded.roles, roles.next);
  await doInvite(tx, updated, category, loaded.roles.members, roles.next.members);
  const after = await present(tx, updated);
  const details = diff(before, after, ['id', 'guid']);
  const notes = roles.stripped.map((p) => `${p.name} lost its roles: outside the scope of category '${category.name}'`);
  const event = { roomId: room.id, name: updated.name };
  if (category.id !== room.categoryId) tx.emit({ type: 'room.moved', ...event, fromCategoryId: room.categoryId, toCategoryId: category.id });
  if (updated.disabled !== room.disabled) tx.emit({ type: updated.disabled ? 'room.disabled' : 'room.enabled', ...event });
  if (added.length + removed.length > 0) tx.emit({ type: 'room.roles_changed', ...event, added, removed });
  tx.emit({ type: 'room.updated', ...event });
  tx.record({ action: 'update', kind: 'room', identity: before.identity, details, ...(notes.length > 0 ? { notes } : {}) });
  return after;
}

// ---------------------------------------------------------------- remove

export async function checkRemoveRoom(
  services: Services,
  actor: Actor,
  identity: string,
  options: WriteOptions = {},
): Promise<Outcome<RoomView>> {
  return runWrite(services, actor, options, async (tx) => {
    const facts = await loadActorFacts(tx.store, actor);
    const loaded = await accessRoom(tx.store, services.poolFqdn, facts, identity, 'delete', { everyone: true });
    return doRemoveRoom(tx, loaded.room);
  });
}

export async function doRemoveRoom(tx: Tx, room: RoomRecord): Promise<RoomView> {
  const view = await present(tx, room);
  discardBlobs(tx, await tx.store.files.deleteByRoom(room.id));
  await tx.store.rooms.delete(room.id);
  await releaseNodeName(tx, room.nameKey);
  tx.emit({ type: 'room.removed', roomId: room.id, name: room.name });
  tx.record({ action: 'remove', kind: 'room', identity: view.identity });
  return view;
}

/**
 * Categories (01 §2.2): administrator-only containers of rooms that define who may hold
 * roles in their rooms (AllowedMembers − DeniedMembers) and who may create rooms.
 */
import type { CategoryListName, CategoryRecord, PrincipalRecord } from '../store/types.js';
import { AppError, Problems } from '../domain/errors.js';
import { nameKey, normaliseDescription, normaliseName } from '../domain/names.js';
import { CATEGORY_DEFAULTS } from '../domain/rooms.js';
import { applyListEdit, type ListEdit } from '../domain/list-edit.js';
import { accessCategory, findCategory, requireAdministrator } from '../access/categories.js';
import { loadActorFacts } from '../access/actor.js';
import { resolveListEdit } from './principal-refs.js';
import { checkInScope } from './scope.js';
import { claimNodeName, releaseNodeName } from './node-names.js';
import { presentCategories, type CategoryView, type PrincipalLabels } from './views.js';
import { diff, runWrite, type Actor, type Outcome, type Services, type Tx, type WriteOptions } from './context.js';

export interface CategoryInput {
  name?: string;
  description?: string;
  invitations?: boolean;
  fileUpload?: boolean;
  chatHistory?: boolean;
  allowedMembers?: ListEdit;
  deniedMembers?: ListEdit;
  creators?: ListEdit;
}

interface ValidCategoryInput extends Omit<CategoryInput, 'name'> {
  name?: string;
}

function validate(input: CategoryInput): ValidCategoryInput {
  const problems = new Problems();
  const out: ValidCategoryInput = { ...input };
  problems.check(() => {
    if (input.name !== undefined) out.name = normaliseName(input.name, 'category');
  });
  problems.check(() => {
    if (input.description !== undefined) out.description = normaliseDescription(input.description, 'category');
  });
  problems.throwIfAny();
  return out;
}

interface Lists {
  allowed: number[];
  denied: number[];
  creators: number[];
}

/**
 * Applies list edits and checks the result: nobody both allowed and denied, and every
 * newly named creator inside the category's scope.
 */
async function resolveLists(tx: Tx, current: Lists, input: ValidCategoryInput): Promise<Lists & { named: PrincipalRecord[] }> {
  const store = tx.store;
  const allowed = await resolveListEdit(store, input.allowedMembers);
  const denied = await resolveListEdit(store, input.deniedMembers);
  const creators = await resolveListEdit(store, input.creators);
  const next: Lists = {
    allowed: applyListEdit(current.allowed, allowed.edit),
    denied: applyListEdit(current.denied, denied.edit),
    creators: applyListEdit(current.creators, creators.edit),
  };
  const named = [...allowed.named, ...denied.named, ...creators.named];
  const both = next.allowed.filter((id) => next.denied.includes(id));
  if (both.length > 0) {
    const names = named.filter((p) => both.includes(p.id)).map((p) => p.name);
    throw new AppError(
      'PRINCIPAL_ALLOWED_AND_DENIED',
      `a principal is either allowed or denied on a category, not both: ${names.join(', ') || both.join(', ')}`,
    );
  }
  const newCreators = next.creators.filter((id) => !current.creators.includes(id));
  await checkInScope(store, newCreators, { allowed: next.allowed, denied: next.denied }, 'creator', named);
  return { ...next, named };
}

async function writeLists(tx: Tx, id: number, before: Lists, after: Lists): Promise<void> {
  const pairs: [CategoryListName, keyof Lists][] = [['allowed', 'allowed'], ['denied', 'denied'], ['creator', 'creators']];
  for (const [list, key] of pairs) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) await tx.store.categories.setList(id, list, after[key]);
  }
}

async function present(tx: Tx, category: CategoryRecord): Promise<CategoryView> {
  return (await presentCategories(tx.store, tx.services.poolFqdn, [category]))[0] as CategoryView;
}

export async function checkCreateCategory(
  services: Services,
  actor: Actor,
  input: CategoryInput & { name: string },
  options: WriteOptions = {},
): Promise<Outcome<CategoryView>> {
  const valid = validate(input);
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'create categories');
    const lists = await resolveLists(tx, { allowed: [], denied: [], creators: [] }, valid);
    return doCreateCategory(tx, actor, { ...valid, name: valid.name as string }, lists);
  });
}

export async function doCreateCategory(tx: Tx, actor: Actor, input: ValidCategoryInput & { name: string }, lists: Lists): Promise<CategoryView> {
  await claimNodeName(tx, input.name, 'category');
  const by = actor.kind === 'user' ? actor.principalId : null;
  const category = await tx.store.categories.insert({
    guid: tx.services.newGuid(),
    name: input.name,
    nameKey: nameKey(input.name),
    description: input.description ?? '',
    invitations: input.invitations ?? CATEGORY_DEFAULTS.invitations,
    fileUpload: input.fileUpload ?? CATEGORY_DEFAULTS.fileUpload,
    chatHistory: input.chatHistory ?? CATEGORY_DEFAULTS.chatHistory,
    createdAt: tx.now,
    createdBy: by,
    updatedAt: tx.now,
    updatedBy: by,
  });
  await writeLists(tx, category.id, { allowed: [], denied: [], creators: [] }, lists);
  const view = await present(tx, category);
  tx.emit({ type: 'category.created', categoryId: category.id, name: category.name });
  tx.record({ action: 'create', kind: 'category', identity: view.identity, details: diff({} as CategoryView, view, ['id', 'guid', 'identity']) });
  return view;
}

export async function checkUpdateCategory(
  services: Services,
  actor: Actor,
  identity: string,
  input: CategoryInput,
  options: WriteOptions = {},
): Promise<Outcome<CategoryView>> {
  const valid = validate(input);
  return runWrite(services, actor, options, async (tx) => {
    const facts = await loadActorFacts(tx.store, actor);
    const { category, facts: current } = await accessCategory(tx.store, services.poolFqdn, facts, identity, 'administer', { lock: true });
    const before = { allowed: [...current.allowed], denied: [...current.denied], creators: [...current.creators] };
    const lists = await resolveLists(tx, before, valid);
    return doUpdateCategory(tx, actor, category, valid, before, lists);
  });
}

export async function doUpdateCategory(
  tx: Tx,
  actor: Actor,
  category: CategoryRecord,
  input: ValidCategoryInput,
  before: Lists,
  after: Lists,
): Promise<CategoryView> {
  const viewBefore = await present(tx, category);
  if (input.name !== undefined && input.name !== category.name) {
    if (nameKey(input.name) !== category.nameKey) {
      await claimNodeName(tx, input.name, 'category');
      await releaseNodeName(tx, category.nameKey);
    }
  }
  const updated = await tx.store.categories.update(category.id, {
    ...(input.name === undefined ? {} : { name: input.name, nameKey: nameKey(input.name) }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.invitations === undefined ? {} : { invitations: input.invitations }),
    ...(input.fileUpload === undefined ? {} : { fileUpload: input.fileUpload }),
    ...(input.chatHistory === undefined ? {} : { chatHistory: input.chatHistory }),
    updatedAt: tx.now,
    updatedBy: actor.kind === 'user' ? actor.principalId : null,
  });
  await writeLists(tx, category.id, before, after);
  const view = await present(tx, updated);
  const details = diff(viewBefore, view, ['id', 'guid']);
  const notes: string[] = [];
  const scopeChanged = 'allowedMembers' in details || 'deniedMembers' in details;
  if (scopeChanged) {
    notes.push('room roles held by principals now outside the scope stay listed but no longer count');
    tx.emit({ type: 'category.scope_changed', categoryId: category.id, name: updated.name });
  }
  tx.emit({ type: 'category.updated', categoryId: category.id, name: updated.name });
  tx.record({ action: 'update', kind: 'category', identity: viewBefore.identity, details, ...(scopeChanged ? { notes } : {}) });
  return view;
}

export async function checkRemoveCategory(
  services: Services,
  actor: Actor,
  identity: string,
  options: WriteOptions = {},
): Promise<Outcome<CategoryView>> {
  return runWrite(services, actor, options, async (tx) => {
    const facts = await loadActorFacts(tx.store, actor);
    const { category } = await accessCategory(tx.store, services.poolFqdn, facts, identity, 'administer');
    const rooms = await tx.store.categories.roomCount(category.id);
    if (rooms > 0) {
      throw new AppError(
        'CATEGORY_NOT_EMPTY',
        `category '${category.name}' still has ${rooms} room${rooms === 1 ? '' : 's'}; remove or move them first`,
      );
    }
    return doRemoveCategory(tx, category);
  });
}

export async function doRemoveCategory(tx: Tx, category: CategoryRecord): Promise<CategoryView> {
  const view = await present(tx, category);
  await tx.store.categories.delete(category.id);
  await releaseNodeName(tx, category.nameKey);
  tx.emit({ type: 'category.removed', categoryId: category.id, name: category.name });
  tx.record({ action: 'remove', kind: 'category', identity: view.identity });
  return view;
}

export async function listCategories(services: Services, actor: Actor, identity?: string, labels: PrincipalLabels = 'key'): Promise<CategoryView[]> {
  const { store, poolFqdn } = services;
  requireAdministrator(await loadActorFacts(store, actor), 'list categories');
  const categories = identity === undefined ? await store.categories.list() : [await findCategory(store, poolFqdn, identity)];
  return presentCategories(store, poolFqdn, categories, labels);
}


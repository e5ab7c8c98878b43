/**
 * Add-ins (01 §2.4): a registered list of http(s) URLs rooms may show in a side pane.
 * Administrators register them; managers pick one for a room.
 */
import type { AddinRecord } from '../store/types.js';
import { AppError, Problems } from '../domain/errors.js';
import { LIMITS, nameKey, normaliseName } from '../domain/names.js';
import { normaliseAddinUrl } from '../domain/addins.js';
import { parseIdentity } from '../domain/identity.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator, requireServiceUser } from '../access/categories.js';
import { presentAddin, type AddinView } from './views.js';
import { diff, runWrite, type Actor, type Outcome, type Services, type Tx, type WriteOptions } from './context.js';

async function findAddin(tx: Pick<Tx, 'store' | 'services'>, identity: string): Promise<AddinRecord> {
  const name = parseIdentity(identity, tx.services.poolFqdn);
  const addin = await tx.store.addins.getByNameKey(nameKey(name));
  if (addin === undefined) throw new AppError('ADDIN_NOT_FOUND', `there is no add-in named '${name}'`);
  return addin;
}

export async function checkCreateAddin(
  services: Services,
  actor: Actor,
  input: { name: string; url: string },
  options: WriteOptions = {},
): Promise<Outcome<AddinView>> {
  const problems = new Problems();
  let name = '';
  let url = '';
  problems.check(() => (name = normaliseName(input.name, 'add-in', LIMITS.addinName)));
  problems.check(() => (url = normaliseAddinUrl(input.url)));
  problems.throwIfAny();
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'register add-ins');
    if ((await tx.store.addins.getByNameKey(nameKey(name))) !== undefined) {
      throw new AppError('NAME_TAKEN', `an add-in named '${name}' already exists (names ignore case)`);
    }
    const addin = await tx.store.addins.insert({
      guid: services.newGuid(),
      name,
      nameKey: nameKey(name),
      url,
      createdAt: tx.now,
      updatedAt: tx.now,
    });
    const view = presentAddin(services.poolFqdn, addin);
    tx.emit({ type: 'addin.created', addinId: addin.id, name });
    tx.record({ action: 'create', kind: 'addin', identity: view.identity, details: { url: { from: undefined, to: url } } });
    return view;
  });
}

export async function checkUpdateAddin(
  services: Services,
  actor: Actor,
  identity: string,
  input: { url?: string },
  options: WriteOptions = {},
): Promise<Outcome<AddinView>> {
  const url = input.url === undefined ? undefined : normaliseAddinUrl(input.url);
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'change add-ins');
    const addin = await findAddin(tx, identity);
    const updated = await tx.store.addins.update(addin.id, { ...(url === undefined ? {} : { url }), updatedAt: tx.now });
    const before = presentAddin(services.poolFqdn, addin);
    const view = presentAddin(services.poolFqdn, updated);
    tx.emit({ type: 'addin.updated', addinId: addin.id, name: addin.name });
    tx.record({ action: 'update', kind: 'addin', identity: view.identity, details: diff(before, view) });
    return view;
  });
}

/**
 * An add-in still chosen by rooms is not removed unless `force`, which first takes it
 * off those rooms (the rooms are reported).
 */
export async function checkRemoveAddin(
  services: Services,
  actor: Actor,
  identity: string,
  options: WriteOptions & { force?: boolean } = {},
): Promise<Outcome<AddinView>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'remove add-ins');
    const addin = await findAddin(tx, identity);
    const users = await tx.store.rooms.countUsingAddin(addin.id);
    if (users > 0 && options.force !== true) {
      throw new AppError(
        'ADDIN_IN_USE',
        `add-in '${addin.name}' is used by ${users} room${users === 1 ? '' : 's'}; choose another add-in for them, or remove with --force to take it off them`,
      );
    }
    const rooms = users > 0 ? await tx.store.rooms.list({ addinId: addin.id }) : [];
    await tx.store.rooms.clearAddin(addin.id);
    await tx.store.addins.delete(addin.id);
    for (const room of rooms) tx.emit({ type: 'room.updated', roomId: room.id, name: room.name });
    tx.emit({ type: 'addin.removed', addinId: addin.id, name: addin.name });
    const notes = rooms.map((r) => `taken off room '${r.name}'`);
    const view = presentAddin(services.poolFqdn, addin);
    tx.record({ action: 'remove', kind: 'addin', identity: view.identity, ...(notes.length > 0 ? { notes } : {}) });
    return view;
  });
}

export async function listAddins(services: Services, actor: Actor, identity?: string): Promise<AddinView[]> {
  const { store, poolFqdn } = services;
  requireServiceUser(await loadActorFacts(store, actor));
  const addins = identity === undefined ? await store.addins.list() : [await findAddin({ store, services }, identity)];
  return addins.map((a) => presentAddin(poolFqdn, a));
}

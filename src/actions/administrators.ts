/**
 * The administrator role (CsPersistentChatAdministrator): users or groups whose members
 * may administer everything and read and manage every room (D1).
 */
import { AppError } from '../domain/errors.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import { resolvePrincipal } from './principal-refs.js';
import { presentPrincipals, type PrincipalView } from './views.js';
import { runWrite, type Actor, type Outcome, type Services, type WriteOptions } from './context.js';

export async function checkGrantAdministrator(
  services: Services,
  actor: Actor,
  principal: string,
  grant: boolean,
  options: WriteOptions = {},
): Promise<Outcome<PrincipalView>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'grant the administrator role');
    const p = await resolvePrincipal(tx.store, principal, ['user', 'group']);
    if (grant) {
      if (!(await tx.store.administrators.add(p.id))) throw new AppError('ALREADY_EXISTS', `'${p.name}' already holds the administrator role`);
    } else if (!(await tx.store.administrators.remove(p.id))) {
      throw new AppError('PRINCIPAL_NOT_FOUND', `'${p.name}' does not hold the administrator role`);
    }
    tx.emit({ type: grant ? 'administrator.granted' : 'administrator.revoked', principalId: p.id });
    tx.emit({ type: 'directory.changed', principalIds: [...(await tx.store.principals.expand([p.id]))] });
    tx.record({ action: grant ? 'grant' : 'revoke', kind: 'administrator role', identity: p.name });
    return (await presentPrincipals(tx.store, [p]))[0] as PrincipalView;
  });
}

export async function listAdministrators(services: Services, actor: Actor): Promise<PrincipalView[]> {
  const { store } = services;
  requireAdministrator(await loadActorFacts(store, actor), 'list administrators');
  return presentPrincipals(store, await store.principals.getManyByIds(await store.administrators.list()));
}

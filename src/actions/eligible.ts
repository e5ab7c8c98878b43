/**
 * Get-CsPersistentChatEligiblePrincipal: who may be given roles in a category or room,
 * with groups, containers and domains expanded (01 §2.1). The answer is the category's
 * scope: everyone affiliated with an allowed principal and with no denied one.
 */
import { AppError } from '../domain/errors.js';
import { LIMITS, wildcardMatcher } from '../domain/names.js';
import { integerIn } from '../domain/settings.js';
import { loadActorFacts } from '../access/actor.js';
import { findCategory, loadCategoryFacts, requireAdministrator } from '../access/categories.js';
import { accessRoom } from '../access/rooms.js';
import { presentPrincipals, type PrincipalView } from './views.js';
import type { Actor, Services } from './context.js';

export interface EligibleQuery {
  category?: string;
  room?: string;
  /** Eligible presenters of an auditorium room. */
  presenters?: boolean;
  /** Wildcard filter on users' SIP addresses (the cmdlet filters on nothing else). */
  filter?: string;
  resultSize?: number;
}

export async function eligiblePrincipals(services: Services, actor: Actor, query: EligibleQuery): Promise<PrincipalView[]> {
  const { store, poolFqdn } = services;
  const facts = await loadActorFacts(store, actor);
  requireAdministrator(facts, 'list eligible principals');
  if ((query.category === undefined) === (query.room === undefined)) {
    throw new AppError('INVALID_INPUT', 'name either a category or a room');
  }
  if (query.presenters === true && query.room === undefined) {
    throw new AppError('INVALID_INPUT', 'presenters are eligible per room: use --room with --presenters');
  }
  const limit = query.resultSize === undefined ? undefined : integerIn(query.resultSize, 0, LIMITS.resultSize, 'ResultSize');
  if (limit === 0) return [];
  let scope;
  if (query.room !== undefined) {
    const loaded = await accessRoom(store, poolFqdn, facts, query.room, 'manage');
    if (query.presenters === true && loaded.room.type !== 'Auditorium') {
      throw new AppError('PRESENTERS_REQUIRE_AUDITORIUM', `room '${loaded.room.name}' is not an auditorium, so it has no presenters`);
    }
    scope = loaded.facts.category;
  } else {
    scope = await loadCategoryFacts(store, await findCategory(store, poolFqdn, query.category as string));
  }
  const allowed = await store.principals.expand(scope.allowed);
  const denied = await store.principals.expand(scope.denied);
  const ids = [...allowed].filter((id) => !denied.has(id));
  let principals = (await store.principals.getManyByIds(ids)).filter((p) => p.status !== 'deleted');
  if (query.filter !== undefined) {
    const match = wildcardMatcher(query.filter);
    // `ken*` and `sip:ken*` both find sip:ken@contoso.com.
    principals = principals.filter((p) => p.kind === 'user' && (match(p.key) || match(p.key.replace(/^sip:/, ''))));
  }
  principals.sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
  if (limit !== undefined) principals = principals.slice(0, limit);
  return presentPrincipals(store, principals);
}

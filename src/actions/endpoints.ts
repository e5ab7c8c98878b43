/**
 * Endpoints (01 §2.8): SIP URIs that identify the pool to legacy clients, such as the old
 * `sip:ocschat@<domain>` lookup URI kept after migration.
 */
import { AppError } from '../domain/errors.js';
import { checkPool } from '../domain/identity.js';
import { normaliseEndpointUri } from '../domain/endpoints.js';
import { LIMITS, normaliseText, wildcardMatcher } from '../domain/names.js';
import type { EndpointRecord, Store } from '../store/types.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import { presentEndpoint, type EndpointView } from './views.js';
import { runWrite, type Actor, type Outcome, type Services, type WriteOptions } from './context.js';

/** An endpoint is named by its SIP address or its display name. */
async function findEndpoint(store: Store, identity: string): Promise<EndpointRecord> {
  const text = identity.trim();
  const all = await store.endpoints.list();
  const bySip = /^sip:/i.test(text) ? all.find((e) => e.sipUri === normaliseEndpointUri(text)) : undefined;
  const found = bySip ?? all.filter((e) => e.displayName.toLowerCase() === text.toLowerCase());
  if (Array.isArray(found)) {
    if (found.length > 1) throw new AppError('INVALID_IDENTITY', `several endpoints are named '${text}'; use the SIP address`);
    if (found.length === 0) throw new AppError('ENDPOINT_NOT_FOUND', `there is no endpoint '${text}'`);
    return found[0] as EndpointRecord;
  }
  return found;
}

export async function checkCreateEndpoint(
  services: Services,
  actor: Actor,
  input: { sipAddress: string; poolFqdn?: string; displayName?: string },
  options: WriteOptions = {},
): Promise<Outcome<EndpointView>> {
  const sipUri = normaliseEndpointUri(input.sipAddress);
  checkPool(input.poolFqdn, services.poolFqdn);
  const displayName = normaliseText(input.displayName, 'display name', LIMITS.displayName) ?? sipUri.slice(4);
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage endpoints');
    if ((await tx.store.endpoints.getByUri(sipUri)) !== undefined) {
      throw new AppError('ALREADY_EXISTS', `endpoint ${sipUri} already exists`);
    }
    const user = await tx.store.principals.getByKey(sipUri);
    if (user !== undefined && user.status !== 'deleted') {
      throw new AppError('NAME_TAKEN', `${sipUri} is a user's SIP address; an endpoint needs an address of its own`);
    }
    const endpoint = await tx.store.endpoints.insert({ guid: services.newGuid(), sipUri, displayName, poolFqdn: services.poolFqdn, createdAt: tx.now });
    const view = presentEndpoint(endpoint);
    tx.emit({ type: 'endpoint.created', sipUri });
    tx.record({ action: 'create', kind: 'endpoint', identity: sipUri, details: { displayName: { from: undefined, to: displayName } } });
    return view;
  });
}

export async function checkRemoveEndpoint(services: Services, actor: Actor, identity: string, options: WriteOptions = {}): Promise<Outcome<EndpointView>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'manage endpoints');
    const endpoint = await findEndpoint(tx.store, identity);
    await tx.store.endpoints.delete(endpoint.id);
    tx.emit({ type: 'endpoint.removed', sipUri: endpoint.sipUri });
    tx.record({ action: 'remove', kind: 'endpoint', identity: endpoint.sipUri });
    return presentEndpoint(endpoint);
  });
}

export async function listEndpoints(
  services: Services,
  actor: Actor,
  query: { identity?: string; filter?: string; poolFqdn?: string; resultSize?: number } = {},
): Promise<EndpointView[]> {
  const { store } = services;
  requireAdministrator(await loadActorFacts(store, actor), 'list endpoints');
  checkPool(query.poolFqdn, services.poolFqdn);
  if (query.identity !== undefined) return [presentEndpoint(await findEndpoint(store, query.identity))];
  let endpoints = await store.endpoints.list();
  if (query.filter !== undefined) {
    const match = wildcardMatcher(query.filter);
    endpoints = endpoints.filter((e) => match(e.sipUri) || match(e.displayName));
  }
  if (query.resultSize !== undefined) endpoints = endpoints.slice(0, Math.max(0, query.resultSize));
  return endpoints.map(presentEndpoint);
}

/**
 * A deployment for action-level tests on a real store: initialised like a fresh install
 * (global policy on), with every published event recorded.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { InProcessEventBus } from '../../src/events/in-process-bus.js';
import type { DomainEvent } from '../../src/events/types.js';
import { makeServices, type Services } from '../../src/actions/context.js';
import { initialiseDeployment } from '../../src/actions/deployment.js';
import type { Store } from '../../src/store/types.js';

export const POOL = 'pc.contoso.com';

export interface TestDeployment {
  services: Services;
  store: Store;
  events: DomainEvent[];
  close(): Promise<void>;
}

export async function openDeployment(store: Store): Promise<TestDeployment> {
  await initialiseDeployment(store, { poolFqdn: POOL, now: Date.now(), newGuid: randomUUID });
  const bus = new InProcessEventBus((err) => {
    throw err;
  });
  const events: DomainEvent[] = [];
  bus.subscribe((e) => {
    events.push(e);
  });
  const services = makeServices({ store, bus, poolFqdn: POOL });
  return { services, store, events, close: () => store.close() };
}

/**
 * Gives each test of the enclosing describe its own fresh deployment on the store kind,
 * closed afterwards. The returned object is refilled before every test.
 */
export function useDeployment(kind: { open: () => Promise<Store> }, prepare?: (d: TestDeployment) => Promise<void>): TestDeployment {
  const current = {} as TestDeployment;
  beforeEach(async () => {
    Object.assign(current, await openDeployment(await kind.open()));
    await prepare?.(current);
  });
  afterEach(() => current.close());
  return current;
}

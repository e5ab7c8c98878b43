/**
 * Service configuration and compliance configuration (01 §2.6–2.7) share their life
 * cycle: scopes global / site / service, New only at site or service scope, Set without
 * identity edits global, Remove on global resets it, the most specific scope wins.
 */
import type { ScopedRecord, ScopedSettingsStore, Store } from '../store/types.js';
import { AppError, Problems } from '../domain/errors.js';
import { parseConfigIdentity, serviceIdentity, siteIdentity } from '../domain/settings.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import type { DomainEvent } from '../events/types.js';
import { diff, runWrite, type Actor, type Outcome, type Services, type WriteOptions } from './context.js';

export interface ScopedSettingsKind<S, I, V extends { identity: string }> {
  /** How messages name it: "configuration", "compliance configuration". */
  noun: string;
  command: string;
  store(store: Store): ScopedSettingsStore<S>;
  defaults: S;
  /** Applies validated input over current settings; reports every invalid field at once. */
  apply(current: S, input: I, problems: Problems, services: Services): S;
  present(record: ScopedRecord<S>): V;
  event: Extract<DomainEvent['type'], 'configuration.changed' | 'compliance_configuration.changed'>;
}

export function scopedSettingsActions<S, I, V extends { identity: string }>(kind: ScopedSettingsKind<S, I, V>) {
  function validated(current: S, input: I, services: Services): S {
    const problems = new Problems();
    const next = kind.apply(current, input, problems, services);
    problems.throwIfAny();
    return next;
  }

  async function find(store: Store, poolFqdn: string, identity: string): Promise<ScopedRecord<S>> {
    const id = parseConfigIdentity(identity, poolFqdn);
    const record = await kind.store(store).getByKey(id.key);
    if (record === undefined) throw new AppError('CONFIGURATION_NOT_FOUND', `there is no ${kind.noun} '${id.display}'`);
    return record;
  }

  async function admin(store: Store, actor: Actor): Promise<void> {
    requireAdministrator(await loadActorFacts(store, actor), `manage the ${kind.noun}`);
  }

  return {
    async create(services: Services, actor: Actor, identity: string, input: I, options: WriteOptions = {}): Promise<Outcome<V>> {
      const id = parseConfigIdentity(identity, services.poolFqdn);
      if (id.scope === 'global') {
        throw new AppError('SCOPE_NOT_ALLOWED', `the global ${kind.noun} always exists: change it with stoa ${kind.command} set`);
      }
      const settings = validated(kind.defaults, input, services);
      return runWrite(services, actor, options, async (tx) => {
        await admin(tx.store, actor);
        if ((await kind.store(tx.store).getByKey(id.key)) !== undefined) {
          throw new AppError('ALREADY_EXISTS', `${kind.noun} '${id.display}' already exists: change it with stoa ${kind.command} set`);
        }
        const record = await kind.store(tx.store).insert({ identityKey: id.key, scope: id.scope, name: id.name, settings, updatedAt: tx.now });
        const view = kind.present(record);
        tx.emit({ type: kind.event, identity: view.identity });
        tx.record({ action: 'create', kind: kind.noun, identity: view.identity, details: diff({} as V, view, ['identity', 'scope']) });
        return view;
      });
    },

    async update(services: Services, actor: Actor, identity: string, input: I, options: WriteOptions = {}): Promise<Outcome<V>> {
      return runWrite(services, actor, options, async (tx) => {
        await admin(tx.store, actor);
        const record = await find(tx.store, services.poolFqdn, identity);
        const updated = await kind.store(tx.store).update(record.id, validated(record.settings, input, services), tx.now);
        const view = kind.present(updated);
        tx.emit({ type: kind.event, identity: view.identity });
        tx.record({ action: 'update', kind: kind.noun, identity: view.identity, details: diff(kind.present(record), view) });
        return view;
      });
    },

    async remove(services: Services, actor: Actor, identity: string, options: WriteOptions = {}): Promise<Outcome<V>> {
      return runWrite(services, actor, options, async (tx) => {
        await admin(tx.store, actor);
        const record = await find(tx.store, services.poolFqdn, identity);
        const before = kind.present(record);
        if (record.scope === 'global') {
          const reset = kind.present(await kind.store(tx.store).update(record.id, kind.defaults, tx.now));
          tx.emit({ type: kind.event, identity: reset.identity });
          tx.record({ action: 'reset', kind: kind.noun, identity: reset.identity, details: diff(before, reset) });
          return reset;
        }
        await kind.store(tx.store).delete(record.id);
        tx.emit({ type: kind.event, identity: before.identity });
        tx.record({ action: 'remove', kind: kind.noun, identity: before.identity });
        return before;
      });
    },

    async list(services: Services, actor: Actor, identity?: string): Promise<V[]> {
      await admin(services.store, actor);
      const records = identity === undefined ? await kind.store(services.store).list() : [await find(services.store, services.poolFqdn, identity)];
      return records.map((r) => kind.present(r));
    },

    /** The settings in force for this pool: service scope, then the pool's site, then global. */
    async effective(store: Store, poolFqdn: string, site?: string): Promise<S> {
      const keys = [serviceIdentity(poolFqdn).key, ...(site ? [siteIdentity(site).key] : []), 'global'];
      for (const key of keys) {
        const record = await kind.store(store).getByKey(key);
        if (record !== undefined) return record.settings;
      }
      return kind.defaults;
    },
  };
}

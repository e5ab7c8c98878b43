import { describe } from 'vitest';
import { STORE_KINDS, type StoreKind } from './stores.js';

/**
 * Defines the same tests for SQLite and PostgreSQL. Without PostgreSQL on the machine
 * (and outside CI) its half is skipped, and global setup has said so loudly.
 */
export function describeEachStore(name: string, fn: (kind: StoreKind) => void): void {
  for (const kind of STORE_KINDS) {
    describe.skipIf(!kind.enabled())(`${name} [${kind.dialect}]`, () => fn(kind));
  }
}

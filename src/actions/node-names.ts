import { AppError } from '../domain/errors.js';
import { nameKey } from '../domain/names.js';
import type { Tx } from './context.js';

/**
 * Category and room names are unique per pool, case-insensitively, and a room may not be
 * named like a category (D1). The check gives the clear message; the claim's primary key
 * settles a race between two writers.
 */
export async function claimNodeName(tx: Tx, name: string, kind: 'category' | 'room'): Promise<void> {
  const key = nameKey(name);
  const holder = await tx.store.nodeNames.holder(key);
  if (holder !== undefined) {
    const existing = holder === 'room' ? await tx.store.rooms.getByNameKey(key) : await tx.store.categories.getByNameKey(key);
    const taken = existing?.name ?? name;
    throw new AppError(
      'NAME_TAKEN',
      holder === kind
        ? `a ${kind} named '${taken}' already exists (names ignore case)`
        : `'${taken}' is already the name of a ${holder}; rooms and categories need different names`,
    );
  }
  await tx.store.nodeNames.claim(key, kind);
}

export async function releaseNodeName(tx: Tx, key: string): Promise<void> {
  await tx.store.nodeNames.release(key);
}

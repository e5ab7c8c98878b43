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
    // The same answer whoever holds the name and whether the caller may see it: a Secret
    // room's existence and spelling must not be probed by naming rooms (D1).
    throw new AppError('NAME_TAKEN', `the name '${name}' is not available (room and category names are unique, ignoring case)`);
  }
  await tx.store.nodeNames.claim(key, kind);
}

export async function releaseNodeName(tx: Tx, key: string): Promise<void> {
  await tx.store.nodeNames.release(key);
}

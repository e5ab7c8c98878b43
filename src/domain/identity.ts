/**
 * Identities print as `<pool FQDN>\<name>` (01 §1.4). On input the pool part may be
 * omitted; when given it must be this deployment's pool.
 */
import { AppError } from './errors.js';

export function formatIdentity(poolFqdn: string, name: string): string {
  return `${poolFqdn}\\${name}`;
}

/** Strips a leading `<pool>\`; a different pool is refused, anything else is the name. */
export function parseIdentity(raw: string, poolFqdn: string): string {
  const text = raw.trim();
  const slash = text.indexOf('\\');
  if (slash > 0) {
    const prefix = text.slice(0, slash);
    if (prefix.toLowerCase() === poolFqdn.toLowerCase()) return text.slice(slash + 1);
    if (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(prefix)) {
      throw new AppError('UNKNOWN_POOL', `'${prefix}' is not this deployment's pool (${poolFqdn})`);
    }
  }
  return text;
}

/** `-PersistentChatPoolFqdn` on commands: only this pool exists. */
export function checkPool(requested: string | undefined, poolFqdn: string): void {
  if (requested === undefined) return;
  if (requested.trim().toLowerCase() !== poolFqdn.toLowerCase()) {
    throw new AppError('UNKNOWN_POOL', `'${requested}' is not this deployment's pool (${poolFqdn})`);
  }
}

import type { Store, PrincipalRecord } from '../store/types.js';
import { AppError } from '../domain/errors.js';
import { formOfKind, parsePrincipalRef, type PrincipalKind } from '../domain/principals.js';
import type { ListEdit } from '../domain/list-edit.js';
import { listEditValues, mapListEdit } from '../domain/list-edit.js';

/** The command that provisions a principal of the form written. */
function provisionHint(form: 'sip' | 'dn' | 'domain', written: string): string {
  const kind = form === 'sip' ? 'user' : form === 'domain' ? 'domain' : 'group|container';
  return `stoa principal add '${written}' --kind ${kind}`;
}

/**
 * Resolves principals as written in commands (SIP URI, DN, domain) to provisioned
 * principals. Only provisioned principals can be used (01 §2.1): anything else fails
 * with "not provisioned", naming every offender at once.
 */
export async function resolvePrincipals(
  store: Store,
  written: readonly string[],
  allowedKinds?: readonly PrincipalKind[],
): Promise<PrincipalRecord[]> {
  const refs = written.map(parsePrincipalRef);
  const found = new Map((await store.principals.getManyByKeys(refs.map((r) => r.key))).map((p) => [p.key, p]));
  const missing: string[] = [];
  const out: PrincipalRecord[] = [];
  for (const ref of refs) {
    const p = found.get(ref.key);
    if (p === undefined || p.status === 'deleted' || formOfKind(p.kind) !== ref.form) {
      missing.push(ref.display);
      continue;
    }
    if (allowedKinds && !allowedKinds.includes(p.kind)) {
      throw new AppError('INVALID_PRINCIPAL', `'${p.name}' is a ${p.kind}; expected ${allowedKinds.join(' or ')}`);
    }
    if (!out.some((o) => o.id === p.id)) out.push(p);
  }
  if (missing.length > 0) {
    const first = refs.find((r) => r.display === missing[0]);
    throw new AppError(
      'PRINCIPAL_NOT_PROVISIONED',
      `principal${missing.length > 1 ? 's' : ''} not provisioned: ${missing.join(', ')}` +
        (first ? ` (add with: ${provisionHint(first.form, first.display)})` : ''),
      { principals: missing },
    );
  }
  return out;
}

export async function resolvePrincipal(store: Store, written: string, allowedKinds?: readonly PrincipalKind[]): Promise<PrincipalRecord> {
  return (await resolvePrincipals(store, [written], allowedKinds))[0] as PrincipalRecord;
}

/** Resolves a list edit's principals; returns the id edit and every principal it names. */
export async function resolveListEdit(
  store: Store,
  edit: ListEdit | undefined,
): Promise<{ edit: ListEdit<number> | undefined; named: PrincipalRecord[] }> {
  if (edit === undefined) return { edit: undefined, named: [] };
  const named = await resolvePrincipals(store, listEditValues(edit));
  const byKey = new Map(named.map((p) => [p.key, p.id]));
  return { edit: mapListEdit(edit, (w) => byKey.get(parsePrincipalRef(w).key) as number), named };
}

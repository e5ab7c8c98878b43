/**
 * Legacy principals (02 §2.3) as Stoa principals (D1): users by SIP address, groups and
 * folders (containers) by distinguished name, domains by DNS name. Federated users become
 * disabled users flagged federated (C6); federated groups, the pseudo-principals (Any,
 * AnyUser, AnyGroup) and principals without a usable address are dropped, each with the
 * reason the report gives.
 */
import { dnDomain, dnKey, isValidDomainName, normaliseDn, normaliseSipUri, type PrincipalKind, type PrincipalStatus } from '../../../domain/principals.js';

/** tblPrincipalType ids (Lync 2010; 2013 keeps the same numbers for the kinds it has). */
export const PRINCIPAL_TYPE = {
  any: 1,
  anyUser: 2,
  anyGroup: 3,
  systemUser: 4,
  user: 5,
  externalUser: 6,
  federatedUser: 7,
  domain: 8,
  group: 9,
  folder: 10,
  federatedGroup: 11,
} as const;

export interface LegacyPrincipalRow {
  prinID: number;
  prinGuid: string | null;
  prinUri: string | null;
  prinName: string | null;
  prinDisplayName: string | null;
  prinEmail: string | null;
  prinADPath: string | null;
  prinDisabled: number | null;
  prinTypeID: number;
  prinAddedOn: number | null;
  prinUpdatedOn: number | null;
  _line: number;
}

export interface MappedPrincipal {
  id: number;
  kind: PrincipalKind;
  key: string;
  name: string;
  displayName: string | null;
  email: string | null;
  dn: string | null;
  domain: string | null;
  status: PrincipalStatus;
  federated: boolean;
  /** Legacy prinDisabled: 0 active, 1 SIP disabled, 2 directory object deleted. */
  legacyDisabled: number;
}

export type PrincipalMapping = { ok: MappedPrincipal } | { dropped: string; federatedGroup?: boolean };

const clean = (text: string | null): string | null => (text === null || text.trim() === '' ? null : text.trim());

function dnOf(raw: string | null): { dn: string; key: string } | undefined {
  if (raw === null) return undefined;
  try {
    return { dn: normaliseDn(raw), key: dnKey(raw) };
  } catch {
    return undefined;
  }
}

export function mapPrincipal(row: LegacyPrincipalRow): PrincipalMapping {
  const type = row.prinTypeID;
  const legacyDisabled = row.prinDisabled ?? 0;
  const status: PrincipalStatus = legacyDisabled === 2 ? 'deleted' : legacyDisabled === 1 ? 'disabled' : 'active';
  // The legacy name shows as the display name (the cmdlets' -AsObject); the Stoa name is
  // the key as the cmdlets print it: the SIP address, or the DN as written.
  const displayName = clean(row.prinDisplayName) ?? clean(row.prinName);
  const email = clean(row.prinEmail);
  const path = dnOf(row.prinADPath);
  const base = { id: row.prinID, displayName, email, legacyDisabled };
  switch (type) {
    case PRINCIPAL_TYPE.any:
    case PRINCIPAL_TYPE.anyUser:
    case PRINCIPAL_TYPE.anyGroup:
      return { dropped: 'a pseudo-principal (Any, AnyUser, AnyGroup) has no Stoa counterpart' };
    case PRINCIPAL_TYPE.federatedGroup:
      return { dropped: 'a federated group: Stoa has no federation (C6)', federatedGroup: true };
    case PRINCIPAL_TYPE.user:
    case PRINCIPAL_TYPE.externalUser:
    case PRINCIPAL_TYPE.systemUser:
    case PRINCIPAL_TYPE.federatedUser: {
      let key: string;
      try {
        key = normaliseSipUri(row.prinUri ?? '');
      } catch {
        return { dropped: `no SIP address (prinUri '${row.prinUri ?? ''}')` };
      }
      const federated = type === PRINCIPAL_TYPE.federatedUser;
      return {
        ok: {
          ...base,
          kind: 'user',
          key,
          name: key,
          dn: path?.dn ?? null,
          domain: key.slice(key.lastIndexOf('@') + 1),
          // C6: federated users cannot reach Stoa; they stay in lists, disabled.
          status: federated && status === 'active' ? 'disabled' : status,
          federated,
        },
      };
    }
    case PRINCIPAL_TYPE.group:
    case PRINCIPAL_TYPE.folder: {
      if (path === undefined) return { dropped: `no directory path (prinADPath '${row.prinADPath ?? ''}')` };
      return {
        ok: { ...base, kind: type === PRINCIPAL_TYPE.group ? 'group' : 'container', key: path.key, name: path.dn, dn: path.dn, domain: dnDomain(path.dn), status, federated: false },
      };
    }
    case PRINCIPAL_TYPE.domain: {
      const fromDn = path === undefined ? null : dnDomain(path.dn);
      const named = clean(row.prinName)?.toLowerCase() ?? null;
      const domain = fromDn ?? (named !== null && isValidDomainName(named) ? named : null);
      if (domain === null) return { dropped: `no DNS name (prinADPath '${row.prinADPath ?? ''}', prinName '${row.prinName ?? ''}')` };
      return { ok: { ...base, kind: 'domain', key: domain, name: domain, dn: path?.dn ?? null, domain, status, federated: false } };
    }
    default:
      return { dropped: `principal type ${type} is unknown` };
  }
}

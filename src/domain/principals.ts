import { AppError } from './errors.js';
import { LIMITS } from './names.js';

/**
 * Principals (D1): users keyed by SIP URI, groups and containers keyed by distinguished
 * name, domains keyed by DNS name. Keys are stored normalised and lower-case; the
 * written form keeps the caller's capitalisation of DNs for display.
 */
export const PRINCIPAL_KINDS = ['user', 'group', 'container', 'domain'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export const PRINCIPAL_STATUSES = ['active', 'disabled', 'deleted'] as const;
export type PrincipalStatus = (typeof PRINCIPAL_STATUSES)[number];

/** What a caller wrote to name a principal, parsed into its kind of key. */
export type PrincipalRef =
  | { form: 'sip'; key: string; display: string }
  | { form: 'dn'; key: string; display: string }
  | { form: 'domain'; key: string; display: string };

const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidDomainName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => DOMAIN_LABEL.test(label));
}

export function normaliseDomain(raw: string): string {
  const domain = raw.trim().toLowerCase().replace(/\.$/, '');
  if (!isValidDomainName(domain)) {
    throw new AppError('INVALID_PRINCIPAL', `'${raw}' is not a valid domain name`);
  }
  return domain;
}

const SIP_USER = /^[^\s@<>"\\:;,/]+$/;

/** `sip:Alice@Contoso.com` or `alice@contoso.com` → `sip:alice@contoso.com`. */
export function normaliseSipUri(raw: string): string {
  const trimmed = raw.trim();
  const body = /^sip:/i.test(trimmed) ? trimmed.slice(4) : trimmed;
  const at = body.lastIndexOf('@');
  const user = at > 0 ? body.slice(0, at) : '';
  const domain = at > 0 ? body.slice(at + 1).toLowerCase() : '';
  if (!SIP_USER.test(user) || !isValidDomainName(domain)) {
    throw new AppError(
      'INVALID_PRINCIPAL',
      `'${raw}' is not a valid SIP address (expected sip:user@domain)`,
    );
  }
  const uri = `sip:${user.toLowerCase()}@${domain}`;
  if (uri.length > LIMITS.principalKey) {
    throw new AppError('INVALID_PRINCIPAL', `SIP address '${raw}' is too long`);
  }
  return uri;
}

export function sipDomain(sipUri: string): string {
  return sipUri.slice(sipUri.lastIndexOf('@') + 1);
}

interface Rdn {
  attr: string;
  value: string;
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] as string);
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function parseDn(raw: string): Rdn[] {
  const rdns = splitUnescaped(raw.trim(), ',').map((part) => {
    const eq = part.indexOf('=');
    const attr = eq > 0 ? part.slice(0, eq).trim().toUpperCase() : '';
    const value = eq > 0 ? part.slice(eq + 1).trim() : '';
    if (!/^[A-Z][A-Z0-9-]*$/.test(attr) || value.length === 0) {
      throw new AppError(
        'INVALID_PRINCIPAL',
        `'${raw}' is not a valid distinguished name (expected e.g. CN=Finance,OU=Groups,DC=contoso,DC=com)`,
      );
    }
    return { attr, value };
  });
  return rdns;
}

function formatDn(rdns: readonly Rdn[]): string {
  return rdns.map((r) => `${r.attr}=${r.value}`).join(',');
}

/** A DN in canonical written form (attribute names upper-case, no spaces around separators). */
export function normaliseDn(raw: string): string {
  const dn = formatDn(parseDn(raw));
  if (dn.length > LIMITS.principalKey) {
    throw new AppError('INVALID_PRINCIPAL', `distinguished name '${raw}' is too long`);
  }
  return dn;
}

export function dnKey(dn: string): string {
  return normaliseDn(dn).toLowerCase();
}

/** Keys of every DN that contains this one: `CN=a,OU=b,DC=c` → `ou=b,dc=c`, `dc=c`. */
export function dnAncestorKeys(dn: string): string[] {
  const rdns = parseDn(dn);
  const keys: string[] = [];
  for (let i = 1; i < rdns.length; i++) keys.push(formatDn(rdns.slice(i)).toLowerCase());
  return keys;
}

/** The DNS domain a DN lies in, from its trailing DC= components (`DC=contoso,DC=com`). */
export function dnDomain(dn: string): string | null {
  const rdns = parseDn(dn);
  const dcs: string[] = [];
  for (let i = rdns.length - 1; i >= 0; i--) {
    const rdn = rdns[i] as Rdn;
    if (rdn.attr !== 'DC') break;
    dcs.unshift(rdn.value.toLowerCase());
  }
  const domain = dcs.join('.');
  return dcs.length > 0 && isValidDomainName(domain) ? domain : null;
}

/** `sales.contoso.com` → `sales.contoso.com`, `contoso.com`, `com`: a domain contains its subdomains. */
export function domainSuffixes(domain: string): string[] {
  const labels = domain.split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/** Parses how a principal is written in lists and commands. */
export function parsePrincipalRef(raw: string): PrincipalRef {
  const text = raw.trim();
  if (text.length === 0) throw new AppError('INVALID_PRINCIPAL', 'empty principal');
  if (/^sip:/i.test(text) || text.includes('@')) {
    const key = normaliseSipUri(text);
    return { form: 'sip', key, display: key };
  }
  if (text.includes('=')) {
    const display = normaliseDn(text);
    return { form: 'dn', key: display.toLowerCase(), display };
  }
  const key = normaliseDomain(text);
  return { form: 'domain', key, display: key };
}

/** The form each kind of principal is keyed by. */
export function formOfKind(kind: PrincipalKind): PrincipalRef['form'] {
  if (kind === 'user') return 'sip';
  if (kind === 'domain') return 'domain';
  return 'dn';
}

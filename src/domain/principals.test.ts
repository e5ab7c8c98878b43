import { describe, expect, it } from 'vitest';
import { dnAncestorKeys, dnDomain, domainSuffixes, normaliseDn, normaliseSipUri, parsePrincipalRef } from './principals.js';
import { isAppError } from './errors.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isAppError(err) ? err.code : 'other';
  }
  return 'accepted';
};

describe('principal references', () => {
  it.each([
    ['sip:Ana@Contoso.COM', { form: 'sip', key: 'sip:ana@contoso.com' }],
    ['ana@contoso.com', { form: 'sip', key: 'sip:ana@contoso.com' }],
    ['  SIP:ana.silva+x@eu.contoso.com ', { form: 'sip', key: 'sip:ana.silva+x@eu.contoso.com' }],
    ['cn=Finance , OU=Groups,dc=contoso,dc=com', { form: 'dn', key: 'cn=finance,ou=groups,dc=contoso,dc=com', display: 'CN=Finance,OU=Groups,DC=contoso,DC=com' }],
    ['CN=Smith\\, Ana,OU=IT,DC=contoso,DC=com', { form: 'dn', display: 'CN=Smith\\, Ana,OU=IT,DC=contoso,DC=com' }],
    ['Contoso.com.', { form: 'domain', key: 'contoso.com' }],
  ])('%s', (raw, expected) => {
    expect(parsePrincipalRef(raw)).toMatchObject(expected);
  });

  it.each(['', 'sip:', 'sip:@contoso.com', 'ana@', 'ana@contoso..com', 'ana smith@contoso.com', 'CN=,DC=x', '=x', 'under_score.com', '-bad.com'])(
    'refuses %j',
    (raw) => expect(refusal(() => parsePrincipalRef(raw))).toBe('INVALID_PRINCIPAL'),
  );

  it('refuses over-long keys', () => {
    expect(refusal(() => normaliseSipUri(`sip:${'a'.repeat(380)}@contoso.com`))).toBe('INVALID_PRINCIPAL');
  });
});

describe('directory tree helpers', () => {
  it('lists the containers above a DN, nearest first', () => {
    expect(dnAncestorKeys('CN=Ana,OU=Dev,OU=IT,DC=contoso,DC=com')).toEqual(['ou=dev,ou=it,dc=contoso,dc=com', 'ou=it,dc=contoso,dc=com', 'dc=contoso,dc=com', 'dc=com']);
  });
  it('keeps escaped commas inside one component', () => {
    expect(dnAncestorKeys('CN=Smith\\, Ana,OU=IT,DC=x')).toEqual(['ou=it,dc=x', 'dc=x']);
    expect(normaliseDn('cn=a\\,b,dc=x')).toBe('CN=a\\,b,DC=x');
  });
  it('reads the domain from trailing DC parts', () => {
    expect(dnDomain('CN=Ana,OU=IT,DC=Corp,DC=Local')).toBe('corp.local');
    expect(dnDomain('CN=Ana,OU=IT')).toBeNull();
  });
  it('a domain contains its subdomains', () => {
    expect(domainSuffixes('eu.sales.contoso.com')).toEqual(['eu.sales.contoso.com', 'sales.contoso.com', 'contoso.com', 'com']);
  });
});

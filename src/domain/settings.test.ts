import { describe, expect, it } from 'vitest';
import { parseConfigIdentity, parsePolicyIdentity } from './settings.js';
import { parseIdentity } from './identity.js';
import { invitationsEffective, parseRoomInvitations, parseRoomPrivacy } from './rooms.js';
import { checkStylesheet } from './stylesheet.js';

describe('identities', () => {
  it('parses policy identities', () => {
    expect(parsePolicyIdentity('GLOBAL')).toMatchObject({ scope: 'global', key: 'global', display: 'Global' });
    expect(parsePolicyIdentity('site:Redmond')).toMatchObject({ scope: 'site', name: 'Redmond', key: 'site:redmond', display: 'Site:Redmond' });
    expect(parsePolicyIdentity('Tag:Sales')).toMatchObject({ scope: 'tag', key: 'tag:sales' });
    expect(parsePolicyIdentity('Sales')).toMatchObject({ scope: 'tag', key: 'tag:sales' });
  });
  it('parses configuration identities, both service spellings', () => {
    expect(parseConfigIdentity('service:PersistentChatServer:PC.contoso.com', 'pc.contoso.com').key).toBe('service:persistentchatserver:pc.contoso.com');
    expect(parseConfigIdentity('service:pc.contoso.com', 'pc.contoso.com').scope).toBe('service');
    expect(() => parseConfigIdentity('Tag:x', 'pc.contoso.com')).toThrow(/not a configuration identity/);
  });
  it('strips this pool from room identities and refuses another', () => {
    expect(parseIdentity('pc.contoso.com\\Dev', 'pc.contoso.com')).toBe('Dev');
    expect(parseIdentity('Dev', 'pc.contoso.com')).toBe('Dev');
    expect(parseIdentity('a\\b', 'pc.contoso.com')).toBe('a\\b');
    expect(() => parseIdentity('other.contoso.com\\Dev', 'pc.contoso.com')).toThrow(/not this deployment's pool/);
  });
});

describe('room enumerations', () => {
  it('accept any case and answer the canonical spelling', () => {
    expect(parseRoomPrivacy('secret')).toBe('Secret');
    expect(parseRoomInvitations('FALSE')).toBe('False');
  });
  it('send invitations only when the category allows them and the room inherits (§4.6)', () => {
    expect(invitationsEffective('Inherit', true)).toBe(true);
    expect(invitationsEffective('False', true)).toBe(false);
    expect(invitationsEffective('Inherit', false)).toBe(false);
  });
  it('refuse switching invitations on at room level (§9.10)', () => {
    expect(() => parseRoomInvitations('True')).toThrow(/switch them on at the category/);
  });
});

describe('stylesheets', () => {
  it('accepts XSLT 1.0 with either root element', () => {
    const transform = '<xsl:transform version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>';
    expect(checkStylesheet(transform)).toBe(transform);
    expect(checkStylesheet('')).toBe('');
  });
  it('refuses non-XSLT documents', () => {
    expect(() => checkStylesheet('<xsl:stylesheet version="1.0" xmlns:xsl="urn:other"/>')).toThrow(/XSLT namespace/);
  });
});

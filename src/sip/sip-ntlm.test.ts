import { describe, expect, it } from 'vitest';
import { checkNtlmv2, connectionlessSignature, exportedSessionKey, ntHash, ntowfv2, parseAuthenticate, sessionKeys } from '../auth/ntlm.js';
import { SipHeaders, type SipRequest, type SipResponse } from './message.js';
import { NtlmAssociation, NtlmRefusal, parseAuthHeader, signedText } from './sip-ntlm.js';
import fixture from '../../test/sip/fixtures/sipe-ntlm-session.json' with { type: 'json' };

interface Captured {
  method: string;
  uri: string;
  headers: [string, string][];
}

const request = (m: Captured): SipRequest => ({ kind: 'request', method: m.method, uri: m.uri, headers: new SipHeaders(m.headers.map(([n, v]) => [n, v] as [string, string])), body: Buffer.alloc(0) });

/** An association whose random numbers are the ones of the captured session (opaque, then challenge). */
function capturedAssociation(): NtlmAssociation {
  const queue = [Buffer.from('0F1E2D3C', 'hex'), Buffer.from(fixture.serverChallenge, 'hex')];
  return new NtlmAssociation('stoa.example.com', (size) => queue.shift() ?? Buffer.alloc(size, 7));
}

function signedIn(): NtlmAssociation {
  const association = capturedAssociation();
  association.challenge();
  const params = parseAuthHeader(request(fixture.authenticate as Captured).headers.get('authorization'))!.params;
  const { message, prove } = association.read(params);
  expect(message.user).toBe('alice@example.com');
  const keys = prove(ntHash(fixture.password))!;
  expect(keys).toBeDefined();
  association.establish(keys, params);
  return association;
}

describe('NTLM for SIP', () => {
  it('reads authentication headers, quoted or not, and refuses broken ones', () => {
    const parsed = parseAuthHeader('NTLM qop="auth", opaque="0F1E2D3C", realm="SIP Communications Service", gssapi-data="", version=3')!;
    expect(parsed.scheme).toBe('NTLM');
    expect(Object.fromEntries(parsed.params)).toEqual({ qop: 'auth', opaque: '0F1E2D3C', realm: 'SIP Communications Service', 'gssapi-data': '', version: '3' });
    expect(parseAuthHeader('Digest username="a"')!.scheme).toBe('DIGEST');
    expect(parseAuthHeader('NTLM opaque="unterminated')).toBeUndefined();
    expect(parseAuthHeader(undefined)).toBeUndefined();
  });

  it('verifies the requests the real SIPE signed, once each and only unaltered', () => {
    const association = signedIn();
    const [subscribe, unregister] = fixture.signed.map((m) => request(m as Captured));
    const params = (r: SipRequest) => parseAuthHeader(r.headers.get('authorization'))!.params;
    const altered = request(fixture.signed[0] as Captured);
    altered.headers.set('CSeq', '2 SUBSCRIBE');
    expect(association.verify(altered, params(altered))).toBe(false);
    expect(association.verify(subscribe!, params(subscribe!))).toBe(true);
    // The same request again (a replay) is refused: its cnum is not above the last.
    expect(association.verify(subscribe!, params(subscribe!))).toBe(false);
    const otherOpaque = new Map(params(unregister!));
    otherOpaque.set('opaque', 'FFFFFFFF');
    expect(association.verify(unregister!, otherOpaque)).toBe(false);
    expect(association.verify(unregister!, undefined)).toBe(false);
    expect(association.verify(unregister!, params(unregister!))).toBe(true);
  });

  it('refuses a wrong password, a stale opaque and what is not an AUTHENTICATE', () => {
    const association = capturedAssociation();
    association.challenge();
    const params = parseAuthHeader(request(fixture.authenticate as Captured).headers.get('authorization'))!.params;
    expect(association.read(params).prove(ntHash('not the password'))).toBeUndefined();
    // The challenge is spent: the same answer again names no pending challenge.
    expect(() => association.read(params)).toThrow(NtlmRefusal);
    const fresh = capturedAssociation();
    fresh.challenge();
    expect(() => fresh.read(new Map([...params, ['gssapi-data', Buffer.from('NTLMSSP\0junk').toString('base64')]]))).toThrow(/not an NTLM AUTHENTICATE/);
    expect(() => capturedAssociation().read(params)).toThrow(/did not send/);
  });

  it('signs responses and its own requests with the server keys over the [MS-SIPAE] buffer', () => {
    const association = signedIn();
    const subscribe = request(fixture.signed[0] as Captured);
    const response: SipResponse = { kind: 'response', status: 200, reason: 'OK', headers: new SipHeaders([['From', subscribe.headers.get('from')!], ['To', `${subscribe.headers.get('to')!};tag=abc`], ['Call-ID', subscribe.headers.get('call-id')!], ['CSeq', subscribe.headers.get('cseq')!], ['Expires', '0']]), body: Buffer.alloc(0) };
    association.sign(response);
    const info = parseAuthHeader(response.headers.get('authentication-info'))!.params;
    expect([info.get('snum'), info.get('opaque'), info.get('qop'), info.get('realm')]).toEqual(['1', '0F1E2D3C', 'auth', 'SIP Communications Service']);
    const text = signedText(response, info.get('srand')!, info.get('snum')!, 'stoa.example.com');
    expect(text).toBe(`<NTLM><${info.get('srand')}><1><SIP Communications Service><stoa.example.com><${subscribe.headers.get('call-id')}><1><SUBSCRIBE><sip:alice@example.com><${/tag=([^;]+)/.exec(subscribe.headers.get('from')!)![1]}><sip:alice@example.com><abc><><><0><200>`);
    // Signed with the server keys: the client-key signature of the same text differs.
    expect(info.get('rspauth')).toMatch(/^01000000[0-9A-F]{16}64000000$/);
    const second: SipRequest = { kind: 'request', method: 'INFO', uri: 'sip:alice@example.com', headers: new SipHeaders([['From', '<sip:ocschat@example.com>;tag=1'], ['To', '<sip:alice@example.com>;tag=2'], ['Call-ID', 'x'], ['CSeq', '101 INFO']]), body: Buffer.alloc(0) };
    association.sign(second);
    expect(parseAuthHeader(second.headers.get('authentication-info'))!.params.get('snum')).toBe('2');
    expect(signedText(second, 'r', '2', 't')).not.toContain('<200>');
    // What the client computes with the keys it derived on its side.
    const authenticate = parseAuthenticate(Buffer.from(parseAuthHeader(request(fixture.authenticate as Captured).headers.get('authorization'))!.params.get('gssapi-data')!, 'base64'))!;
    const base = checkNtlmv2(ntowfv2(ntHash(fixture.password), authenticate.user, authenticate.domain), Buffer.from(fixture.serverChallenge, 'hex'), authenticate.ntResponse).sessionBaseKey;
    const keys = sessionKeys(exportedSessionKey(base, authenticate.encryptedRandomSessionKey));
    expect(info.get('rspauth')).toBe(connectionlessSignature(keys.serverSign, keys.serverSeal, 100, text).toString('hex').toUpperCase());
    expect(info.get('rspauth')).not.toBe(connectionlessSignature(keys.clientSign, keys.clientSeal, 100, text).toString('hex').toUpperCase());
  });
});

import { describe, expect, it } from 'vitest';
import { challengeMessage, checkNtlmv2, parseAuthenticate, exportedSessionKey, md4, ntHash, ntowfv2, rc4 } from './ntlm.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('NTLM primitives', () => {
  it('computes MD4 as RFC 1320 lists it', () => {
    expect(md4(Buffer.from('')).toString('hex')).toBe('31d6cfe0d16ae931b73c59d7e0c089c0');
    expect(md4(Buffer.from('abc')).toString('hex')).toBe('a448017aaf21d8525fc10ae87aa6729d');
    expect(md4(Buffer.from('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toString('hex')).toBe('e33b4ddc9c38f2199c3e7b164fcc0536');
  });

  it('computes RC4 as the published test vector has it', () => {
    expect(rc4(Buffer.from('Key'), Buffer.from('Plaintext')).toString('hex')).toBe('bbf316e8d940af0ad3');
  });

  it('follows the NTLMv2 example of [MS-NLMP] §4.2.4 (NT hash, NTOWFv2) and verifies proofs', async () => {
    const hash = ntHash('Password');
    expect(hash.toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
    const key = ntowfv2(hash, 'User', 'Domain');
    expect(key.toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
    // A response computed as a client does (§3.3.2) verifies; another password's does not.
    const serverChallenge = hex('0123456789abcdef');
    const temp = Buffer.concat([hex('0101000000000000'), hex('0000000000000000'), hex('aaaaaaaaaaaaaaaa'), hex('00000000'), hex('0100 0c00 5300650072007600650072000200 0c00 44006f006d00610069006e00 00000000'), hex('00000000')]);
    const { createHmac } = await import('node:crypto');
    const proof = createHmac('md5', key).update(serverChallenge).update(temp).digest();
    const check = checkNtlmv2(key, serverChallenge, Buffer.concat([proof, temp]));
    expect(check.ok).toBe(true);
    expect(check.sessionBaseKey).toEqual(createHmac('md5', key).update(proof).digest());
    const random = hex('55555555555555555555555555555555');
    expect(exportedSessionKey(check.sessionBaseKey, rc4(check.sessionBaseKey, random))).toEqual(random);
    expect(checkNtlmv2(ntowfv2(ntHash('Passw0rd'), 'User', 'Domain'), serverChallenge, Buffer.concat([proof, temp])).ok).toBe(false);
    expect(checkNtlmv2(key, hex('0123456789abcdee'), Buffer.concat([proof, temp])).ok).toBe(false);
  });

  it('verifies an AUTHENTICATE that the real SIPE 1.25 sent (user alice@example.com, no domain) for challenge 0123456789abcdef', () => {
    const message = Buffer.from('TlRMTVNTUAADAAAAGAAYAG4AAABAAEAAhgAAAAAAAABIAAAAIgAiAEgAAAAEAAQAagAAABAAEADGAAAAVYKYYgUBKAoAAAAPYQBsAGkAYwBlAEAAZQB4AGEAbQBwAGwAZQAuAGMAbwBtAFYATQA9e5tlwaOzmXKqddTXMIQtjrLqB9bSESUNPK3GhNJUqBaVgo+r5O8HAQEAAAAAAAAAfVCA2YDdAY6y6gfW0hElAAAAAAIACABTAFQATwBBAAAAAAAAAAAAUgQB31P4SIDRKgpSY8miRA==', 'base64');
    const field = (offset: number) => message.subarray(message.readUInt32LE(offset + 4), message.readUInt32LE(offset + 4) + message.readUInt16LE(offset));
    const nt = field(20);
    const user = field(36).toString('utf16le');
    expect([user, field(28).toString('utf16le')]).toEqual(['alice@example.com', '']);
    const right = checkNtlmv2(ntowfv2(ntHash('unused-on-trusted-networks'), user, ''), hex('0123456789abcdef'), nt);
    expect(right.ok).toBe(true);
    expect(exportedSessionKey(right.sessionBaseKey, field(52)).toString('hex')).toBe('248051d9de4119d3ed6d8e14fb8018ee');
    expect(checkNtlmv2(ntowfv2(ntHash('wrong'), user, ''), hex('0123456789abcdef'), nt).ok).toBe(false);
  });

  it('builds a CHALLENGE and reads the AUTHENTICATE that SIPE answered', async () => {
    const challenge = challengeMessage(hex('0123456789abcdef'), 'STOA');
    expect(challenge.toString('latin1', 0, 8)).toBe('NTLMSSP\0');
    expect(challenge.readUInt32LE(20)).toBe(0xe2988271);
    const { default: fixture } = (await import('../../test/sip/fixtures/sipe-ntlm-session.json', { with: { type: 'json' } })) as unknown as { default: { authenticate: { headers: [string, string][] } } };
    const auth = fixture.authenticate.headers.find(([k]) => k.toLowerCase() === 'authorization')![1];
    const parsed = parseAuthenticate(Buffer.from(/gssapi-data="([^"]+)"/.exec(auth)![1]!, 'base64'))!;
    expect([parsed.user, parsed.domain, parsed.workstation, parsed.ntResponse.length > 44, parsed.encryptedRandomSessionKey.length]).toEqual(['alice@example.com', '', 'VM', true, 16]);
    expect(parseAuthenticate(challenge)).toBeUndefined();
    expect(parseAuthenticate(Buffer.from('garbage'))).toBeUndefined();
  });
});


/**
 * NTLMv2 for the legacy clients' sign-in ([MS-NLMP], as SIP uses it in [MS-SIPAE]): the
 * primitives Node's OpenSSL 3 no longer offers (MD4 for the NT hash, RC4 for the key
 * exchange and signatures), the NTLMv2 proof and session key computations. MD4 and RC4
 * are checked against their published vectors, the NT hash and NTOWFv2 against [MS-NLMP]
 * §4.2.4; the CHALLENGE this server sends and the AUTHENTICATE it reads are the two of
 * [MS-NLMP] §2.2.1 that SIPE exchanges (src/sip/sip-ntlm.ts puts them in SIP headers).
 */
import { createHash, createHmac } from 'node:crypto';

// ---------------------------------------------------------------- MD4 (RFC 1320)

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

export function md4(data: Buffer): Buffer {
  const length = data.length;
  const padded = Buffer.alloc(((length + 8) >> 6) * 64 + 64);
  data.copy(padded);
  padded[length] = 0x80;
  const bits = BigInt(length) * 8n;
  padded.writeUInt32LE(Number(bits & 0xffffffffn), padded.length - 8);
  padded.writeUInt32LE(Number((bits >> 32n) & 0xffffffffn), padded.length - 4);
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);
  const F = (p: number, q: number, r: number) => (p & q) | (~p & r);
  const G = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
  const H = (p: number, q: number, r: number) => p ^ q ^ r;
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(block + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + F(b, c, d) + x[i]!) | 0, 3);
      d = rotl((d + F(a, b, c) + x[i + 1]!) | 0, 7);
      c = rotl((c + F(d, a, b) + x[i + 2]!) | 0, 11);
      b = rotl((b + F(c, d, a) + x[i + 3]!) | 0, 19);
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + G(b, c, d) + x[i]! + 0x5a827999) | 0, 3);
      d = rotl((d + G(a, b, c) + x[i + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + G(d, a, b) + x[i + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + G(c, d, a) + x[i + 12]! + 0x5a827999) | 0, 13);
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + H(b, c, d) + x[i]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + H(a, b, c) + x[i + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + H(d, a, b) + x[i + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + H(c, d, a) + x[i + 12]! + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  [a, b, c, d].forEach((v, i) => out.writeInt32LE(v, i * 4));
  return out;
}

// ---------------------------------------------------------------- RC4

/** RC4 keystream state; `update` continues the stream (connection-oriented use). */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Buffer) {
    for (let k = 0; k < 256; k++) this.s[k] = k;
    for (let k = 0, j = 0; k < 256; k++) {
      j = (j + this.s[k]! + key[k % key.length]!) & 0xff;
      [this.s[k], this.s[j]] = [this.s[j]!, this.s[k]!];
    }
  }

  update(data: Buffer): Buffer {
    const out = Buffer.alloc(data.length);
    for (let k = 0; k < data.length; k++) {
      this.i = (this.i + 1) & 0xff;
      this.j = (this.j + this.s[this.i]!) & 0xff;
      [this.s[this.i], this.s[this.j]] = [this.s[this.j]!, this.s[this.i]!];
      out[k] = data[k]! ^ this.s[(this.s[this.i]! + this.s[this.j]!) & 0xff]!;
    }
    return out;
  }
}

export const rc4 = (key: Buffer, data: Buffer): Buffer => new Rc4(key).update(data);

// ---------------------------------------------------------------- NTLMv2 computations (§3.3.2)

const utf16 = (text: string) => Buffer.from(text, 'utf16le');
const hmac = (key: Buffer, ...parts: Buffer[]) => {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The NT hash: MD4 of the password in UTF-16LE (what `stoa user passwd --legacy` keeps). */
export const ntHash = (password: string): Buffer => md4(utf16(password));

/** NTOWFv2 from the NT hash: HMAC-MD5(NT hash, UPPER(user) + domain), both UTF-16LE. */
export const ntowfv2 = (hash: Buffer, user: string, domain: string): Buffer => hmac(hash, utf16(user.toUpperCase() + domain));

export interface Ntlmv2Check {
  /** The proof matched. */
  ok: boolean;
  /** SessionBaseKey (= KeyExchangeKey for NTLMv2). */
  sessionBaseKey: Buffer;
}

/** Verifies an NTLMv2 response (NTProofStr ‖ client blob) for the server challenge. */
export function checkNtlmv2(responseKey: Buffer, serverChallenge: Buffer, ntResponse: Buffer): Ntlmv2Check {
  if (ntResponse.length < 16 + 28) return { ok: false, sessionBaseKey: Buffer.alloc(16) };
  const proof = ntResponse.subarray(0, 16);
  const blob = ntResponse.subarray(16);
  const expected = hmac(responseKey, serverChallenge, blob);
  let same = 0;
  for (let i = 0; i < 16; i++) same |= expected[i]! ^ proof[i]!;
  return { ok: same === 0, sessionBaseKey: hmac(responseKey, expected) };
}

/** The exported session key: the client's random key, decrypted with the key exchange key (KEY_EXCH). */
export const exportedSessionKey = (keyExchangeKey: Buffer, encryptedRandomSessionKey: Buffer): Buffer => rc4(keyExchangeKey, encryptedRandomSessionKey);

const MAGIC = {
  clientSign: 'session key to client-to-server signing key magic constant\0',
  serverSign: 'session key to server-to-client signing key magic constant\0',
  clientSeal: 'session key to client-to-server sealing key magic constant\0',
  serverSeal: 'session key to server-to-client sealing key magic constant\0',
};

/** The four keys of extended session security (§3.4.5.2, §3.4.5.3; 128-bit). */
export function sessionKeys(exported: Buffer) {
  const derive = (magic: string) => createHash('md5').update(exported).update(Buffer.from(magic, 'latin1')).digest();
  return { clientSign: derive(MAGIC.clientSign), serverSign: derive(MAGIC.serverSign), clientSeal: derive(MAGIC.clientSeal), serverSeal: derive(MAGIC.serverSeal) };
}

/**
 * The signature of a connectionless NTLM message with extended session security and key
 * exchange, as SIPE makes it: version 1, the first 8 bytes of HMAC-MD5(signing key,
 * seqnum ‖ text) sealed with RC4 keyed by MD5(sealing key ‖ seqnum), then seqnum — all
 * little-endian. SIPE uses seqnum 100 on every message (the SIP cnum is in the text).
 */
export function connectionlessSignature(signKey: Buffer, sealKey: Buffer, seqnum: number, text: string): Buffer {
  const seq = Buffer.alloc(4);
  seq.writeUInt32LE(seqnum);
  const mac = hmac(signKey, seq, Buffer.from(text, 'utf8')).subarray(0, 8);
  const sealed = rc4(createHash('md5').update(sealKey).update(seq).digest(), mac);
  return Buffer.concat([Buffer.from([1, 0, 0, 0]), sealed, seq]);
}

// ---------------------------------------------------------------- messages (§2.2.1.2, §2.2.1.3)

export const NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
export const NEGOTIATE_KEY_EXCH = 0x40000000;

/** CHALLENGE flags SIPE accepts (observed: it refuses one without ESS and VERSION). */
export const CHALLENGE_FLAGS = 0xe2988271;

/** A CHALLENGE_MESSAGE: the server challenge and a target (NetBIOS domain name) for the client's proof. */
export function challengeMessage(serverChallenge: Buffer, target: string): Buffer {
  const name = Buffer.from(target, 'utf16le');
  const info = Buffer.concat([Buffer.from([2, 0, name.length & 0xff, name.length >> 8]), name, Buffer.from([0, 0, 0, 0])]);
  const head = Buffer.alloc(56);
  head.write('NTLMSSP\0', 0, 'latin1');
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(name.length, 12);
  head.writeUInt16LE(name.length, 14);
  head.writeUInt32LE(56, 16);
  head.writeUInt32LE(CHALLENGE_FLAGS >>> 0, 20);
  serverChallenge.copy(head, 24);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(56 + name.length, 44);
  // VERSION: 6.1 build 7600, NTLM revision 15.
  Buffer.from([6, 1, 0xb0, 0x1d, 0, 0, 0, 15]).copy(head, 48);
  return Buffer.concat([head, name, info]);
}

export interface AuthenticateMessage {
  user: string;
  domain: string;
  workstation: string;
  ntResponse: Buffer;
  encryptedRandomSessionKey: Buffer;
  flags: number;
}

/** Parses an AUTHENTICATE_MESSAGE; undefined when it is not one (bad signature, type, bounds). */
export function parseAuthenticate(message: Buffer): AuthenticateMessage | undefined {
  if (message.length < 64 || message.toString('latin1', 0, 8) !== 'NTLMSSP\0' || message.readUInt32LE(8) !== 3) return undefined;
  const field = (offset: number): Buffer | undefined => {
    const length = message.readUInt16LE(offset);
    const at = message.readUInt32LE(offset + 4);
    return at + length > message.length ? undefined : message.subarray(at, at + length);
  };
  const [nt, domain, user, workstation, key] = [field(20), field(28), field(36), field(44), field(52)];
  if (nt === undefined || domain === undefined || user === undefined || workstation === undefined || key === undefined) return undefined;
  return { user: user.toString('utf16le'), domain: domain.toString('utf16le'), workstation: workstation.toString('utf16le'), ntResponse: nt, encryptedRandomSessionKey: key, flags: message.readUInt32LE(60) };
}

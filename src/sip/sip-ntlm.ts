/**
 * NTLM sign-in and message signing for SIP as legacy clients do it ([MS-SIPAE] over the
 * connectionless NTLMv2 of [MS-NLMP]; observed with SIPE 1.25, docs/legacy-clients.md):
 *
 * 1. REGISTER without credentials → 401 offering `NTLM realm=..., targetname=..., version=3`.
 * 2. REGISTER with `gssapi-data=""` → 401 with an `opaque` naming the security association
 *    and the base64 CHALLENGE_MESSAGE.
 * 3. REGISTER with the AUTHENTICATE_MESSAGE → the proof is checked against the user's NT
 *    hash; from then on every request carries `crand`, `cnum` and a `response` signature made
 *    with the client keys, and every response and server request carries
 *    `Authentication-Info: NTLM rspauth=...` made with the server keys.
 *
 * One `NtlmAssociation` per connection; the server side only (Stoa never signs in anywhere).
 */
import { randomBytes } from 'node:crypto';
import {
  challengeMessage,
  checkNtlmv2,
  connectionlessSignature,
  exportedSessionKey,
  NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NEGOTIATE_KEY_EXCH,
  ntowfv2,
  parseAuthenticate,
  sessionKeys,
  type AuthenticateMessage,
} from '../auth/ntlm.js';
import { parseNameAddr, type SipMessage } from './message.js';

export const REALM = 'SIP Communications Service';
/** The sequence number SIPE puts in every signature (the SIP cnum/snum does the counting). */
const SEQNUM = 100;

/** An `NTLM a="b", c=d` credentials or challenge header: its scheme and parameters. */
export function parseAuthHeader(value: string | undefined): { scheme: string; params: Map<string, string> } | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(value);
  if (m === null) return undefined;
  const params = new Map<string, string>();
  const re = /\s*([\w-]+)\s*=\s*(?:"([^"]*)"|([^\s,"]*))\s*(?:,|$)/gy;
  const rest = m[2]!;
  let at = 0;
  while (at < rest.length) {
    re.lastIndex = at;
    const p = re.exec(rest);
    if (p === null || p[0] === '') return undefined;
    params.set(p[1]!.toLowerCase(), p[2] ?? p[3] ?? '');
    at = re.lastIndex;
  }
  return { scheme: m[1]!.toUpperCase(), params };
}

/** The [MS-SIPAE] §3.2.5.1.2 signature buffer of a message: every part in angle brackets. */
export function signedText(message: SipMessage, rand: string, num: string, targetname: string): string {
  const header = (name: string) => message.headers.get(name) ?? '';
  const [cseqNumber = '', cseqMethod = ''] = header('cseq').trim().split(/\s+/);
  const from = parseNameAddr(header('from'));
  const to = parseNameAddr(header('to'));
  const asserted = message.headers.getAll('p-asserted-identity').flatMap((v) => v.split(',')).map((v) => parseNameAddr(v.trim()).uri);
  const parts = [
    'NTLM',
    rand,
    num,
    REALM,
    targetname,
    header('call-id'),
    cseqNumber,
    cseqMethod,
    from.uri,
    from.params.tag ?? '',
    to.uri,
    to.params.tag ?? '',
    asserted.find((u) => /^sips?:/i.test(u)) ?? '',
    asserted.find((u) => /^tel:/i.test(u)) ?? '',
    header('expires'),
  ];
  if (message.kind === 'response') parts.push(String(message.status));
  return parts.map((p) => `<${p}>`).join('');
}

/** Why an AUTHENTICATE was not accepted before any password was looked at. */
export class NtlmRefusal extends Error {}

interface Established {
  opaque: string;
  keys: ReturnType<typeof sessionKeys>;
  lastCnum: number;
  snum: number;
}

/** The security association of one connection. */
export class NtlmAssociation {
  private pending: { opaque: string; challenge: Buffer } | undefined;
  private established: Established | undefined;

  constructor(
    private readonly targetname: string,
    private readonly random: (size: number) => Buffer = randomBytes,
  ) {}

  get signing(): boolean {
    return this.established !== undefined;
  }

  private common(opaque?: string): string {
    return `${opaque === undefined ? '' : `opaque="${opaque}", `}targetname="${this.targetname}", realm="${REALM}", version=3`;
  }

  /** The first 401's WWW-Authenticate: which scheme to use. */
  offer(): string {
    return `NTLM realm="${REALM}", targetname="${this.targetname}", version=3`;
  }

  /** The second 401's WWW-Authenticate: a fresh server challenge under a new opaque. */
  challenge(): string {
    const opaque = this.random(4).toString('hex').toUpperCase();
    const challenge = this.random(8);
    this.pending = { opaque, challenge };
    return `NTLM ${this.common(opaque)}, gssapi-data="${challengeMessage(challenge, 'STOA').toString('base64')}"`;
  }

  /**
   * Reads the AUTHENTICATE answering our challenge; throws NtlmRefusal when it does not
   * answer one (stale opaque, not an AUTHENTICATE_MESSAGE, no extended session security).
   */
  read(params: Map<string, string>): { message: AuthenticateMessage; prove: (ntHash: Buffer) => ReturnType<typeof sessionKeys> | undefined } {
    const pending = this.pending;
    if (pending === undefined || params.get('opaque') !== pending.opaque) throw new NtlmRefusal('the NTLM answer is for a challenge this connection did not send');
    this.pending = undefined;
    const message = parseAuthenticate(Buffer.from(params.get('gssapi-data') ?? '', 'base64'));
    if (message === undefined) throw new NtlmRefusal('gssapi-data is not an NTLM AUTHENTICATE_MESSAGE');
    if ((message.flags & NEGOTIATE_EXTENDED_SESSIONSECURITY) === 0) throw new NtlmRefusal('NTLM without extended session security is not accepted');
    const prove = (ntHash: Buffer) => {
      const check = checkNtlmv2(ntowfv2(ntHash, message.user, message.domain), pending.challenge, message.ntResponse);
      if (!check.ok) return undefined;
      const exported = (message.flags & NEGOTIATE_KEY_EXCH) !== 0 ? exportedSessionKey(check.sessionBaseKey, message.encryptedRandomSessionKey) : check.sessionBaseKey;
      return sessionKeys(exported);
    };
    return { message, prove };
  }

  /** Starts signing with the keys a proven AUTHENTICATE gave. */
  establish(keys: ReturnType<typeof sessionKeys>, params: Map<string, string>): void {
    this.established = { opaque: params.get('opaque')!, keys, lastCnum: 0, snum: 0 };
  }

  /**
   * Checks a request's signature: the association's opaque, a cnum above every earlier
   * one (no replays), and the response made with the client keys over the message.
   */
  verify(message: SipMessage, params: Map<string, string> | undefined): boolean {
    const e = this.established;
    if (e === undefined || params === undefined || params.get('opaque') !== e.opaque) return false;
    const crand = params.get('crand') ?? '';
    const cnumText = params.get('cnum') ?? '';
    const response = params.get('response') ?? '';
    if (!/^[0-9a-fA-F]{1,16}$/.test(crand) || !/^\d{1,10}$/.test(cnumText) || !/^[0-9a-fA-F]{32}$/.test(response)) return false;
    const cnum = Number(cnumText);
    if (cnum <= e.lastCnum) return false;
    const given = Buffer.from(response, 'hex');
    const expected = connectionlessSignature(e.keys.clientSign, e.keys.clientSeal, given.readUInt32LE(12), signedText(message, crand, cnumText, this.targetname));
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= expected[i]! ^ given[i]!;
    if (diff !== 0) return false;
    e.lastCnum = cnum;
    return true;
  }

  /** Adds Authentication-Info with the server's signature (responses and server requests). */
  sign(message: SipMessage): void {
    const e = this.established;
    if (e === undefined) return;
    const srand = this.random(4).toString('hex');
    const snum = String(++e.snum);
    const signature = connectionlessSignature(e.keys.serverSign, e.keys.serverSeal, SEQNUM, signedText(message, srand, snum, this.targetname));
    message.headers.add('Authentication-Info', `NTLM rspauth="${signature.toString('hex').toUpperCase()}", srand="${srand}", snum="${snum}", qop="auth", ${this.common(e.opaque)}`);
  }

  /** Forgets the keys (unregistered). */
  reset(): void {
    this.pending = undefined;
    this.established = undefined;
  }
}

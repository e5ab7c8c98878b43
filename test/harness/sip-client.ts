/**
 * A legacy Group Chat client over real TCP, sending what SIPE sends (spec 03 and
 * data/sipe-session-trace.log): REGISTER, the provisioning SUBSCRIBE, INVITE to the
 * lookup URI, `cmd:requri`, the second INVITE, then XCCOS commands and posts over INFO.
 * It answers the server's INFOs with 200 and keeps every XCCOS envelope it receives.
 */
import net from 'node:net';
import tls from 'node:tls';
import { createHmac, randomBytes } from 'node:crypto';
import { parseNameAddr, serialise, SipFramer, SipHeaders, SipParseError, type SipMessage, type SipRequest, type SipResponse } from '../../src/sip/message.js';
import { parseXccos, type XccosEnvelope } from '../../src/sip/xccos.js';
import { connectionlessSignature, ntHash, ntowfv2, rc4, sessionKeys } from '../../src/auth/ntlm.js';
import { parseAuthHeader, REALM, signedText } from '../../src/sip/sip-ntlm.js';

const hex = (n: number) => randomBytes(n).toString('hex');

export interface ClientDialog {
  callId: string;
  fromTag: string;
  toTag: string;
  target: string;
  cseq: number;
}

/**
 * The client half of NTLMv2 as SIPE does it ([MS-NLMP] §3.1.5.1.2, §3.3.2): an
 * AUTHENTICATE_MESSAGE answering the server's CHALLENGE, and the keys it leads to.
 */
export function authenticateMessage(challenge: Buffer, user: string, password: string, options: { domain?: string; flags?: number } = {}) {
  const serverChallenge = challenge.subarray(24, 32);
  const targetInfo = challenge.subarray(challenge.readUInt32LE(44), challenge.readUInt32LE(44) + challenge.readUInt16LE(40));
  const domain = options.domain ?? '';
  const key = ntowfv2(ntHash(password), user, domain);
  const time = Buffer.alloc(8);
  time.writeBigUInt64LE(BigInt(Date.now()) * 10_000n + 116_444_736_000_000_000n);
  const temp = Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), time, randomBytes(8), Buffer.alloc(4), targetInfo, Buffer.alloc(4)]);
  const hmac = (k: Buffer, ...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHmac('md5', k)).digest();
  const proof = hmac(key, serverChallenge, temp);
  const sessionBaseKey = hmac(key, proof);
  const exported = randomBytes(16);
  const fields: Buffer[] = [Buffer.alloc(24), Buffer.concat([proof, temp]), Buffer.from(domain, 'utf16le'), Buffer.from(user, 'utf16le'), Buffer.from('TEST', 'utf16le'), rc4(sessionBaseKey, exported)];
  const head = Buffer.alloc(72);
  head.write('NTLMSSP\0', 0, 'latin1');
  head.writeUInt32LE(3, 8);
  let at = head.length;
  fields.forEach((f, i) => {
    head.writeUInt16LE(f.length, 12 + i * 8);
    head.writeUInt16LE(f.length, 14 + i * 8);
    head.writeUInt32LE(at, 16 + i * 8);
    at += f.length;
  });
  head.writeUInt32LE((options.flags ?? 0x62988255) >>> 0, 60);
  return { message: Buffer.concat([head, ...fields]), keys: sessionKeys(exported) };
}

interface ClientNtlm {
  keys: ReturnType<typeof sessionKeys>;
  opaque: string;
  targetname: string;
  cnum: number;
}

export class SipClient {
  readonly received: SipMessage[] = [];
  /** Messages from the server without a valid NTLM signature once the client signs in with NTLM. */
  readonly badlySigned: SipMessage[] = [];
  /** Set after an NTLM sign-in: requests are signed, and the server's signatures checked. */
  ntlm: ClientNtlm | undefined;
  /** The Authorization header of the last request the client signed (to replay it in tests). */
  lastAuthorization: string | undefined;
  /** XCCOS envelopes the server sent in INFOs, in order. */
  readonly envelopes: XccosEnvelope[] = [];
  closed = false;
  private readonly framer = new SipFramer();
  private waiters: (() => void)[] = [];
  private cseq = 1;
  private envid = 1000;
  private readonly epid = hex(6);

  private constructor(
    private readonly socket: net.Socket,
    readonly user: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.framer.push(chunk)) {
        if (m instanceof SipParseError) throw m;
        this.received.push(m);
        if (this.ntlm !== undefined && !this.signedByServer(m)) this.badlySigned.push(m);
        if (m.kind === 'request' && m.method === 'INFO') {
          this.envelopes.push(parseXccos(m.body.toString('utf8')));
          this.answer(m, 200);
        } else if (m.kind === 'request' && m.method === 'BYE') this.answer(m, 200);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Over TCP, or over TLS trusting `tls.ca` (the server's certificate). */
  static connect(port: number, user: string, secure?: { ca: Buffer | string }): Promise<SipClient> {
    return new Promise((resolve, reject) => {
      const socket: net.Socket =
        secure === undefined
          ? net.connect(port, '127.0.0.1', () => resolve(new SipClient(socket, user)))
          : tls.connect({ port, host: '127.0.0.1', ca: secure.ca, servername: 'localhost' }, () => resolve(new SipClient(socket, user)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until the predicate holds for what has arrived (or fails after a while). */
  async waitFor<T>(find: () => T | undefined, what = 'a message', ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private answer(request: SipRequest, status: number): void {
    const headers = new SipHeaders();
    for (const n of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
      const v = request.headers.get(n);
      if (v !== undefined) headers.add(n, v);
    }
    this.socket.write(serialise({ kind: 'response', status, reason: 'OK', headers, body: Buffer.alloc(0) }));
  }

  private signedByServer(m: SipMessage): boolean {
    const info = parseAuthHeader(m.headers.get('authentication-info'))?.params;
    if (info === undefined || info.get('opaque') !== this.ntlm!.opaque) return false;
    const text = signedText(m, info.get('srand') ?? '', info.get('snum') ?? '', this.ntlm!.targetname);
    return connectionlessSignature(this.ntlm!.keys.serverSign, this.ntlm!.keys.serverSeal, 100, text).toString('hex').toUpperCase() === info.get('rspauth');
  }

  /** The Authorization header SIPE puts on every request after signing in. */
  private authorization(m: SipMessage, n: ClientNtlm): string {
    const crand = hex(4);
    const cnum = String(++n.cnum);
    const response = connectionlessSignature(n.keys.clientSign, n.keys.clientSeal, 100, signedText(m, crand, cnum, n.targetname)).toString('hex').toUpperCase();
    return `NTLM qop="auth", opaque="${n.opaque}", realm="${REALM}", targetname="${n.targetname}", crand="${crand}", cnum="${cnum}", response="${response}"`;
  }

  raw(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request and waits for its final response (matched by Call-ID and CSeq). */
  async send(method: string, uri: string, headers: [string, string][], body = '', contentType = 'text/plain'): Promise<SipResponse> {
    const h = new SipHeaders([['Via', `SIP/2.0/tcp 127.0.0.1:${this.socket.localPort};branch=z9hG4bK${hex(8)}`], ['Max-Forwards', '70'], ['User-Agent', 'stoa-test-sipe/1.0'], ...headers]);
    if (body !== '') h.add('Content-Type', contentType);
    const callId = h.get('call-id')!;
    const cseq = h.get('cseq')!;
    const start = this.received.length;
    const request: SipRequest = { kind: 'request', method, uri, headers: h, body: Buffer.from(body, 'utf8') };
    if (this.ntlm !== undefined && h.get('authorization') === undefined) h.add('Authorization', (this.lastAuthorization = this.authorization(request, this.ntlm)));
    this.socket.write(serialise(request));
    if (method === 'ACK') return undefined as unknown as SipResponse;
    return this.waitFor(
      () => this.received.slice(start).find((m): m is SipResponse => m.kind === 'response' && m.status >= 200 && m.headers.get('call-id') === callId && m.headers.get('cseq') === cseq),
      `the response to ${method}`,
    );
  }

  register(expires = 3600, extra: [string, string][] = []): Promise<SipResponse> {
    return this.send('REGISTER', `sip:${this.user.split('@')[1]}`, [
      ...extra,
      ['From', `<${this.user}>;tag=${hex(4)};epid=${this.epid}`],
      ['To', `<${this.user}>`],
      ['CSeq', `${this.cseq++} REGISTER`],
      ['Call-ID', `reg-${this.epid}`],
      ['Contact', `<sip:127.0.0.1:${this.socket.localPort};transport=tcp>;methods="INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY";proxy=replace`],
      ['Supported', 'gruu-10, adhoclist, msrtc-event-categories, com.microsoft.msrtc.presence'],
      ['Event', 'registration'],
      ['Expires', String(expires)],
    ]);
  }

  /**
   * The NTLM sign-in SIPE does: REGISTER → 401 (NTLM offered), REGISTER with empty
   * gssapi-data → 401 with the CHALLENGE, REGISTER with the AUTHENTICATE → 200, signed.
   * Returns the last response; on 200 the client signs from then on.
   */
  async registerNtlm(password: string, options: { login?: string; domain?: string; flags?: number } = {}): Promise<SipResponse> {
    const offered = await this.register();
    if (offered.status !== 401) return offered;
    const offer = parseAuthHeader(offered.headers.get('www-authenticate'))!;
    const targetname = offer.params.get('targetname') ?? '';
    const common = `qop="auth", realm="${REALM}", targetname="${targetname}"`;
    const challenged = await this.register(3600, [['Authorization', `NTLM ${common}, gssapi-data="", version=3`]]);
    if (challenged.status !== 401) return challenged;
    const challenge = parseAuthHeader(challenged.headers.get('www-authenticate'))!.params;
    const opaque = challenge.get('opaque')!;
    const answer = authenticateMessage(Buffer.from(challenge.get('gssapi-data')!, 'base64'), options.login ?? this.user.replace(/^sip:/, ''), password, options);
    this.ntlm = { keys: answer.keys, opaque, targetname, cnum: 0 };
    const done = await this.register(3600, [['Authorization', `NTLM ${common}, opaque="${opaque}", gssapi-data="${answer.message.toString('base64')}", version=3`]]);
    if (done.status !== 200) this.ntlm = undefined;
    return done;
  }

  subscribeProvisioning(): Promise<SipResponse> {
    return this.send(
      'SUBSCRIBE',
      this.user,
      [
        ['From', `<${this.user}>;tag=${hex(4)};epid=${this.epid}`],
        ['To', `<${this.user}>`],
        ['CSeq', '1 SUBSCRIBE'],
        ['Call-ID', `sub-${hex(6)}`],
        ['Event', 'vnd-microsoft-provisioning-v2'],
        ['Accept', 'application/vnd-microsoft-roaming-provisioning-v2+xml'],
        ['Expires', '0'],
      ],
      '<provisioningGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist"><provisioningGroup name="persistentChatConfiguration"/></provisioningGroupList>',
      'application/vnd-microsoft-roaming-provisioning-v2+xml',
    );
  }

  async invite(target: string): Promise<{ response: SipResponse; dialog: ClientDialog }> {
    const dialog: ClientDialog = { callId: `inv-${hex(8)}`, fromTag: hex(5), toTag: '', target, cseq: 1 };
    const response = await this.send(
      'INVITE',
      target,
      [
        ['From', `<${this.user}>;tag=${dialog.fromTag};epid=${this.epid}`],
        ['To', `<${target}>`],
        ['CSeq', '1 INVITE'],
        ['Call-ID', dialog.callId],
        ['Supported', 'ms-sender'],
        ['Contact', `<${this.user}:${this.socket.localPort};maddr=127.0.0.1;transport=tcp>;proxy=replace`],
      ],
      'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 5061 sip null\r\na=accept-types:text/plain\r\n',
      'application/sdp',
    );
    dialog.toTag = parseNameAddr(response.headers.get('to') ?? '').params.tag ?? '';
    if (response.status === 200) await this.inDialog(dialog, 'ACK', '', true);
    return { response, dialog };
  }

  inDialog(dialog: ClientDialog, method: string, body = '', sameCseq = false): Promise<SipResponse> {
    const cseq = sameCseq ? dialog.cseq : ++dialog.cseq;
    return this.send(
      method,
      'sip:127.0.0.1;transport=tcp',
      [
        ['From', `<${this.user}>;tag=${dialog.fromTag};epid=${this.epid}`],
        ['To', `<${dialog.target}>;tag=${dialog.toTag}`],
        ['CSeq', `${cseq} ${method}`],
        ['Call-ID', dialog.callId],
      ],
      body,
    );
  }

  /** Sends an XCCOS command; returns the INFO's response and the envelope id it used. */
  async command(dialog: ClientDialog, id: string, data = ''): Promise<{ response: SipResponse; envid: string }> {
    const envid = String(++this.envid);
    const response = await this.inDialog(dialog, 'INFO', `<xccos ver="1" envid="${envid}" xmlns="urn:parlano:xml:ns:xccos"><cmd id="${id}" seqid="1"><data>${data}</data></cmd></xccos>`);
    return { response, envid };
  }

  /** The reply to a command sent with that envelope id. */
  reply(envid: string) {
    return this.waitFor(
      () => {
        for (const env of this.envelopes) {
          const rpl = env.items.find((i) => i.name === 'rpl' && i.children.some((c) => c.name === 'commandid' && c.attrs.envid === envid));
          if (rpl !== undefined) return rpl;
        }
        return undefined;
      },
      `the reply to envelope ${envid}`,
    );
  }

  /** Runs a command and returns its reply. */
  async ask(dialog: ClientDialog, id: string, data = '') {
    const { response, envid } = await this.command(dialog, id, data);
    if (response.status !== 200) throw new Error(`${id}: INFO answered ${response.status}`);
    return this.reply(envid);
  }

  post(dialog: ClientDialog, chanUri: string, text: string): Promise<SipResponse> {
    const ts = `${new Date().toISOString().slice(0, 19)}Z`;
    const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    return this.inDialog(dialog, 'INFO', `<xccos ver="1" envid="${++this.envid}" xmlns="urn:parlano:xml:ns:xccos"><grpchat id="grpchat" seqid="1" chanUri="${chanUri}" author="${this.user}" ts="${ts}"><chat>${esc}</chat></grpchat></xccos>`);
  }

  /** The whole SIPE sign-in: REGISTER, provisioning, lookup dialog with requri, the chat dialog. */
  async signIn(password?: string): Promise<{ chat: ClientDialog; poolUri: string; channelServer: string }> {
    const registered = password === undefined ? await this.register() : await this.registerNtlm(password);
    if (registered.status !== 200) throw new Error(`REGISTER answered ${registered.status}`);
    const provisioning = await this.subscribeProvisioning();
    const poolUri = /DefaultPersistentChatPoolUri">([^<]+)</.exec(provisioning.body.toString())?.[1] ?? '';
    const lookup = await this.invite(poolUri);
    if (lookup.response.status !== 200) throw new Error(`INVITE ${poolUri} answered ${lookup.response.status}`);
    const requri = await this.ask(lookup.dialog, 'cmd:requri');
    const channelServer = requri.children.find((c) => c.name === 'data')!.children[0]!.attrs.uri!;
    await this.inDialog(lookup.dialog, 'BYE');
    const chat = await this.invite(channelServer);
    if (chat.response.status !== 200) throw new Error(`INVITE ${channelServer} answered ${chat.response.status}`);
    return { chat: chat.dialog, poolUri, channelServer };
  }

  close(): void {
    this.socket.destroy();
  }
}

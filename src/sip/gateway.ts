/**
 * The SIP endpoint for legacy Group Chat clients (D6, spec 02 §7 and 03): on one TCP
 * connection it is the client's registrar (REGISTER), provisioning source (the
 * vnd-microsoft-provisioning-v2 SUBSCRIBE, pointing DefaultPersistentChatPoolUri at a
 * registered endpoint) and chat server (INVITE/ACK/BYE/UPDATE dialogs on every URI
 * registered with `stoa endpoint`, XCCOS over INFO both ways). Sign-in: a REGISTER from an
 * address in `sip.trustedNetworks` names its user; any other signs in with NTLMv2 against
 * the user's legacy secret (`stoa user passwd --legacy`), after which every message is
 * signed both ways (src/sip/sip-ntlm.ts). Malformed SIP or XCCOS is answered with an error;
 * a connection whose framing is lost is closed; the gateway stays up.
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Services } from '../actions/context.js';
import { signInLegacy, signInTrusted, throttled } from '../actions/auth.js';
import { AppError, isAppError } from '../domain/errors.js';
import { AddressSlots } from '../auth/rate-limit.js';
import { normaliseSipUri } from '../domain/principals.js';
import type { Gateway } from '../realtime/gateway.js';
import { ChatSession } from './chat-session.js';
import { parseNameAddr, responseTo, serialise, SipFramer, SipHeaders, SipParseError, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import { NtlmAssociation, NtlmRefusal, parseAuthHeader } from './sip-ntlm.js';
import { parseXccos, RESP, XccosError } from './xccos.js';

export interface SipConfig {
  host: string;
  port: number;
  /** CIDR ranges whose clients sign in without credentials. */
  trustedNetworks: readonly string[];
  /** SIP over TLS too, on this port with this certificate and key (PEM files). */
  tls?: { port: number; certFile: string; keyFile: string };
  /** Open connections from one address (TCP and TLS together); more are closed at once. */
  connectionsPerAddress?: number;
  /** A connection that has not signed in (REGISTER) within this time is closed. */
  registerTimeoutMs?: number;
}

const SESSION_EXPIRES = 3600;
/** Requests of one connection waiting behind the one being handled. */
const MAX_PENDING = 64;
const REGISTER_EXPIRES = 3600;
const tag = () => randomBytes(4).toString('hex');

/** A CIDR list as a BlockList (IPv4 and IPv6; an IPv4-mapped IPv6 address matches its IPv4 range). */
export function trustedList(ranges: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const range of ranges) {
    const [address, bits] = range.split('/');
    const type = net.isIPv6(address ?? '') ? 'ipv6' : 'ipv4';
    if (net.isIP(address ?? '') === 0) throw new Error(`sip.trustedNetworks: '${range}' is not an address or CIDR range`);
    const prefix = bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (type === 'ipv4' ? 32 : 128)) throw new Error(`sip.trustedNetworks: '${range}' has a bad prefix length`);
    list.addSubnet(address!, prefix, type);
  }
  return list;
}

function isTrusted(list: net.BlockList, address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4 !== null) return list.check(v4[1]!, 'ipv4');
  return list.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
}

interface Dialog {
  callId: string;
  localTag: string;
  remoteFrom: string;
  /** The endpoint URI the client invited. */
  serverUri: string;
  userUri: string;
  cseq: number;
  session: ChatSession;
  expiry: NodeJS.Timeout;
  open: boolean;
}

/** One client's TCP connection. */
class SipConnection {
  private readonly framer = new SipFramer();
  private principalId: number | undefined;
  private userUri: string | undefined;
  private readonly dialogs = new Map<string, Dialog>();
  private readonly registerTag = tag();
  private closed = false;
  /** Requests are handled one at a time, in order; at most MAX_PENDING wait (D9). */
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private refusals = 0;
  /** Clients outside the trusted networks sign in with NTLM; then every message is signed. */
  private readonly ntlm: NtlmAssociation | undefined;

  constructor(
    private readonly gateway: SipGateway,
    private readonly socket: net.Socket,
  ) {
    if (!gateway.trusts(socket.remoteAddress)) this.ntlm = new NtlmAssociation(gateway.services.poolFqdn);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', (err: NodeJS.ErrnoException) => gateway.log('info', { address: socket.remoteAddress, error: err.code ?? err.message }, 'sip connection failed'));
    this.signInTimer = setTimeout(() => {
      if (this.principalId !== undefined) return;
      gateway.log('info', { address: socket.remoteAddress }, 'sip connection closed: no sign-in in time');
      socket.destroy();
    }, gateway.registerTimeoutMs);
    this.signInTimer.unref();
  }

  /** Closes a connection that opens and never signs in (D9: a socket is a resource). */
  private readonly signInTimer: NodeJS.Timeout;

  private get local(): string {
    return `${this.socket.localAddress ?? '127.0.0.1'}:${this.socket.localPort ?? 0}`;
  }

  /** `tcp` or `tls`: what Contact and Via name. */
  private get transport(): string {
    return this.socket instanceof tls.TLSSocket ? 'tls' : 'tcp';
  }

  private write(message: SipMessage): void {
    if (this.closed || !this.socket.writable) return;
    this.ntlm?.sign(message);
    this.socket.write(serialise(message));
  }

  private onData(chunk: Buffer): void {
    for (const item of this.framer.push(chunk)) {
      if (item instanceof SipParseError) {
        if (item.headers !== undefined && item.headers.get('call-id') !== undefined) {
          const bad = responseTo({ headers: item.headers }, 400, 'Bad Request');
          bad.headers.add('Warning', `399 stoa "${item.message.replace(/"/g, "'").slice(0, 120)}"`);
          this.write(bad);
        }
        if (!item.framed) {
          this.gateway.log('info', { error: item.message }, 'sip connection closed: unreadable stream');
          this.socket.end();
        }
        continue;
      }
      if (item.kind === 'response') continue;
      if (this.pending >= MAX_PENDING) {
        // A client that sends faster than it reads its answers: refused, then cut off.
        if (item.method !== 'ACK') this.respond(item, 503, 'Service Unavailable', [['Retry-After', '1'], ['Warning', '399 stoa "too many requests waiting on this connection"']]);
        if (++this.refusals > MAX_PENDING * 4) {
          this.gateway.log('info', { address: this.socket.remoteAddress }, 'sip connection closed: too many requests waiting');
          this.socket.destroy();
          return;
        }
        continue;
      }
      this.pending += 1;
      this.chain = this.chain
        .then(() => this.onRequest(item))
        .catch((err: unknown) => this.gateway.log('error', { err }, 'sip request failed'))
        .finally(() => (this.pending -= 1));
    }
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.signInTimer);
    for (const d of this.dialogs.values()) this.endDialog(d);
  }

  private endDialog(d: Dialog): void {
    if (!d.open) return;
    d.open = false;
    clearTimeout(d.expiry);
    this.dialogs.delete(d.callId);
    d.session.close();
  }

  private respond(request: SipRequest, status: number, reason: string, extra: [string, string][] = [], body?: { type: string; text: string }, toTag?: string): void {
    const response: SipResponse = responseTo(request, status, reason, toTag);
    for (const [n, v] of extra) response.headers.add(n, v);
    if (body !== undefined) {
      response.headers.add('Content-Type', body.type);
      response.body = Buffer.from(body.text, 'utf8');
    }
    this.write(response);
  }

  private async onRequest(request: SipRequest): Promise<void> {
    if (['call-id', 'cseq', 'from', 'to'].some((h) => request.headers.get(h) === undefined)) {
      return this.respond(request, 400, 'Bad Request', [['Warning', '399 stoa "From, To, Call-ID and CSeq are required"']]);
    }
    if (this.ntlm?.signing === true && !this.signedByClient(request)) {
      if (request.method === 'ACK') return;
      if (request.method !== 'REGISTER') return this.respond(request, 403, 'Forbidden', [['Warning', '399 stoa "the request is not signed by this connection\'s NTLM security association"']]);
      // A REGISTER that does not verify starts a new sign-in on this connection.
      this.signOut();
    }
    switch (request.method) {
      case 'REGISTER':
        return this.register(request);
      case 'OPTIONS':
        return this.respond(request, 200, 'OK', [['Allow', 'INVITE, ACK, BYE, CANCEL, INFO, UPDATE, OPTIONS, SUBSCRIBE, REGISTER']]);
      case 'ACK':
        return;
    }
    if (this.principalId === undefined) return this.respond(request, 403, 'Forbidden', [['Warning', '399 stoa "register first"']]);
    switch (request.method) {
      case 'SUBSCRIBE':
        return this.subscribe(request);
      case 'INVITE':
        return this.invite(request);
      case 'INFO':
        return this.info(request);
      case 'UPDATE':
        return this.refresh(request);
      case 'BYE': {
        const d = this.dialogs.get(request.headers.get('call-id')!);
        if (d === undefined) return this.respond(request, 481, 'Call/Transaction Does Not Exist');
        this.respond(request, 200, 'OK');
        return this.endDialog(d);
      }
      case 'CANCEL':
        return this.respond(request, 200, 'OK');
      default:
        return this.respond(request, 405, 'Method Not Allowed', [['Allow', 'INVITE, ACK, BYE, CANCEL, INFO, UPDATE, OPTIONS, SUBSCRIBE, REGISTER']]);
    }
  }

  /** A request on a signing connection: with this association's signature, and a cnum not seen before. */
  private signedByClient(request: SipRequest): boolean {
    const auth = parseAuthHeader(request.headers.get('authorization'));
    // A new handshake (REGISTER with gssapi-data) is read by register(), not verified.
    if (request.method === 'REGISTER' && auth?.params.has('gssapi-data') === true) return true;
    return this.ntlm!.verify(request, auth?.scheme === 'NTLM' ? auth.params : undefined);
  }

  private signOut(): void {
    this.principalId = undefined;
    this.userUri = undefined;
    this.ntlm?.reset();
    for (const d of [...this.dialogs.values()]) this.endDialog(d);
  }

  private async register(request: SipRequest): Promise<void> {
    const expires = Number(request.headers.get('expires') ?? REGISTER_EXPIRES);
    let user: string;
    try {
      user = normaliseSipUri(parseNameAddr(request.headers.get('to') ?? '').uri);
    } catch {
      return this.respond(request, 400, 'Bad Request', [['Warning', '399 stoa "To is not a SIP address"']]);
    }
    if (expires === 0) {
      this.respond(request, 200, 'OK', [['Expires', '0']], undefined, this.registerTag);
      return this.signOut();
    }
    if (this.ntlm !== undefined) return this.registerNtlm(request, user);
    let signedIn: { principalId: number; sipUri: string };
    try {
      signedIn = await signInTrusted(this.gateway.services, user);
    } catch (err) {
      if (!isAppError(err)) throw err;
      return this.respond(request, 403, 'Forbidden', [['Warning', '399 stoa "this account may not use Persistent Chat"']]);
    }
    this.registered(request, signedIn);
  }

  /** The three REGISTERs of an NTLM sign-in, and the signed refreshes after it. */
  private async registerNtlm(request: SipRequest, user: string): Promise<void> {
    const ntlm = this.ntlm!;
    const auth = parseAuthHeader(request.headers.get('authorization'));
    const params = auth?.scheme === 'NTLM' ? auth.params : undefined;
    const unauthorized = (header: string) => this.respond(request, 401, 'Unauthorized', [['WWW-Authenticate', header]], undefined, this.registerTag);
    const forbidden = (why: string) => this.respond(request, 403, 'Forbidden', [['Warning', `399 stoa "${why}"`]], undefined, this.registerTag);
    if (ntlm.signing && params?.has('gssapi-data') !== true) {
      // A refresh, verified in onRequest: it may only go on as the same user.
      if (user !== this.userUri) return forbidden('this connection is signed in as another user');
      return this.registered(request, { principalId: this.principalId!, sipUri: this.userUri });
    }
    if (params === undefined || !params.has('gssapi-data')) return unauthorized(ntlm.offer());
    if (params.get('gssapi-data') === '') return unauthorized(ntlm.challenge());
    const address = this.socket.remoteAddress ?? '';
    let signedIn;
    try {
      signedIn = await throttled(this.gateway.services, user, { address }, async () => {
        const answer = ntlm.read(params);
        if (!loginNames(user).includes(answer.message.user.toLowerCase())) {
          throw new AppError('INVALID_CREDENTIALS', `the NTLM user name '${answer.message.user.replace(/"/g, "'").slice(0, 100)}' is not ${user.slice(4)}`, { shown: true });
        }
        return signInLegacy(this.gateway.services, user, answer.prove);
      });
    } catch (err) {
      if (err instanceof NtlmRefusal) return forbidden(err.message);
      if (!isAppError(err)) throw err;
      if (err.code === 'TOO_MANY_ATTEMPTS') {
        const seconds = Math.ceil(Number(err.details?.retryAfterMs ?? 0) / 1000);
        return this.respond(request, 403, 'Forbidden', [['Retry-After', String(seconds)], ['Warning', `399 stoa "too many failed sign-ins; try again in ${seconds} s"`]], undefined, this.registerTag);
      }
      if (err.code !== 'INVALID_CREDENTIALS') return forbidden('this account may not use Persistent Chat');
      if (err.details?.shown === true) return forbidden(err.message);
      this.gateway.log('info', { user, address }, 'sip sign-in refused: wrong password or no legacy secret');
      return forbidden('the user name or password is wrong');
    }
    ntlm.establish(signedIn.proven, params);
    this.registered(request, signedIn);
  }

  private registered(request: SipRequest, signedIn: { principalId: number; sipUri: string }): void {
    this.principalId = signedIn.principalId;
    this.userUri = signedIn.sipUri;
    const contact = request.headers.get('contact');
    this.respond(
      request,
      200,
      'OK',
      [
        ...(contact === undefined ? [] : ([['Contact', `${contact};expires=${REGISTER_EXPIRES}`]] as [string, string][])),
        ['Expires', String(REGISTER_EXPIRES)],
        ['Supported', 'msrtc-event-categories'],
        ['Supported', 'adhoclist'],
        ['Allow-Events', 'vnd-microsoft-provisioning-v2'],
        ['Server', `Stoa`],
      ],
      undefined,
      this.registerTag,
    );
  }

  private async subscribe(request: SipRequest): Promise<void> {
    const event = (request.headers.get('event') ?? '').trim().toLowerCase();
    if (event !== 'vnd-microsoft-provisioning-v2') return this.respond(request, 489, 'Bad Event', [['Allow-Events', 'vnd-microsoft-provisioning-v2']]);
    const pool = await this.gateway.chatUri(this.userUri!);
    const body = `<provisionGroupList xmlns="http://schemas.microsoft.com/2006/09/sip/provisiongrouplist"><provisionGroup name="persistentChatConfiguration"><propertyEntryList><property name="EnablePersistentChat">true</property><property name="DefaultPersistentChatPoolUri">${pool}</property></propertyEntryList></provisionGroup></provisionGroupList>`;
    this.respond(
      request,
      200,
      'OK',
      [
        ['Event', 'vnd-microsoft-provisioning-v2'],
        ['Expires', '0'],
        ['subscription-state', 'terminated;expires=0'],
        ['ms-piggyback-cseq', '1'],
        ['Contact', `<sip:${this.local};transport=${this.transport}>`],
      ],
      { type: 'application/vnd-microsoft-roaming-provisioning-v2+xml', text: body },
      tag(),
    );
  }

  private sessionExpires(request: SipRequest): number {
    const asked = Number(/^\d+/.exec(request.headers.get('session-expires') ?? '')?.[0] ?? SESSION_EXPIRES);
    return Math.min(Math.max(asked, 90), SESSION_EXPIRES);
  }

  private armExpiry(d: Dialog, seconds: number): void {
    clearTimeout(d.expiry);
    d.expiry = setTimeout(() => this.endDialog(d), (seconds + 32) * 1000);
    d.expiry.unref();
  }

  private async invite(request: SipRequest): Promise<void> {
    const callId = request.headers.get('call-id')!;
    const existing = this.dialogs.get(callId);
    if (existing !== undefined) {
      // A re-INVITE refreshes the session.
      this.armExpiry(existing, this.sessionExpires(request));
      return this.respond(request, 200, 'OK', [['Contact', `<sip:${this.local};transport=${this.transport}>`], ['Session-Expires', `${this.sessionExpires(request)};refresher=uac`]], undefined, existing.localTag);
    }
    let target: string;
    try {
      target = normaliseSipUri(request.uri.includes('@') ? request.uri : parseNameAddr(request.headers.get('to')!).uri);
    } catch {
      return this.respond(request, 404, 'Not Found');
    }
    if ((await this.gateway.services.store.endpoints.getByUri(target)) === undefined) return this.respond(request, 404, 'Not Found', [['Warning', `399 stoa "${target} is not a Persistent Chat endpoint of this pool"`]]);
    const localTag = tag();
    const seconds = this.sessionExpires(request);
    const dialog: Dialog = {
      callId,
      localTag,
      remoteFrom: request.headers.get('from')!,
      serverUri: target,
      userUri: this.userUri!,
      cseq: 100,
      open: true,
      expiry: setTimeout(() => undefined, 0),
      session: undefined as unknown as ChatSession,
    };
    dialog.session = new ChatSession(this.gateway.services, this.gateway.realtime, this.principalId!, this.userUri!, target, {
      get open() {
        return dialog.open;
      },
      send: (xml) => this.sendInfo(dialog, xml),
      end: (reason) => this.bye(dialog, reason),
    });
    this.dialogs.set(callId, dialog);
    this.armExpiry(dialog, seconds);
    this.respond(request, 200, 'OK', [['Contact', `<sip:${this.local};transport=${this.transport}>`], ['Session-Expires', `${seconds};refresher=uac`]], undefined, localTag);
  }

  private refresh(request: SipRequest): void {
    const d = this.dialogs.get(request.headers.get('call-id')!);
    if (d === undefined) return this.respond(request, 481, 'Call/Transaction Does Not Exist');
    const seconds = this.sessionExpires(request);
    this.armExpiry(d, seconds);
    this.respond(request, 200, 'OK', [['Session-Expires', `${seconds};refresher=uac`]]);
  }

  private async info(request: SipRequest): Promise<void> {
    const d = this.dialogs.get(request.headers.get('call-id')!);
    if (d === undefined) return this.respond(request, 481, 'Call/Transaction Does Not Exist');
    let envelope;
    try {
      envelope = parseXccos(request.body.toString('utf8'));
    } catch (err) {
      if (!(err instanceof XccosError)) throw err;
      return this.respond(request, 400, 'Bad Request', [['Warning', `399 stoa "not XCCOS: ${err.message.replace(/"/g, "'").slice(0, 100)}"`]]);
    }
    const posts = envelope.items.filter((i) => i.name === 'grpchat');
    const commands = envelope.items.filter((i) => i.name === 'cmd');
    if (posts.length > 0) {
      // A post is acknowledged only once it is stored: anything but 200 is "not delivered".
      for (const post of posts) {
        const outcome = await d.session.post(post);
        if (outcome !== 'ok') {
          const [code, text] = RESP[outcome];
          return this.respond(request, 403, 'Forbidden', [['Warning', `399 stoa "${code} ${text}"`]]);
        }
      }
    }
    this.respond(request, 200, 'OK');
    for (const cmd of commands) await d.session.command(cmd, envelope.envid);
  }

  private request(d: Dialog, method: string, extra: [string, string][] = [], body?: string): SipRequest {
    const { uri } = parseNameAddr(d.remoteFrom);
    const headers = new SipHeaders([
      ['Via', `SIP/2.0/${this.transport.toUpperCase()} ${this.local};branch=z9hG4bK${tag()}`],
      ['From', `<${d.serverUri}>;tag=${d.localTag}`],
      ['To', d.remoteFrom],
      ['Call-ID', d.callId],
      ['CSeq', `${++d.cseq} ${method}`],
      ['Max-Forwards', '70'],
      ...extra,
    ]);
    if (body !== undefined) headers.add('Content-Type', 'text/plain');
    return { kind: 'request', method, uri, headers, body: Buffer.from(body ?? '', 'utf8') };
  }

  private sendInfo(d: Dialog, xml: string): void {
    if (d.open) this.write(this.request(d, 'INFO', [], xml));
  }

  private bye(d: Dialog, reason: string): void {
    if (!d.open) return;
    this.write(this.request(d, 'BYE', [['Reason', `SIP;cause=200;text="${reason.replace(/"/g, "'").slice(0, 100)}"`]]));
    this.endDialog(d);
  }
}

/**
 * The NTLM user names that may sign in as a SIP address: the address itself
 * (`alice@contoso.com`, what SIPE sends), or its user part alone or after a
 * NetBIOS domain (`alice`; the domain is the separate field of the message).
 */
function loginNames(sipUri: string): string[] {
  const address = sipUri.replace(/^sip:/, '');
  return [address, address.slice(0, address.lastIndexOf('@'))];
}

export class SipGateway {
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly tlsServer: tls.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly slots: AddressSlots;
  private readonly trusted: net.BlockList;
  readonly registerTimeoutMs: number;

  constructor(
    readonly services: Services,
    readonly realtime: Gateway,
    private readonly logger: Pick<FastifyBaseLogger, 'info' | 'error' | 'warn'>,
    private readonly config: SipConfig,
    private readonly metrics?: { refused(limit: string): void },
  ) {
    this.registerTimeoutMs = config.registerTimeoutMs ?? 30_000;
    this.slots = new AddressSlots(config.connectionsPerAddress ?? Number.MAX_SAFE_INTEGER);
    this.trusted = trustedList(config.trustedNetworks);
    if (config.tls !== undefined) {
      const read = (file: string, what: string) => {
        try {
          return fs.readFileSync(file);
        } catch (err) {
          throw new Error(`sip.tls.${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
      };
      const options = { cert: read(config.tls.certFile, 'certFile'), key: read(config.tls.keyFile, 'keyFile'), minVersion: 'TLSv1.2' as const };
      try {
        this.tlsServer = tls.createServer(options, (socket) => this.accept(socket));
      } catch (err) {
        throw new Error(`sip.tls: the certificate and key cannot be used (${(err as Error).message})`);
      }
      this.tlsServer.on('tlsClientError', () => undefined);
    }
  }

  trusts(address: string | undefined): boolean {
    return isTrusted(this.trusted, address);
  }

  log(level: 'info' | 'error' | 'warn', extra: object, message: string): void {
    this.logger[level](extra, message);
  }

  /** The chat URI provisioning hands a user: the pool's first endpoint in the user's domain, else its first. */
  async chatUri(userUri: string): Promise<string> {
    const endpoints = await this.services.store.endpoints.list();
    const domain = userUri.slice(userUri.lastIndexOf('@') + 1);
    const sorted = [...endpoints].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    return (sorted.find((e) => e.sipUri.endsWith(`@${domain}`)) ?? sorted[0])?.sipUri ?? `sip:ocschat@${domain}`;
  }

  private accept(socket: net.Socket): void {
    const address = socket.remoteAddress ?? '';
    if (!this.slots.claim(address)) {
      this.metrics?.refused('sip_connections_per_address');
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.slots.release(address);
    });
    socket.setNoDelay(true);
    new SipConnection(this, socket);
  }

  /** Starts listening: TCP, and TLS when configured. */
  async listen(): Promise<{ host: string; port: number; tlsPort?: number }> {
    const start = (server: net.Server, port: number) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.config.host, () => resolve((server.address() as net.AddressInfo).port));
      });
    const port = await start(this.server, this.config.port);
    for (const server of [this.server, this.tlsServer]) server?.on('error', (err) => this.logger.error({ err }, 'SIP listener error'));
    const tlsPort = this.tlsServer === undefined ? undefined : await start(this.tlsServer, this.config.tls!.port);
    return { host: this.config.host, port, ...(tlsPort === undefined ? {} : { tlsPort }) };
  }

  async close(): Promise<void> {
    const servers = [this.server, ...(this.tlsServer === undefined ? [] : [this.tlsServer])].filter((s) => s.listening);
    const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

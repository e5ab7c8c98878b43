/**
 * SIP messages (RFC 3261) as legacy Group Chat clients send them over TCP: parsing out of
 * a byte stream (framed by Content-Length; CRLF keep-alives skipped), header access by
 * full or compact name, and serialisation. Bounded: a header block or a body over its
 * limit is a framing error — the connection cannot be trusted after it and is closed
 * once the error is answered.
 */

/** Compact header forms (RFC 3261 §7.3.3 and the ones Microsoft clients use). */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
};

const canonical = (name: string): string => {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
};

export class SipHeaders {
  private readonly entries: [string, string][] = [];

  constructor(entries: Iterable<[string, string]> = []) {
    for (const [n, v] of entries) this.add(n, v);
  }

  add(name: string, value: string): this {
    this.entries.push([name, value]);
    return this;
  }

  /** Replaces every header of that name with one value. */
  set(name: string, value: string): this {
    this.remove(name);
    return this.add(name, value);
  }

  remove(name: string): this {
    const key = canonical(name);
    for (let i = this.entries.length - 1; i >= 0; i--) if (canonical(this.entries[i]![0]) === key) this.entries.splice(i, 1);
    return this;
  }

  get(name: string): string | undefined {
    const key = canonical(name);
    return this.entries.find(([n]) => canonical(n) === key)?.[1];
  }

  getAll(name: string): string[] {
    const key = canonical(name);
    return this.entries.filter(([n]) => canonical(n) === key).map(([, v]) => v);
  }

  all(): readonly [string, string][] {
    return this.entries;
  }
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export class SipParseError extends Error {
  constructor(
    message: string,
    /** The headers read before the error (to answer it), when any. */
    readonly headers?: SipHeaders,
    /** Whether the stream can go on (the message was framed, only its content is bad). */
    readonly framed = false,
  ) {
    super(message);
  }
}

export interface SipLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

export const DEFAULT_SIP_LIMITS: SipLimits = { maxHeaderBytes: 16 * 1024, maxBodyBytes: 256 * 1024 };

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

function parseHead(head: string): { start: string; headers: SipHeaders } {
  const lines = head.split(/\r?\n/);
  const start = lines.shift() ?? '';
  const headers = new SipHeaders();
  for (const line of lines) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.all().length > 0) {
      // Folded continuation of the previous header.
      const last = headers.all()[headers.all().length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!TOKEN.test(name)) throw new SipParseError(`malformed header line '${line.slice(0, 60)}'`, headers);
    headers.add(name, line.slice(colon + 1).trim());
  }
  return { start, headers };
}

function startOf(start: string, headers: SipHeaders): { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string } {
  const response = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
  if (response !== null) return { kind: 'response', status: Number(response[1]), reason: response[2] ?? '' };
  const request = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (request === null) throw new SipParseError(`malformed start line '${start.slice(0, 60)}'`, headers, true);
  return { kind: 'request', method: request[1]!, uri: request[2]! };
}

/** Cuts a TCP byte stream into SIP messages. */
export class SipFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private broken = false;

  constructor(private readonly limits: SipLimits = DEFAULT_SIP_LIMITS) {}

  /**
   * The messages (and errors) the bytes complete. After an error that is not `framed` the
   * framer is broken: the caller answers it if it can and closes the connection.
   */
  push(chunk: Buffer): (SipMessage | SipParseError)[] {
    if (this.broken) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: (SipMessage | SipParseError)[] = [];
    for (;;) {
      // Keep-alives: bare CRLFs between messages.
      let skip = 0;
      while (skip < this.buffer.length && (this.buffer[skip] === 0x0d || this.buffer[skip] === 0x0a)) skip++;
      if (skip > 0) this.buffer = this.buffer.subarray(skip);
      if (this.buffer.length === 0) break;
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffer.length > this.limits.maxHeaderBytes) {
          this.broken = true;
          out.push(new SipParseError(`headers longer than ${this.limits.maxHeaderBytes} bytes`));
        }
        break;
      }
      if (end > this.limits.maxHeaderBytes) {
        this.broken = true;
        out.push(new SipParseError(`headers longer than ${this.limits.maxHeaderBytes} bytes`));
        break;
      }
      const head = this.buffer.subarray(0, end).toString('utf8');
      let parsed: { start: string; headers: SipHeaders };
      try {
        parsed = parseHead(head);
      } catch (err) {
        this.broken = true;
        out.push(err as SipParseError);
        break;
      }
      const lengthText = parsed.headers.get('content-length') ?? '0';
      const length = /^\d+$/.test(lengthText.trim()) ? Number(lengthText.trim()) : NaN;
      if (!Number.isSafeInteger(length)) {
        this.broken = true;
        out.push(new SipParseError(`Content-Length '${lengthText.slice(0, 20)}' is not a number`, parsed.headers));
        break;
      }
      if (length > this.limits.maxBodyBytes) {
        this.broken = true;
        out.push(new SipParseError(`a body of ${length} bytes (limit ${this.limits.maxBodyBytes})`, parsed.headers));
        break;
      }
      if (this.buffer.length < end + 4 + length) break;
      const body = Buffer.from(this.buffer.subarray(end + 4, end + 4 + length));
      this.buffer = this.buffer.subarray(end + 4 + length);
      try {
        const start = startOf(parsed.start, parsed.headers);
        out.push(start.kind === 'request' ? { ...start, headers: parsed.headers, body } : { ...start, headers: parsed.headers, body });
      } catch (err) {
        out.push(err as SipParseError);
      }
    }
    return out;
  }
}

export function serialise(message: SipMessage): Buffer {
  const start = message.kind === 'request' ? `${message.method} ${message.uri} SIP/2.0` : `SIP/2.0 ${message.status} ${message.reason}`;
  message.headers.set('Content-Length', String(message.body.length));
  const head = [start, ...message.headers.all().map(([n, v]) => `${n}: ${v}`)].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), message.body]);
}

/** `<sip:alice@example.com>;tag=1;epid=2` → uri and parameters. */
export function parseNameAddr(value: string): { uri: string; params: Record<string, string> } {
  const angle = /<([^>]*)>(.*)$/.exec(value);
  const uri = angle !== null ? angle[1]! : value.split(';')[0]!.trim();
  const rest = angle !== null ? angle[2]! : value.slice(value.indexOf(';') < 0 ? value.length : value.indexOf(';'));
  const params: Record<string, string> = {};
  for (const part of rest.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    params[(eq < 0 ? p : p.slice(0, eq)).toLowerCase()] = eq < 0 ? '' : p.slice(eq + 1);
  }
  return { uri: uri.trim(), params };
}

/** The response to a request: Via, From, To, Call-ID and CSeq copied (RFC 3261 §8.2.6). */
export function responseTo(request: { headers: SipHeaders }, status: number, reason: string, toTag?: string): SipResponse {
  const headers = new SipHeaders();
  for (const via of request.headers.getAll('via')) headers.add('Via', via);
  for (const name of ['From', 'To', 'Call-ID', 'CSeq']) {
    const value = request.headers.get(name);
    if (value === undefined) continue;
    headers.add(name, name === 'To' && toTag !== undefined && !/;\s*tag=/i.test(value) ? `${value};tag=${toTag}` : value);
  }
  return { kind: 'response', status, reason, headers, body: Buffer.alloc(0) };
}

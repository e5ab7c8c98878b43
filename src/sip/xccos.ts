/**
 * XCCOS ([MS-XCCOSIP], spec 02 §7.3): the XML the legacy Group Chat protocol carries in SIP
 * INFO bodies. Parsed into a small element tree — streaming, bounded (depth, elements, text)
 * and with no document type declaration (no entity is ever expanded) — and written with
 * escaped attributes and text.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';

export const XCCOS_NS = 'urn:parlano:xml:ns:xccos';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export class XccosError extends Error {}

const MAX_DEPTH = 32;
const MAX_ELEMENTS = 20_000;

export function parseXml(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let failure: Error | undefined;
  parser.on('doctype', () => {
    throw new XccosError('a document type declaration is not allowed');
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    if (++elements > MAX_ELEMENTS) throw new XccosError(`more than ${MAX_ELEMENTS} elements`);
    if (stack.length >= MAX_DEPTH) throw new XccosError(`nested deeper than ${MAX_DEPTH}`);
    const el: XmlElement = { name: tag.name, attrs: { ...(tag.attributes as Record<string, string>) }, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('text', (t) => {
    if (stack.length > 0) stack[stack.length - 1]!.text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('error', (err) => {
    failure ??= err;
  });
  try {
    parser.write(text).close();
  } catch (err) {
    throw err instanceof XccosError ? err : new XccosError((err as Error).message);
  }
  if (failure !== undefined) throw new XccosError(failure.message);
  if (root === undefined) throw new XccosError('no element');
  return root;
}

export interface XccosEnvelope {
  envid: string;
  /** The commands, replies, notices and posts in the envelope, in order. */
  items: XmlElement[];
}

export function parseXccos(text: string): XccosEnvelope {
  const root = parseXml(text);
  if (root.name !== 'xccos') throw new XccosError(`<${root.name}> where <xccos> was expected`);
  return { envid: root.attrs.envid ?? '0', items: root.children };
}

/** The first descendant element of that name (depth first). */
export function find(el: XmlElement, name: string): XmlElement | undefined {
  for (const c of el.children) {
    if (c.name === name) return c;
    const deeper = find(c, name);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    out.push(...findAll(c, name));
  }
  return out;
}

/** Escapes text for an attribute value or element content (control characters dropped). */
export function esc(text: string): string {
  return text.replace(/[&<>"']|[^\P{Cc}\t\n\r]/gu, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return '';
    }
  });
}

/** `name="value"` pairs, escaped, for the attributes that have a value. */
export function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join('');
}

let envelopes = Math.floor(Math.random() * 1e8);

export function envelope(inner: string): string {
  envelopes = (envelopes + 1) % 2_000_000_000;
  return `<xccos ver="1" envid="${envelopes}" xmlns="${XCCOS_NS}">${inner}</xccos>`;
}

/** The outcome codes of replies (legacy values are undocumented; these are Stoa's, see docs/legacy-clients.md). */
export const RESP = {
  ok: [200, 'SUCCESS_OK'],
  badRequest: [400, 'ERR_BAD_REQUEST'],
  notMember: [403, 'ERR_NOT_MEMBER'],
  notPresenter: [403, 'ERR_NOT_PRESENTER'],
  disabled: [410, 'ERR_CHANNEL_DISABLED'],
  notFound: [404, 'ERR_CHANNEL_NOT_FOUND'],
  unknownCommand: [501, 'ERR_UNKNOWN_COMMAND'],
  failed: [500, 'ERR_SERVER'],
} as const satisfies Record<string, readonly [number, string]>;

export type RespKind = keyof typeof RESP;

/** A reply to a command: `<rpl id="rpl:x" seqid>` with the command's ids echoed, the outcome and data. */
export function reply(command: XmlElement, requestEnvid: string, outcome: RespKind, data = ''): string {
  const name = (command.attrs.id ?? 'cmd:unknown').replace(/^cmd:/, 'rpl:');
  const [code, text] = RESP[outcome];
  return `<rpl${attrs({ id: name, seqid: command.attrs.seqid ?? '1' })}><commandid${attrs({ seqid: command.attrs.seqid ?? '1', envid: requestEnvid })}/><resp code="${code}">${text}</resp><data>${data}</data></rpl>`;
}

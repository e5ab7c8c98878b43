/**
 * How the columns of a table file are known when the file has no header row — what
 * `bcp out` writes, and SSMS's "Save Results As" with its default options:
 *
 * - from a bcp **format file** beside the data (`tblChat.fmt`, non-XML, or `tblChat.xml`),
 *   which names every field's column and terminator (custom `-t`/`-r` included);
 * - else from the table's **documented column order** (the physical order `bcp out`
 *   and `SELECT *` follow): the Lync Server 2013 / Skype for Business Server 2015 schema
 *   reference, and Lync Server 2010's for the tables whose 2010 page is complete
 *   (tblChat without rtf, tblPrincipal). The field count picks the layout; a file that
 *   fits none is refused with the fix (a header row or the format file).
 */
import { CsvError } from './csv.js';

export interface Layout {
  version: string;
  columns: readonly string[];
}

const V2013 = 'Lync Server 2013 / Skype for Business Server 2015';
const V2010 = 'Lync Server 2010';

export const DOCUMENTED_LAYOUTS: Readonly<Record<string, readonly Layout[]>> = {
  tblPrincipal: [
    {
      version: V2013,
      columns: [
        'prinID',
        'prinGuid',
        'prinUri',
        'prinName',
        'prinDisplayName',
        'prinCompanyName',
        'prinEmail',
        'prinADPath',
        'prinADUserPrincipalName',
        'prinDisabled',
        'prinTypeID',
        'prinPoolID',
        'prinPolicyID',
        'prinAddedBy',
        'prinAddedOn',
        'prinUpdatedBy',
        'prinUpdatedOn',
        'prinVerifiedOn',
      ],
    },
    {
      version: V2010,
      columns: [
        'prinID',
        'prinGuid',
        'prinUri',
        'prinName',
        'prinCompanyName',
        'prinEmail',
        'prinADPath',
        'prinADUserPrincipalName',
        'prinDisabled',
        'prinTypeID',
        'prinAllowedPermSet',
        'prinUseInheritedPerms',
        'prinAddedBy',
        'prinAddedOn',
        'prinUpdatedBy',
        'prinUpdatedOn',
        'prinVerifiedOn',
      ],
    },
  ],
  tblPrincipalAffiliations: [{ version: V2013, columns: ['principalID', 'affiliationID', 'index', 'updatedBy'] }],
  tblSiopWhiteList: [{ version: V2013, columns: ['siopID', 'siopName', 'siopUrl'] }],
  tblNode: [
    {
      version: V2013,
      columns: [
        'nodeID',
        'nodeGuid',
        'parentID',
        'nodeType',
        'nodeName',
        'nodeDesc',
        'invite',
        'logged',
        'filePost',
        'disabled',
        'behavior',
        'visibility',
        'siopID',
        'nodeAddedBy',
        'nodeAddedOn',
        'nodeUpdatedBy',
        'nodeUpdatedOn',
        'purgedOn',
      ],
    },
  ],
  tblRoleType: [{ version: V2013, columns: ['rtypeID', 'rtypeDesc', 'rtypeAllowedPermSet'] }],
  tblScopePrincipal: [{ version: V2013, columns: ['scopeNodeID', 'scopePrinID', 'scopeIsDenied', 'scopeUpdatedBy'] }],
  tblPrincipalRole: [{ version: V2013, columns: ['prinRoleNodeID', 'prinRolePrinID', 'prinRoleTypeID', 'prinRoleUpdatedBy'] }],
  tblPrincipalInvites: [{ version: V2013, columns: ['prinID', 'invID', 'nodeID', 'createdOn'] }],
  tblChat: [
    { version: V2013, columns: ['channelId', 'chatId', 'chatDate', 'userId', 'isAlert', 'content', 'rtf'] },
    { version: V2010, columns: ['channelId', 'chatId', 'chatDate', 'userId', 'isAlert', 'content'] },
  ],
};

/** The documented layout of a table with this many columns, or undefined. */
export function documentedLayout(table: string, fields: number): Layout | undefined {
  return DOCUMENTED_LAYOUTS[table]?.find((l) => l.columns.length === fields);
}

/** "7 columns (Lync Server 2013 / ...) or 6 (Lync Server 2010)", for messages. */
export function describeLayouts(table: string): string {
  const layouts = DOCUMENTED_LAYOUTS[table] ?? [];
  return layouts.map((l, i) => `${l.columns.length}${i === 0 ? ' columns' : ''} (${l.version})`).join(' or ');
}

/** One field of a bcp format file: the text that ends it, and the column it fills (undefined: skipped). */
export interface FormatField {
  terminator: string;
  column: string | undefined;
}

export interface FormatFile {
  file: string;
  fields: FormatField[];
  /** SQLNCHAR / NCharTerm: the data was written by `bcp -w` (UTF-16LE). */
  unicode: boolean;
}

const formatError = (file: string, line: number, message: string) => new CsvError(file, line, message);

/** bcp's escapes in a terminator: \t \n \r \0 \\ \" (and ' in XML attributes as entities). */
function unescapeTerminator(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '0': '\u0000', '\\': '\\', '"': '"', "'": "'" })[c] ?? `\\${c}`);
}

const NATIVE_FIX = 'a native-format dump (bcp -n or -N) cannot be read; dump with bcp -c or -w and make the format file with the same options (bcp <table> format nul -c -f <table>.fmt)';

/** The largest format file read (a real one is a few kilobytes). */
export const MAX_FORMAT_FILE = 1024 * 1024;

/**
 * Reads a bcp format file, non-XML (`bcp ... format nul -c -f tblChat.fmt`) or XML (`-x`).
 * Only character formats are readable (SQLCHAR / SQLNCHAR, CharTerm / NCharTerm) with a
 * terminator on every field; anything else is refused with the fix.
 */
export function parseFormatFile(file: string, text: string): FormatFile {
  const body = text.replace(/^\ufeff/, '');
  return body.trimStart().startsWith('<') ? parseXmlFormat(file, body) : parsePlainFormat(file, body);
}

function parsePlainFormat(file: string, text: string): FormatFile {
  const lines = text.split(/\r?\n/);
  if (!/^\s*\d+\.\d+\s*$/.test(lines[0] ?? '')) throw formatError(file, 1, `not a bcp format file: the first line should be its version (such as 14.0), not '${(lines[0] ?? '').slice(0, 40)}'`);
  const count = Number((lines[1] ?? '').trim());
  if (!/^\s*\d+\s*$/.test(lines[1] ?? '') || count < 1 || count > 1024) throw formatError(file, 2, `not a bcp format file: the second line should be the number of fields, not '${(lines[1] ?? '').slice(0, 40)}'`);
  const fields: FormatField[] = [];
  let unicode = false;
  // host order, host type, prefix length, data length, "terminator", server order, server name, collation
  const FIELD = /^\s*(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+"((?:[^"\\]|\\.)*)"\s+(\d+)\s+("[^"]*"|\S+)(?:\s+\S+)?\s*$/;
  for (let i = 0; i < count; i++) {
    const at = i + 3;
    const m = FIELD.exec(lines[i + 2] ?? '');
    if (m === null) throw formatError(file, at, `field ${i + 1} of ${count} is not a format file row (order, type, prefix, length, "terminator", column order, column name, collation)`);
    const [, order, type, prefix, , terminator, serverOrder, name] = m;
    if (Number(order) !== i + 1) throw formatError(file, at, `fields must be numbered 1 to ${count} in order (found ${order})`);
    if (type !== 'SQLCHAR' && type !== 'SQLNCHAR') throw formatError(file, at, `field ${order} is ${type}: ${NATIVE_FIX}`);
    if (type === 'SQLNCHAR') unicode = true;
    if (prefix !== '0' || terminator === '') throw formatError(file, at, `field ${order} has ${prefix !== '0' ? 'a length prefix' : 'no terminator'}: ${NATIVE_FIX}`);
    fields.push({ terminator: unescapeTerminator(terminator!), column: serverOrder === '0' ? undefined : name!.replace(/^"|"$/g, '') });
  }
  return { file, fields, unicode };
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlAttributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    const raw = m[3] ?? m[4] ?? '';
    out[m[1]!] = raw.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, e: string) =>
      e.startsWith('#x') || e.startsWith('#X') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : (XML_ENTITIES[e] ?? whole),
    );
  }
  return out;
}

function parseXmlFormat(file: string, text: string): FormatFile {
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw formatError(file, lineOf(text.search(/<!DOCTYPE|<!ENTITY/i)), 'a format file with a DOCTYPE or entity declarations is refused');
  if (!/<BCPFORMAT\b/.test(text)) throw formatError(file, 1, 'not a bcp XML format file (no BCPFORMAT element)');
  const byId = new Map<string, { terminator: string; index: number }>();
  const order: string[] = [];
  let unicode = false;
  for (const m of text.matchAll(/<FIELD\b([^>]*)>/g)) {
    const a = xmlAttributes(m[1]!);
    const type = a['xsi:type'] ?? '';
    const id = a.ID ?? '';
    if (type !== 'CharTerm' && type !== 'NCharTerm') throw formatError(file, lineOf(m.index), `field ${id} is ${type || 'of no type'}: ${NATIVE_FIX}`);
    if (type === 'NCharTerm') unicode = true;
    if (a.TERMINATOR === undefined || a.TERMINATOR === '') throw formatError(file, lineOf(m.index), `field ${id} has no TERMINATOR`);
    if (id === '' || byId.has(id)) throw formatError(file, lineOf(m.index), `field ID '${id}' is missing or given twice`);
    byId.set(id, { terminator: unescapeTerminator(a.TERMINATOR), index: m.index });
    order.push(id);
  }
  if (order.length === 0) throw formatError(file, 1, 'the format file lists no FIELD');
  const columns = new Map<string, string>();
  for (const m of text.matchAll(/<COLUMN\b([^>]*)>/g)) {
    const a = xmlAttributes(m[1]!);
    if (a.SOURCE === undefined || !byId.has(a.SOURCE)) throw formatError(file, lineOf(m.index), `COLUMN SOURCE '${a.SOURCE ?? ''}' names no FIELD`);
    if (a.NAME === undefined || a.NAME === '') throw formatError(file, lineOf(m.index), `COLUMN SOURCE '${a.SOURCE}' has no NAME`);
    columns.set(a.SOURCE, a.NAME);
  }
  return { file, unicode, fields: order.map((id) => ({ terminator: byId.get(id)!.terminator, column: columns.get(id) })) };
}

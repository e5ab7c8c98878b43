/**
 * Fixture generators: one per tool an administrator dumps the legacy database with, each
 * writing the bytes that tool writes for a deployment described with LegacyDumpBuilder.
 * What each tool does is written down with it; the tests migrate every route and compare
 * the result with the builder's rows message by message.
 *
 * Common to the SQL Server tools: every column of the table in its physical (documented)
 * order, bigint time stamps as digits, `datetime` as `yyyy-mm-dd hh:mm:ss.fff`, bits as
 * 0/1, GUIDs in upper case, lines ended by CRLF.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOCUMENTED_LAYOUTS } from '../../src/migration/sources/legacy/layouts.js';
import { UNIX_EPOCH_TICKS } from '../../src/migration/sources/legacy/ticks.js';
import type { LegacyDumpBuilder } from './legacy-dump.js';

type Value = string | number | boolean | null | undefined;
type Row = Record<string, Value>;

const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** SQL types of the documented columns the tools format differently (the rest: int / bigint / nvarchar). */
const DATETIME = new Set(['createdOn', 'prinVerifiedOn', 'purgedOn']);
const BIT = new Set(['nodeType', 'invite', 'logged', 'filePost', 'disabled', 'isAlert', 'scopeIsDenied', 'inheritance', 'scopeChange', 'overrideMember', 'restrictChildCreate', 'prinUseInheritedPerms']);
const GUID = new Set(['prinGuid', 'nodeGuid', 'siopID']);
const TEXT_MAX = new Set(['content', 'rtf']);
const INT_WIDTH: Record<string, number> = { chatId: 20, chatDate: 20, prinAddedOn: 20, prinUpdatedOn: 20, nodeAddedOn: 20, nodeUpdatedOn: 20, rtypeAllowedPermSet: 20, prinAllowedPermSet: 20 };
const TEXT_WIDTH: Record<string, number> = { prinADPath: 384, siopName: 50, siopUrl: 255 };

/** Values the legacy server keeps in columns Stoa does not read (so the files are whole rows). */
function filler(column: string): Value {
  if (/UpdatedBy$|AddedBy$|^updatedBy$|^prinPoolID$/.test(column)) return 1;
  if (column === 'prinUpdatedOn' || column === 'nodeUpdatedOn') return (UNIX_EPOCH_TICKS + 13_000_000_000_000_000n).toString();
  if (column === 'prinVerifiedOn') return (UNIX_EPOCH_TICKS + 13_600_000_000_000_000n).toString();
  if (column === 'rtypeAllowedPermSet' || column === 'prinAllowedPermSet') return 6528;
  if (column === 'prinUseInheritedPerms') return 1;
  return null;
}

/** The rows of a table in documented order (the first layout: Lync Server 2013 / SfB 2015, or `version`). */
export function documentedRows(b: LegacyDumpBuilder, table: string, layout = 0): { columns: string[]; rows: Value[][] } {
  const columns = [...DOCUMENTED_LAYOUTS[table]![layout]!.columns];
  return { columns, rows: b.tables[table]!.map((r: Row) => columns.map((c) => (c in r ? r[c] : filler(c)))) };
}

/** A datetime column as SQL Server's tools print it; the builder keeps ticks. */
function sqlDatetime(ticks: string): string {
  const ms = Number((BigInt(ticks) - UNIX_EPOCH_TICKS) / 10000n);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A value as the SQL Server tools print it (NULL aside). */
function sqlText(column: string, v: Exclude<Value, null | undefined>): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (DATETIME.has(column)) return sqlDatetime(String(v));
  if (GUID.has(column)) return String(v).toUpperCase();
  return String(v);
}

const TABLES = ['tblPrincipal', 'tblPrincipalAffiliations', 'tblSiopWhiteList', 'tblNode', 'tblRoleType', 'tblScopePrincipal', 'tblPrincipalRole', 'tblPrincipalInvites', 'tblChat'];

export interface BcpOptions {
  /** `-c` (characters; with `-C 65001`, UTF-8) or `-w` (UTF-16LE, no byte order mark). */
  mode?: 'c' | 'w';
  /** The format file written beside each data file: none, `bcp ... format nul -f x.fmt`, or `-x` (XML). */
  format?: 'none' | 'fmt' | 'xml';
  /** `-t` and `-r` (default: tab, and CRLF for bcp's `\n`). */
  fieldTerminator?: string;
  rowTerminator?: string;
  /** tblChat in Lync Server 2010's layout (no rtf column: content is last). */
  lync2010Chat?: boolean;
  dir?: string;
}

const escapeTerminator = (t: string) => t.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const xmlAttr = (t: string) => escapeTerminator(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/**
 * `bcp <db>.dbo.<table> out <table>.dat -c -C 65001 -T` (or `-w`): no header, each field
 * ended by its terminator, nothing quoted, NULL as nothing, an empty string as one NUL;
 * with `format` also `bcp <db>.dbo.<table> format nul -c -f <table>.fmt` (or `-x -f
 * <table>.xml`) with the same -t and -r.
 */
export function bcpOut(b: LegacyDumpBuilder, opts: BcpOptions = {}): string {
  const dir = opts.dir ?? tempDir('stoa-bcp-');
  fs.mkdirSync(dir, { recursive: true });
  const ft = opts.fieldTerminator ?? '\t';
  const rt = opts.rowTerminator ?? '\r\n';
  const unicode = opts.mode === 'w';
  for (const table of TABLES) {
    const { columns, rows } = documentedRows(b, table, table === 'tblChat' && opts.lync2010Chat === true ? 1 : 0);
    const field = (c: string, v: Value) => (v === null || v === undefined ? '' : v === '' ? '\u0000' : sqlText(c, v));
    const text = rows.map((r) => r.map((v, i) => field(columns[i]!, v) + (i === r.length - 1 ? rt : ft)).join('')).join('');
    fs.writeFileSync(path.join(dir, `${table}.dat`), Buffer.from(text, unicode ? 'utf16le' : 'utf8'));
    const terminators = columns.map((_, i) => (i === columns.length - 1 ? rt : ft));
    const length = (c: string) => (TEXT_MAX.has(c) ? 0 : BIT.has(c) ? 3 : GUID.has(c) ? 37 : DATETIME.has(c) ? 24 : (INT_WIDTH[c] ?? (/ID$|Id$|^index$|Disabled$|TypeID$|behavior|visibility|By$/.test(c) ? 12 : (TEXT_WIDTH[c] ?? 256)))) * (unicode ? 2 : 1);
    const isText = (c: string) => TEXT_MAX.has(c) || (!BIT.has(c) && !GUID.has(c) && !DATETIME.has(c) && INT_WIDTH[c] === undefined && !/ID$|Id$|^index$|Disabled$|TypeID$|behavior|visibility|By$/.test(c));
    if (opts.format === 'fmt') {
      const lines = ['14.0', String(columns.length)];
      columns.forEach((c, i) => {
        lines.push(
          `${String(i + 1).padEnd(8)}${(unicode ? 'SQLNCHAR' : 'SQLCHAR').padEnd(20)}${'0'.padEnd(8)}${String(length(c)).padEnd(8)}${`"${escapeTerminator(terminators[i]!)}"`.padEnd(9)}${String(i + 1).padEnd(6)}${c.padEnd(27)}${isText(c) ? 'SQL_Latin1_General_CP1_CI_AS' : '""'}`,
        );
      });
      fs.writeFileSync(path.join(dir, `${table}.fmt`), `${lines.join('\r\n')}\r\n`);
    } else if (opts.format === 'xml') {
      const type = unicode ? 'NCharTerm' : 'CharTerm';
      const fields = columns.map((c, i) => `  <FIELD ID="${i + 1}" xsi:type="${type}" TERMINATOR="${xmlAttr(terminators[i]!)}"${length(c) > 0 ? ` MAX_LENGTH="${length(c)}"` : ''}${isText(c) ? ' COLLATION="SQL_Latin1_General_CP1_CI_AS"' : ''}/>`);
      const sqlType = (c: string) => (TEXT_MAX.has(c) ? 'SQLNVARCHAR' : BIT.has(c) ? 'SQLBIT' : GUID.has(c) ? 'SQLUNIQUEID' : DATETIME.has(c) ? 'SQLDATETIME' : isText(c) ? 'SQLNVARCHAR' : INT_WIDTH[c] !== undefined ? 'SQLBIGINT' : 'SQLINT');
      const cols = columns.map((c, i) => `  <COLUMN SOURCE="${i + 1}" NAME="${c}" xsi:type="${sqlType(c)}"/>`);
      const xml = [
        '<?xml version="1.0"?>',
        '<BCPFORMAT xmlns="http://schemas.microsoft.com/sqlserver/2004/bulkload/format" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        ' <RECORD>',
        ...fields,
        ' </RECORD>',
        ' <ROW>',
        ...cols,
        ' </ROW>',
        '</BCPFORMAT>',
      ];
      fs.writeFileSync(path.join(dir, `${table}.xml`), `${xml.join('\r\n')}\r\n`);
    }
  }
  return dir;
}

/** Windows-1252 bytes of a text (the code page the wizard writes); a character outside it throws. */
export function windows1252(text: string): Buffer {
  const high = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
  const bytes = Buffer.alloc(text.length);
  let n = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const at = high.indexOf(ch);
    if (at >= 0) bytes[n++] = 0x80 + at;
    else if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) bytes[n++] = code;
    else throw new Error(`'${ch}' is not in Windows-1252`);
  }
  return bytes.subarray(0, n);
}

export interface SqlcmdOptions {
  /** `-s`: the column separator (default ","). */
  separator?: string;
  /** `-W`: trailing spaces removed (no padding); else every value padded to its column's width. */
  trim?: boolean;
  /** `-y 0`: (max) columns not cut; else sqlcmd's default cuts them at 256 characters. */
  unlimited?: boolean;
  dir?: string;
}

/**
 * `sqlcmd -S <server> -d <db> -E -Q "SELECT * FROM dbo.<table>" -s"|" -f o:65001 -o
 * <table>.csv` (UTF-8; `-s","` when `separator` says so): the column names, a line of dashes as wide as each column, the
 * values unquoted and padded to the width (numbers to the right), NULL as the word, a
 * blank line and `(N rows affected)`. `-W` drops the padding; without `-y 0` the (max)
 * columns are 256 wide and longer values cut there.
 */
export function sqlcmdOut(b: LegacyDumpBuilder, opts: SqlcmdOptions = {}): string {
  const dir = opts.dir ?? tempDir('stoa-sqlcmd-');
  fs.mkdirSync(dir, { recursive: true });
  const sep = opts.separator ?? ',';
  for (const table of TABLES) {
    const { columns, rows } = documentedRows(b, table);
    const numeric = (c: string) => !GUID.has(c) && !DATETIME.has(c) && (BIT.has(c) || INT_WIDTH[c] !== undefined || /ID$|Id$|^index$|Disabled$|TypeID$|behavior|visibility|By$/.test(c));
    const width = (c: string) =>
      Math.max(c.length, TEXT_MAX.has(c) ? (opts.unlimited === true ? c.length : 256) : BIT.has(c) ? 1 : GUID.has(c) ? 36 : DATETIME.has(c) ? 23 : numeric(c) ? (INT_WIDTH[c] ?? 11) : (TEXT_WIDTH[c] ?? 256));
    const cell = (c: string, v: Value) => {
      let text = v === null || v === undefined ? 'NULL' : sqlText(c, v);
      if (TEXT_MAX.has(c) && opts.unlimited !== true) text = text.slice(0, 256);
      if (opts.trim === true) return text.trimEnd();
      return numeric(c) ? text.padStart(width(c)) : text.padEnd(width(c));
    };
    const lines = [
      columns.map((c) => (opts.trim === true ? c : c.padEnd(width(c)))).join(sep),
      columns.map((c) => '-'.repeat(opts.trim === true ? c.length : width(c))).join(sep),
      ...rows.map((r) => r.map((v, i) => cell(columns[i]!, v)).join(sep)),
      '',
      `(${rows.length} row${rows.length === 1 ? '' : 's'} affected)`,
    ];
    fs.writeFileSync(path.join(dir, `${table}.csv`), `${lines.join('\r\n')}\r\n`);
  }
  return dir;
}

export interface SsmsOptions {
  /** Tools > Options > Query Results > Results to Grid > "Include column headers when copying or saving": off by default. */
  headers?: boolean;
  dir?: string;
}

/**
 * SQL Server Management Studio, results grid, "Save Results As..." CSV: comma-separated,
 * a field quoted only when it holds a comma, a quote or a line break (quotes doubled),
 * NULL as the word NULL, no header row unless the option is on; UTF-8 with a byte order
 * mark; files named `dbo.<table>.csv` here, as administrators often do.
 */
export function ssmsCsv(b: LegacyDumpBuilder, opts: SsmsOptions = {}): string {
  const dir = opts.dir ?? tempDir('stoa-ssms-');
  fs.mkdirSync(dir, { recursive: true });
  for (const table of TABLES) {
    const { columns, rows } = documentedRows(b, table);
    const cell = (c: string, v: Value) => {
      if (v === null || v === undefined) return 'NULL';
      const text = sqlText(c, v);
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    const lines = [...(opts.headers === true ? [columns.join(',')] : []), ...rows.map((r) => r.map((v, i) => cell(columns[i]!, v)).join(','))];
    fs.writeFileSync(path.join(dir, `dbo.${table}.csv`), `\ufeff${lines.join('\r\n')}\r\n`);
  }
  return dir;
}

/**
 * The SQL Server Import and Export Wizard, flat file destination with its defaults but
 * the text qualifier set to `"` (as docs/migration.md says): column names in the first
 * row, comma, every text value in quotes (quotes in it doubled), NULL as an empty field,
 * CRLF rows, code page 1252 (so text must be Windows-1252: the builder's rows must be).
 */
export function wizardFlatFile(b: LegacyDumpBuilder, dir = tempDir('stoa-wizard-')): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const table of TABLES) {
    const { columns, rows } = documentedRows(b, table);
    const cell = (c: string, v: Value) => {
      if (v === null || v === undefined) return '';
      const text = sqlText(c, v);
      return typeof v === 'string' && !DATETIME.has(c) && !GUID.has(c) && !/^\d+$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    const lines = [columns.join(','), ...rows.map((r) => r.map((v, i) => cell(columns[i]!, v)).join(','))];
    fs.writeFileSync(path.join(dir, `${table}.txt`), windows1252(`${lines.join('\r\n')}\r\n`));
  }
  return dir;
}

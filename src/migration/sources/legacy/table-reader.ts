/**
 * One table file of a dump, read the way the tool that wrote it writes: the layout is
 * decided from the format file beside it and from the file's first two lines.
 *
 * | Written by | Seen as | Read as |
 * |---|---|---|
 * | `bcp out -c`/`-w` with a format file | `tblX.fmt` / `tblX.xml` beside it | the format file's columns and terminators |
 * | `bcp out -c`/`-w` | tab-separated `.dat` / `.txt` | tab and line break terminators, no quoting |
 * | `sqlcmd -s","` | a line of dashes under the header | padded, unquoted, `(N rows affected)` skipped |
 * | `Export-Csv`, SSMS, the wizard | anything else | RFC 4180 CSV, the delimiter sniffed |
 *
 * A file without a header row takes its table's documented column order (layouts.ts).
 * The first record yielded is always the column names, with where they came from.
 */
import { decodedText, csvTextRecords, CsvError, sniffDelimiter, type CsvRecord, type Delimiter } from './csv.js';
import { readHead, showTerminator, terminatedRecords } from './bcp.js';
import type { DumpTable } from './dump.js';
import { DOCUMENTED_LAYOUTS, describeLayouts, documentedLayout, parseFormatFile, type FormatFile } from './layouts.js';
import type { TableSpec } from './tables.js';

export type TableRecord = CsvRecord & {
  /** On the first record only: the column names are the header row, a format file's or the documented order. */
  columns?: 'header' | 'format file' | 'documented order';
  /** What the report says of how the file was read (no header, a format file, sqlcmd's padding). */
  note?: string;
};

const MAX_HEAD = 1024 * 1024;
const ROWS_AFFECTED = /^\(\d+ rows? affected\)$/;

/** The names a header row of this table may hold: the columns Stoa reads and the documented ones it skips. */
function knownNames(spec: TableSpec): Set<string> {
  const names = new Set(spec.columns.map((c) => c.name.toLowerCase()));
  for (const layout of DOCUMENTED_LAYOUTS[spec.table] ?? []) for (const c of layout.columns) names.add(c.toLowerCase());
  return names;
}

/** A header row names columns: at least half of its fields are column names of the table. */
function looksLikeHeader(spec: TableSpec, fields: readonly (string | null)[]): boolean {
  const known = knownNames(spec);
  const hits = fields.filter((f) => f !== null && known.has(f.trim().toLowerCase())).length;
  return hits > 0 && hits * 2 >= fields.length;
}

const noLayout = (spec: TableSpec, table: DumpTable, line: number, fields: number, what: string) =>
  new CsvError(
    table.file,
    line,
    `no header row, and its ${fields} ${what} fields fit no documented column order of ${spec.table} (${describeLayouts(spec.table) || 'none documented'}): add the header row (the column names, in the file's order), or put the bcp format file beside it (bcp <database>.dbo.${spec.table} format nul -c -f ${spec.table}.fmt)`,
  );

/** The names of a header-less file, in the documented order its field count fits. */
function documented(spec: TableSpec, table: DumpTable, record: CsvRecord, what: string): TableRecord {
  const layout = documentedLayout(spec.table, record.fields.length);
  if (layout === undefined) throw noLayout(spec, table, record.line, record.fields.length, what);
  return {
    line: record.line,
    fields: [...layout.columns],
    columns: 'documented order',
    note: `${table.file}: no header row; read in the documented column order of ${spec.table} in ${layout.version} (${layout.columns.join(', ')})`,
  };
}

export async function* tableRecords(spec: TableSpec, table: DumpTable, bytes: AsyncIterable<Buffer>, encoding: string | undefined, maxRecord?: number): AsyncGenerator<TableRecord> {
  const format: FormatFile | undefined = table.format === undefined ? undefined : parseFormatFile(table.format.file, await table.format.read());
  const asked = encoding ?? (format?.unicode === true ? 'utf-16le' : undefined);
  const { head, text } = await readHead(decodedText(bytes, table.file, asked), 3, MAX_HEAD);
  // PowerShell 5.1's Export-Csv without -NoTypeInformation starts with `#TYPE System.Data.DataRow`.
  const typeLine = /^(\ufeff)?#TYPE\b/.test(head[0] ?? '');
  const [first = '', second = ''] = (typeLine ? head.slice(1) : head).map((l) => l.replace(/\r$/, ''));

  if (format !== undefined) {
    const names = format.fields.map((f) => f.column ?? null);
    yield { line: 1, fields: names, columns: 'format file', note: `${table.file}: columns and terminators from ${format.file} (${format.fields.length} fields)` };
    let firstRecord = true;
    for await (const record of terminatedRecords(text, { file: table.file, terminators: format.fields.map((f) => f.terminator), ...(maxRecord === undefined ? {} : { maxRecord }) })) {
      // A header row added above bcp's data is skipped: the format file names the columns.
      if (firstRecord && looksLikeHeader(spec, record.fields)) {
        firstRecord = false;
        continue;
      }
      firstRecord = false;
      yield record;
    }
    return;
  }

  const delimiter: Delimiter = table.delimiter === 'auto' ? sniffDelimiter(first) : table.delimiter;

  if (delimiter === '\t' && table.quotes === 'unless-tab') {
    // bcp -c / -w: as many fields as the first line has, each ended by a tab, the last by the line break.
    const count = first.split('\t').length;
    const rowTerminator = (typeLine ? head[1] : head[0])?.endsWith('\r') === true ? '\r\n' : '\n';
    const terminators = [...Array<string>(count - 1).fill('\t'), rowTerminator];
    let firstRecord = true;
    for await (const record of terminatedRecords(text, { file: table.file, terminators, ...(maxRecord === undefined ? {} : { maxRecord }) })) {
      if (firstRecord) {
        firstRecord = false;
        if (looksLikeHeader(spec, record.fields)) {
          yield { ...record, columns: 'header' };
          continue;
        }
        yield { ...documented(spec, table, record, 'tab-separated'), note: `${table.file}: no header row (as bcp writes); read in the documented column order of ${spec.table} — ${documentedLayout(spec.table, count)!.version}, terminators '\\t' and '${showTerminator(rowTerminator)}'` };
      }
      yield record;
    }
    return;
  }

  // sqlcmd -s",": the header, a line of dashes as wide as each column, padded values, "(N rows affected)".
  const dashes = second.split(delimiter);
  if (dashes.length === 1 && /^-+( +-+)+ *$/.test(second)) {
    throw new CsvError(table.file, typeLine ? 3 : 2, `sqlcmd output with its default column separator (a space) cannot be read: run sqlcmd again with -s"|" -W -y 0 (or write the table with Invoke-Sqlcmd ... | Export-Csv)`);
  }
  const sqlcmd = dashes.every((d) => /^-+$/.test(d.trim()));
  const widths = sqlcmd ? dashes.map((d) => d.length) : [];
  /** The nvarchar(max) / varchar(max) columns, which sqlcmd cuts at its -y width. */
  let maxColumns: number[] = [];
  let index = 0;
  for await (const record of csvTextRecords(text, { file: table.file, delimiter, quotes: table.quotes, sqlcmd, ...(maxRecord === undefined ? {} : { maxRecord }) })) {
    if (index === 0 && typeLine && record.fields.length === 1 && /^#TYPE\b/.test(record.fields[0] ?? '')) continue;
    index++;
    if (index === 1) {
      if (looksLikeHeader(spec, record.fields)) {
        maxColumns = record.fields.flatMap((f, i) => (spec.table === 'tblChat' && /^(content|rtf)$/i.test(f?.trim() ?? '') ? [i] : []));
        yield { ...record, columns: 'header', ...(sqlcmd ? { note: `${table.file}: sqlcmd output (a line of dashes under the header); values read without the spaces sqlcmd pads them with` } : {}) };
        continue;
      }
      yield documented(spec, table, record, { ',': 'comma-separated', ';': 'semicolon-separated', '\t': 'tab-separated', '|': 'bar-separated' }[delimiter]);
    }
    if (sqlcmd) {
      if (index === 2) continue;
      if (record.fields.length === 1 && ROWS_AFFECTED.test(record.fields[0] ?? '')) continue;
      if (record.fields.length !== widths.length) {
        record.problem = `${record.fields.length} fields where sqlcmd's header has ${widths.length}: sqlcmd does not quote, so a text holds the separator '${delimiter}' — ${delimiter === '|' ? '' : 'run sqlcmd again with -s"|" if no text holds a bar, or '}write this table with Invoke-Sqlcmd ... | Export-Csv (which quotes)`;
      } else {
        // sqlcmd cuts nvarchar(max) values at its -y width (256 by default) without a sign.
        const cut = maxColumns.find((i) => widths[i] === 256 && (record.fields[i]?.length ?? 0) >= 256);
        if (cut !== undefined) record.problem = `a text value of 256 characters in a column sqlcmd showed 256 wide: sqlcmd cuts longer texts there without a sign (its -y default) — run sqlcmd again with -y 0`;
      }
    }
    yield record;
  }
}

/**
 * A streaming reader for the legacy table dumps (D3): RFC 4180 CSV as PowerShell
 * `Export-Csv` and SQL Server tools write it, or tab-separated values; UTF-8 with or
 * without a byte order mark (UTF-16 with a mark is decoded too). Bytes that are not valid
 * text in the encoding, an unterminated quote or an oversized record stop the read with
 * the file and line, never a silently mangled value.
 */
import { TextDecoder } from 'node:util';

export class CsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

export interface CsvRecord {
  /** Line of the file where the record starts (1-based; the header is line 1). */
  line: number;
  /** Field values; null for an empty field and for an unquoted `NULL`. */
  fields: (string | null)[];
  /**
   * The fields that were the unquoted word `NULL` (absent when none): NULL in a column
   * that may be NULL, but the text "NULL" in one that may not (SSMS writes both alike).
   */
  bareNull?: number[];
  /** What is wrong with this record (the reader goes on): the file, line and fix are added by the caller. */
  problem?: string;
}

export type Delimiter = ',' | ';' | '\t' | '|';

/**
 * The delimiter a header line uses: of comma, semicolon, tab and vertical bar (sqlcmd
 * -s"|"), the one found most often outside quotes (a comma when none is: a one-column file).
 */
export function sniffDelimiter(firstLine: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t' || ch === '|')) counts[ch] += 1;
  }
  // A tie goes to the rarer character in text: tab, then bar, semicolon, comma.
  const [best, count] = (['\t', '|', ';', ','] as const).map((d) => [d, counts[d]] as const).reduce((a, b) => (b[1] > a[1] ? b : a));
  return count === 0 ? ',' : best;
}

export interface CsvOptions {
  /** The file's name in messages. */
  file: string;
  /** 'auto': the one of comma, semicolon (Export-Csv -UseCulture in many cultures) and tab that the first line uses most. */
  delimiter: Delimiter | 'auto';
  /** The longest record accepted, in characters. */
  maxRecord?: number;
  /** The text encoding when the file has no byte order mark (`--encoding`); default: UTF-16 detected, else UTF-8. */
  encoding?: string;
  /**
   * `rfc4180` (default): quotes enclose fields. `unless-tab`: a tab-separated file is read
   * as bcp writes it — no quoting at all (a quote is a character), an empty field NULL, a
   * NUL byte the empty string, the word NULL text.
   */
  quotes?: 'rfc4180' | 'unless-tab';
  /**
   * sqlcmd's output (`-s","`): nothing is quoted, values are padded with spaces to the
   * column's width (trailing spaces removed), NULL is the word NULL.
   */
  sqlcmd?: boolean;
}

const DEFAULT_MAX_RECORD = 8 * 1024 * 1024;

/**
 * Picks the decoder: a byte order mark wins; else the encoding asked for (`--encoding`);
 * else UTF-16 when the first characters are ASCII with a zero byte beside each (what
 * `bcp -w` writes, without a mark); else UTF-8. Invalid bytes throw.
 */
function decoderFor(first: Buffer, asked: string | undefined): { decoder: TextDecoder; skip: number } {
  if (first[0] === 0xff && first[1] === 0xfe) return { decoder: new TextDecoder('utf-16le', { fatal: true }), skip: 2 };
  if (first[0] === 0xfe && first[1] === 0xff) return { decoder: new TextDecoder('utf-16be', { fatal: true }), skip: 2 };
  if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) return { decoder: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }), skip: 3 };
  if (asked !== undefined) return { decoder: new TextDecoder(asked, { fatal: true }), skip: 0 };
  const ascii = (b: number | undefined) => b !== undefined && b > 0 && b < 0x80;
  if (first.length >= 4 && ascii(first[0]) && first[1] === 0 && ascii(first[2]) && first[3] === 0) return { decoder: new TextDecoder('utf-16le', { fatal: true }), skip: 0 };
  if (first.length >= 4 && first[0] === 0 && ascii(first[1]) && first[2] === 0 && ascii(first[3])) return { decoder: new TextDecoder('utf-16be', { fatal: true }), skip: 0 };
  return { decoder: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }), skip: 0 };
}

/** An encoding name the reader can use (a TextDecoder label), normalised; else undefined. */
export function textEncoding(label: string): string | undefined {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return undefined;
  }
}

/** The text of a byte stream, decoded as `decoderFor` picks; a bad byte throws a CsvError at its line. */
export async function* decodedText(source: AsyncIterable<Buffer>, file: string, asked: string | undefined): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let head = Buffer.alloc(0);
  let line = 1;
  const decode = (bytes: Buffer, stream: boolean): string => {
    try {
      const text = decoder!.decode(bytes, { stream });
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) line++;
      return text;
    } catch {
      // Name the line of the first bad byte: the lenient decoding marks it with U+FFFD.
      const loose = new TextDecoder(decoder!.encoding).decode(bytes);
      const before = loose.slice(0, Math.max(loose.indexOf('\ufffd'), 0));
      for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
      const hint =
        decoder!.encoding === 'utf-8'
          ? ' — a dump saved in a Windows code page (the Import/Export wizard, SSMS with its default encoding) needs --encoding windows-1252 (or its code page)'
          : ` — check --encoding (the file was read as ${decoder!.encoding})`;
      throw new CsvError(file, line, `the file is not valid ${decoder!.encoding} text${hint}`);
    }
  };
  for await (const chunk of source) {
    if (decoder === undefined) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 4) continue;
      const picked = decoderFor(head, asked);
      decoder = picked.decoder;
      yield decode(head.subarray(picked.skip), true);
      continue;
    }
    yield decode(chunk, true);
  }
  if (decoder === undefined) {
    if (head.length === 0) return;
    const picked = decoderFor(head, asked);
    decoder = picked.decoder;
    yield decode(head.subarray(picked.skip), false);
    return;
  }
  yield decode(Buffer.alloc(0), false);
}

/** The header line of what has arrived (after a `#TYPE` line), or undefined while it is not whole. */
function headerLine(text: string): string | undefined {
  let start = 0;
  let end = text.indexOf('\n');
  if (end >= 0 && /^(\ufeff)?#TYPE\b/.test(text)) {
    start = end + 1;
    end = text.indexOf('\n', start);
  }
  return end < 0 ? undefined : text.slice(start, end);
}

/** Holds text back until the header line is whole, hands it to `decide`, then passes everything on. */
async function* firstLineFirst(texts: AsyncIterable<string>, max: number, decide: (headerLine: string) => void): AsyncGenerator<string> {
  let held = '';
  let decided = false;
  for await (const text of texts) {
    if (decided) {
      yield text;
      continue;
    }
    held += text;
    const line = headerLine(held);
    if (line === undefined && held.length < max) continue;
    decide(line ?? held);
    decided = true;
    yield held;
    held = '';
  }
  if (!decided && held !== '') {
    decide(headerLine(held) ?? held.slice(held.indexOf('\n') + 1));
    yield held;
  }
}

/**
 * The records of a CSV/TSV byte stream, header included (the first record). Quoted
 * fields may hold delimiters, quotes (doubled) and line breaks; CRLF, LF and CR end a
 * record; blank lines are skipped.
 */
export function csvRecords(source: AsyncIterable<Buffer>, options: CsvOptions): AsyncGenerator<CsvRecord> {
  return csvTextRecords(decodedText(source, options.file, options.encoding), options);
}

/** The records of decoded text (see csvRecords). */
export async function* csvTextRecords(source: AsyncIterable<string>, options: CsvOptions): AsyncGenerator<CsvRecord> {
  const { file } = options;
  let delimiter = options.delimiter === 'auto' ? undefined : options.delimiter;
  const maxRecord = options.maxRecord ?? DEFAULT_MAX_RECORD;
  let fields: (string | null)[] = [];
  let field = '';
  let quoted = false;
  /** Inside quotes; after a closing quote (expecting a delimiter or end of record). */
  let state: 'start' | 'plain' | 'quoted' | 'quote-in-quoted' = 'start';
  let line = 1;
  let recordLine = 1;
  let size = 0;
  let pendingCr = false;

  let bareNull: number[] | undefined;
  /** Whether quotes enclose fields (decided with the delimiter, on the first text). */
  let quoting = true;
  /** Whether the unquoted word NULL is NULL (not in bcp's files, where NULL is an empty field). */
  let nullWord = true;
  const sqlcmd = options.sqlcmd === true;
  const endField = () => {
    // sqlcmd pads text on the right and numbers (and their NULLs) on the left.
    if (sqlcmd) field = field.trimEnd();
    if (sqlcmd && !quoted && field.trimStart() === 'NULL') field = 'NULL';
    if (!quoted && field === 'NULL' && nullWord) (bareNull ??= []).push(fields.length);
    // bcp writes an empty string as one NUL byte (and NULL as nothing at all).
    if (!quoted && field === '\u0000') fields.push('');
    else fields.push(!quoted && (field === '' || (field === 'NULL' && nullWord)) ? null : quoted && field === '' ? null : field);
    field = '';
    quoted = false;
    state = 'start';
  };
  const endRecord = (): CsvRecord | undefined => {
    endField();
    const out = fields.length === 1 && fields[0] === null && !quoted && bareNull === undefined ? undefined : { line: recordLine, fields, ...(bareNull === undefined ? {} : { bareNull }) };
    fields = [];
    bareNull = undefined;
    size = 0;
    recordLine = line;
    return out;
  };

  const texts = options.delimiter !== 'auto' ? source : firstLineFirst(source, maxRecord, (line) => (delimiter = sniffDelimiter(line)));
  for await (const text of texts) {
    quoting = !sqlcmd && (options.quotes !== 'unless-tab' || delimiter !== '\t');
    nullWord = sqlcmd || quoting;
    let plainFrom = -1;
    const flushPlain = (to: number) => {
      if (plainFrom >= 0) field += text.slice(plainFrom, to);
      plainFrom = -1;
    };
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (ch === '\n') continue;
      }
      if (++size > maxRecord) throw new CsvError(file, recordLine, `a record longer than ${maxRecord} characters`);
      if (state === 'quoted') {
        if (ch === '"') {
          flushPlain(i);
          state = 'quote-in-quoted';
        } else {
          if (ch === '\n') line++;
          if (plainFrom < 0) plainFrom = i;
        }
        continue;
      }
      if (state === 'quote-in-quoted') {
        if (ch === '"') {
          field += '"';
          state = 'quoted';
          continue;
        }
        state = 'plain';
        if (ch !== delimiter && ch !== '\n' && ch !== '\r') throw new CsvError(file, line, `unexpected '${ch}' after a closing quote`);
      }
      if (ch === delimiter) {
        flushPlain(i);
        endField();
      } else if (ch === '\n' || ch === '\r') {
        flushPlain(i);
        if (ch === '\r') pendingCr = true;
        line++;
        const record = endRecord();
        if (record !== undefined) yield record;
      } else if (ch === '"' && state === 'start' && quoting) {
        quoted = true;
        state = 'quoted';
      } else {
        // A quote inside an unquoted field is not RFC 4180, but unambiguous: kept as is.
        state = 'plain';
        if (plainFrom < 0) plainFrom = i;
      }
    }
    flushPlain(text.length);
  }
  if (state === 'quoted') throw new CsvError(file, recordLine, 'a quoted field is never closed');
  if (fields.length > 0 || field !== '' || quoted) {
    const record = endRecord();
    if (record !== undefined) yield record;
  }
}

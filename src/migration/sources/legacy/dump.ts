/**
 * Where a legacy dump lives (D3): a folder or a .zip of one file per table, named after
 * the table as the tools name them — `tblNode.csv`, `dbo.tblNode.csv` (SSMS, the
 * Import/Export wizard), `[dbo].[tblNode].txt`, `tblNode.dat` (bcp), with `.csv`, `.tsv`,
 * `.txt` or `.dat` — found whatever the case of the name, each with the bcp format file
 * beside it when there is one (`tblNode.fmt`, or `tblNode.xml` for an XML format file).
 * Tables are read as streams, one at a time; nothing is unpacked to disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { AppError } from '../../../domain/errors.js';
import { MAX_FORMAT_FILE } from './layouts.js';

export interface DumpTable {
  /** The name as found (for messages). */
  file: string;
  /** `.tsv` tab; the others (`.csv`, and `.txt` / `.dat` of bcp, sqlcmd, the wizard): from the first line. */
  delimiter: '\t' | 'auto';
  /** `.txt` and `.dat` separated by tabs are bcp's: no quoting (see csv.ts). */
  quotes: 'rfc4180' | 'unless-tab';
  open(): Promise<Readable>;
  /** The bcp format file of this table, when the dump has one. */
  format?: { file: string; read(): Promise<string> };
}

export interface LegacyDump {
  readonly location: string;
  /** The table's file, looked up by table name (`tblNode`), or undefined. */
  table(name: string): DumpTable | undefined;
  /** Every file name in the dump (for a message when a table is missing). */
  readonly files: readonly string[];
  close(): void;
}

/** The file names a table is found under, as a message says them. */
export const TABLE_FILE_FORMS = '<table>.csv, .tsv, .txt or .dat, with or without a schema prefix such as dbo.';

const invalid = (location: string, message: string) => new AppError('MIGRATION_INVALID', `${location}: ${message}`);

const DELIMITERS: Record<string, DumpTable['delimiter']> = { csv: 'auto', tsv: '\t', txt: 'auto', dat: 'auto' };

/**
 * `dbo.tblNode.csv` → `tblnode` with its delimiter, for files that look like table
 * dumps: an optional schema (`dbo.`, `[dbo].`), the table name (brackets allowed), one
 * of the extensions. Other files are not tables.
 */
export function tableOf(fileName: string): { table: string; delimiter: DumpTable['delimiter']; quotes: DumpTable['quotes']; format: boolean } | undefined {
  const m = /^(?:\[?[A-Za-z_][\w$#@ ]*\]?\.)?\[?([A-Za-z_][\w$#@]*)\]?\.(csv|tsv|txt|dat|fmt|xml)$/i.exec(path.basename(fileName));
  if (m === null) return undefined;
  const ext = m[2]!.toLowerCase();
  if (ext === 'fmt' || ext === 'xml') return { table: m[1]!.toLowerCase(), delimiter: 'auto', quotes: 'unless-tab', format: true };
  return { table: m[1]!.toLowerCase(), delimiter: DELIMITERS[ext]!, quotes: ext === 'txt' || ext === 'dat' ? 'unless-tab' : 'rfc4180', format: false };
}

type Indexed<T> = { file: string; delimiter: DumpTable['delimiter']; quotes: DumpTable['quotes']; ref: T; format?: { file: string; ref: T } };

function index<T>(location: string, files: [string, T][]): Map<string, Indexed<T>> {
  const out = new Map<string, Indexed<T>>();
  const formats = new Map<string, { file: string; ref: T }>();
  for (const [file, ref] of files) {
    const t = tableOf(file);
    if (t === undefined) continue;
    if (t.format) {
      const seen = formats.get(t.table);
      if (seen !== undefined) throw invalid(location, `two format files for table ${t.table}: ${seen.file} and ${file} (keep one of them)`);
      formats.set(t.table, { file, ref });
      continue;
    }
    const seen = out.get(t.table);
    if (seen !== undefined) throw invalid(location, `two files for table ${t.table}: ${seen.file} and ${file} (keep one of them)`);
    out.set(t.table, { file, delimiter: t.delimiter, quotes: t.quotes, ref });
  }
  for (const [table, format] of formats) {
    const t = out.get(table);
    if (t !== undefined) t.format = format;
  }
  return out;
}

/** A format file's text, refused beyond MAX_FORMAT_FILE (a real one is a few kilobytes). */
async function readFormat(file: string, stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_FORMAT_FILE) throw invalid(file, `larger than ${MAX_FORMAT_FILE} bytes: not a bcp format file`);
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  const bytes = Buffer.concat(chunks);
  // bcp -x writes XML format files in UTF-8; the non-XML ones are ASCII (UTF-16 with a mark read too).
  return bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.subarray(2).toString('utf16le') : bytes.toString('utf8');
}

function tableFrom<T>(t: Indexed<T>, open: (ref: T) => Promise<Readable>): DumpTable {
  const format = t.format;
  return {
    file: t.file,
    delimiter: t.delimiter,
    quotes: t.quotes,
    open: () => open(t.ref),
    ...(format === undefined ? {} : { format: { file: format.file, read: async () => readFormat(format.file, await open(format.ref)) } }),
  };
}

function folderDump(dir: string): LegacyDump {
  const files = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile());
  const tables = index(dir, files.map((e): [string, string] => [e.name, path.join(dir, e.name)]));
  return {
    location: dir,
    files: files.map((e) => e.name),
    table(name) {
      const t = tables.get(name.toLowerCase());
      return t === undefined ? undefined : tableFrom(t, (ref) => Promise.resolve(fs.createReadStream(ref)));
    },
    close: () => undefined,
  };
}

async function zipDump(file: string): Promise<LegacyDump> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: false });
  } catch (err) {
    throw invalid(file, `not a zip file (${(err as Error).message})`);
  }
  const entries: [string, yauzl.Entry][] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        // Only the base name counts: a table file in a sub-folder of the zip is found too,
        // and no entry name is ever used as a path on disk.
        if (!entry.fileName.endsWith('/')) entries.push([entry.fileName, entry]);
        zip.readEntry();
      });
      zip.once('end', resolve);
      zip.once('error', reject);
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    throw invalid(file, `unreadable zip (${(err as Error).message})`);
  }
  const tables = index(file, entries);
  return {
    location: file,
    files: entries.map(([name]) => name),
    table(name) {
      const t = tables.get(name.toLowerCase());
      return t === undefined ? undefined : tableFrom(t, (ref) => zip.openReadStreamPromise(ref));
    },
    close: () => zip.close(),
  };
}

export async function openDump(location: string): Promise<LegacyDump> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    throw invalid(location, 'no such folder or file');
  }
  if (stat.isDirectory()) return folderDump(location);
  return zipDump(location);
}

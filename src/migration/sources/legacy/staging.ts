/**
 * The staging database of one migration run: every legacy table of the dump, checked
 * value by value and loaded into a private SQLite file, so that the conversion can walk
 * the tree, resolve memberships and read each room's messages in chat id order with
 * memory bounded whatever the size of the dump (tblChat may come in any order). The file
 * lives in a temporary folder and is removed when the run ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { AppError } from '../../../domain/errors.js';
import type { Progress } from '../../../archive/progress.js';
import { CsvError } from './csv.js';
import { tableRecords } from './table-reader.js';
import { TABLE_FILE_FORMS, type DumpTable, type LegacyDump } from './dump.js';
import { parseCultureTime, type DateOrder } from './culture-dates.js';
import { HIERARCHICAL_COLUMNS, TABLES, type ColumnSpec, type TableSpec } from './tables.js';
import { parseLegacyTime } from './ticks.js';

export type DumpShape = 'hierarchical' | 'flat';

const BATCH = 5_000;
const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

const DEFAULT_MAX_PROBLEMS = 100;

/** The problems of one load, each with its file and line; refused together at the end. */
class ProblemList {
  private readonly items: string[] = [];
  private dropped = 0;

  constructor(private readonly max: number) {}

  add(problem: string): void {
    if (this.items.length < this.max) this.items.push(problem);
    else this.dropped += 1;
  }

  /** Reading stops once the limit is reached (more would only repeat what to fix). */
  get full(): boolean {
    return this.items.length >= this.max;
  }

  /** Whether a problem names this file already. */
  has(file: string): boolean {
    return this.items.some((p) => p.startsWith(`${file}:`));
  }

  throwIfAny(): void {
    if (this.items.length === 0) return;
    const more = this.full ? ` (reading stopped after ${this.max}${this.dropped > 0 ? `, ${this.dropped} more not listed` : ''}: fix these and run again)` : '';
    const message = this.items.length === 1 ? this.items[0]! : `${this.items.length} problems in the dump${more}; the first: ${this.items[0]!}`;
    throw new AppError('MIGRATION_INVALID', message, { problems: [...this.items] });
  }
}

/** Staging columns of a spec column: a time keeps milliseconds and the ticks within one. */
const stagingColumns = (c: ColumnSpec): string[] => (c.type === 'time' ? [c.name, `${c.name}Ticks`] : [c.name]);

function createTable(db: Database.Database, spec: TableSpec): void {
  const columns = spec.columns.flatMap((c) => stagingColumns(c).map((n) => `"${n}" ${c.type === 'text' || c.type === 'guid' ? 'TEXT' : 'INTEGER'}`));
  db.exec(`CREATE TABLE "${spec.table}" (${columns.join(', ')}, "_line" INTEGER NOT NULL, PRIMARY KEY (${spec.key.map((k) => `"${k}"`).join(', ')})) WITHOUT ROWID`);
}

/** How a dump's values are read beyond its own bytes: `--encoding` and `--culture`. */
export interface ReadOptions {
  /** Problems collected before the dump is refused (default 100). */
  maxProblems?: number;
  encoding?: string;
  /** Day/month order of culture-formatted date-times (Export-Csv's `datetime` columns). */
  dateOrder?: DateOrder;
}

/** One field turned into its staging value(s); throws a message (without place) when wrong. */
function convert(c: ColumnSpec, raw: string | null, read: ReadOptions): (string | number | null)[] {
  if (raw === null) {
    if (c.notNull === true) throw new Error(`${c.name} is empty`);
    return c.type === 'time' ? [null, null] : [null];
  }
  switch (c.type) {
    case 'text':
      return [raw];
    case 'int': {
      const text = raw.trim();
      const n = Number(text);
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) throw new Error(`${c.name} '${raw.slice(0, 40)}' is not a whole number`);
      return [n];
    }
    case 'bit': {
      const v = raw.trim().toLowerCase();
      if (v === '1' || v === 'true') return [1];
      if (v === '0' || v === 'false') return [0];
      throw new Error(`${c.name} '${raw.slice(0, 40)}' is not 0, 1, True or False`);
    }
    case 'guid': {
      const m = GUID.exec(raw.trim());
      if (m === null) throw new Error(`${c.name} '${raw.slice(0, 40)}' is not a GUID`);
      return [m[1]!.toLowerCase()];
    }
    case 'time': {
      const t = parseLegacyTime(raw) ?? parseCultureTime(raw, read.dateOrder);
      if (t === 'ambiguous') {
        throw new Error(`${c.name} '${raw.slice(0, 40)}' could be day-first or month-first: give the culture that wrote the dump with --culture (en-US: month first; en-GB, de-DE, fr-FR: day first)`);
      }
      if (t === undefined) {
        throw new Error(
          `${c.name} '${raw.slice(0, 40)}' is neither .NET ticks, an ISO 8601 time nor a date-time of ${read.dateOrder === undefined ? 'a culture' : `the culture given (${read.dateOrder})`} after 1970`,
        );
      }
      return [t.ms, t.ticks];
    }
  }
}

/** Counts the bytes a stream passes on (for the progress estimate). */
function counting(stream: Readable, onBytes: (n: number) => void): Readable {
  return stream.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        onBytes(chunk.length);
        done(null, chunk);
      },
    }),
  );
}

export class Staging {
  private constructor(
    readonly dir: string,
    readonly db: Database.Database,
  ) {}

  shape: DumpShape = 'flat';
  /** Rows loaded per table. */
  readonly rows: Record<string, number> = {};
  /** Columns each table's header named (by spec name). */
  readonly present: Record<string, Set<string>> = {};
  /** The file each table was read from, as the dump names it (for findings that point at a line). */
  readonly files: Record<string, string> = {};
  /** How files were read where it is worth saying (no header row, a format file, sqlcmd output): for the report. */
  readonly notes: string[] = [];

  static create(): Staging {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-migrate-'));
    const db = new Database(path.join(dir, 'staging.sqlite'));
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    // A small page cache: the operating system caches the file anyway, and a larger one
    // only grows the process (64 MiB cost 65 MiB of RSS and a quarter of the speed at 1M messages).
    db.pragma('cache_size = -8192');
    db.pragma('temp_store = FILE');
    for (const spec of TABLES) createTable(db, spec);
    return new Staging(dir, db);
  }

  /**
   * Loads every table of the dump. Every problem is collected — a missing table, a bad
   * header, each bad row (skipped, the rest read on), a file that cannot be read on (the
   * other files still are) — up to `read.maxProblems` (default 100), then the dump is
   * refused once with all of them, each with its file and line: one run shows what to fix.
   */
  async load(dump: LegacyDump, progress: Progress, alsoOptional: readonly string[] = [], read: ReadOptions = {}): Promise<void> {
    const problems = new ProblemList(read.maxProblems ?? DEFAULT_MAX_PROBLEMS);
    const missing = TABLES.filter((t) => t.optional !== true && !alsoOptional.includes(t.table) && dump.table(t.table) === undefined).map((t) => t.table);
    if (missing.length > 0) {
      const shown = dump.files.slice(0, 20).join(', ') + (dump.files.length > 20 ? `, and ${dump.files.length - 20} more` : '');
      problems.add(
        `${dump.location}: the dump lacks ${missing.map((t) => `${t}.csv`).join(', ')} (one file per table, named ${TABLE_FILE_FORMS}); ${dump.files.length === 0 ? 'it holds no files' : `it holds: ${shown}`}`,
      );
    }
    for (const spec of TABLES) {
      const table = dump.table(spec.table);
      this.rows[spec.table] = 0;
      this.present[spec.table] = new Set();
      if (table !== undefined && !problems.full) await this.loadTable(spec, table, progress, read, problems);
    }
    problems.throwIfAny();
    const nodeColumns = this.present.tblNode!;
    this.shape = HIERARCHICAL_COLUMNS.some((c) => nodeColumns.has(c)) ? 'hierarchical' : 'flat';
  }

  private async loadTable(spec: TableSpec, table: DumpTable, progress: Progress, read: ReadOptions, problems: ProblemList): Promise<void> {
    this.files[spec.table] = table.file;
    const stream = await table.open();
    let bytes = 0;
    const size = (stream as Readable & { path?: string }).path === undefined ? undefined : fs.statSync((stream as unknown as { path: string }).path).size;
    progress.phase(`${table.file} rows`);
    /** For each spec column, the field of a record that holds it (-1: not in the dump). */
    let fieldOf: number[] | undefined;
    let width = 0;
    let namedBy = 'the header names';
    const insert = this.db.prepare(
      `INSERT INTO "${spec.table}" (${[...spec.columns.flatMap(stagingColumns), '_line'].map((n) => `"${n}"`).join(', ')}) VALUES (${[...spec.columns.flatMap(stagingColumns), '_line'].map(() => '?').join(', ')})`,
    );
    let batch: (string | number | null)[][] = [];
    const flush = this.db.transaction((rows: (string | number | null)[][]) => {
      for (const row of rows) {
        try {
          insert.run(row);
        } catch (err) {
          if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') === true) {
            const at = row[row.length - 1];
            problems.add(`${table.file}:${at}: a second row for ${spec.key.join(', ')} ${spec.key.map((k) => row[spec.columns.flatMap(stagingColumns).indexOf(k)]).join(', ')}`);
            continue;
          }
          throw err;
        }
      }
    });
    let count = 0;
    try {
      for await (const record of tableRecords(spec, table, counting(stream, (n) => (bytes += n)), read.encoding)) {
        if (fieldOf === undefined) {
          const header = this.readHeader(spec, table, record.fields, problems);
          if (header === undefined) return;
          if (record.note !== undefined) this.notes.push(record.note);
          fieldOf = spec.columns.map((_, i) => header.indexOf(i));
          width = header.length;
          if (record.columns === 'documented order') namedBy = 'the documented column order has';
          continue;
        }
        if (problems.full) break;
        if (record.problem !== undefined) {
          problems.add(`${table.file}:${record.line}: ${record.problem}`);
          continue;
        }
        if (record.fields.length !== width) {
          problems.add(`${table.file}:${record.line}: ${record.fields.length} fields where ${namedBy} ${width}`);
          continue;
        }
        const row: (string | number | null)[] = [];
        let bad = false;
        for (let i = 0; i < spec.columns.length && !bad; i++) {
          const at = fieldOf[i]!;
          try {
            const column = spec.columns[i]!;
            const raw = at < 0 ? null : record.fields[at]!;
            row.push(...convert(column, raw === null && column.textNotNull === true && record.bareNull?.includes(at) === true ? 'NULL' : raw, read));
          } catch (err) {
            problems.add(`${table.file}:${record.line}: ${(err as Error).message}`);
            bad = true;
          }
        }
        if (bad) continue;
        row.push(record.line);
        batch.push(row);
        if (batch.length >= BATCH) {
          flush(batch);
          count += batch.length;
          batch = [];
          progress.add(BATCH);
          if (size !== undefined && bytes > 0) progress.total?.(Math.round((count * size) / bytes));
        }
      }
    } catch (err) {
      // The file cannot be read on (an unclosed quote, bad bytes): its problem is kept, the other files are read.
      if (!(err instanceof CsvError)) throw err;
      problems.add(err.message);
    } finally {
      stream.destroy();
    }
    // An empty file is a table without rows: Export-Csv, bcp and SSMS write nothing at all for one.
    if (fieldOf === undefined) return;
    flush(batch);
    count += batch.length;
    progress.add(batch.length);
    this.rows[spec.table] = count;
  }

  /** Maps the header onto the spec: for each field, the spec column it fills (-1: an extra column, ignored); undefined (a problem kept) when it cannot. */
  private readHeader(spec: TableSpec, table: DumpTable, fields: (string | null)[], problems: ProblemList): number[] | undefined {
    const byName = new Map(spec.columns.map((c, i) => [c.name.toLowerCase(), i]));
    const seen = new Set<number>();
    const out: number[] = [];
    for (const f of fields) {
      const i = byName.get((f ?? '').trim().toLowerCase());
      if (i !== undefined && seen.has(i)) {
        problems.add(`${table.file}:1: the header names ${spec.columns[i]!.name} twice`);
        return undefined;
      }
      if (i !== undefined) seen.add(i);
      out.push(i ?? -1);
    }
    const missing = spec.columns.filter((c, i) => c.required === true && !seen.has(i)).map((c) => c.name);
    if (missing.length > 0) {
      problems.add(`${table.file}:1: the header lacks ${missing.join(', ')} (found: ${fields.map((f) => f ?? '').join(', ')})`);
      return undefined;
    }
    for (const i of seen) this.present[spec.table]!.add(spec.columns[i]!.name);
    return out;
  }

  close(): void {
    this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

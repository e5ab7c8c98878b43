/**
 * Files as `bcp out -c` / `-w` writes them: each field ends with its terminator (by
 * default a tab, the last one a line break; any string with `-t`/`-r` or a format file),
 * nothing is quoted, NULL is an empty field and an empty string one NUL character.
 *
 * Fields are read in order, each up to its own terminator, so a line break inside a text
 * that is not the last column is read whole. Two things bcp cannot tell from its
 * terminators are caught rather than mangled:
 * - a text in the **last** column holding the row terminator (a message with a line break
 *   in Lync 2010's tblChat, whose last column is `content`): the next record would start
 *   with the rest of that text, so the first field of a record (never a text in the legacy
 *   tables) holding the row terminator is given back to the record before;
 * - a text holding the **field** terminator: the record's last field then holds it too,
 *   and the record is reported with the fix (dump with terminators that never occur).
 */
import { CsvError, type CsvRecord } from './csv.js';

export interface TerminatedOptions {
  file: string;
  /** The terminator of each field, in order; the last ends the record. */
  terminators: readonly string[];
  maxRecord?: number;
}

const DEFAULT_MAX_RECORD = 8 * 1024 * 1024;

const lineBreaks = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/** How a terminator is shown in a message: `\t`, `\r\n`, `|~|`. */
export const showTerminator = (t: string): string => JSON.stringify(t).slice(1, -1);

/** bcp's value of a field: empty is NULL, one NUL character the empty string. */
const value = (raw: string): string | null => (raw === '' ? null : raw === '\u0000' ? '' : raw);

export async function* terminatedRecords(source: AsyncIterable<string>, options: TerminatedOptions): AsyncGenerator<CsvRecord> {
  const { file, terminators } = options;
  const n = terminators.length;
  const rowTerminator = terminators[n - 1]!;
  const fieldTerminators = [...new Set(terminators.slice(0, -1))].filter((t) => t !== rowTerminator);
  const maxRecord = options.maxRecord ?? DEFAULT_MAX_RECORD;
  let buf = '';
  let pos = 0;
  /** Where to look for the current terminator from (what was searched already is not searched again). */
  let scanFrom = 0;
  let line = 1;
  let recordLine = 1;
  let recordStart = 0;
  let fields: string[] = [];
  let held: { line: number; fields: string[] } | undefined;

  const finish = (r: { line: number; fields: string[] }): CsvRecord => {
    const last = r.fields[n - 1]!;
    const inLast = fieldTerminators.find((t) => last.includes(t));
    const record: CsvRecord = { line: r.line, fields: r.fields.map(value) };
    if (inLast !== undefined) {
      record.problem = `more fields than the ${n} the layout has: a text holds the field terminator '${showTerminator(inLast)}', which bcp cannot tell from the end of a field — dump this table again with a terminator that never occurs in the text (bcp ... -c -t "|~|" -r "|~~|\\n", with a format file made with the same -t and -r)`;
    }
    return record;
  };

  /** A completed record: held back one, so the next can give back a line break it took. */
  function* complete(record: { line: number; fields: string[] }): Generator<CsvRecord> {
    if (held !== undefined && n > 1) {
      const first = record.fields[0]!;
      const cut = first.lastIndexOf(rowTerminator);
      if (cut >= 0) {
        const back = first.slice(0, cut);
        held.fields[n - 1] += rowTerminator + back;
        record.fields[0] = first.slice(cut + rowTerminator.length);
        record.line += lineBreaks(back) + lineBreaks(rowTerminator);
      }
    }
    if (held !== undefined) yield finish(held);
    held = record;
  }

  for await (const text of source) {
    if (pos > 0) {
      buf = buf.slice(pos);
      scanFrom -= pos;
      recordStart -= pos;
      pos = 0;
    }
    buf += text;
    for (;;) {
      const terminator = terminators[fields.length]!;
      const at = buf.indexOf(terminator, Math.max(pos, scanFrom));
      if (at < 0) {
        scanFrom = Math.max(pos, buf.length - terminator.length + 1);
        if (buf.length - recordStart > maxRecord) throw new CsvError(file, recordLine, `a record longer than ${maxRecord} characters (is the format file's terminator right? this one is '${showTerminator(terminator)}')`);
        break;
      }
      const raw = buf.slice(pos, at);
      fields.push(raw);
      line += lineBreaks(raw) + lineBreaks(terminator);
      pos = at + terminator.length;
      scanFrom = pos;
      if (fields.length === n) {
        yield* complete({ line: recordLine, fields });
        fields = [];
        recordLine = line;
        recordStart = pos;
      }
    }
  }
  let rest = buf.slice(pos);
  if (fields.length === 0 && held !== undefined && n > 1 && rest !== '') {
    // The rest of a last-column text with line breaks, in the file's last record.
    const text = rest.endsWith(rowTerminator) ? rest.slice(0, -rowTerminator.length) : rest;
    if (!terminators.slice(0, -1).some((t) => text.includes(t))) {
      held.fields[n - 1] += rowTerminator + text;
      rest = '';
    }
  }
  if (fields.length === n - 1 && (rest !== '' || n === 1)) {
    // The last record without its row terminator.
    fields.push(rest);
    yield* complete({ line: recordLine, fields });
  } else if (fields.length > 0 || rest.replace(/[\r\n]+$/, '') !== '') {
    if (held !== undefined) yield finish(held);
    held = undefined;
    throw new CsvError(file, recordLine, `the file ends inside a record (${fields.length} of ${n} fields): it was cut short, or its terminators are not the ones expected`);
  }
  if (held !== undefined) yield finish(held);
}

/**
 * The first lines of decoded text (at most `lines`, or what `max` characters hold; each
 * with its `\r` when it has one), and the whole text again to read on from the start.
 */
export async function readHead(source: AsyncIterable<string>, lines: number, max: number): Promise<{ head: string[]; text: AsyncGenerator<string> }> {
  const it = source[Symbol.asyncIterator]();
  let head = '';
  let done = false;
  while (lineBreaks(head) < lines && head.length < max) {
    const next = await it.next();
    if (next.done === true) {
      done = true;
      break;
    }
    head += next.value;
  }
  async function* text(): AsyncGenerator<string> {
    try {
      if (head !== '') yield head;
      while (!done) {
        const next = await it.next();
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      await it.return?.();
    }
  }
  return { head: head.split('\n').slice(0, lines), text: text() };
}

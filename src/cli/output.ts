/**
 * How the CLI presents results: one JSON document with `--json`, otherwise a readable
 * table for lists and a `Name : Value` listing (as PowerShell's Format-List) for one object.
 */
import type { Change, Outcome } from '../actions/context.js';
import { NO_PROGRESS, TerminalProgress, type Progress } from '../archive/progress.js';

export interface Printer {
  json: boolean;
  out(text: string): void;
  err(text: string): void;
}

type Row = Record<string, unknown>;

const label = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(text).join(', ');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function formatObject(row: Row, hide: readonly string[] = ['id', 'guid']): string {
  const keys = Object.keys(row).filter((k) => !hide.includes(k));
  const width = Math.max(...keys.map((k) => label(k).length));
  return keys.map((k) => `${label(k).padEnd(width)} : ${text(row[k])}`).join('\n');
}

export function formatTable(rows: readonly Row[], columns: readonly string[]): string {
  if (rows.length === 0) return '';
  const cells = rows.map((r) => columns.map((c) => text(r[c])));
  const widths = columns.map((c, i) => Math.min(60, Math.max(label(c).length, ...cells.map((row) => (row[i] as string).length))));
  const clip = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (values: string[]) => values.map((v, i) => clip(v, widths[i] as number)).join('  ').trimEnd();
  return [line(columns.map(label)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** A list: table of the given columns (one object: full listing). */
export function printList<T extends object>(p: Printer, rows: readonly T[], columns: readonly (keyof T & string)[]): void {
  if (p.json) return p.out(JSON.stringify(rows, null, 2));
  if (rows.length === 1) return p.out(formatObject(rows[0] as Row));
  if (rows.length > 0) p.out(formatTable(rows as readonly Row[], columns));
}

function describeChange(change: Change): string[] {
  const lines = [`${change.action} ${change.kind} ${change.identity}`];
  for (const [field, { from, to }] of Object.entries(change.details ?? {})) {
    const before = from === undefined ? '' : `${text(from) || '(empty)'} -> `;
    lines.push(`    ${field}: ${before}${text(to) || '(empty)'}`);
  }
  for (const note of change.notes ?? []) lines.push(`    note: ${note}`);
  return lines;
}

/** The result of a change: with --what-if the changes it would make; else the object. */
export function printOutcome<T extends object>(p: Printer, outcome: Outcome<T>): void {
  if (p.json) {
    const body = outcome.whatIf ? { whatIf: true, changes: outcome.changes, result: outcome.result } : outcome.result;
    return p.out(JSON.stringify(body, null, 2));
  }
  if (outcome.whatIf) {
    if (outcome.changes.length === 0) return p.out('What if: nothing would change');
    for (const change of outcome.changes) {
      const [first, ...rest] = describeChange(change);
      p.out([`What if: would ${first}`, ...rest].join('\n'));
    }
    return;
  }
  for (const change of outcome.changes) for (const note of change.notes ?? []) p.err(`note: ${note}`);
  p.out(formatObject(outcome.result as Row));
}

/** A progress line on the terminal for long commands; none with --no-progress, --json or when stderr is not a terminal. */
export function progressFor(opts: Record<string, unknown>, printer: Printer): Progress {
  if (opts.progress === false || printer.json || process.stderr.isTTY !== true) return NO_PROGRESS;
  return new TerminalProgress((text) => process.stderr.write(text));
}

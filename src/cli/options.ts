/**
 * Option parsing shared by the commands: booleans, numbers, list parameters
 * (`--members A,B` replaces, `--add-member X` / `--remove-member X` edit, `--clear-members`
 * empties) and the common `--what-if` / `--json` flags.
 */
import { Option, type Command } from 'commander';
import { buildListEdit, type ListEdit } from '../domain/list-edit.js';
import { AppError, isAppError } from '../domain/errors.js';

/** A command line that cannot be understood: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseBoolean(raw: string | boolean | undefined, what: string): boolean | undefined {
  if (raw === undefined || typeof raw === 'boolean') return raw;
  const text = raw.trim().toLowerCase();
  if (['true', '1', 'yes', '$true', 'on'].includes(text)) return true;
  if (['false', '0', 'no', '$false', 'off'].includes(text)) return false;
  throw new UsageError(`${what} takes true or false (got '${raw}')`);
}

export function parseInteger(raw: string | undefined, what: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`${what} takes a whole number (got '${raw}')`);
  return Number(raw);
}

/** Comma-separated list; empty entries are ignored. DNs keep their commas: split on `;` when present. */
export function parseList(raw: string): string[] {
  const separator = raw.includes(';') || /\b(cn|ou|dc|o)=/i.test(raw) ? ';' : ',';
  return raw
    .split(separator)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the four options of a list parameter, e.g. members / member. */
export function listOptions(cmd: Command, plural: string, singular: string, what: string): Command {
  return cmd
    .option(`--${plural} <list>`, `replace the ${what} (comma-separated; separate DNs with ';')`)
    .option(`--add-${singular} <principal>`, `add to the ${what} (repeatable)`, collect)
    .option(`--remove-${singular} <principal>`, `remove from the ${what} (repeatable)`, collect)
    .option(`--clear-${plural}`, `empty the ${what}`);
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function readListEdit(opts: Record<string, unknown>, plural: string, singular: string): ListEdit | undefined {
  const replace = opts[camel(plural)] as string | undefined;
  try {
    return buildListEdit(plural, {
      ...(replace === undefined ? {} : { replace: parseList(replace) }),
      add: (opts[camel(`add-${singular}`)] as string[] | undefined) ?? [],
      remove: (opts[camel(`remove-${singular}`)] as string[] | undefined) ?? [],
      clear: opts[camel(`clear-${plural}`)] === true,
    });
  } catch (err) {
    if (isAppError(err)) throw new UsageError(err.message);
    throw err;
  }
}

/** `--name value` on a boolean property: `--x`, `--x true`, `--x false`. */
export function booleanOption(flag: string, description: string): Option {
  return new Option(`--${flag} [bool]`, description);
}

export function readBoolean(opts: Record<string, unknown>, flag: string): boolean | undefined {
  return parseBoolean(opts[camel(flag)] as string | boolean | undefined, `--${flag}`);
}

export function whatIfOption(cmd: Command): Command {
  return cmd.option('--what-if', 'show what would change, change nothing');
}

export function requireValue<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  return value;
}

/** An enumeration value on the command line: a bad one is a usage error. */
export function enumValue<T>(raw: string | undefined, parse: (raw: string) => T): T | undefined {
  if (raw === undefined) return undefined;
  try {
    return parse(raw);
  } catch (err) {
    if (err instanceof AppError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * A date on the command line (UTC): `2026-01-31` or an ISO 8601 time. A bare date as an
 * end bound means the whole day (inclusive, as the cmdlets' -EndDate); as a start, its
 * first moment.
 */
export function parseDateOption(raw: string | undefined, flag: string, bound: 'start' | 'end'): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = Date.parse(`${text}T00:00:00Z`);
    if (Number.isNaN(day)) throw new UsageError(`--${flag}: '${raw}' is not a date`);
    return bound === 'start' ? day : day + 86_400_000 - 1;
  }
  const time = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) throw new UsageError(`--${flag} takes a date like 2026-01-31 or 2026-01-31T12:00:00Z (got '${raw}')`);
  return time;
}

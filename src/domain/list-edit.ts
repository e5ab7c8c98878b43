import { AppError } from './errors.js';

/**
 * How a command edits a list property (01 §2.3, 04 "List parameters on set"):
 * replace it, add and remove entries, or clear it.
 */
export type ListEdit<T = string> =
  | { mode: 'replace'; values: readonly T[] }
  | { mode: 'edit'; add: readonly T[]; remove: readonly T[] }
  | { mode: 'clear' };

export function buildListEdit(
  what: string,
  parts: { replace?: readonly string[]; add?: readonly string[]; remove?: readonly string[]; clear?: boolean },
): ListEdit | undefined {
  const hasEdit = (parts.add?.length ?? 0) + (parts.remove?.length ?? 0) > 0;
  const forms = [parts.replace !== undefined, hasEdit, parts.clear === true].filter(Boolean).length;
  if (forms > 1) {
    throw new AppError('INVALID_INPUT', `${what}: replace the list, edit it with add/remove, or clear it — not several at once`);
  }
  if (parts.replace !== undefined) return { mode: 'replace', values: parts.replace };
  if (parts.clear === true) return { mode: 'clear' };
  if (hasEdit) return { mode: 'edit', add: parts.add ?? [], remove: parts.remove ?? [] };
  return undefined;
}

/** Applies an edit to current ids; keeps the current order and appends additions. */
export function applyListEdit<T>(current: readonly T[], edit: ListEdit<T> | undefined): T[] {
  if (edit === undefined) return [...current];
  if (edit.mode === 'clear') return [];
  if (edit.mode === 'replace') return [...new Set(edit.values)];
  const removed = new Set(edit.remove);
  const next = current.filter((v) => !removed.has(v));
  for (const v of edit.add) if (!next.includes(v) && !removed.has(v)) next.push(v);
  return next;
}

export function mapListEdit<T, U>(edit: ListEdit<T>, fn: (v: T) => U): ListEdit<U> {
  if (edit.mode === 'clear') return edit;
  if (edit.mode === 'replace') return { mode: 'replace', values: edit.values.map(fn) };
  return { mode: 'edit', add: edit.add.map(fn), remove: edit.remove.map(fn) };
}

export function listEditValues<T>(edit: ListEdit<T> | undefined): T[] {
  if (edit === undefined || edit.mode === 'clear') return [];
  if (edit.mode === 'replace') return [...edit.values];
  return [...edit.add, ...edit.remove];
}

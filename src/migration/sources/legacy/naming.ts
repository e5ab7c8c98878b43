/**
 * C1/C2 as D3 decides them: the category tree is flattened into top-level categories
 * named by their ancestors' names and their own, joined by the separator (the root's name
 * left out); rooms in first-level categories keep their name, deeper rooms take their
 * category's flattened name as a prefix; rooms directly under the root go to the
 * `--root-category`. A name over 256 characters is an error unless the rename map names
 * the node or `--shorten` truncates it (with `~` and 6 hex digits of a hash of the path).
 */
import { createHash } from 'node:crypto';
import { LIMITS, codePointLength, nameKey, normaliseName } from '../../../domain/names.js';
import { AppError } from '../../../domain/errors.js';
import { csvRecords } from './csv.js';
import type { LegacyTree, ResolvedNode } from './tree.js';
import type { MigrationFindings } from './findings.js';

export interface NamingOptions {
  separator: string;
  rootCategory: string;
  /** Legacy node id or full legacy path → new name. */
  renames: Map<string, string>;
  shorten: boolean;
  /** Two nodes that would get one name: the second is renamed (`(room)`, `(category)`) instead of refused. */
  resolveNameCollisions?: boolean;
}

/** Reads `--rename-map`: CSV rows of (legacy node id or full legacy path, new name), a header optional. */
export async function readRenameMap(file: string, source: AsyncIterable<Buffer>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const record of csvRecords(source, { file, delimiter: ',' })) {
    const [from, to] = record.fields;
    if (record.line === 1 && /^(legacy|node|id|path)/i.test(from ?? '') && record.fields.length === 2) continue;
    if (record.fields.length !== 2 || from === null || from === undefined || to === null || to === undefined) {
      throw new AppError('MIGRATION_INVALID', `${file}:${record.line}: expected two fields: legacy node id or full legacy path, new name`);
    }
    if (out.has(from.trim())) throw new AppError('MIGRATION_INVALID', `${file}:${record.line}: ${from} is renamed twice`);
    out.set(from.trim(), to);
  }
  return out;
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 6);

/** Truncates to the limit in code points, keeping room for `~` and the hash. */
function shortened(name: string, path: string): string {
  const points = [...name];
  return `${points.slice(0, LIMITS.nodeName - 7).join('').trimEnd()}~${shortHash(path)}`;
}

export class Naming {
  /** Node id → the Stoa name its category or room gets (undefined: refused). */
  private readonly names = new Map<number, string>();
  private readonly taken = new Map<string, string>();
  readonly rootCategoryName: string;

  constructor(
    private readonly tree: LegacyTree,
    private readonly options: NamingOptions,
    private readonly findings: MigrationFindings,
  ) {
    this.rootCategoryName = options.rootCategory;
  }

  /** Whether the node is a category that becomes a Stoa category (every one but the root). */
  isMigratedCategory(n: ResolvedNode): boolean {
    return n.isCategory && n.id !== this.tree.root.id;
  }

  /** The name a category or room gets, computed once (parents first), or undefined when refused. */
  nameOf(n: ResolvedNode): string | undefined {
    if (this.names.has(n.id)) return this.names.get(n.id);
    const parent = this.tree.parent(n)!;
    let proposed: string;
    if (n.isCategory) {
      const prefix = parent.id === this.tree.root.id ? undefined : this.nameOf(parent);
      proposed = prefix === undefined ? n.name : `${prefix}${this.options.separator}${n.name}`;
      if (parent.id !== this.tree.root.id && prefix === undefined) return undefined;
    } else {
      const firstLevel = parent.id === this.tree.root.id || this.tree.parent(parent)!.id === this.tree.root.id;
      if (firstLevel) proposed = n.name;
      else {
        const prefix = this.nameOf(parent);
        if (prefix === undefined) return undefined;
        proposed = `${prefix}${this.options.separator}${n.name}`;
      }
    }
    let name = this.finalName(n, proposed);
    if (name !== undefined) {
      const other = this.taken.get(nameKey(name));
      if (other !== undefined) {
        const resolved = this.collisionFree(n, name);
        if (this.options.resolveNameCollisions !== true || resolved === undefined) {
          const row = resolved === undefined ? '' : `; add the row ${csvRow(String(n.id), resolved)} to --rename-map, or run with --resolve-name-collisions`;
          this.findings.add({ rule: 'C2', severity: 'error', node: n, message: `becomes '${name}', the name ${other} also gets${row || '; give one of them another name with --rename-map'}` });
          this.names.set(n.id, undefined as unknown as string);
          return undefined;
        }
        this.findings.add({ rule: 'C2', severity: 'warning', node: n, message: `becomes '${resolved}': '${name}' is the name ${other} also gets (--resolve-name-collisions)` });
        name = resolved;
      }
      this.taken.set(nameKey(name), `${n.path} (${n.id})`);
    }
    this.names.set(n.id, name as string);
    return name;
  }

  /**
   * The name a colliding node gets with --resolve-name-collisions, the same on every run:
   * its name with ` (room)` or ` (category)`, else with its legacy id too; undefined when
   * even that is taken or too long.
   */
  private collisionFree(n: ResolvedNode, name: string): string | undefined {
    const kind = n.isCategory ? 'category' : 'room';
    for (const candidate of [`${name} (${kind})`, `${name} (${kind} ${n.id})`]) {
      if (codePointLength(candidate) <= LIMITS.nodeName && !this.taken.has(nameKey(candidate))) return candidate;
    }
    return undefined;
  }

  /** Claims the root category's name (before any node is named, so a clash is the node's). */
  claimRootCategory(): void {
    this.taken.set(nameKey(this.options.rootCategory), `--root-category '${this.options.rootCategory}'`);
  }

  private finalName(n: ResolvedNode, proposed: string): string | undefined {
    const renamed = this.options.renames.get(String(n.id)) ?? this.options.renames.get(n.path);
    let name = renamed ?? proposed;
    if (renamed !== undefined) this.findings.add({ rule: 'C2', severity: 'info', node: n, message: `renamed by the rename map: '${proposed}' → '${renamed}'` });
    else if (name !== n.name) this.findings.add({ rule: n.isCategory ? 'C1' : 'C2', severity: 'info', node: n, message: `'${n.name}' becomes '${name}'` });
    const length = codePointLength(name.normalize('NFC').trim());
    if (length > LIMITS.nodeName) {
      if (!this.options.shorten || renamed !== undefined) {
        this.findings.add({ rule: 'C2', severity: 'error', node: n, message: `'${name}' is ${length} characters long (limit ${LIMITS.nodeName}): name it in --rename-map or use --shorten` });
        return undefined;
      }
      const short = shortened(name.normalize('NFC').trim(), n.path);
      this.findings.add({ rule: 'C2', severity: 'info', node: n, message: `shortened to '${short}' (${length} characters)` });
      name = short;
    }
    try {
      return normaliseName(name, n.isCategory ? 'category' : 'room');
    } catch (err) {
      this.findings.add({ rule: 'C2', severity: 'error', node: n, message: `'${name}' cannot be a name: ${(err as Error).message}; name it in --rename-map` });
      return undefined;
    }
  }
}

/** A CSV row as the rename map reads it (fields quoted where they need it). */
function csvRow(...fields: string[]): string {
  return fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

/**
 * What the conversion found (C10, D3): every error, warning, rename, drop and conversion,
 * with the rule that caused it, the legacy id and the full legacy path. Kept bounded: a
 * rule lists its first findings and counts the rest.
 */

export type MigrationSeverity = 'error' | 'warning' | 'info';

export interface MigrationFinding {
  /** C1–C20, or `input` for what the dump itself holds. */
  rule: string;
  severity: MigrationSeverity;
  /** `node 12`, `principal 40`, `message 12/3051`. */
  legacyId: string;
  /** `/Engineering/Platform/BuildStatus`, a SIP address, or empty. */
  legacyPath: string;
  message: string;
}

interface NodeLike {
  id: number;
  path: string;
}

export interface FindingInput {
  rule: string;
  severity: MigrationSeverity;
  message: string;
  node?: NodeLike;
  legacyId?: string;
  legacyPath?: string;
}

/** Findings listed per rule and severity; beyond, only counted. */
const LISTED = 5_000;

export class MigrationFindings {
  readonly listed: MigrationFinding[] = [];
  /** `rule/severity` → findings not listed. */
  readonly omitted: Record<string, number> = {};
  private readonly perGroup = new Map<string, number>();
  readonly totals: Record<MigrationSeverity, number> = { error: 0, warning: 0, info: 0 };

  add(input: FindingInput): void {
    this.totals[input.severity]++;
    const group = `${input.rule}/${input.severity}`;
    const n = (this.perGroup.get(group) ?? 0) + 1;
    this.perGroup.set(group, n);
    if (n > LISTED) {
      this.omitted[group] = (this.omitted[group] ?? 0) + 1;
      return;
    }
    this.listed.push({
      rule: input.rule,
      severity: input.severity,
      legacyId: input.legacyId ?? (input.node === undefined ? '' : `node ${input.node.id}`),
      legacyPath: input.legacyPath ?? input.node?.path ?? '',
      message: input.message,
    });
  }

  get errors(): number {
    return this.totals.error;
  }
}

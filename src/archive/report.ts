/**
 * What an import did or would do (C10, D4): counts per object kind, then every conflict,
 * warning and error. Written as HTML for a person and JSON beside it for a program.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Manifest } from './container.js';

export type Severity = 'error' | 'conflict' | 'warning';

export interface Finding {
  severity: Severity;
  /** Object kind (`rooms`, `messages` ...). */
  kind: string;
  /** The object as an administrator names it (room name, principal key, entry:line ...). */
  object: string;
  message: string;
  /** What the import does about it (conflicts: the --on-conflict resolution). */
  resolution?: string;
  /** Where a migrated object comes from in the legacy dump (`tblNode.csv:14 (node 12, /Team/Builds)`). */
  legacy?: string;
}

export interface KindCounts {
  inArchive: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  renamed: number;
}

export interface ImportReport {
  file: string;
  manifest: Pick<Manifest, 'format' | 'version' | 'levels' | 'counts' | 'source' | 'createdAt' | 'options'>;
  whatIf: boolean;
  onConflict: string;
  startedAt: string;
  finishedAt: string;
  /** `completed`, `what-if`, or `refused` (errors, or conflicts under --on-conflict fail: nothing changed). */
  outcome: 'completed' | 'what-if' | 'refused';
  counts: Record<string, KindCounts>;
  findings: Finding[];
  /** Findings beyond what the report lists (kept bounded), by severity. */
  omitted: Record<Severity, number>;
}

export const emptyCounts = (): KindCounts => ({ inArchive: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, renamed: 0 });

export const esc = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** An HTML page around report sections. */
export function reportPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:sans-serif;margin:1.5em;max-width:80em;line-height:1.35}
table{border-collapse:collapse;margin-bottom:1em}
table.list{width:100%}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.n{text-align:right}
code{overflow-wrap:anywhere}
table.blocking{border:2px solid #b00020}
table.blocking th{background:#fde7ea}
table.blocking td:first-child{width:28%;font-family:monospace}
p.headline{font-size:1.1em}
p.headline strong.bad{color:#b00020}
</style>
</head><body>
${body}
</body></html>
`;
}

/** The import's counts and findings, as sections of a page (`level` is the heading level). */
export function importSections(report: ImportReport, level = 2): string {
  const h = (text: string) => `<h${level}>${text}</h${level}>`;
  const rows = Object.entries(report.counts)
    .map(([kind, c]) => `<tr><td>${esc(kind)}</td>${[c.inArchive, c.created, c.updated, c.unchanged, c.renamed, c.skipped].map((n) => `<td class="n">${n}</td>`).join('')}</tr>`)
    .join('\n');
  const section = (severity: Severity, title: string) => {
    const items = report.findings.filter((f) => f.severity === severity);
    const more = report.omitted[severity] > 0 ? `<p>… and ${report.omitted[severity]} more (not listed)</p>` : '';
    if (items.length === 0) return `${h(title)}<p>None.</p>${more}`;
    const legacy = items.some((f) => f.legacy !== undefined);
    const body = items
      .map((f) => `<tr><td>${esc(f.kind)}</td><td>${esc(f.object)}</td>${legacy ? `<td>${esc(f.legacy ?? '')}</td>` : ''}<td>${esc(f.message)}</td><td>${esc(f.resolution ?? '')}</td></tr>`)
      .join('\n');
    return `${h(`${title} (${items.length})`)}<table class="list"><tr><th>Kind</th><th>Object</th>${legacy ? '<th>Legacy source</th>' : ''}<th>What</th><th>Resolution</th></tr>\n${body}</table>${more}`;
  };
  return `${h('Counts')}
<table><tr><th>Kind</th><th>In archive</th><th>Created</th><th>Updated</th><th>Unchanged</th><th>Renamed</th><th>Skipped</th></tr>
${rows}</table>
${section('error', 'Errors')}
${section('conflict', 'Conflicts')}
${section('warning', 'Warnings')}`;
}

export function reportHtml(report: ImportReport): string {
  const m = report.manifest;
  return reportPage(
    'Stoa import report',
    `<h1>Stoa import report: ${esc(report.outcome)}</h1>
<p>Archive <code>${esc(report.file)}</code> (format ${esc(m.format)} version ${m.version}, levels ${esc(m.levels.join(', '))}, from pool ${esc(m.source.pool)}, made ${esc(m.createdAt)}).</p>
<p>${report.whatIf ? 'What-if run: nothing was changed.' : report.outcome === 'refused' ? 'Refused: nothing was changed.' : 'Imported.'} On conflict: ${esc(report.onConflict)}. Started ${esc(report.startedAt)}, finished ${esc(report.finishedAt)}.</p>
${importSections(report)}`,
  );
}

/** Writes `file` (HTML) and `file.json`, each complete or not at all. */
export function writeReportFiles(file: string, html: string, data: unknown): string[] {
  const target = path.resolve(file);
  const json = `${target}.json`;
  for (const [to, text] of [
    [target, html],
    [json, `${JSON.stringify(data, null, 2)}\n`],
  ] as const) {
    const temp = `${to}.${process.pid}.tmp`;
    fs.writeFileSync(temp, text, { mode: 0o600 });
    fs.renameSync(temp, to);
  }
  return [target, json];
}

export const writeReport = (file: string, report: ImportReport): string[] => writeReportFiles(file, reportHtml(report), report);

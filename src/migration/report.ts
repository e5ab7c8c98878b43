/**
 * The migration report (C10, D3): counts per object kind, then every error, warning and
 * conversion grouped by rule with the legacy id and full legacy path, then what the
 * importer did, then the cut-over steps left to the administrator. HTML for a person,
 * the same as JSON beside it for a program.
 */
import { esc, importSections, reportPage, writeReportFiles } from '../archive/report.js';
import type { MigrationFinding } from './sources/legacy/findings.js';
import type { MigrationReport } from './legacy.js';

/** What each rule is about, for the report's headings (spec 02 §4, D3). */
export const RULES: Record<string, string> = {
  input: 'What the dump holds',
  C1: 'C1 Flattened categories',
  C2: 'C2 Room names, prefixes and the 256-character limit',
  C3: 'C3 Managers of the root and of categories',
  C4: 'C4 Invitations',
  C5: 'C5 Disabled rooms',
  C6: 'C6 Federated principals',
  C7: 'C7 Start date',
  C8: 'C8 Files',
  C11: 'C11 File upload and chat history per room',
  C12: 'C12 Topics',
  C13: 'C13 Scope → allowed members',
  C14: 'C14 Room members',
  C15: 'C15 Creators',
  C16: 'C16 Visibility → privacy',
  C17: 'C17 Behaviour, presenters, add-ins',
  C18: 'C18 Administrators',
  C20: 'C20 Unavailable principals',
  XML: 'History from compliance XML',
};

const ruleOrder = (rule: string) => (rule === 'input' ? -1 : rule === 'XML' ? 100 : Number(rule.slice(1)));

function findingsHtml(report: MigrationReport): string {
  const byRule = new Map<string, MigrationFinding[]>();
  for (const f of report.findings) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f]);
  const rules = [...new Set([...byRule.keys(), ...Object.keys(report.omitted).map((k) => k.split('/')[0]!)])].sort((a, b) => ruleOrder(a) - ruleOrder(b));
  if (rules.length === 0) return '<p>No conversion needed a note.</p>';
  return rules
    .map((rule) => {
      const items = (byRule.get(rule) ?? []).sort((a, b) => ['error', 'warning', 'info'].indexOf(a.severity) - ['error', 'warning', 'info'].indexOf(b.severity));
      const more = Object.entries(report.omitted)
        .filter(([k]) => k.startsWith(`${rule}/`))
        .map(([k, n]) => `<p>… and ${n} more ${esc(k.split('/')[1]!)} finding(s) of this rule (not listed)</p>`)
        .join('');
      const rows = items.map((f) => `<tr><td>${esc(f.severity)}</td><td>${esc(f.legacyId)}</td><td>${esc(f.legacyPath)}</td><td>${esc(f.message)}</td></tr>`).join('\n');
      return `<h3>${esc(RULES[rule] ?? rule)} (${items.length})</h3><table class="list"><tr><th>Severity</th><th>Legacy id</th><th>Legacy path</th><th>What</th></tr>\n${rows}</table>${more}`;
    })
    .join('\n');
}

export function migrationReportHtml(report: MigrationReport): string {
  const counts = Object.entries(report.rows)
    .map(([table, n]) => `<tr><td>${esc(table)}</td><td class="n">${n}</td></tr>`)
    .join('\n');
  const converted = Object.entries(report.converted)
    .map(([kind, n]) => `<tr><td>${esc(kind)}</td><td class="n">${n}</td></tr>`)
    .join('\n');
  const refused = report.outcome === 'refused';
  const state = refused ? 'Refused: nothing was changed.' : report.whatIf ? 'What-if run: nothing was changed.' : 'Migrated.';
  // The importer's refusals count in the headline too (it once said 0 above and 9 below).
  const importErrors = (report.import?.findings.filter((f) => f.severity === 'error').length ?? 0) + (report.import?.omitted.error ?? 0);
  const failedConflicts = refused && report.import?.onConflict === 'fail' ? report.import.findings.filter((f) => f.severity === 'conflict') : [];
  const blocking = [
    ...report.findings.filter((f) => f.severity === 'error').map((f) => ({ where: f.legacyId || f.legacyPath, what: f.message })),
    ...(refused ? (report.import?.findings ?? []) : [])
      .filter((f) => f.severity === 'error' || failedConflicts.includes(f))
      .map((f) => ({
        where: f.legacy ?? `${f.kind}: ${f.object}`,
        what: f.severity === 'conflict' ? `${f.object}: ${f.message} — refused under --on-conflict fail: run again with --on-conflict rename, overwrite or skip, or give it another name with --rename-map` : `${f.object}: ${f.message}`,
      })),
  ];
  const errors = report.totals.error + importErrors;
  return reportPage(
    'Stoa migration report',
    `<h1>Stoa migration report: ${esc(report.outcome)}</h1>
<p class="headline">${refused ? '<strong class="bad">' : '<strong>'}${esc(state)}</strong> ${errors} error(s)${failedConflicts.length > 0 ? `, ${failedConflicts.length} conflict(s) refused (--on-conflict fail)` : ''}, ${report.totals.warning} warning(s), ${report.totals.info} conversion note(s).</p>
${
  refused && blocking.length > 0
    ? `<h2>What to fix first</h2><table class="list blocking"><tr><th>Where</th><th>Problem and fix</th></tr>
${blocking.map((b) => `<tr><td>${esc(b.where)}</td><td>${esc(b.what)}</td></tr>`).join('\n')}</table>`
    : ''
}
<p>Legacy dump <code>${esc(report.source)}</code> (${esc(report.shape ?? 'unread')} shape). Started ${esc(report.startedAt)}, finished ${esc(report.finishedAt)}.</p>
<h2>Legacy rows read</h2><table><tr><th>Table</th><th>Rows</th></tr>
${counts}</table>
${refused ? '' : `<h2>Stoa objects produced</h2><table><tr><th>Kind</th><th>Objects</th></tr>\n${converted}</table>`}
<h2>Conversions, by rule</h2>
${findingsHtml(report)}
<h2>Import</h2>
${report.import === undefined ? '<p>Not attempted: the dump could not be read or its conversion has errors.</p>' : importSections(report.import, 3)}
${refused ? '' : `<h2>What is left to cut over</h2>\n<ol>${report.cutover.map((s) => `<li>${esc(s)}</li>`).join('')}</ol>`}`,
  );
}

export const writeMigrationReport = (file: string, report: MigrationReport): string[] => writeReportFiles(file, migrationReportHtml(report), report);

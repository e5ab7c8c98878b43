/**
 * The report of a directory sync: what it read, every change it made (or would make, with
 * --what-if), the scopes and roles a group gone from the directory left, and the entries
 * it left out — HTML for a person, the same as JSON beside it for a program.
 */
import { esc, reportPage, writeReportFiles } from '../archive/report.js';
import type { SyncReport } from './sync.js';

export function syncReportHtml(r: SyncReport): string {
  const counts = Object.entries(r.counts)
    .map(([kind, c]) => `<tr><td>${esc(kind)}</td>${[c.read, c.created, c.adopted, c.updated, c.unchanged, c.disabled, c.removed].map((n) => `<td class="n">${n}</td>`).join('')}</tr>`)
    .join('\n');
  const changes = r.changes.map((c) => `<tr><td>${esc(c.action)}</td><td>${esc(c.kind)}</td><td>${esc(c.key)}</td><td>${esc(c.details)}</td></tr>`).join('\n');
  const removals = r.removals.map((x) => `<tr><td>${esc(x.principal)}</td><td>${esc(x.on)}</td><td>${esc(x.name)}</td><td>${esc(x.list)}</td></tr>`).join('\n');
  return reportPage(
    'Stoa directory sync',
    `<h1>Stoa directory sync: ${esc(r.mode)} pass of ${esc(r.source)}</h1>
<p class="headline"><strong>${r.whatIf ? 'What-if run: nothing was changed.' : 'Synced.'}</strong> ${r.changes.length + r.changesOmitted} change(s), ${r.memberships.added} membership(s) added, ${r.memberships.removed} removed, ${r.problems.length} entr${r.problems.length === 1 ? 'y' : 'ies'} left out. Started ${esc(r.startedAt)}, finished ${esc(r.finishedAt)}.</p>
<h2>Counts</h2><table><tr><th>Kind</th><th>Read</th><th>Created</th><th>Adopted</th><th>Updated</th><th>Unchanged</th><th>Disabled</th><th>Removed</th></tr>
${counts}</table>
<h2>Taken out of scopes, lists and roles (${r.removals.length})</h2>
${r.removals.length === 0 ? '<p>None.</p>' : `<table class="list"><tr><th>Principal</th><th>On</th><th>Name</th><th>List</th></tr>\n${removals}</table>`}
<h2>Changes (${r.changes.length + r.changesOmitted})</h2>
${r.changes.length === 0 ? '<p>None.</p>' : `<table class="list"><tr><th>Action</th><th>Kind</th><th>Principal</th><th>What</th></tr>\n${changes}</table>`}${r.changesOmitted > 0 ? `<p>… and ${r.changesOmitted} more (not listed)</p>` : ''}
<h2>Left out (${r.problems.length})</h2>
${r.problems.length === 0 ? '<p>None.</p>' : `<ul>${r.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`}`,
  );
}

export const writeSyncReport = (file: string, report: SyncReport): string[] => writeReportFiles(file, syncReportHtml(report), report);

/**
 * `stoa directory sync` (D8, docs/directory.md): the organisation's directory read into
 * principals. Run by the server when one runs on this data dir (so connected users are
 * re-checked at once), else on the data dir directly.
 */
import type { Command } from 'commander';
import { withDeployment } from '../context.js';
import { cliEnvironment } from '../environment.js';
import { UsageError } from '../options.js';
import type { SyncReport } from '../../directory/sync.js';
import type { Printer } from '../output.js';

function printSync(printer: Printer, r: SyncReport, files: string[]): void {
  if (printer.json) {
    printer.out(JSON.stringify({ ...r, reportFiles: files }, null, 2));
    return;
  }
  printer.out(`${r.whatIf ? 'what-if: nothing was changed' : 'synced'} (${r.mode} pass of ${r.source})`);
  for (const [kind, c] of Object.entries(r.counts)) {
    printer.out(`  ${kind}: ${c.read} read — ${c.created} created, ${c.adopted} adopted, ${c.updated} updated, ${c.unchanged} unchanged, ${c.disabled} disabled, ${c.removed} removed`);
  }
  printer.out(`  memberships: ${r.memberships.added} added, ${r.memberships.removed} removed`);
  for (const x of r.removals.slice(0, 20)) printer.out(`  ${x.principal} taken out of ${x.on} ${x.name} (${x.list})`);
  if (r.problems.length > 0) {
    printer.out(`${r.problems.length} entr${r.problems.length === 1 ? 'y' : 'ies'} left out:`);
    for (const p of r.problems.slice(0, 20)) printer.out(`  ${p}`);
    if (r.problems.length > 20) printer.out(`  … and ${r.problems.length - 20} more${files.length > 0 ? ` (all in ${files[0]})` : ' (--report lists them all)'}`);
  }
  for (const file of files) printer.out(`report: ${file}`);
}

export function registerDirectory(program: Command): void {
  const directory = program.command('directory').description("the organisation's directory (LDAP / Active Directory)");
  directory
    .command('sync')
    .description('read users, groups and OUs from the directory into principals (incremental unless --full)')
    .option('--full', 'read everything, and find what is gone (leavers are disabled, groups gone removed)')
    .option('--what-if', 'read and plan everything, report it, change nothing')
    .option('--report <file>', 'write an HTML report there (and the same as JSON in <file>.json); not through a running server')
    .action((_opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, runtime, actor, printer, opts }) => {
        const ldap = runtime.config.directory.ldap;
        if (ldap === undefined) throw new UsageError('no directory is configured: add directory.ldap to the configuration file (docs/directory.md)');
        // A running server writes no file a network request names.
        if (opts.report !== undefined && cliEnvironment().inServer !== undefined) {
          throw new UsageError('--report is written by the process that syncs, here the running server: use --json and keep its output, or run the sync with the server stopped');
        }
        // Loaded here: every other command starts without the LDAP client.
        const [{ ldapSource }, { syncDirectory }, { writeSyncReport }] = await Promise.all([import('../../directory/ldap.js'), import('../../directory/sync.js'), import('../../directory/report.js')]);
        const report = await syncDirectory(services, actor, ldapSource(ldap), { full: opts.full === true, whatIf: opts.whatIf === true });
        const files = opts.report === undefined ? [] : writeSyncReport(opts.report as string, report);
        printSync(printer, report, files);
      }),
    );
}

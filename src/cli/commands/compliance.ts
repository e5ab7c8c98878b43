/** `stoa compliance run|status`: write pending compliance output now; see where it stands. */
import type { Command } from 'commander';
import { checkRunCompliance, getComplianceStatus } from '../../actions/compliance.js';
import { withDeployment } from '../context.js';
import { formatObject, formatTable } from '../output.js';

const LISTED_FILES = 20;

export function registerCompliance(program: Command): void {
  const compliance = program.command('compliance').description('compliance output (the capture runs always; see compliance-config)');

  compliance
    .command('run')
    .description('write every pending compliance event now (through the running server when there is one)')
    .action((_opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, runtime, actor, printer }) => {
        const report = await checkRunCompliance(services, actor, runtime.compliance);
        if (printer.json) return printer.out(JSON.stringify(report, null, 2));
        if (!report.ran) return printer.out(`another server holds the compliance lease (${report.holder ?? 'unknown'}) and writes the output`);
        if (report.note !== undefined) printer.err(`note: ${report.note}`);
        printer.out(`${report.events} event(s) in ${report.batches} batch(es), ${report.files.length} file(s)`);
        // A per-room run can write thousands of files: name the first few (--json lists all).
        for (const file of report.files.slice(0, LISTED_FILES)) printer.out(`  ${file}`);
        if (report.files.length > LISTED_FILES) printer.out(`  … and ${report.files.length - LISTED_FILES} more (--json lists them all)`);
      }, { bulk: true }),
    );

  compliance
    .command('status')
    .description('pending events, the lease, the last run and its error, recent batches')
    .action((_opts, cmd: Command) =>
      withDeployment(cmd, async ({ services, runtime, actor, printer }) => {
        const status = await getComplianceStatus(services, actor, runtime.compliance);
        if (printer.json) return printer.out(JSON.stringify(status, null, 2));
        const { recentBatches, ...rest } = status;
        printer.out(formatObject(rest, []));
        if (recentBatches.length > 0) {
          printer.out('');
          printer.out(formatTable(recentBatches.map((b) => ({ ...b, files: b.files.length })), ['id', 'events', 'firstEventId', 'lastEventId', 'writtenAt', 'files']));
        }
      }),
    );
}

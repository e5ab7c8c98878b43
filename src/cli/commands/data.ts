/**
 * `stoa data export|import` (Export-/Import-CsPersistentChatData, D4): the Stoa archive,
 * a pool's data in one zip, for moving a pool, backing it up, and as the loader every
 * migration goes through.
 */
import type { Command } from 'commander';
import { ARCHIVE_LEVELS } from '../../archive/container.js';
import { exportArchive } from '../../archive/export.js';
import { CONFLICT_MODES, importArchive } from '../../archive/import.js';
import { writeReport, type ImportReport } from '../../archive/report.js';
import { parseEnum } from '../../domain/rooms.js';
import { withDeployment } from '../context.js';
import { ForwardedExit } from '../forward.js';
import { enumValue, parseDateOption, parseList, requireValue } from '../options.js';
import { progressFor, type Printer } from '../output.js';

function printImport(printer: Printer, report: ImportReport, files: string[]): void {
  if (printer.json) {
    printer.out(JSON.stringify({ ...report, reportFiles: files }, null, 2));
    return;
  }
  const head = { completed: 'imported', 'what-if': 'what-if: nothing was changed', refused: 'refused: nothing was changed' }[report.outcome];
  printer.out(`${head} (${report.file}, on conflict: ${report.onConflict})`);
  for (const [kind, c] of Object.entries(report.counts)) {
    if (c.inArchive === 0 && c.created + c.updated + c.unchanged + c.skipped + c.renamed === 0) continue;
    printer.out(`  ${kind}: ${c.inArchive} in archive, ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.renamed} renamed, ${c.skipped} skipped`);
  }
  const listed = 20;
  for (const severity of ['error', 'conflict', 'warning'] as const) {
    const items = report.findings.filter((f) => f.severity === severity);
    const total = items.length + report.omitted[severity];
    if (total === 0) continue;
    printer.out(`${total} ${severity}(s):`);
    for (const f of items.slice(0, listed)) printer.out(`  ${f.kind} ${f.object}: ${f.message}${f.resolution === undefined ? '' : ` → ${f.resolution}`}`);
    if (total > listed) printer.out(`  … and ${total - listed} more${files.length > 0 ? ` (all in ${files[0]})` : ' (--report lists them all)'}`);
  }
  for (const file of files) printer.out(`report: ${file}`);
}

export function registerData(program: Command): void {
  const data = program.command('data').description('export and import pool data as a Stoa archive (Export-/Import-CsPersistentChatData)');

  data
    .command('export')
    .description('write the pool (or a level of it) into a Stoa archive (.zip)')
    .option('--file <file>', 'the archive to write (required)')
    .option('--level <level>', `what to export: ${ARCHIVE_LEVELS.join(' | ')} (default All)`)
    .option('--scope <categories>', 'only these categories (comma-separated names), their rooms and content')
    .option('--start-date <date>', 'leave content posted before this date (UTC) behind')
    .option('--disable-exported', 'disable every exported room once the archive is complete (cut-over)')
    .option('--omit-passwords', 'leave password hashes out of the archive')
    .option('--no-progress', 'no progress line on the terminal')
    .action((_opts, cmd: Command) =>
      withDeployment(
        cmd,
        async ({ services, actor, printer, opts }) => {
          const file = requireValue(opts.file as string | undefined, 'file');
          const level = enumValue(opts.level as string | undefined, (raw) => parseEnum(raw, ARCHIVE_LEVELS, '--level')) ?? 'All';
          const startDate = parseDateOption(opts.startDate as string | undefined, 'start-date', 'start');
          const result = await exportArchive(services, actor, {
            file,
            level,
            ...(opts.scope === undefined ? {} : { scope: parseList(opts.scope as string) }),
            ...(startDate === undefined ? {} : { startDate }),
            disableExported: opts.disableExported === true,
            omitPasswords: opts.omitPasswords === true,
            progress: progressFor(opts, printer),
          });
          if (printer.json) return printer.out(JSON.stringify(result, null, 2));
          printer.out(`exported ${result.manifest.levels.join(', ')} to ${result.file}`);
          for (const [kind, n] of Object.entries(result.manifest.counts)) printer.out(`  ${kind}: ${n}`);
          if (result.disabled.length > 0) printer.out(`disabled ${result.disabled.length} room(s)`);
          for (const w of result.warnings) printer.err(`warning: ${w}`);
        },
        { direct: 'stoa data export' },
      ),
    );

  data
    .command('import')
    .description('load a Stoa archive into the pool (objects already here and the same are left alone)')
    .option('--file <file>', 'the archive to read (required)')
    .option('--what-if', 'check everything and report what would happen; change nothing')
    .option('--on-conflict <mode>', `when an object here differs from the archive's: ${CONFLICT_MODES.join(' | ')} (default overwrite)`)
    .option('--report <file>', 'write an HTML report there (and the same as JSON in <file>.json)')
    .option('--no-progress', 'no progress line on the terminal')
    .action((_opts, cmd: Command) =>
      withDeployment(
        cmd,
        async ({ services, actor, printer, opts }) => {
          const file = requireValue(opts.file as string | undefined, 'file');
          const onConflict = enumValue(opts.onConflict as string | undefined, (raw) => parseEnum(raw, CONFLICT_MODES, '--on-conflict')) ?? 'overwrite';
          const report = await importArchive(services, actor, { file, whatIf: opts.whatIf === true, onConflict, progress: progressFor(opts, printer) });
          const files = opts.report === undefined ? [] : writeReport(opts.report as string, report);
          printImport(printer, report, files);
          if (report.outcome === 'refused') throw new ForwardedExit(1);
        },
        { direct: 'stoa data import', bulk: true, relaxedCommits: true },
      ),
    );
}

/**
 * `stoa migrate legacy <dump>` (D3): a legacy Group Chat / Persistent Chat deployment,
 * dumped table by table, converted and loaded into this pool. Run it with --what-if
 * first; run it again with a newer dump until cut-over.
 */
import type { Command } from 'commander';
import { CONFLICT_MODES } from '../../archive/import.js';
import { parseEnum } from '../../domain/rooms.js';
import { DEFAULT_ROOT_CATEGORY, DEFAULT_SEPARATOR, migrateLegacy, type MigrationReport } from '../../migration/legacy.js';
import { RULES, writeMigrationReport } from '../../migration/report.js';
import { withDeployment } from '../context.js';
import { ForwardedExit } from '../forward.js';
import { isAppError } from '../../domain/errors.js';
import { UsageError, enumValue, parseDateOption, parseInteger } from '../options.js';
import { textEncoding } from '../../migration/sources/legacy/csv.js';
import { CULTURE_ORDERS, cultureOrder } from '../../migration/sources/legacy/culture-dates.js';
import { progressFor, type Printer } from '../output.js';

function printMigration(printer: Printer, report: MigrationReport, files: string[]): void {
  if (printer.json) {
    printer.out(JSON.stringify({ ...report, reportFiles: files }, null, 2));
    return;
  }
  const head = { completed: 'migrated', 'what-if': 'what-if: nothing was changed', refused: 'refused: nothing was changed' }[report.outcome];
  printer.out(`${head} (${report.source}, ${report.shape ?? 'unread'} shape)`);
  for (const [kind, n] of Object.entries(report.converted)) {
    const c = report.import?.counts[kind];
    printer.out(`  ${kind}: ${n}${c === undefined ? '' : ` — ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.renamed} renamed, ${c.skipped} skipped`}`);
  }
  const listed = 20;
  for (const severity of ['error', 'warning'] as const) {
    const items = report.findings.filter((f) => f.severity === severity);
    const total = report.totals[severity];
    if (total === 0) continue;
    printer.out(`${total} ${severity}(s):`);
    for (const f of items.slice(0, listed)) printer.out(`  ${f.rule} ${f.legacyId} ${f.legacyPath}: ${f.message}`);
    if (total > listed) printer.out(`  … and ${total - listed} more${files.length > 0 ? ` (all in ${files[0]})` : ' (--report lists them all)'}`);
  }
  const importProblems = (report.import?.findings ?? []).filter((f) => f.severity !== 'warning');
  for (const f of importProblems.slice(0, listed)) printer.out(`  import ${f.severity}: ${f.kind} ${f.object}${f.legacy === undefined ? '' : ` [${f.legacy}]`}: ${f.message}${f.resolution === undefined ? '' : ` → ${f.resolution}`}`);
  printer.out(`${report.totals.info} conversion note(s) by rule (${Object.keys(RULES).length} rules)${files.length > 0 ? ` in ${files[0]}` : ''}`);
  for (const file of files) printer.out(`report: ${file}`);
}

/**
 * A dump refused as unreadable: its report is written where --report asks (the blocking
 * problems first), and several problems are listed each on its own line (stderr) before
 * the one-line reason.
 */
async function listingProblems<T>(printer: Printer, reportFile: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const problems = isAppError(err) ? err.details?.problems : undefined;
    const report = isAppError(err) ? (err.details?.report as MigrationReport | undefined) : undefined;
    if (report !== undefined && reportFile !== undefined) printer.err(`stoa: report written to ${writeMigrationReport(reportFile, report).join(' and ')}`);
    if (Array.isArray(problems) && problems.length > 1 && !printer.json) for (const p of problems) printer.err(`  ${String(p)}`);
    throw err;
  }
}

function positive(raw: string, option: string): number {
  const n = parseInteger(raw, option);
  if (n === undefined || n < 1 || n > 1_000_000) throw new UsageError(`${option} is a whole number from 1 to 1000000`);
  return n;
}

/** `--encoding`: a name the reader knows (TextDecoder labels: windows-1252, latin1, utf-16le, ...). */
function encodingOption(raw: string): string {
  const encoding = textEncoding(raw.trim());
  if (encoding === undefined) throw new UsageError(`--encoding: '${raw}' is not an encoding this Stoa reads (e.g. windows-1252, utf-8, utf-16le, utf-16be)`);
  return encoding;
}

/** `--culture`: one whose date order Stoa knows. */
function cultureOption(raw: string): string {
  if (cultureOrder(raw) === undefined) throw new UsageError(`--culture: '${raw}' is not a culture Stoa knows (${Object.keys(CULTURE_ORDERS).join(', ')})`);
  return raw.trim();
}

export function registerMigrate(program: Command): void {
  const migrate = program.command('migrate').description('bring a legacy Group Chat / Persistent Chat deployment into this pool');
  migrate
    .command('legacy')
    .description('migrate a legacy database dump (a folder or .zip of one CSV per table)')
    .argument('<dump>', 'the dump: a folder or a .zip of tblNode.csv, tblPrincipal.csv, ...')
    .option('--what-if', 'convert and check everything, write the report, change nothing')
    .option('--report <file>', 'write an HTML report there (and the same as JSON in <file>.json)')
    .option('--start-date <date>', 'leave messages posted before this date (UTC) behind')
    .option('--separator <text>', `joins flattened category names (default "${DEFAULT_SEPARATOR}")`)
    .option('--root-category <name>', `the category for rooms directly under the legacy root (default ${DEFAULT_ROOT_CATEGORY})`)
    .option('--rename-map <file>', 'CSV of (legacy node id or full legacy path, new name)')
    .option('--shorten', 'shorten names over 256 characters (with ~ and a hash of the legacy path) instead of refusing them')
    .option('--resolve-name-collisions', "two nodes that get one name (a room named like its category): rename the second with ' (room)' / ' (category)' instead of refusing")
    .option('--include-disabled', 'migrate disabled rooms too (they arrive disabled)')
    .option('--on-conflict <mode>', `when an object here has the same name: ${CONFLICT_MODES.join(' | ')} (default overwrite)`)
    .option('--grant-admins', 'make legacy administrators Stoa administrators')
    .option('--files <dir>', 'the legacy file repository: files linked from messages are copied in (C8)')
    .option('--compliance-xml <dir>', 'compliance XML archives: their chat messages fill gaps in the dumped history')
    .option('--encoding <name>', 'text encoding of files without a byte order mark: windows-1252 (or another code page), utf-16le, ... (default utf-8; utf-16 is detected)')
    .option('--culture <name>', "the culture of the PowerShell session that wrote the dump (en-US, en-GB, de-DE, fr-FR, ...): how its date-times read (default: where day and month cannot be told apart, refused)")
    .option('--max-problems <n>', 'problems of an unreadable dump collected before it is refused, all listed (default 100)')
    .option('--no-progress', 'no progress line on the terminal')
    .action((dump: string, _opts, cmd: Command) =>
      withDeployment(
        cmd,
        async ({ services, actor, printer, opts }) => {
          const onConflict = enumValue(opts.onConflict as string | undefined, (raw) => parseEnum(raw, CONFLICT_MODES, '--on-conflict')) ?? 'overwrite';
          const startDate = parseDateOption(opts.startDate as string | undefined, 'start-date', 'start');
          const report = await listingProblems(printer, opts.report as string | undefined, () => migrateLegacy(services, actor, {
            source: dump,
            whatIf: opts.whatIf === true,
            onConflict,
            ...(startDate === undefined ? {} : { startDate }),
            ...(opts.separator === undefined ? {} : { separator: opts.separator as string }),
            ...(opts.rootCategory === undefined ? {} : { rootCategory: opts.rootCategory as string }),
            ...(opts.renameMap === undefined ? {} : { renameMap: opts.renameMap as string }),
            shorten: opts.shorten === true,
            resolveNameCollisions: opts.resolveNameCollisions === true,
            includeDisabled: opts.includeDisabled === true,
            grantAdmins: opts.grantAdmins === true,
            ...(opts.files === undefined ? {} : { files: opts.files as string }),
            ...(opts.complianceXml === undefined ? {} : { complianceXml: opts.complianceXml as string }),
            ...(opts.encoding === undefined ? {} : { encoding: encodingOption(opts.encoding as string) }),
            ...(opts.culture === undefined ? {} : { culture: cultureOption(opts.culture as string) }),
            ...(opts.maxProblems === undefined ? {} : { maxProblems: positive(opts.maxProblems as string, '--max-problems') }),
            progress: progressFor(opts, printer),
          }));
          const files = opts.report === undefined ? [] : writeMigrationReport(opts.report as string, report);
          printMigration(printer, report, files);
          if (report.outcome === 'refused') throw new ForwardedExit(1);
        },
        { direct: 'stoa migrate legacy', bulk: true, relaxedCommits: true },
      ),
    );
}

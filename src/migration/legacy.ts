/**
 * `stoa migrate legacy` (D3): a Lync 2010 / OCS 2007 R2 Group Chat or Lync 2013 / SfB 2015
 * Persistent Chat dump, staged, converted by the rules of 02 §4 into a Stoa archive and
 * loaded by the one importer — with its what-if, conflict modes and resumption. Every
 * conversion is reported with the rule, the legacy id and the legacy path. Keyed on
 * legacy ids (node guids, SIP addresses, chat ids): running the same dump again changes
 * nothing, a newer dump of the same deployment brings only what is new.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Actor, Services } from '../actions/context.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import { ArchiveWriter } from '../archive/container.js';
import { importArchive, type ConflictMode } from '../archive/import.js';
import { NO_PROGRESS, type Progress } from '../archive/progress.js';
import type { ImportReport } from '../archive/report.js';
import { AppError } from '../domain/errors.js';
import { LegacyConversion } from './sources/legacy/convert.js';
import { openDump } from './sources/legacy/dump.js';
import { FileRepository } from './sources/legacy/files.js';
import { ComplianceXmlSource } from './sources/legacy/compliance-xml.js';
import { MigrationFindings, type MigrationFinding, type MigrationSeverity } from './sources/legacy/findings.js';
import { readRenameMap } from './sources/legacy/naming.js';
import { Staging, type DumpShape, type ReadOptions } from './sources/legacy/staging.js';
import { CULTURE_ORDERS, cultureOrder, type DateOrder } from './sources/legacy/culture-dates.js';

export interface LegacyMigrationOptions {
  /** The dump: a folder or a .zip of table files. */
  source: string;
  whatIf?: boolean;
  onConflict?: ConflictMode;
  startDate?: number;
  separator?: string;
  rootCategory?: string;
  renameMap?: string;
  shorten?: boolean;
  /** Two nodes that would get one name: rename the second deterministically instead of refusing. */
  resolveNameCollisions?: boolean;
  includeDisabled?: boolean;
  grantAdmins?: boolean;
  /** C8: the legacy file repository (or a copy). */
  files?: string;
  /** Compliance XML archives: history added where the dump lacks it (tblChat may then be absent). */
  complianceXml?: string;
  /** The dump's text encoding where a file has no byte order mark (e.g. windows-1252); default UTF-8, UTF-16 detected. */
  encoding?: string;
  /** The culture of the session that wrote the dump (en-US, de-DE, ...): how its date-times read. */
  culture?: string;
  /** Problems collected before an unreadable dump is refused (default 100). */
  maxProblems?: number;
  progress?: Progress;
}

export interface MigrationReport {
  source: string;
  shape: DumpShape | null;
  whatIf: boolean;
  startedAt: string;
  finishedAt: string;
  /** `completed`, `what-if`, or `refused` (conversion errors, or the import refused): nothing changed. */
  outcome: 'completed' | 'what-if' | 'refused';
  /** Rows read per legacy table. */
  rows: Record<string, number>;
  /** Objects the conversion produced per kind. */
  converted: Record<string, number>;
  totals: Record<MigrationSeverity, number>;
  findings: MigrationFinding[];
  /** `rule/severity` → findings counted but not listed. */
  omitted: Record<string, number>;
  /** The importer's report (absent when the conversion itself was refused). */
  import?: ImportReport;
  /** What the administrator still does to cut over (02 §6). */
  cutover: string[];
}

/** --encoding and --culture as the staging reads them; an unknown culture is refused. */
function readOptions(options: LegacyMigrationOptions): ReadOptions {
  let dateOrder: DateOrder | undefined;
  if (options.culture !== undefined) {
    dateOrder = cultureOrder(options.culture);
    if (dateOrder === undefined) throw new AppError('INVALID_VALUE', `--culture: '${options.culture}' is not a culture Stoa knows (${Object.keys(CULTURE_ORDERS).join(', ')})`);
  }
  return {
    ...(options.encoding === undefined ? {} : { encoding: options.encoding }),
    ...(dateOrder === undefined ? {} : { dateOrder }),
    ...(options.maxProblems === undefined ? {} : { maxProblems: options.maxProblems }),
  };
}

export const DEFAULT_SEPARATOR = ' / ';
export const DEFAULT_ROOT_CATEGORY = 'General';

/** 02 §6: what is left once the data is in; the lookup URI step says whether it is done. */
async function cutoverSteps(services: Services, domain: string | undefined): Promise<string[]> {
  const uri = `sip:ocschat@${domain ?? '<your SIP domain>'}`;
  const registered = domain !== undefined && (await services.store.endpoints.list()).some((e) => e.sipUri === uri);
  return [
    registered
      ? `The legacy lookup URI ${uri} is registered with Stoa already; legacy clients reach Stoa through its SIP gateway (docs/legacy-clients.md).`
      : `Register the legacy lookup URI with Stoa: stoa endpoint new --sip-address ${uri} (pool ${services.poolFqdn}); legacy clients then reach Stoa through its SIP gateway (docs/legacy-clients.md).`,
    'Until cut-over, run this migration again with a newer dump: only what is new since the last run is added.',
    'At cut-over: stop the legacy Group Chat / Persistent Chat services, take a last dump, run the migration once more, then point the lookup URI at Stoa.',
    'Users sign in with passwords set by an administrator (stoa user passwd) or through the directory configured for Stoa; legacy passwords are never in the dump.',
  ];
}

export async function migrateLegacy(services: Services, actor: Actor, options: LegacyMigrationOptions): Promise<MigrationReport> {
  requireAdministrator(await loadActorFacts(services.store, actor), 'migrate data');
  const progress = options.progress ?? NO_PROGRESS;
  const startedAt = new Date(services.clock()).toISOString();
  const separator = options.separator ?? DEFAULT_SEPARATOR;
  if (separator.length === 0 || /\p{Cc}/u.test(separator)) throw new AppError('INVALID_INPUT', '--separator must be visible text');
  const files = options.files === undefined ? undefined : FileRepository.open(options.files);
  const renames = options.renameMap === undefined ? new Map<string, string>() : await readRenameMapFile(options.renameMap);
  const dump = await openDump(options.source);
  const staging = Staging.create();
  const findings = new MigrationFindings();
  try {
    await staging.load(dump, progress, options.complianceXml === undefined ? [] : ['tblChat'], readOptions(options));
    for (const note of staging.notes) findings.add({ rule: 'input', severity: 'info', legacyId: note.slice(0, note.indexOf(':')), legacyPath: '', message: note.slice(note.indexOf(':') + 2) });
    if (options.complianceXml !== undefined) {
      progress.phase('compliance XML');
      const xml = new ComplianceXmlSource(staging, findings);
      await xml.load(options.complianceXml);
      const c = xml.counts;
      findings.add({ rule: 'XML', severity: 'info', legacyId: '', legacyPath: path.resolve(options.complianceXml), message: `${c.files} file(s), ${c.chats} chat message(s): ${c.added} added, ${c.alreadyInDump} already in the dump, ${c.skipped} not added` });
      staging.rows['compliance XML messages added'] = c.added;
    }
    const conversion = new LegacyConversion(
      staging,
      {
        separator,
        rootCategory: options.rootCategory ?? DEFAULT_ROOT_CATEGORY,
        renames,
        shorten: options.shorten === true,
        resolveNameCollisions: options.resolveNameCollisions === true,
        includeDisabled: options.includeDisabled === true,
        grantAdmins: options.grantAdmins === true,
        pool: services.poolFqdn,
        now: services.clock(),
        ...(options.startDate === undefined ? {} : { startDate: options.startDate }),
        ...(files === undefined ? {} : { files }),
      },
      findings,
      progress,
    );
    const archive = path.join(staging.dir, 'legacy.zip');
    // A passing archive: read by the import below and removed with the staging folder, so
    // it is not synced to disk (a crash restarts the run from the dump anyway).
    const writer = ArchiveWriter.create(archive, { durable: false });
    try {
      const manifest = await conversion.write(writer);
      await writer.finish(() => manifest);
    } catch (err) {
      await writer.abort();
      throw err;
    }
    const base = {
      source: path.resolve(options.source),
      shape: staging.shape,
      whatIf: options.whatIf === true,
      startedAt,
      rows: staging.rows,
      converted: conversion.counts,
      cutover: await cutoverSteps(services, conversion.primaryDomain()),
    };
    if (findings.errors > 0) {
      return { ...base, finishedAt: new Date(services.clock()).toISOString(), outcome: 'refused', totals: findings.totals, findings: findings.listed, omitted: findings.omitted };
    }
    const imported = await importArchive(services, actor, { file: archive, whatIf: options.whatIf === true, onConflict: options.onConflict ?? 'overwrite', progress });
    // The importer names Stoa objects; the administrator fixes the dump: say where each comes from.
    for (const f of imported.findings) {
      const legacy = conversion.legacySource(f.kind, f.object);
      if (legacy !== undefined) f.legacy = legacy;
    }
    return { ...base, finishedAt: new Date(services.clock()).toISOString(), outcome: imported.outcome, totals: findings.totals, findings: findings.listed, omitted: findings.omitted, import: imported };
  } catch (err) {
    // An unreadable dump is refused with every problem, and with a report that says so
    // (the CLI writes it where --report asks).
    if (!(err instanceof AppError) || err.code !== 'MIGRATION_INVALID') throw err;
    const problems = Array.isArray(err.details?.problems) ? (err.details.problems as string[]) : [err.message];
    const report: MigrationReport = {
      source: path.resolve(options.source),
      shape: null,
      whatIf: options.whatIf === true,
      startedAt,
      finishedAt: new Date(services.clock()).toISOString(),
      outcome: 'refused',
      rows: staging.rows,
      converted: {},
      totals: { error: problems.length, warning: 0, info: 0 },
      findings: problems.map((p) => ({ rule: 'input', severity: 'error' as const, legacyPath: '', ...placeOf(p, dump.location) })),
      omitted: {},
      cutover: [],
    };
    throw new AppError('MIGRATION_INVALID', err.message, { problems, report });
  } finally {
    progress.done();
    staging.close();
    dump.close();
  }
}

/** A reading problem split into where it is (`tblChat.dat:12`, the dump's folder) and what it is. */
function placeOf(problem: string, location: string): { legacyId: string; message: string } {
  if (problem.startsWith(`${location}: `)) return { legacyId: location, message: problem.slice(location.length + 2) };
  const m = /^([^:\n]+?:\d+): /.exec(problem) ?? /^([^\s:]+): /.exec(problem);
  return m === null ? { legacyId: '', message: problem } : { legacyId: m[1]!, message: problem.slice(m[0].length) };
}

async function readRenameMapFile(file: string): Promise<Map<string, string>> {
  if (!fs.existsSync(file)) throw new AppError('INVALID_INPUT', `--rename-map: no file at ${file}`);
  try {
    return await readRenameMap(path.basename(file), fs.createReadStream(file));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('MIGRATION_INVALID', `--rename-map ${file}: ${(err as Error).message}`);
  }
}

/**
 * What the built-in adapters share: file names from the batch (D2), files opened when
 * first needed and committed together, and the `.ATTACH` manifest of file transfers.
 */
import { fileTimestamp } from '../domain/compliance.js';
import type { ComplianceBatch, ComplianceEvent, OutputDirectory, OutputFile } from './adapter.js';

/** `<UTC yyyyMMddTHHmmssZ of the batch>-<first event id>` */
export function baseName(batch: ComplianceBatch, firstEventId = batch.firstEventId): string {
  return `${fileTimestamp(batch.claimedAt)}-${firstEventId}`;
}

/** Opens files on first use; commits them all at the end, or removes them all on failure. */
export class BatchFiles {
  private readonly open = new Map<string, OutputFile>();

  constructor(private readonly output: OutputDirectory) {}

  /** The file, opened (and `start` written) on first use. */
  get(name: string, start?: string): OutputFile | Promise<OutputFile> {
    return this.open.get(name) ?? this.create(name, start);
  }

  private async create(name: string, start: string | undefined): Promise<OutputFile> {
    const file = await this.output.create(name);
    this.open.set(name, file);
    if (start !== undefined) await file.write(start);
    return file;
  }

  has(name: string): boolean {
    return this.open.has(name);
  }

  /** Finishes one file now (its closing text written by the caller). */
  async commit(name: string, finish?: (file: OutputFile) => Promise<OutputFile>): Promise<void> {
    const file = this.open.get(name);
    if (file === undefined) return;
    this.open.delete(name);
    const done = finish === undefined ? file : await finish(file);
    await done.commit();
  }

  async abortAll(): Promise<void> {
    for (const file of this.open.values()) await file.abort();
    this.open.clear();
  }
}

export const FILE_EVENTS = new Set(['FILEUPLOAD', 'FILEDOWNLOAD']);

/**
 * One line of the `.ATTACH` manifest (Stoa's format, docs/compliance.md): a JSON object
 * per file transfer of the batch.
 */
export function attachLine(e: ComplianceEvent): string {
  const d = e.details ?? {};
  return `${JSON.stringify({
    eventId: e.id,
    time: e.time.string,
    direction: e.type === 'FILEUPLOAD' ? 'upload' : 'download',
    room: e.room?.uri ?? null,
    roomName: e.room?.name ?? null,
    user: e.actor?.uri ?? null,
    storedName: e.content,
    fileId: d.fileId ?? null,
    name: d.name ?? null,
    sizeBytes: d.sizeBytes ?? null,
    sha256: d.sha256 ?? null,
  })}\n`;
}

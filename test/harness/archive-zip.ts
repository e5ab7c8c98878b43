/** Zips written by hand (not through ArchiveWriter), for broken and hostile archive tests. */
import fs from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';
import { expect } from 'vitest';
import { ARCHIVE_VERSION, type Manifest } from '../../src/archive/container.js';
import { tempDir } from './stores.js';

export const manifest = (counts: Record<string, number> = {}, extra: Partial<Manifest> = {}): Manifest => ({
  format: 'stoa-archive',
  version: ARCHIVE_VERSION,
  levels: ['All'],
  counts,
  source: { pool: 'pc.contoso.com', stoaVersion: '0.1.0', kind: 'stoa' },
  createdAt: new Date('2026-11-30T10:00:00Z').toISOString(),
  options: {},
  ...extra,
});

/** A zip written directly (not through ArchiveWriter), for broken and hostile archives. */
export async function rawZip(entries: [string, string | Buffer][]): Promise<string> {
  const file = path.join(tempDir('stoa-archive-'), 'raw.zip');
  const zip = new yazl.ZipFile();
  for (const [name, content] of entries) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name);
  zip.end();
  await new Promise<void>((resolve, reject) => zip.outputStream.pipe(fs.createWriteStream(file)).on('close', resolve).on('error', reject));
  return file;
}

/** Replaces bytes of the same length everywhere in the file (names are not covered by the CRC). */
export function patch(file: string, from: string | Buffer, to: string | Buffer): void {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  expect(a.length).toBe(b.length);
  const bytes = fs.readFileSync(file);
  let at = bytes.indexOf(a);
  expect(at).toBeGreaterThanOrEqual(0);
  while (at >= 0) {
    b.copy(bytes, at);
    at = bytes.indexOf(a, at + 1);
  }
  fs.writeFileSync(file, bytes);
}


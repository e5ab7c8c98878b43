import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_FORMAT, ArchiveWriter } from './container.js';
import { yazlCrc32 } from './zip-crc.js';

/** The CRC-32 as buffer-crc32 computes it (the reference: a table, byte by byte). */
function reference(buf: Buffer, previous = 0): number {
  let crc = ~~previous ^ -1;
  for (const byte of buf) {
    let c = (crc ^ byte) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = c ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}

describe('writing an archive zip', () => {
  it('gives the reference values, alone and chained over chunks as yazl chains them', () => {
    expect(yazlCrc32.unsigned(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(yazlCrc32.unsigned(Buffer.alloc(0))).toBe(0);
    for (let i = 0; i < 200; i++) {
      const buf = Buffer.from(Array.from({ length: (i * 37) % 1000 }, (_, k) => (k * 131 + i) & 0xff));
      expect(yazlCrc32.unsigned(buf)).toBe(reference(buf));
      const cut = Math.floor(buf.length / 3);
      expect(yazlCrc32.unsigned(buf.subarray(cut), yazlCrc32.unsigned(buf.subarray(0, cut)))).toBe(reference(buf));
    }
  });

  it('writes entries whose recorded CRC-32 is that of their content', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-zip-crc-'));
    try {
      const file = path.join(dir, 'a.zip');
      const writer = ArchiveWriter.create(file);
      const lines = Array.from({ length: 5000 }, (_, i) => ({ i, text: `line ${i} ✓ 東京` }));
      void writer.addLines('lines.jsonl', async function* () {
        yield* lines;
      });
      const blob = Buffer.from(Array.from({ length: 300_000 }, (_, k) => (k * 7) & 0xff));
      writer.addBlob('files/blob', () => Readable.from([blob]));
      await writer.finish(() => ({ format: ARCHIVE_FORMAT, version: 1, levels: ['Content'], counts: {}, source: { pool: 'contoso.com', stoaVersion: '0', kind: 'stoa' }, createdAt: new Date(0).toISOString(), options: {} }));
      const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
      const checked: string[] = [];
      await new Promise<void>((resolve, reject) => {
        zip.on('entry', (entry: yauzl.Entry) => {
          zip.openReadStream(entry, (err, stream) => {
            if (err) return reject(err);
            const chunks: Buffer[] = [];
            stream.on('data', (c: Buffer) => chunks.push(c));
            stream.on('end', () => {
              expect(entry.crc32, entry.fileName).toBe(zlib.crc32(Buffer.concat(chunks)));
              checked.push(entry.fileName);
              zip.readEntry();
            });
          });
        });
        zip.on('end', resolve);
        zip.on('error', reject);
        zip.readEntry();
      });
      zip.close();
      expect(checked).toEqual(expect.arrayContaining(['lines.jsonl', 'files/blob']));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails, rather than never finishing, when the manifest made at the end is invalid', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-zip-crc-'));
    try {
      const file = path.join(dir, 'a.zip');
      const writer = ArchiveWriter.create(file);
      void writer.addLines('lines.jsonl', async function* () {
        yield { a: 1 };
      });
      await expect(writer.finish(() => ({ format: ARCHIVE_FORMAT, version: 1, levels: [], counts: {}, source: { pool: 'p', stoaVersion: '0', kind: 'stoa' }, createdAt: new Date(0).toISOString(), options: {} }))).rejects.toThrow(/levels/);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The archive container: what is written reads back exactly, and hostile or broken
 * archives are refused with a clear error before anything is used.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ArchiveReader, ArchiveWriter, ARCHIVE_VERSION, DEFAULT_LIMITS, entryNameProblem } from '../../src/archive/container.js';
import { AppError } from '../../src/domain/errors.js';
import { tempDir } from '../harness/stores.js';
import { manifest, patch, rawZip } from '../harness/archive-zip.js';

async function refusal(open: Promise<unknown>): Promise<AppError> {
  const err = await open.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function readAll(reader: ArchiveReader, name: string): Promise<Record<string, unknown>[]> {
  const out = [];
  for await (const run of reader.lines(name)) out.push(...run.map((l) => l.value));
  return out;
}

const goodManifest = JSON.stringify(manifest());

/**
 * Messages' text: multi-byte characters throughout, and two lines longer than the writer's
 * chunk (256 KiB), one in bytes and one only by its worst case of 3 bytes per unit.
 */
const text = (i: number): string =>
  i === 2500 ? 'é'.repeat(150_000) : i === 2501 ? 'a'.repeat(90_000) : `message ${i} ${'東京😀é"\\'.repeat(i % 7)}`;

describe('archive container', () => {
  it('writes entries lazily with a manifest made last, and reads them back exactly', async () => {
    const file = path.join(tempDir('stoa-archive-'), 'out.zip');
    const writer = ArchiveWriter.create(file);
    const counts: Record<string, number> = {};
    const rooms = [{ id: 1, name: 'Dev «ünïcode» 東京', description: 'line\nbreak' }, { id: 2, name: 'Ops' }];
    void writer.addLines('rooms.jsonl', async function* () {
      yield* rooms;
    }, (n) => (counts.rooms = n));
    void writer.addLines('messages/room-1.jsonl', async function* () {
      for (let i = 1; i <= 5000; i++) yield { chatId: i, text: text(i) };
    }, (n) => (counts.messages = n));
    const blob = randomBytes(100_000);
    writer.addBlob('files/abc', () => Readable.from([blob]));
    expect(fs.existsSync(file)).toBe(false);
    await writer.finish(() => manifest(counts));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['out.zip']);

    const reader = await ArchiveReader.open(file);
    try {
      expect(reader.manifest.counts).toEqual({ rooms: 2, messages: 5000 });
      expect(reader.list('messages/')).toEqual(['messages/room-1.jsonl']);
      expect(await readAll(reader, 'rooms.jsonl')).toEqual(rooms);
      const messages = await readAll(reader, 'messages/room-1.jsonl');
      expect(messages).toHaveLength(5000);
      expect(messages).toEqual(Array.from({ length: 5000 }, (_, i) => ({ chatId: i + 1, text: text(i + 1) })));
      const chunks: Buffer[] = [];
      for await (const c of await reader.blob('files/abc')) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(blob)).toBe(true);
      await expect(readAll(reader, 'nope.jsonl')).rejects.toThrow(/has no entry nope.jsonl/);
    } finally {
      reader.close();
    }
  });

  it('leaves nothing behind when the export fails or is abandoned', async () => {
    const dir = tempDir('stoa-archive-');
    const failing = ArchiveWriter.create(path.join(dir, 'failing.zip'));
    void failing.addLines('rooms.jsonl', async function* () {
      yield { id: 1 };
      throw new Error('the database went away');
    });
    await expect(failing.finish(() => manifest())).rejects.toThrow(/database went away/);
    const abandoned = ArchiveWriter.create(path.join(dir, 'abandoned.zip'));
    void abandoned.addLines('rooms.jsonl', async function* () {
      yield { id: 1 };
    });
    await abandoned.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(() => ArchiveWriter.create(path.join(dir, 'x.zip')).addLines('../x.jsonl', async function* () {})).toThrow(/'\.\.'/);
  });

  it('refuses a file that is not a zip, or is missing', async () => {
    const file = path.join(tempDir('stoa-archive-'), 'notes.zip');
    fs.writeFileSync(file, 'just some text, not a zip');
    expect((await refusal(ArchiveReader.open(file))).message).toMatch(/notes\.zip is not a usable Stoa archive: not a zip file/);
    expect((await refusal(ArchiveReader.open(path.join(path.dirname(file), 'gone.zip')))).message).toMatch(/no such file/);
  });

  it('refuses a missing, malformed, foreign or newer manifest', async () => {
    const refused = async (entries: [string, string][], code: string, message: RegExp) => {
      const err = await refusal(ArchiveReader.open(await rawZip(entries)));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    };
    await refused([['rooms.jsonl', '{}\n']], 'ARCHIVE_INVALID', /has no manifest\.json/);
    await refused([['manifest.json', '{"format": ']], 'ARCHIVE_INVALID', /manifest\.json is not JSON/);
    await refused([['manifest.json', '{"format":"something-else","version":1}']], 'ARCHIVE_INVALID', /names format "something-else", not 'stoa-archive'/);
    await refused(
      [['manifest.json', JSON.stringify(manifest({}, { version: ARCHIVE_VERSION + 1 }))]],
      'ARCHIVE_VERSION',
      /version 2 Stoa archive; this Stoa reads versions up to 1: upgrade Stoa/,
    );
    await refused([['manifest.json', JSON.stringify({ ...manifest(), levels: ['Everything'] })]], 'ARCHIVE_INVALID', /manifest\.json: levels\.0/);
  });

  it.each([
    ['a parent path', 'AA/evil.jsonl', '../evil.jsonl'],
    ['an absolute path', 'Xetc/passwd', '/etc/passwd'],
    ['a drive path', 'XXwin.ini', 'C:win.ini'],
    ['a backslash', 'a/b.jsonl', 'a\\b.jsonl'],
  ])('refuses an entry with %s', async (_what, placeholder, hostile) => {
    const file = await rawZip([
      ['manifest.json', goodManifest],
      [placeholder, '{}\n'],
    ]);
    patch(file, placeholder, hostile);
    const err = await refusal(ArchiveReader.open(file));
    expect(err.code).toBe('ARCHIVE_INVALID');
    expect(err.message).toMatch(/not a usable Stoa archive/);
  });

  it('refuses duplicate entries', async () => {
    const file = await rawZip([
      ['manifest.json', goodManifest],
      ['rooms.jsonl', '{}\n'],
      ['roomz.jsonl', '{}\n'],
    ]);
    patch(file, 'roomz.jsonl', 'rooms.jsonl');
    expect((await refusal(ArchiveReader.open(file))).message).toMatch(/entry 'rooms\.jsonl' appears twice/);
  });

  it('refuses a zip bomb before inflating it, and a size header that lies while inflating', async () => {
    const bomb = await rawZip([
      ['manifest.json', goodManifest],
      ['messages/big.jsonl', Buffer.alloc(64 * 2 ** 20, 0x20)],
    ]);
    expect(fs.statSync(bomb).size).toBeLessThan(1024 * 1024);
    expect((await refusal(ArchiveReader.open(bomb))).message).toMatch(/compressed more than 200:1 \(a zip bomb\?\)/);
    expect((await refusal(ArchiveReader.open(bomb, { ...DEFAULT_LIMITS, maxEntryBytes: 2 ** 20 }))).message).toMatch(/would inflate to 67108864 bytes/);

    // A header claiming 2 bytes for an entry that inflates to 12: caught while reading.
    const liar = await rawZip([
      ['manifest.json', goodManifest],
      ['rooms.jsonl', '{"id":1}\n{}\n'],
    ]);
    const bytes = fs.readFileSync(liar);
    const central = bytes.lastIndexOf(Buffer.from('rooms.jsonl')) - 46; // central directory header of the entry
    expect(bytes.readUInt32LE(central)).toBe(0x02014b50);
    bytes.writeUInt32LE(2, central + 24); // uncompressed size
    fs.writeFileSync(liar, bytes);
    const reader = await ArchiveReader.open(liar);
    try {
      await expect(readAll(reader, 'rooms.jsonl')).rejects.toThrow(/rooms\.jsonl: too many bytes in the stream/);
    } finally {
      reader.close();
    }
  });

  it('names the line that is not JSON, not an object, or too long', async () => {
    const file = await rawZip([
      ['manifest.json', goodManifest],
      ['a.jsonl', '{"ok":1}\n\n{"broken":\n'],
      ['b.jsonl', '{"ok":1}\n[1,2]\n'],
      ['c.jsonl', `{"ok":1}\n{"text":"${'x'.repeat(2000)}"}\n`],
    ]);
    const reader = await ArchiveReader.open(file, { ...DEFAULT_LIMITS, maxLineBytes: 1000 });
    try {
      await expect(readAll(reader, 'a.jsonl')).rejects.toThrow(/a\.jsonl line 2 is not JSON/);
      await expect(readAll(reader, 'b.jsonl')).rejects.toThrow(/b\.jsonl line 2 is not a JSON object/);
      await expect(readAll(reader, 'c.jsonl')).rejects.toThrow(/c\.jsonl line 2 is longer than 1000 bytes/);
    } finally {
      reader.close();
    }
  });

  it('accepts only plain relative entry names', () => {
    expect(entryNameProblem('messages/0f/room.jsonl')).toBeUndefined();
    for (const bad of ['', '/x', '../x', 'a/../x', 'a//x', './x', 'C:/x', 'a\\x', 'a\u0000x', 'x'.repeat(513)]) expect(entryNameProblem(bad), bad).toBeDefined();
  });
});

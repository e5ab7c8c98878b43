/**
 * Hostile and broken archives at import level: each is refused with a clear error and the
 * target pool is left exactly as it was — even when the damage sits in the last entry,
 * after everything an importer that wrote as it read would already have written.
 */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { tempDir } from '../harness/stores.js';
import { buildEverything, openArchiveDeployment, snapshot } from '../harness/archive.js';
import { patch, rawZip } from '../harness/archive-zip.js';
import type { TestDeployment } from '../harness/services.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { exportArchive } from '../../src/archive/export.js';
import { importArchive } from '../../src/archive/import.js';
import { ArchiveReader, MANIFEST } from '../../src/archive/container.js';
import type { ImportReport } from '../../src/archive/report.js';
import { AppError } from '../../src/domain/errors.js';
import { pendingEvents } from '../harness/compliance-output.js';

async function buffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

describeEachStore('hostile archives', (kind) => {
  /** The entries of a good export, in order, to damage one at a time. */
  let entries: [string, Buffer][];
  let target: TestDeployment;
  let before: Record<string, unknown>;

  beforeAll(async () => {
    const source = await openArchiveDeployment(await kind.open());
    await buildEverything(source);
    const file = path.join(tempDir('stoa-hostile-'), 'good.zip');
    await exportArchive(source.services, SYSTEM_ACTOR, { file, level: 'All' });
    const reader = await ArchiveReader.open(file);
    entries = [];
    for (const name of reader.list('')) entries.push([name, await buffer(await reader.blob(name))]);
    reader.close();
    await source.close();
  });
  beforeEach(async () => {
    target = await openArchiveDeployment(await kind.open());
    before = await snapshot(target);
  });
  afterEach(() => target.close());
  afterAll(() => undefined);

  /** The good archive with one entry's bytes changed (or entries added). */
  const damaged = (change: (name: string, bytes: Buffer) => Buffer, extra: [string, Buffer | string][] = []) =>
    rawZip([...entries.map(([name, bytes]): [string, Buffer] => [name, change(name, bytes)]), ...extra]);

  /** The last room message file that holds messages (a room without messages has an empty one). */
  const lastMessages = () => entries.filter(([n, b]) => n.startsWith('messages/') && b.length > 0).at(-1)![0];

  async function expectUnchanged(): Promise<void> {
    expect(await snapshot(target)).toEqual(before);
    expect((await pendingEvents(target.services)).filter((e) => e.type !== 'CHANGE' || !/policy|configuration/.test(e.content))).toEqual([]);
  }

  async function refusedWith(file: string, code: string, message: RegExp): Promise<void> {
    const err = await importArchive(target.services, SYSTEM_ACTOR, { file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    expect((err as AppError).message).toMatch(message);
    await expectUnchanged();
  }

  async function refusedReport(file: string, message: RegExp): Promise<ImportReport> {
    const report = await importArchive(target.services, SYSTEM_ACTOR, { file });
    expect(report.outcome).toBe('refused');
    expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.object}: ${f.message}`).join('\n')).toMatch(message);
    await expectUnchanged();
    return report;
  }

  it('the good archive imports (the damaged ones below differ only where said)', async () => {
    const report = await importArchive(target.services, SYSTEM_ACTOR, { file: await damaged((_n, b) => b) });
    expect(report.outcome).toBe('completed');
  });

  it('an entry with .. in its path', async () => {
    const file = await damaged((_n, b) => b, [['AA/evil.jsonl', '{}\n']]);
    patch(file, 'AA/evil.jsonl', '../evil.jsonl');
    await refusedWith(file, 'ARCHIVE_INVALID', /\.\.\/evil\.jsonl/);
  });

  it('an entry with an absolute path', async () => {
    const file = await damaged((_n, b) => b, [['Xetc/passwd', '{}\n']]);
    patch(file, 'Xetc/passwd', '/etc/passwd');
    await refusedWith(file, 'ARCHIVE_INVALID', /absolute path/);
  });

  it('a zip bomb', async () => {
    const file = await damaged((_n, b) => b, [['messages/ffffffff-ffff-4fff-8fff-ffffffffffff.jsonl', Buffer.alloc(64 * 2 ** 20, 0x20)]]);
    await refusedWith(file, 'ARCHIVE_INVALID', /zip bomb/);
  });

  it('malformed JSON in the last message file', async () => {
    const name = lastMessages();
    await refusedWith(await damaged((n, b) => (n === name ? Buffer.concat([b, Buffer.from('{"chatId": 99, "author": \n')]) : b)), 'ARCHIVE_INVALID', /not JSON/);
  });

  it('an oversized line', async () => {
    const name = lastMessages();
    const huge = `${JSON.stringify({ chatId: 999, author: 'sip:x@contoso.com', content: 'x'.repeat(2 * 2 ** 20) })}\n`;
    await refusedWith(await damaged((n, b) => (n === name ? Buffer.concat([b, Buffer.from(huge)]) : b)), 'ARCHIVE_INVALID', /longer than/);
  });

  it('a newer format version', async () => {
    const file = await damaged((n, b) => (n === MANIFEST ? Buffer.from(JSON.stringify({ ...JSON.parse(b.toString()), version: 99 })) : b));
    await refusedWith(file, 'ARCHIVE_VERSION', /version 99/);
  });

  it('a line that is JSON but not a valid object of its kind, in the last entry', async () => {
    const report = await refusedReport(
      await damaged((n, b) => (n === 'invitations.jsonl' ? Buffer.concat([b, Buffer.from('{"principal":"sip:a@contoso.com","room":"not-a-guid","createdAt":-5}\n')]) : b)),
      /invitations\.jsonl:\d+: not a valid invitations line: room/,
    );
    expect(report.counts.invitations!.inArchive).toBeGreaterThan(1);
  });

  it('a file whose bytes do not match its checksum', async () => {
    const file = await damaged((n, b) => (n.startsWith('files/') ? Buffer.from(b.map((x) => x ^ 1)) : b));
    await refusedReport(file, /not the \d+ bytes the file line names|sha256/);
  });

  it('a message whose author is nowhere', async () => {
    const name = lastMessages();
    const file = await damaged((n, b) => {
      if (n !== name) return b;
      const lines = b.toString().trimEnd().split('\n');
      const last = JSON.parse(lines.at(-1)!) as { chatId: number };
      const extra = { ...last, chatId: last.chatId + 1, author: 'sip:nobody@nowhere.example' };
      return Buffer.from(`${[...lines, JSON.stringify(extra)].join('\n')}\n`);
    });
    await refusedReport(file, /author sip:nobody@nowhere\.example is neither in the archive nor in this pool/);
  });

  it('messages with unusual text arrive as they were: emoji, right-to-left, lone surrogates, and megabytes in one batch', async () => {
    const name = lastMessages();
    const guid = name.slice('messages/'.length, -'.jsonl'.length);
    const texts = ['emoji 😀👍🏽 and 東京', 'עברית mixed العربية', 'lone \ud800 high and \udc00 low', ...Array.from({ length: 12 }, (_, i) => String.fromCharCode(97 + i).repeat(1024 * 1024 - 1024))];
    const file = await damaged((n, b) => {
      if (n !== name) return b;
      const lines = b.toString().trimEnd().split('\n');
      const last = JSON.parse(lines.at(-1)!) as { chatId: number };
      // JSON.stringify writes the lone surrogates as \ud800 escapes, as a foreign archive may hold them.
      // In history whatever the copied line says (the room's last line may be one an administrator took out).
      const extra = texts.map((t, i) => JSON.stringify({ ...last, chatId: last.chatId + 1 + i, content: t, inHistory: true }));
      return Buffer.from(`${[...lines, ...extra].join('\n')}\n`);
    });
    const report = await importArchive(target.services, SYSTEM_ACTOR, { file });
    expect(report.outcome).toBe('completed');
    const room = (await target.store.rooms.getByGuid(guid))!;
    const stored = (await target.store.messages.latest(room.id, texts.length)).map((m) => m.content);
    expect(stored).toEqual(texts.map((t) => t.replace('\ud800', '\ufffd').replace('\udc00', '\ufffd')));
    expect(room.lastChatId).toBeGreaterThan(texts.length);
  });

  it('chat ids out of order', async () => {
    const name = lastMessages();
    const file = await damaged((n, b) => {
      if (n !== name) return b;
      const lines = b.toString().trimEnd().split('\n');
      return Buffer.from(`${[...lines, lines[0]].join('\n')}\n`);
    });
    await refusedReport(file, /does not follow/);
  });
});

/**
 * `stoa data export` / `stoa data import` (D4) on both stores: the round trip of a pool
 * with every feature, each level, scope, start date, disable-exported, what-if, every
 * conflict mode, idempotence and resumption, and the compliance record of both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { tempDir } from '../harness/stores.js';
import { buildEverything, openArchiveDeployment, snapshot, type Built } from '../harness/archive.js';
import type { TestDeployment } from '../harness/services.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { exportArchive } from '../../src/archive/export.js';
import { importArchive, type ConflictMode } from '../../src/archive/import.js';
import { ArchiveReader, type ArchiveLevel } from '../../src/archive/container.js';
import { reportHtml } from '../../src/archive/report.js';
import { checkUpdateRoom } from '../../src/actions/rooms.js';
import { checkCreateCategory } from '../../src/actions/categories.js';
import { getHistory } from '../../src/actions/messages.js';
import { OWNER_FILE, type BlobStore, type DirectoryBlobStore } from '../../src/files/blob-store.js';
import { pendingEvents } from '../harness/compliance-output.js';

describeEachStore('Stoa archive', (kind) => {
  let source: TestDeployment;
  let target: TestDeployment;
  let built: Built;
  let dir: string;

  beforeEach(async () => {
    source = await openArchiveDeployment(await kind.open());
    target = await openArchiveDeployment(await kind.open());
    built = await buildEverything(source);
    dir = tempDir('stoa-archive-');
  });
  afterEach(async () => {
    await source.close();
    await target.close();
  });

  const exportTo = (name: string, level: ArchiveLevel = 'All', more: Partial<Parameters<typeof exportArchive>[2]> = {}) =>
    exportArchive(source.services, SYSTEM_ACTOR, { file: path.join(dir, name), level, ...more });
  const importFrom = (name: string, more: { whatIf?: boolean; onConflict?: ConflictMode } = {}, into: TestDeployment = target) =>
    importArchive(into.services, SYSTEM_ACTOR, { file: path.join(dir, name), ...more });

  it('round trip: All into an empty pool is equal object for object and message for message', async () => {
    const exported = await exportTo('all.zip');
    expect(exported.manifest.counts.messages).toBe(built.messages);
    expect(exported.manifest.counts.blobs).toBe(1); // two files, the same bytes: stored once
    const report = await importFrom('all.zip');
    expect(report.outcome).toBe('completed');
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(await snapshot(target)).toEqual(await snapshot(source));
    // A second import changes nothing.
    const again = await importFrom('all.zip');
    expect(again.outcome).toBe('completed');
    for (const [k, c] of Object.entries(again.counts)) expect({ k, created: c.created, updated: c.updated }).toEqual({ k, created: 0, updated: 0 });
    expect(again.findings.filter((f) => f.severity === 'conflict')).toEqual([]);
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });

  it('records the export and the import in the compliance capture', async () => {
    await exportTo('all.zip');
    const exports = (await pendingEvents(source.services)).filter((e) => e.type === 'EXPORT');
    expect(exports).toHaveLength(1);
    expect(exports[0]!.content).toBe('all.zip');
    await importFrom('all.zip');
    const captured = await pendingEvents(target.services);
    const imports = captured.filter((e) => e.type === 'IMPORT');
    expect(imports.reduce((n, e) => n + (JSON.parse(e.details ?? '{}') as { messages: number }).messages, 0)).toBe(built.messages);
    expect(captured.filter((e) => e.type === 'CHANGE' && e.content === `create room ${built.rooms.open}`)).toHaveLength(1);
  });

  it.each([
    ['User', ['principals', 'administrators', 'keywordAlerts', 'topicFeeds']],
    ['Category', ['addins', 'categories']],
    ['RoomDirectory', ['rooms', 'follows']],
    ['Content', ['files', 'blobs', 'messages', 'invitations']],
  ] as const)('level %s exports only its kinds', async (level, kinds) => {
    const { manifest } = await exportTo(`${level}.zip`, level);
    expect(Object.keys(manifest.counts).sort()).toEqual([...kinds].sort());
    expect(manifest.levels).toEqual([level]);
  });

  it('levels import one after the other into an empty pool, to the same result as All', async () => {
    for (const level of ['User', 'Category', 'RoomDirectory', 'Content'] as const) await exportTo(`${level}.zip`, level);
    await exportTo('all-settings.zip', 'All');
    for (const level of ['User', 'Category', 'RoomDirectory', 'Content']) {
      const report = await importFrom(`${level}.zip`);
      expect({ level, outcome: report.outcome, errors: report.findings.filter((f) => f.severity === 'error') }).toEqual({ level, outcome: 'completed', errors: [] });
    }
    await importFrom('all-settings.zip');
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });

  it('Content alone into a pool without the rooms is refused and changes nothing', async () => {
    await exportTo('content.zip', 'Content');
    const before = await snapshot(target);
    const report = await importFrom('content.zip');
    expect(report.outcome).toBe('refused');
    expect(report.findings.some((f) => f.severity === 'error' && /neither in the archive nor in this pool/.test(f.message))).toBe(true);
    expect(await snapshot(target)).toEqual(before);
  });

  it('--scope exports only the named categories, their rooms and content', async () => {
    const { manifest } = await exportTo('scoped.zip', 'All', { scope: [built.categories.quiet] });
    expect(manifest.counts.categories).toBe(1);
    expect(manifest.counts.rooms).toBe(1);
    expect(manifest.counts.messages).toBe(1);
    await importFrom('scoped.zip');
    const rooms = await target.store.rooms.list({});
    expect(rooms.map((r) => r.name)).toEqual([built.rooms.quiet]);
    await expect(exportTo('bad.zip', 'All', { scope: ['No such category'] })).rejects.toMatchObject({ code: 'CATEGORY_NOT_FOUND' });
    expect(fs.readdirSync(dir)).toEqual(['scoped.zip']);
  });

  it('--start-date leaves older content behind and keeps chat ids', async () => {
    const open = (await source.store.rooms.list({})).find((r) => r.name === built.rooms.open)!;
    const all = await source.store.archive.messages(open.id, 0, 100);
    const cut = all[3]!.postedAt;
    const { manifest } = await exportTo('recent.zip', 'All', { startDate: cut });
    expect(manifest.options.startDate).toBe(new Date(cut).toISOString());
    await importFrom('recent.zip');
    const moved = (await target.store.rooms.list({})).find((r) => r.guid === open.guid)!;
    const kept = await target.store.archive.messages(moved.id, 0, 100);
    expect(kept.map((m) => m.chatId)).toEqual(all.filter((m) => m.postedAt >= cut).map((m) => m.chatId));
    expect(moved.lastChatId).toBe(open.lastChatId);
  });

  it('--disable-exported disables every exported room once the archive is written', async () => {
    const result = await exportTo('cutover.zip', 'All', { scope: [built.categories.main], disableExported: true });
    expect(result.disabled.sort()).toEqual([built.rooms.open, built.rooms.closed, built.rooms.secret, built.rooms.auditorium].sort());
    const rooms = await source.store.rooms.list({});
    expect(rooms.filter((r) => !r.disabled).map((r) => r.name)).toEqual([built.rooms.quiet]);
    // The archive has them as they were: enabled.
    await importFrom('cutover.zip');
    expect((await target.store.rooms.list({ disabled: false })).length).toBe(4);
  });

  it('makes its commits durable once, after the last of them, before it reports (a bulk load may commit without waiting for the disk)', async () => {
    await exportTo('all.zip');
    const log: string[] = [];
    const store = target.services.store;
    const watched = new Proxy(store, {
      get(t, prop, receiver) {
        if (prop === 'sync') return () => (log.push('sync'), t.sync());
        if (prop === 'transaction') return (fn: Parameters<typeof store.transaction>[0]) => (log.push('commit'), t.transaction(fn));
        return Reflect.get(t, prop, receiver) as unknown;
      },
    });
    expect((await importArchive({ ...target.services, store: watched }, SYSTEM_ACTOR, { file: path.join(dir, 'all.zip') })).outcome).toBe('completed');
    expect(log.filter((e) => e === 'sync')).toHaveLength(1);
    expect(log.lastIndexOf('commit')).toBeLessThan(log.indexOf('sync'));
    expect(log.indexOf('commit')).toBeGreaterThanOrEqual(0);
    log.length = 0;
    expect((await importArchive({ ...target.services, store: watched }, SYSTEM_ACTOR, { file: path.join(dir, 'all.zip'), whatIf: true })).outcome).toBe('what-if');
    expect(log).not.toContain('sync');
  });

  it('writes files several at a time, and when one fails leaves none of them behind once the others settle', async () => {
    await exportTo('all.zip');
    const blobs = target.services.blobs as DirectoryBlobStore;
    const files = () => fs.readdirSync(blobs.root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name !== OWNER_FILE);
    const before = files().length;
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const failing: BlobStore = {
      open: (guid) => blobs.open(guid),
      remove: (guid) => blobs.remove(guid),
      syncNames: () => blobs.syncNames(),
      async write(guid, input, max, options) {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          if (++calls === 2) {
            input.destroy();
            throw new Error('disk full');
          }
          // The other write lands after the failure.
          await new Promise((resolve) => setTimeout(resolve, 50));
          return await blobs.write(guid, input, max, options);
        } finally {
          inFlight--;
        }
      },
    };
    await expect(importArchive({ ...target.services, blobs: failing }, SYSTEM_ACTOR, { file: path.join(dir, 'all.zip') })).rejects.toThrow(/disk full/);
    expect(most).toBe(2);
    expect(files()).toHaveLength(before);
    expect((await importFrom('all.zip')).outcome).toBe('completed');
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });

  it('--what-if reports everything and changes nothing', async () => {
    await exportTo('all.zip');
    const before = await snapshot(target);
    const report = await importFrom('all.zip', { whatIf: true });
    expect(report.outcome).toBe('what-if');
    expect(report.counts.rooms!.created).toBe(6);
    expect(report.counts.messages!.created).toBe(built.messages);
    expect(report.counts.files!.created).toBe(2);
    expect(await snapshot(target)).toEqual(before);
    expect(await pendingEvents(target.services)).toEqual([]);
    expect(reportHtml(report)).toContain('What-if run: nothing was changed.');
  });

  describe('conflicts', () => {
    /** The target already has a room named like the archive's open room, with its own messages. */
    beforeEach(async () => {
      await exportTo('all.zip');
      const { buildRoom, buildUser, replace } = await import('../factories.js');
      const user = await buildUser(target.services);
      const cat = (await checkCreateCategory(target.services, SYSTEM_ACTOR, { name: 'Here first', allowedMembers: replace([user.key]) })).result;
      const room = await buildRoom(target.services, cat.name, { name: built.rooms.open, members: [user.key] });
      const { checkPostMessage } = await import('../../src/actions/messages.js');
      await checkPostMessage(target.services, user.actor, room.guid, { text: 'a message of this pool' });
    });

    const roomsNamed = async (name: string) => (await target.store.rooms.list({})).filter((r) => r.name.startsWith(name));

    it('overwrite (the default) replaces the room and its content with the archive\'s, and says so', async () => {
      // The newest page is read once before (the node keeps it in memory) and again after.
      const [before] = await roomsNamed(built.rooms.open);
      const newest = async (guid: string) => (await getHistory(target.services, SYSTEM_ACTOR, guid, {})).messages.map((m) => m.text);
      expect(await newest(before!.guid)).toEqual(['a message of this pool']);
      const report = await importFrom('all.zip');
      expect(report.outcome).toBe('completed');
      expect(report.findings.filter((f) => f.severity === 'conflict').map((f) => f.object)).toContain(built.rooms.open);
      const [room] = await roomsNamed(built.rooms.open);
      const texts = (await target.store.archive.messages(room!.id, 0, 100)).map((m) => m.content);
      expect(texts).not.toContain('a message of this pool');
      expect(texts).toContain('hello everyone');
      const shown = await newest(room!.guid);
      expect(shown).toContain('hello everyone');
      expect(shown).not.toContain('a message of this pool');
      // Run again: nothing changes.
      const again = await importFrom('all.zip');
      expect(again.counts.rooms).toMatchObject({ created: 0, updated: 0 });
      expect(again.counts.messages).toMatchObject({ created: 0 });
    });

    it('skip keeps this pool\'s room and imports none of the archive\'s content for it', async () => {
      const report = await importFrom('all.zip', { onConflict: 'skip' });
      expect(report.counts.rooms!.skipped).toBe(1);
      const [room] = await roomsNamed(built.rooms.open);
      expect((await target.store.archive.messages(room!.id, 0, 100)).map((m) => m.content)).toEqual(['a message of this pool']);
    });

    it('rename imports the archive\'s room under a free name beside this pool\'s', async () => {
      const report = await importFrom('all.zip', { onConflict: 'rename' });
      expect(report.counts.rooms!.renamed).toBe(1);
      const rooms = await roomsNamed(built.rooms.open);
      expect(rooms.map((r) => r.name).sort()).toEqual([built.rooms.open, `${built.rooms.open} (2)`]);
      const renamed = rooms.find((r) => r.name.endsWith('(2)'))!;
      expect((await target.store.archive.messages(renamed.id, 0, 100)).length).toBeGreaterThan(0);
      const again = await importFrom('all.zip', { onConflict: 'rename' });
      expect(again.counts.rooms).toMatchObject({ created: 0, renamed: 0 });
    });

    it('fail refuses the whole import, lists every conflict, and changes nothing', async () => {
      await checkUpdateRoom(source.services, SYSTEM_ACTOR, built.rooms.secret, { description: 'changed' });
      const before = await snapshot(target);
      const report = await importFrom('all.zip', { onConflict: 'fail' });
      expect(report.outcome).toBe('refused');
      expect(report.findings.filter((f) => f.severity === 'conflict').map((f) => f.object)).toContain(built.rooms.open);
      expect(await snapshot(target)).toEqual(before);
    });
  });

  it('an import stopped part-way finishes when run again', async () => {
    await exportTo('all.zip');
    // Stop the first run inside the messages: the third message batch write fails.
    const { store } = target.services;
    let calls = 0;
    const stopping = new Proxy(store, {
      get(t, prop, receiver) {
        if (prop === 'transaction') {
          return (fn: (tx: typeof store) => Promise<unknown>) =>
            t.transaction((tx) =>
              fn(
                new Proxy(tx, {
                  get(inner, p) {
                    if (p === 'archive') {
                      return {
                        ...inner.archive,
                        insertMessages: async (...args: Parameters<typeof store.archive.insertMessages>) => {
                          if (++calls === 3) throw new Error('power cut');
                          return inner.archive.insertMessages(...args);
                        },
                      };
                    }
                    return Reflect.get(inner, p) as unknown;
                  },
                }),
              ),
            );
        }
        return Reflect.get(t, prop, receiver) as unknown;
      },
    });
    await expect(importArchive({ ...target.services, store: stopping }, SYSTEM_ACTOR, { file: path.join(dir, 'all.zip') })).rejects.toThrow(/power cut/);
    expect(calls).toBe(3);
    const report = await importFrom('all.zip');
    expect(report.outcome).toBe('completed');
    expect(await snapshot(target)).toEqual(await snapshot(source));
  });

  it('carries password hashes and legacy NT hashes unless --omit-passwords, which leaves those of the pool as they are', async () => {
    const principalsOf = async (name: string) => {
      const reader = await ArchiveReader.open(path.join(dir, name));
      try {
        const out: Record<string, unknown>[] = [];
        for await (const run of reader.lines('principals.jsonl')) out.push(...run.map((l) => l.value));
        return out;
      } finally {
        reader.close();
      }
    };
    await exportTo('with.zip');
    const withSecrets = await principalsOf('with.zip');
    const holders = withSecrets.filter((p) => typeof p.legacyNtHash === 'string');
    expect(holders.map((p) => [p.kind, /^[0-9a-f]{32}$/.test(p.legacyNtHash as string)])).toEqual([['user', true]]);
    expect(withSecrets.every((p) => 'passwordHash' in p && 'legacyNtHash' in p)).toBe(true);
    await exportTo('without.zip', 'All', { omitPasswords: true });
    expect((await principalsOf('without.zip')).some((p) => 'passwordHash' in p || 'legacyNtHash' in p)).toBe(false);
    // Into an empty pool: nobody has a password; over the source itself: nothing changes.
    expect((await importFrom('without.zip')).outcome).toBe('completed');
    const targetUsers = (await snapshot(target)).principals as { passwordHash: string | null; legacyNtHash: string | null }[];
    expect(targetUsers.filter((p) => p.passwordHash !== null || p.legacyNtHash !== null)).toEqual([]);
    const before = await snapshot(source);
    const over = await importFrom('without.zip', {}, source);
    expect(over.counts.principals).toMatchObject({ created: 0, updated: 0 });
    expect(await snapshot(source)).toEqual(before);
  });

  it('the archive is a zip with the documented entries', async () => {
    await exportTo('all.zip');
    const reader = await ArchiveReader.open(path.join(dir, 'all.zip'));
    try {
      expect(reader.list('').filter((n) => !n.includes('/')).sort()).toEqual(
        [
          'addins.jsonl',
          'administrators.jsonl',
          'categories.jsonl',
          'compliance-configurations.jsonl',
          'configurations.jsonl',
          'endpoints.jsonl',
          'files.jsonl',
          'follows.jsonl',
          'invitations.jsonl',
          'keyword-alerts.jsonl',
          'manifest.json',
          'policies.jsonl',
          'principals.jsonl',
          'rooms.jsonl',
          'topic-feeds.jsonl',
        ].sort(),
      );
      expect(reader.list('messages/')).toHaveLength(6);
      expect(reader.list('files/')).toHaveLength(1);
    } finally {
      reader.close();
    }
  });
});

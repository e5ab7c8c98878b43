/**
 * `stoa data export` (Export-CsPersistentChatData, D4): writes a level of the pool into a
 * Stoa archive, streaming — principals and messages are read a page at a time and
 * written as the zip reaches them, so memory does not grow with the pool.
 */
import path from 'node:path';
import { AppError } from '../domain/errors.js';
import { nameKey } from '../domain/names.js';
import { VERSION } from '../version.js';
import { checkUpdateRoom } from '../actions/rooms.js';
import { runWrite, type Actor, type Services } from '../actions/context.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import type { CategoryRecord, PrincipalRecord, RoomRecord, Store } from '../store/types.js';
import { PrincipalKeys, addinLineOf, categoryLineOf, configLineOf, endpointLineOf, policyLineOf, principalLineOf, roomLineOf } from './lines.js';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, ArchiveWriter, type ArchiveLevel, type Manifest } from './container.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import {
  ENTRY,
  blobEntry,
  kindsOf,
  messagesEntry,
  type FileLine,
  type MessageLine,
} from './records.js';

export interface ExportOptions {
  file: string;
  level: ArchiveLevel;
  /** Category names: only these categories, their rooms and their content. */
  scope?: readonly string[];
  /** Content posted before this time (epoch ms) stays behind. */
  startDate?: number;
  /** Disable every exported room once the archive is complete (cut-over). */
  disableExported?: boolean;
  /** Leave password hashes out of the principals. */
  omitPasswords?: boolean;
  progress?: Progress;
}

export interface ExportResult {
  file: string;
  manifest: Manifest;
  /** Rooms disabled by --disable-exported. */
  disabled: string[];
  warnings: string[];
}

const PAGE = 1000;

async function scopedCategories(store: Store, scope: readonly string[] | undefined): Promise<CategoryRecord[]> {
  const all = await store.categories.list();
  if (scope === undefined || scope.length === 0) return all;
  const byKey = new Map(all.map((c) => [c.nameKey, c]));
  const unknown = scope.filter((name) => !byKey.has(nameKey(name.trim())));
  if (unknown.length > 0) throw new AppError('CATEGORY_NOT_FOUND', `--scope names no category called ${unknown.map((n) => `'${n}'`).join(', ')}`);
  return [...new Set(scope.map((name) => byKey.get(nameKey(name.trim())) as CategoryRecord))];
}

export async function exportArchive(services: Services, actor: Actor, options: ExportOptions): Promise<ExportResult> {
  requireAdministrator(await loadActorFacts(services.store, actor), 'export data');
  const { store } = services;
  const progress = options.progress ?? NO_PROGRESS;
  const kinds = kindsOf([options.level]);
  const from = options.startDate;
  const counts: Record<string, number> = {};
  const count = (kind: string) => (n: number) => {
    counts[kind] = (counts[kind] ?? 0) + n;
  };
  const keys = new PrincipalKeys(store);
  const categories = await scopedCategories(store, options.scope);
  const categoryIds = categories.map((c) => c.id);
  const needsRooms = kinds.has('rooms') || kinds.has('messages');
  const rooms: RoomRecord[] = needsRooms && categoryIds.length > 0 ? await store.rooms.list({ categoryIds }) : [];
  rooms.sort((a, b) => a.id - b.id);
  const warnings: string[] = [];

  const writer = ArchiveWriter.create(options.file);
  try {
    const lines = async <T extends object>(kind: keyof typeof ENTRY, produce: () => AsyncIterable<T>) => {
      if (!kinds.has(kind)) return;
      progress.phase(kind);
      await writer.addLines(ENTRY[kind], async function* () {
        for await (const item of produce()) {
          progress.add(1);
          yield item;
        }
      }, count(kind));
    };

    const policies = await store.policies.list();
    const policyKeys = new Map(policies.map((p) => [p.id, p.identityKey]));
    await lines('policies', async function* () {
      for (const p of policies) yield policyLineOf(p);
    });
    await lines('configurations', async function* () {
      for (const c of await store.configurations.list()) yield configLineOf(c);
    });
    await lines('complianceConfigurations', async function* () {
      for (const c of await store.complianceConfigurations.list()) yield configLineOf(c);
    });
    await lines('endpoints', async function* () {
      for (const e of await store.endpoints.list()) yield endpointLineOf(e);
    });

    await lines('principals', async function* () {
      for (let after = 0; ; ) {
        const page = await store.archive.principals(after, PAGE);
        if (page.length === 0) return;
        after = (page[page.length - 1] as PrincipalRecord).id;
        page.forEach((p) => keys.remember(p));
        const groups = await store.principals.groupsOfMany(page.map((p) => p.id));
        const secrets = options.omitPasswords === true ? new Map<number, string>() : await store.principals.legacySecrets(page.map((p) => p.id));
        await keys.load([...groups.values()].flat());
        for (const p of page) {
          const policy = p.policyId === null ? null : (policyKeys.get(p.policyId) ?? null);
          yield principalLineOf(p, policy, (groups.get(p.id) ?? []).map((g) => keys.key(g)), options.omitPasswords !== true, secrets.get(p.id) ?? null);
        }
      }
    });
    await lines('administrators', async function* () {
      for (const key of await keys.keysOf(await store.administrators.list())) yield { principal: key };
    });
    await lines('keywordAlerts', async function* () {
      const all = await store.keywordAlerts.all();
      await keys.load(all.map((a) => a.principalId));
      for (const a of all) yield { principal: keys.key(a.principalId), keyword: a.keyword, createdAt: a.createdAt };
    });
    await lines('topicFeeds', async function* () {
      const all = await store.topicFeeds.all();
      await keys.load(all.map((f) => f.principalId));
      for (const f of all) yield { principal: keys.key(f.principalId), name: f.name, query: f.query, createdAt: f.createdAt };
    });

    const addins = await store.addins.list();
    const addinGuids = new Map(addins.map((a) => [a.id, a.guid]));
    await lines('addins', async function* () {
      for (const a of addins) yield addinLineOf(a);
    });
    const categoryGuids = new Map(categories.map((c) => [c.id, c.guid]));
    await lines('categories', async function* () {
      const lists = await store.categories.lists(categoryIds);
      for (const c of categories) yield await categoryLineOf(c, lists.get(c.id) ?? { allowed: [], denied: [], creators: [] }, keys);
    });
    await lines('rooms', async function* () {
      for (let i = 0; i < rooms.length; i += PAGE) {
        const page = rooms.slice(i, i + PAGE);
        const roles = await store.rooms.roles(page.map((r) => r.id));
        for (const r of page) {
          const addin = r.addinId === null ? null : (addinGuids.get(r.addinId) ?? null);
          yield await roomLineOf(r, categoryGuids.get(r.categoryId) as string, addin, roles.get(r.id) ?? { members: [], managers: [], presenters: [] }, keys);
        }
      }
    });
    await lines('follows', async function* () {
      for (const r of rooms) {
        const follows = await store.archive.follows(r.id);
        await keys.load(follows.map((f) => f.principalId));
        for (const f of follows) yield { principal: keys.key(f.principalId), room: r.guid, lastReadChatId: f.lastReadChatId, createdAt: f.createdAt };
      }
    });

    if (kinds.has('messages')) {
      // Files first: a message names its file by guid; blobs are stored once per content.
      const blobs = new Map<string, string>();
      const fileGuids = new Map<number, string>();
      await lines('files', async function* (): AsyncGenerator<FileLine> {
        for (const r of rooms) {
          const files = await store.archive.referencedFiles(r.id, from);
          await keys.load(files.map((f) => f.uploaderId));
          for (const f of files) {
            fileGuids.set(f.id, f.guid);
            if (!blobs.has(f.sha256)) blobs.set(f.sha256, f.guid);
            yield { guid: f.guid, room: r.guid, uploader: keys.key(f.uploaderId), name: f.name, contentType: f.contentType, sizeBytes: f.sizeBytes, sha256: f.sha256, createdAt: f.createdAt };
          }
        }
      });
      if (blobs.size > 0) {
        const files = services.blobs;
        if (files === undefined) throw new Error('the export has no file store to read files from');
        for (const [sha, guid] of blobs) writer.addBlob(blobEntry(sha), () => files.open(guid));
        count('blobs')(blobs.size);
      }
      progress.phase('messages');
      for (const r of rooms) {
        await writer.addLines(messagesEntry(r.guid), async function* (): AsyncGenerator<MessageLine> {
          for (let after = 0; ; ) {
            const page = await store.archive.messages(r.id, after, PAGE, from);
            if (page.length === 0) return;
            after = page[page.length - 1]!.chatId;
            await keys.load(page.map((m) => m.authorId));
            for (const m of page) {
              yield {
                chatId: m.chatId,
                author: keys.key(m.authorId),
                postedAt: m.postedAt,
                postedAtTicks: m.postedAtTicks,
                content: m.content,
                rtf: m.rtf,
                isAlert: m.isAlert,
                storyTitle: m.storyTitle,
                file: m.fileId === null ? null : (fileGuids.get(m.fileId) ?? null),
                inHistory: m.inHistory,
                replacedAt: m.replacedAt,
              };
            }
            progress.add(page.length);
          }
        }, count('messages'));
      }
      counts.messages ??= 0;
      await lines('invitations', async function* () {
        for (const r of rooms) {
          const invitations = (await store.archive.invitations(r.id)).filter((i) => from === undefined || i.createdAt >= from);
          await keys.load(invitations.map((i) => i.principalId));
          for (const i of invitations) yield { principal: keys.key(i.principalId), room: r.guid, createdAt: i.createdAt };
        }
      });
    }
    progress.done();

    const manifest: Manifest = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      levels: [options.level],
      counts,
      source: { pool: services.poolFqdn, stoaVersion: VERSION, kind: 'stoa' },
      createdAt: new Date(services.clock()).toISOString(),
      options: {
        ...(options.scope === undefined ? {} : { scope: categories.map((c) => c.name) }),
        ...(from === undefined ? {} : { startDate: new Date(from).toISOString() }),
        ...(options.disableExported === true ? { disableExported: true } : {}),
        ...(options.omitPasswords === true ? { omitPasswords: true } : {}),
      },
    };
    await writer.finish(() => manifest);

    // The export itself is on the compliance record (who took which data where).
    await runWrite(services, actor, {}, async (tx) => {
      tx.capture({
        type: 'EXPORT',
        content: path.basename(options.file),
        details: { file: path.resolve(options.file), levels: manifest.levels, counts, ...manifest.options },
      });
    });

    const disabled: string[] = [];
    if (options.disableExported === true) {
      if (!needsRooms) warnings.push(`--disable-exported: level ${options.level} exports no rooms, so none was disabled`);
      for (const r of rooms) {
        if (r.disabled) continue;
        await checkUpdateRoom(services, actor, r.name, { disabled: true });
        disabled.push(r.name);
      }
    }
    return { file: path.resolve(options.file), manifest, disabled, warnings };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}


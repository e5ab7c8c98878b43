/**
 * For archive tests: a deployment with a file store, one built through the actions with
 * every feature the archive carries, and a snapshot of a deployment's content in terms
 * that survive a move (keys, guids, chat ids — never row ids), to compare two pools.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { SYSTEM_ACTOR, type Actor } from "../../src/actions/context.js";
import { checkSetPassword, checkUpdatePrincipal } from '../../src/actions/principals.js';
import { checkCreateAddin } from '../../src/actions/addins.js';
import { checkCreatePolicy, checkGrantPolicy } from '../../src/actions/policies.js';
import { configurations } from '../../src/actions/configurations.js';
import { checkCreateEndpoint } from '../../src/actions/endpoints.js';
import { checkPostMessage } from '../../src/actions/messages.js';
import { checkRemoveMessages } from '../../src/actions/content.js';
import { receiveUpload, requestUpload } from '../../src/actions/files.js';
import { followRoom } from '../../src/actions/directory.js';
import { addKeywordAlert, addTopicFeed } from '../../src/actions/subscriptions.js';
import { DirectoryBlobStore } from '../../src/files/blob-store.js';
import type { Store } from '../../src/store/types.js';
import { openDeployment, type TestDeployment } from './services.js';
import { tempDir } from './stores.js';
import { buildAdmin, buildCategory, buildGroup, buildRoom, buildUser, buildContainer, buildDomain, unique } from '../factories.js';

export async function openArchiveDeployment(store: Store): Promise<TestDeployment> {
  const d = await openDeployment(store);
  d.services.blobs = DirectoryBlobStore.open(path.join(tempDir('stoa-blobs-'), 'files'));
  return d;
}

export interface Built {
  rooms: { open: string; closed: string; secret: string; auditorium: string; disabled: string; quiet: string };
  categories: { main: string; quiet: string };
  messages: number;
  fileBytes: Buffer;
}

async function upload(d: TestDeployment, actor: Actor, roomGuid: string, name: string, bytes: Buffer): Promise<string> {
  const ticket = await requestUpload(d.services, actor, roomGuid, { name, size: bytes.length, contentType: 'application/octet-stream' });
  const token = ticket.url.split('/').pop() as string;
  return (await receiveUpload(d.services, token, Readable.from([bytes]))).id;
}

/** A deployment with every feature: each privacy and type, roles, add-ins, invitations, alerts, stories, non-Latin text, files. */
export async function buildEverything(d: TestDeployment, opts: { start?: number } = {}): Promise<Built> {
  const s = d.services;
  let clock = opts.start ?? Date.parse('2025-03-01T09:00:00Z');
  s.clock = () => (clock += 1_000);
  const admin = await buildAdmin(s);
  const group = await buildGroup(s);
  const alice = await buildUser(s, { name: unique('alice'), memberOf: [group.key] });
  const bob = await buildUser(s, { name: unique('bob') });
  const zhao = await buildUser(s, { name: unique('zhao'), domain: 'example.cn' });
  await checkUpdatePrincipal(s, SYSTEM_ACTOR, zhao.key, { displayName: '赵丽 (Zhào Lì) 🌸', email: 'zhao@example.cn' });
  // A user of the legacy clients: the archive carries the NT hash too.
  await checkSetPassword(s, SYSTEM_ACTOR, bob.key, 'bob signs in from the old client', { legacy: true });
  const gone = await buildUser(s, { name: unique('gone') });
  await buildUser(s, { name: unique('off'), enabled: false });
  await buildContainer(s);
  await buildDomain(s, 'fabrikam.example');
  await buildDomain(s, 'contoso.com');
  await buildDomain(s, 'example.cn');
  await checkCreatePolicy(s, SYSTEM_ACTOR, 'tag:chatters', { enablePersistentChat: true, description: 'people who chat' });
  await checkGrantPolicy(s, SYSTEM_ACTOR, bob.key, 'tag:chatters');
  await configurations.create(s, SYSTEM_ACTOR, 'site:redmond', { defaultChatHistory: 50, maxFileSizeKB: 1000 });
  await checkCreateEndpoint(s, SYSTEM_ACTOR, { sipAddress: `sip:${unique('ocschat')}@contoso.com`, displayName: 'Legacy chat' });
  const addin = (await checkCreateAddin(s, SYSTEM_ACTOR, { name: unique('Wiki '), url: 'https://wiki.contoso.com/addin' })).result;

  const main = await buildCategory(s, { name: unique('Engineering · 工程 '), invitations: true, fileUpload: true, allowed: ['contoso.com', 'example.cn'], creators: [admin.key] });
  const quiet = await buildCategory(s, { name: unique('Quiet '), chatHistory: false, allowed: [alice.key, bob.key] });
  const members = [alice.key, bob.key, zhao.key, gone.key];
  const open = await buildRoom(s, main.name, { name: unique('Open · Ελληνικά '), privacy: 'Open', members, managers: [admin.key], addin: addin.name });
  const closed = await buildRoom(s, main.name, { name: unique('Closed '), privacy: 'Closed', members: [group.key, bob.key, zhao.key], invitations: 'False' });
  const secret = await buildRoom(s, main.name, { name: unique('Secret '), privacy: 'Secret', members: [alice.key, bob.key], description: 'only the two of them' });
  const auditorium = await buildRoom(s, main.name, { name: unique('Town hall '), type: 'Auditorium', privacy: 'Open', members, presenters: [alice.key], managers: [admin.key] });
  const disabled = await buildRoom(s, main.name, { name: unique('Old '), members: [bob.key] });
  const quietRoom = await buildRoom(s, quiet.name, { name: unique('Hush '), members: [alice.key, bob.key] });

  let messages = 0;
  const post = async (who: { actor: Actor }, roomGuid: string, input: Parameters<typeof checkPostMessage>[3]) => {
    await checkPostMessage(s, who.actor, roomGuid, input);
    messages++;
  };
  await post(alice, open.guid, { text: 'hello everyone' });
  await post(zhao, open.guid, { text: '大家好，今天的部署顺利吗？ 🚀' });
  await post(bob, open.guid, { text: 'ALERT: the build is red', alert: true });
  await post(alice, open.guid, { text: 'Long story body\nwith lines\n\tand a tab', story: { title: 'Post-mortem — Ωmega' } });
  const fileBytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
  const fileId = await upload(d, alice.actor, open.guid, 'diagram.bin', fileBytes);
  await post(alice, open.guid, { text: 'the diagram', fileId });
  const again = await upload(d, bob.actor, open.guid, 'copy-of-diagram.bin', fileBytes);
  await post(bob, open.guid, { text: 'same bytes, other file', fileId: again });
  await post(bob, closed.guid, { text: 'closed-room talk' });
  await post(alice, closed.guid, { text: 'to be replaced' });
  await post(bob, closed.guid, { text: 'to be purged' });
  await checkRemoveMessages(s, SYSTEM_ACTOR, closed.name, { replaceMessage: '', filter: 'replaced' });
  await checkRemoveMessages(s, SYSTEM_ACTOR, closed.name, { remove: true, filter: 'purged' });
  messages--;
  await post(alice, secret.guid, { text: 'just us' });
  await post(alice, auditorium.guid, { text: 'welcome to the town hall' });
  await post(gone, open.guid, { text: 'a message from someone who leaves' });
  await post(alice, quietRoom.guid, { text: 'not kept as history' });
  await checkUpdatePrincipal(s, SYSTEM_ACTOR, gone.key, { enabled: false });

  await followRoom(s, alice.actor, open.guid);
  await followRoom(s, bob.actor, closed.guid);
  await addKeywordAlert(s, alice.actor, 'deploy');
  await addKeywordAlert(s, zhao.actor, '部署');
  await addTopicFeed(s, bob.actor, { name: 'Builds', query: 'build from:alice' });

  const { checkUpdateRoom } = await import('../../src/actions/rooms.js');
  await checkUpdateRoom(s, SYSTEM_ACTOR, disabled.name, { disabled: true });
  return {
    rooms: { open: open.name, closed: closed.name, secret: secret.name, auditorium: auditorium.name, disabled: disabled.name, quiet: quietRoom.name },
    categories: { main: main.name, quiet: quiet.name },
    messages,
    fileBytes,
  };
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Everything the archive moves, in move-proof terms, sorted. */
export async function snapshot(d: TestDeployment): Promise<Record<string, unknown>> {
  const store = d.store;
  const principals = [];
  for (let after = 0; ; ) {
    const page = await store.archive.principals(after, 500);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    principals.push(...page);
  }
  const keyOf = new Map(principals.map((p) => [p.id, p.key]));
  const keys = (ids: readonly number[]) => ids.map((id) => keyOf.get(id)).sort();
  const policies = await store.policies.list();
  const policyOf = new Map(policies.map((p) => [p.id, p.identityKey]));
  const groups = await store.principals.groupsOfMany(principals.map((p) => p.id));
  const legacy = await store.principals.legacySecrets(principals.map((p) => p.id));
  const categories = await store.categories.list();
  const lists = await store.categories.lists(categories.map((c) => c.id));
  const categoryGuid = new Map(categories.map((c) => [c.id, c.guid]));
  const rooms = await store.rooms.list({});
  const roles = await store.rooms.roles(rooms.map((r) => r.id));
  const addins = await store.addins.list();
  const addinGuid = new Map(addins.map((a) => [a.id, a.guid]));
  const messages: Record<string, unknown[]> = {};
  const files: unknown[] = [];
  const invitations: unknown[] = [];
  const follows: unknown[] = [];
  for (const r of rooms) {
    const all = await store.archive.messages(r.id, 0, 1_000_000);
    const fileRecords = await store.archive.referencedFiles(r.id);
    const fileGuid = new Map(fileRecords.map((f) => [f.id, f.guid]));
    messages[r.guid] = all.map(({ id: _id, roomId: _room, authorId, fileId, ...m }) => ({ ...m, author: keyOf.get(authorId), file: fileId === null ? null : fileGuid.get(fileId) }));
    for (const { id: _id, roomId: _room, uploaderId, ...f } of fileRecords) {
      const bytes = fs.readFileSync((d.services.blobs as DirectoryBlobStore).pathOf(f.guid));
      files.push({ ...f, room: r.guid, uploader: keyOf.get(uploaderId), bytes: sha(bytes), length: bytes.length });
    }
    for (const i of await store.archive.invitations(r.id)) invitations.push({ principal: keyOf.get(i.principalId), room: r.guid, createdAt: i.createdAt });
    for (const f of await store.archive.follows(r.id)) follows.push({ principal: keyOf.get(f.principalId), room: r.guid, lastReadChatId: f.lastReadChatId, createdAt: f.createdAt });
  }
  const sortBy = <T>(items: T[]) => items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return {
    principals: sortBy(principals.map(({ id, policyId, ...p }) => ({ ...p, policy: policyId === null ? null : policyOf.get(policyId), memberOf: keys(groups.get(id) ?? []), legacyNtHash: legacy.get(id) ?? null }))),
    administrators: keys(await store.administrators.list()),
    policies: sortBy(policies.map(({ id: _id, ...p }) => p)),
    configurations: sortBy((await store.configurations.list()).map(({ id: _id, ...c }) => c)),
    complianceConfigurations: sortBy((await store.complianceConfigurations.list()).map(({ id: _id, ...c }) => c)),
    endpoints: sortBy((await store.endpoints.list()).map(({ id: _id, ...e }) => e)),
    addins: sortBy(addins.map(({ id: _id, ...a }) => a)),
    categories: sortBy(
      categories.map(({ id, createdBy, updatedBy, ...c }) => {
        const l = lists.get(id)!;
        return { ...c, createdBy: createdBy && keyOf.get(createdBy), updatedBy: updatedBy && keyOf.get(updatedBy), allowed: keys(l.allowed), denied: keys(l.denied), creators: keys(l.creators) };
      }),
    ),
    rooms: sortBy(
      rooms.map(({ id, categoryId, addinId, createdBy, updatedBy, ...r }) => {
        const role = roles.get(id)!;
        return {
          ...r,
          category: categoryGuid.get(categoryId),
          addin: addinId === null ? null : addinGuid.get(addinId),
          createdBy: createdBy && keyOf.get(createdBy),
          updatedBy: updatedBy && keyOf.get(updatedBy),
          members: keys(role.members),
          managers: keys(role.managers),
          presenters: keys(role.presenters),
        };
      }),
    ),
    messages,
    files: sortBy(files),
    invitations: sortBy(invitations),
    follows: sortBy(follows),
    keywordAlerts: sortBy((await store.keywordAlerts.all()).map(({ id: _id, principalId, ...a }) => ({ ...a, principal: keyOf.get(principalId) }))),
    topicFeeds: sortBy((await store.topicFeeds.all()).map(({ id: _id, principalId, ...f }) => ({ ...f, principal: keyOf.get(principalId) }))),
  };
}

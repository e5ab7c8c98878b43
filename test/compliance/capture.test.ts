/**
 * Compliance capture and output at the action level, on SQLite and PostgreSQL: every
 * activity is recorded in its own transaction; the worker writes each event exactly once
 * in the configured format.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useDeployment, POOL } from '../harness/services.js';
import { buildCategory, buildRoom, buildUser, type BuiltUser } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkPostMessage, getHistory, searchMessages } from '../../src/actions/messages.js';
import { checkJoinRoom, recordInstanceParts, recordParts } from '../../src/actions/presence.js';
import { checkClearRoom, checkRemoveMessages } from '../../src/actions/content.js';
import { checkUpdateRoom } from '../../src/actions/rooms.js';
import { complianceConfigurations } from '../../src/actions/compliance-configurations.js';
import { ComplianceWorker } from '../../src/compliance/worker.js';
import type { RoomView } from '../../src/actions/views.js';
import type { ComplianceEventRecord } from '../../src/store/types.js';
import { hasTool, listOutput, nextMillisecond, pendingEvents, readJsonLines, readStoaEvents, readXmlMessages, SCHEMAS, xmllintErrors } from '../harness/compliance-output.js';

const CI = process.env.STOA_TEST_REQUIRE_ALL === '1';
const XMLLINT = CI || hasTool('xmllint');
const XSLTPROC = CI || hasTool('xsltproc');


describeEachStore('compliance', (kind) => {
  const d = useDeployment(kind);
  let dataDir: string;
  let worker: ComplianceWorker;
  let ana: BuiltUser;
  let ben: BuiltUser;
  let room: RoomView;

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-compliance-'));
    worker = new ComplianceWorker(d.services, { dataDir });
    ana = await buildUser(d.services, { name: 'ana' });
    ben = await buildUser(d.services, { name: 'ben' });
    const cat = await buildCategory(d.services, { allowed: [ana.key, ben.key], fileUpload: true });
    room = await buildRoom(d.services, cat.name, { members: [ana.key, ben.key], privacy: 'Closed' });
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const outputDir = () => path.join(dataDir, 'compliance');
  const setConfig = (input: Parameters<typeof complianceConfigurations.update>[3]) =>
    complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', input);

  it('captures administrative changes as CHANGE events with their actor, in the same transaction', async () => {
    const events = await pendingEvents(d.services);
    const changes = events.filter((e) => e.type === 'CHANGE');
    expect(changes.map((e) => e.content)).toEqual(expect.arrayContaining([expect.stringMatching(/^create user/), expect.stringMatching(/^create category/), expect.stringMatching(/^create room/)]));
    expect(changes.every((e) => e.actorId === null)).toBe(true);
    // What-if and refused changes leave no record.
    const before = events.length;
    await checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { description: 'x' }, { whatIf: true });
    await expect(checkUpdateRoom(d.services, ana.actor, room.name, { description: 'y' })).rejects.toThrow();
    expect((await pendingEvents(d.services)).length).toBe(before);
    await checkUpdateRoom(d.services, SYSTEM_ACTOR, room.name, { description: 'z' });
    const last = (await pendingEvents(d.services)).at(-1);
    expect(last).toMatchObject({ type: 'CHANGE', content: `update room ${POOL}\\${room.name}` });
    expect(JSON.parse(last?.details ?? '{}')).toMatchObject({ changes: { description: { from: '', to: 'z' } } });
  });

  it('captures JOIN once per connection, the backchat read, CHAT, history, search and PART', async () => {
    await checkPostMessage(d.services, ben.actor, room.guid, { text: 'first words' });
    const joined = await checkJoinRoom(d.services, ana.actor, room.guid, { connection: 7 });
    expect(joined.backchat).toHaveLength(1);
    await checkJoinRoom(d.services, ana.actor, room.guid, { connection: 7 }); // same connection: no second JOIN
    await nextMillisecond();
    const posted = await checkPostMessage(d.services, ana.actor, room.guid, { text: 'line one\nline <two> & "three"' });
    await getHistory(d.services, ana.actor, room.guid, {});
    await searchMessages(d.services, ana.actor, { q: 'words' });
    await nextMillisecond();
    await recordParts(d.services, { connection: 7 }, undefined, 'left');
    await recordParts(d.services, { connection: 7 }, undefined, 'left'); // nothing left to part
    const events = (await pendingEvents(d.services)).filter((e) => e.type !== 'CHANGE');
    expect(events.map((e) => e.type)).toEqual(['CHAT', 'JOIN', 'BACKCHAT', 'BACKCHAT', 'CHAT', 'BACKCHAT', 'SEARCH', 'BACKCHAT', 'PART']);
    const chat = events[4] as ComplianceEventRecord;
    expect(chat).toMatchObject({ actorId: ana.id, actorUri: ana.key, roomId: room.id, roomUri: `ma-chan://${POOL}/${room.guid}`, messageId: posted.id, content: 'line one\nline <two> & "three"' });
    expect(JSON.parse(events[2]?.details ?? '{}')).toMatchObject({ how: 'join', chatIds: [1] });
    expect(events.find((e) => e.type === 'SEARCH')).toMatchObject({ content: 'words', actorId: ana.id });
    expect(events.at(-1)).toMatchObject({ type: 'PART', actorId: ana.id, roomId: room.id });
  });

  it('captures posts in a category without chat history (kept for nobody else)', async () => {
    const quiet = await buildCategory(d.services, { allowed: [ana.key], chatHistory: false });
    const r = await buildRoom(d.services, quiet.name, { members: [ana.key] });
    await checkPostMessage(d.services, ana.actor, r.guid, { text: 'not kept' });
    expect((await getHistory(d.services, ana.actor, r.guid, {}).catch(() => ({ messages: [] }))).messages).toEqual([]);
    const chat = (await pendingEvents(d.services)).find((e) => e.type === 'CHAT');
    expect(chat).toMatchObject({ content: 'not kept', roomId: r.id });
    expect(JSON.parse(chat?.details ?? '{}')).toMatchObject({ inHistory: false });
  });

  it('captures replace and purge per message, and room clears', async () => {
    const a = await checkPostMessage(d.services, ana.actor, room.guid, { text: 'secret plan' });
    const b = await checkPostMessage(d.services, ana.actor, room.guid, { text: 'other' });
    await checkRemoveMessages(d.services, SYSTEM_ACTOR, room.name, { replaceMessage: 'redacted', filter: 'secret' });
    await checkRemoveMessages(d.services, SYSTEM_ACTOR, room.name, { remove: true, filter: 'other' });
    await checkClearRoom(d.services, SYSTEM_ACTOR, room.name, Date.now() + 1000);
    const events = (await pendingEvents(d.services)).filter((e) => ['REPLACE', 'PURGE', 'CLEAR'].includes(e.type));
    expect(events.map((e) => [e.type, e.messageId, e.content])).toEqual([
      ['REPLACE', a.id, 'redacted'],
      ['PURGE', b.id, ''],
      ['CLEAR', null, expect.stringMatching(/^\d{4}-/)],
    ]);
  });

  it('gives the participants of a stopped instance their PART, dated when it stopped', async () => {
    const other = { ...d.services, instanceId: 'dead-instance' };
    await checkJoinRoom(other, ana.actor, room.guid, { connection: 1 });
    await checkJoinRoom(other, ben.actor, room.guid, { connection: 2 });
    expect(await recordInstanceParts(d.services, 'dead-instance', 'server stopped', 1_700_000_000_000)).toBe(2);
    const parts = (await pendingEvents(d.services)).filter((e) => e.type === 'PART');
    expect(parts.map((p) => [p.actorId, p.at])).toEqual([
      [ana.id, 1_700_000_000_000],
      [ben.id, 1_700_000_000_000],
    ]);
  });

  it.skipIf(!XMLLINT)('writes the documented XML: valid against the schema, times exact, extensions beside it', async () => {
    await checkJoinRoom(d.services, ana.actor, room.guid, { connection: 1 });
    const posted = await checkPostMessage(d.services, ana.actor, room.guid, { text: '日本語 & <b>\n😀' });
    await recordParts(d.services, { connection: 1 }, undefined, 'left');
    const report = await worker.run();
    expect(report).toMatchObject({ ran: true, batches: 1 });
    const files = listOutput(outputDir());
    expect(files.map((f) => path.basename(f))).toEqual([expect.stringMatching(/^\d{8}T\d{6}Z-\d+\.stoa\.xml$/), expect.stringMatching(/^\d{8}T\d{6}Z-\d+\.xml$/)]);
    expect(xmllintErrors(SCHEMAS.legacy, files.filter((f) => !f.endsWith('.stoa.xml')))).toBe('');
    expect(xmllintErrors(SCHEMAS.events, files.filter((f) => f.endsWith('.stoa.xml')))).toBe('');
    const messages = readXmlMessages(files);
    expect(messages.map((m) => m.type)).toEqual(['JOIN', 'CHAT', 'PART']);
    const chat = messages[1];
    expect(chat).toMatchObject({ content: '日本語 & <b>\n😀', id: posted.id, channel: `ma-chan://${POOL}/${room.guid}`, islogged: 'true' });
    expect(chat?.sender).toEqual({ UserName: 'ana@contoso.com', id: String(ana.id), email: '', internal: 'true', uri: 'ana@contoso.com' });
    const t = chat?.time;
    expect((BigInt(t?.long ?? '0') - 621355968000000000n) / 10000n).toBe(BigInt(t?.since1970 ?? '-1'));
    expect(t?.string).toBe(`${new Date(Number(t?.since1970)).toISOString().slice(0, 23)}0000Z`);
    expect(readStoaEvents(files).map((e) => e.type)).toContain('CHANGE');
    // Written events are gone from the queue; a second run has nothing to do.
    expect((await d.store.compliance.pending()).events).toBe(0);
    expect(await worker.run()).toMatchObject({ batches: 0, events: 0 });
  });

  it.skipIf(!XMLLINT)('writes one file per room, with room and user details, and an .ATTACH manifest', async () => {
    const second = await buildRoom(d.services, room.category, { members: [ana.key] });
    await setConfig({ oneChatRoomPerOutputFile: true, addChatRoomDetails: true, addUserDetails: true, createFileAttachmentsManifest: true });
    await checkPostMessage(d.services, ana.actor, room.guid, { text: 'in one' });
    await checkPostMessage(d.services, ana.actor, second.guid, { text: 'in two' });
    await checkPostMessage(d.services, ana.actor, room.guid, { text: 'one again' });
    // A file transfer as the file actions record it.
    const { runWrite } = await import('../../src/actions/context.js');
    await runWrite(d.services, ana.actor, {}, (tx) =>
      Promise.resolve(tx.capture({ type: 'FILEUPLOAD', room: { id: room.id, guid: room.guid }, content: 'f00d.txt', details: { fileId: 'f00d', name: 'notes.txt', sizeBytes: 5, sha256: 'ab'.repeat(32) } })),
    );
    await worker.run();
    const files = listOutput(outputDir());
    const xml = files.filter((f) => f.endsWith('.xml') && !f.endsWith('.stoa.xml'));
    expect(xml).toHaveLength(2);
    expect(xmllintErrors(SCHEMAS.stoa, xml)).toBe('');
    const messages = readXmlMessages(xml);
    expect(new Set(messages.filter((m) => m.channel.endsWith(room.guid)).map((m) => m.file)).size).toBe(1);
    expect(messages.filter((m) => m.type === 'CHAT').map((m) => m.content).sort()).toEqual(['in one', 'in two', 'one again']);
    const text = fs.readFileSync(xml[0] as string, 'utf8');
    expect(text).toMatch(/<Channel [^>]*roomName="[^"]+" category="[^"]+" privacy="Closed" roomType="Normal" disabled="false"/);
    expect(text).toMatch(/<Sender [^>]*kind="user" distinguishedName="" deleted="false"/);
    const attach = readJsonLines(files, '.ATTACH');
    expect(attach).toEqual([expect.objectContaining({ direction: 'upload', storedName: 'f00d.txt', name: 'notes.txt', sizeBytes: 5, room: `ma-chan://${POOL}/${room.guid}`, user: ana.key })]);
  });

  it('writes JSON Lines with every event and its exact text', async () => {
    await setConfig({ adapterType: 'JsonLines' });
    await checkPostMessage(d.services, ana.actor, room.guid, { text: 'tab\there' });
    const pending = (await d.store.compliance.pending()).events;
    await worker.run();
    const lines = readJsonLines(listOutput(outputDir()));
    expect(lines).toHaveLength(pending);
    expect(new Set(lines.map((l) => l.id)).size).toBe(pending);
    expect(lines.find((l) => l.type === 'CHAT')).toMatchObject({ content: 'tab\there', actor: { uri: ana.key, internal: true }, room: { uri: `ma-chan://${POOL}/${room.guid}`, name: room.name } });
  });

  it('keeps events while AdapterType is empty and writes them all once it is set (no restart)', async () => {
    await setConfig({ adapterType: '' });
    await checkPostMessage(d.services, ana.actor, room.guid, { text: 'while off' });
    expect(await worker.run()).toMatchObject({ events: 0, note: expect.stringContaining('no output') });
    expect(listOutput(outputDir())).toEqual([]);
    await setConfig({ adapterType: 'JsonLines' });
    await worker.run();
    expect(readJsonLines(listOutput(outputDir())).some((l) => l.content === 'while off')).toBe(true);
  });

  it.skipIf(!XSLTPROC)('applies CustomConfiguration with a real XSLT engine (the conversion of 01 §5.5)', async () => {
    await setConfig({ customConfiguration: fs.readFileSync('test/fixtures/compliance/filedump.xsl', 'utf8') });
    await checkJoinRoom(d.services, ana.actor, room.guid, { connection: 3 });
    await checkPostMessage(d.services, ana.actor, room.guid, { text: 'hello <world>' });
    const { runWrite } = await import('../../src/actions/context.js');
    await runWrite(d.services, ana.actor, {}, (tx) => Promise.resolve(tx.capture({ type: 'FILEDOWNLOAD', room, content: 'abc.txt' })));
    await recordParts(d.services, { connection: 3 }, undefined, 'left');
    await worker.run();
    const [dump] = listOutput(outputDir()).filter((f) => f.endsWith('.xml') && !f.endsWith('.stoa.xml'));
    const text = fs.readFileSync(dump as string, 'utf8');
    const channel = `ma-chan://${POOL}/${room.guid}`;
    expect(text).toContain(`<Conversation Perspective="${channel}_group_channel">`);
    expect(text).toContain(`<RoomID>${channel}</RoomID>`);
    expect(text).toMatch(/<ParticipantEntered>\s*<LoginName>ana@contoso.com<\/LoginName>\s*<DateTimeUTC>\d+<\/DateTimeUTC>/);
    expect(text).toMatch(/<Message>\s*<LoginName>ana@contoso.com<\/LoginName>\s*<DateTimeUTC>\d+<\/DateTimeUTC>\s*<Content>hello &lt;world&gt;<\/Content>/);
    expect(text).toMatch(/<FileTransferStarted>[\s\S]*<FileName>abc.txt<\/FileName>[\s\S]*<FileTransferEnded>[\s\S]*<Status>Completed<\/Status>/);
    expect(text).toMatch(/<ParticipantLeft>/);
    expect(text).not.toContain('<Conversations');
  });

  it('runs a custom adapter module named in the server configuration; a failing batch is written again later', async () => {
    const module = path.resolve('test/fixtures/compliance/count-adapter.mjs');
    const custom = new ComplianceWorker(d.services, { dataDir, modules: { counter: module } });
    await setConfig({ adapterType: 'module:counter' });
    await checkPostMessage(d.services, ana.actor, room.guid, { text: 'FAIL-ONCE' });
    await expect(custom.run()).rejects.toThrow(/asked to fail/);
    expect(listOutput(outputDir())).toEqual([]);
    expect((await d.store.compliance.state()).lastError).toMatch(/asked to fail/);
    const report = await custom.run();
    expect(report.batches).toBe(1);
    const [file] = listOutput(outputDir());
    expect(fs.readFileSync(file as string, 'utf8')).toMatch(/^batch \d+: \d+ events\n/);
    await setConfig({ adapterType: 'module:missing' });
    await checkPostMessage(d.services, ana.actor, room.guid, { text: 'next' });
    await expect(custom.run()).rejects.toThrow(/no complianceAdapters entry 'missing'/);
  });

  it('lets one lease holder write at a time, and a new holder finishes a batch claimed by a dead one', async () => {
    for (let i = 0; i < 30; i++) await checkPostMessage(d.services, ana.actor, room.guid, { text: `m${i}` });
    await setConfig({ adapterType: 'JsonLines' });
    // A holder claims a batch and dies before writing it.
    const dead = new ComplianceWorker(d.services, { dataDir, holder: 'dead', batchSize: 10, leaseMs: 1 });
    expect(await d.store.compliance.acquireLease('dead', Date.now(), Date.now() + 1)).toBe(true);
    const settings = JSON.stringify(await complianceConfigurations.effective(d.store, POOL));
    const claimed = await d.store.transaction((tx) => tx.compliance.claimBatch({ holder: 'dead', claimedAt: Date.now(), settings }, { events: 10, textUnits: 1_000_000 }));
    expect(claimed?.eventCount).toBe(10);
    void dead;
    await new Promise((r) => setTimeout(r, 5));
    // Two live workers race; the lease lets one write; everything comes out once.
    const a = new ComplianceWorker(d.services, { dataDir, holder: 'a', batchSize: 7 });
    const b = new ComplianceWorker(d.services, { dataDir, holder: 'b', batchSize: 7 });
    const [ra, rb] = await Promise.all([a.run(), b.run()]);
    expect([ra.ran, rb.ran].filter(Boolean)).toHaveLength(1);
    const lines = readJsonLines(listOutput(outputDir()));
    const ids = lines.map((l) => l.id as number);
    expect(new Set(ids).size).toBe(ids.length);
    expect(lines.filter((l) => l.type === 'CHAT').map((l) => l.content).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
    expect((await d.store.compliance.pending()).events).toBe(0);
    // The dead holder's batch kept its own file name (its claim time and first id).
    expect(listOutput(outputDir()).some((f) => path.basename(f).endsWith(`-${claimed?.firstEventId}.jsonl`))).toBe(true);
  });
});

/**
 * The D3 rules one by one on small dumps (SQLite target; the worked example runs on both
 * stores), and the dumps Stoa refuses: each refusal names the file and line and leaves the
 * pool exactly as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openArchiveDeployment, snapshot } from '../harness/archive.js';
import { sqliteStore, tempDir } from '../harness/stores.js';
import type { TestDeployment } from '../harness/services.js';
import { LegacyDumpBuilder, ticksOf } from '../harness/legacy-dump.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { AppError } from '../../src/domain/errors.js';
import { migrateLegacy, type LegacyMigrationOptions, type MigrationReport } from '../../src/migration/legacy.js';
import { listRooms } from '../../src/actions/room-queries.js';
import { listPrincipals } from '../../src/actions/principals.js';
import { pendingEvents } from '../harness/compliance-output.js';

type Snap = {
  categories: { name: string; allowed: string[]; denied: string[]; creators: string[]; invitations: boolean }[];
  rooms: { name: string; privacy: string; members: string[]; managers: string[]; presenters: string[]; disabled: boolean; description: string; invitations: string }[];
  principals: { key: string; status: string }[];
  administrators: string[];
  messages: Record<string, { chatId: number; content: string; storyTitle: string | null; rtf: string | null; isAlert: boolean; postedAt: number; postedAtTicks: number; author: string }[]>;
  invitations: { principal: string }[];
};

let target: TestDeployment;
beforeEach(async () => {
  target = await openArchiveDeployment(await sqliteStore());
});
afterEach(() => target.close());

const migrate = (source: string, options: Omit<LegacyMigrationOptions, 'source'> = {}) => migrateLegacy(target.services, SYSTEM_ACTOR, { source, ...options });
const snap = async () => (await snapshot(target)) as unknown as Snap;
const room = (s: Snap, name: string) => s.rooms.find((r) => r.name === name)!;
const rule = (report: MigrationReport, r: string) => report.findings.filter((f) => f.rule === r);

/** A deployment with one category and a user, for rules that need little else. */
function small(shape: 'hierarchical' | 'flat' = 'hierarchical') {
  const b = new LegacyDumpBuilder(shape);
  const domain = b.domainPrincipal();
  b.scope(b.root, domain);
  const alice = b.user('alice');
  const bob = b.user('bob');
  b.affiliate(alice, domain);
  b.affiliate(bob, domain);
  const cat = b.category(b.root, 'Team');
  return { b, alice, bob, cat, domain };
}

describe('legacy migration rules', () => {
  it('C2: refuses a name over 256 characters, takes a rename map (by id or path), or shortens with a hash', async () => {
    const { b, cat } = small();
    const deep = b.category(cat, 'Deep');
    const long = b.room(deep, 'x'.repeat(250));
    const other = b.room(deep, 'y'.repeat(250));
    const dump = b.write();
    const refused = await migrate(dump, { whatIf: true });
    expect(refused.outcome).toBe('refused');
    expect(rule(refused, 'C2').filter((f) => f.severity === 'error').map((f) => f.legacyId).sort()).toEqual([`node ${long}`, `node ${other}`].sort());
    expect((await snap()).rooms).toEqual([]);

    const map = path.join(tempDir(), 'renames.csv');
    fs.writeFileSync(map, `legacy,new name\r\n${long},Short one\r\n"/Team/Deep/${'y'.repeat(250)}","Other, short"\r\n`);
    const renamed = await migrate(dump, { renameMap: map });
    expect(renamed.outcome).toBe('completed');
    expect((await snap()).rooms.map((r) => r.name).sort()).toEqual(['Other, short', 'Short one']);

    const t2 = await openArchiveDeployment(await sqliteStore());
    try {
      const shortened = await migrateLegacy(t2.services, SYSTEM_ACTOR, { source: dump, shorten: true });
      expect(shortened.outcome).toBe('completed');
      const names = ((await snapshot(t2)) as unknown as Snap).rooms.map((r) => r.name);
      for (const n of names) {
        expect([...n]).toHaveLength(256);
        expect(n).toMatch(/^Team \/ Deep \/ [xy]+~[0-9a-f]{6}$/);
      }
    } finally {
      await t2.close();
    }
  });

  it('C2: two nodes that flatten to one name are refused, naming both', async () => {
    const { b, cat } = small();
    const a = b.category(cat, 'A');
    b.room(a, 'r');
    const clash = b.category(b.root, 'Team / A');
    b.room(clash, 'Team / A / r');
    const report = await migrate(b.write(), { whatIf: true });
    expect(report.outcome).toBe('refused');
    expect(rule(report, 'C2').filter((f) => f.severity === 'error').map((f) => f.message).join('\n')).toMatch(/becomes 'Team \/ A', the name \/Team( \/ |\/)A \(\d+\) also gets/);
  });

  it('C5 and --include-disabled; C7 start date; separator and root category options', async () => {
    const { b, cat, alice } = small();
    const sub = b.category(cat, 'Sub');
    const off = b.room(cat, 'Off', { disabled: true });
    const r = b.room(sub, 'Room');
    const top = b.room(b.root, 'Top');
    b.chat(r, alice, 'old', { at: Date.UTC(2009, 5, 1) });
    b.chat(r, alice, 'new', { at: Date.UTC(2011, 5, 1) });
    b.chat(off, alice, 'in a disabled room');
    b.chat(top, alice, 'at the top');
    const report = await migrate(b.write(), { includeDisabled: true, startDate: Date.UTC(2010, 0, 1), separator: ' » ', rootCategory: 'Lobby' });
    expect(report.outcome).toBe('completed');
    const s = await snap();
    expect(s.categories.map((c) => c.name).sort()).toEqual(['Lobby', 'Team', 'Team » Sub']);
    expect(s.rooms.map((x) => [x.name, x.disabled]).sort()).toEqual([['Off', true], ['Team » Sub » Room', false], ['Top', false]]);
    expect(Object.values(s.messages).flat().map((m) => m.content).sort()).toEqual(['at the top', 'in a disabled room', 'new']);
    expect(rule(report, 'C7')).toEqual([expect.objectContaining({ legacyId: `node ${r}`, message: '1 message(s) before the start date left behind' })]);
  });

  it('keeps messages exactly: chat ids, .NET ticks within the millisecond, alerts, stories, RTF, unicode', async () => {
    const { b, cat, alice, bob } = small();
    const r = b.room(cat, 'Talk');
    b.chat(r, alice, 'plain — ünïcödé 中文 🚀', { at: Date.UTC(2012, 1, 3, 4, 5, 6, 789), ticks: 4321 });
    b.chat(r, bob, 'ALERT', { alert: true });
    b.chat(r, alice, '[STORY]Post-mortem\nLine one\nLine "two", with, commas', { rtf: '{\\rtf1\\ansi Post-mortem}' });
    const report = await migrate(b.write());
    expect(report.outcome).toBe('completed');
    const [m] = Object.values((await snap()).messages);
    expect(m!.map((x) => ({ chatId: x.chatId, content: x.content, storyTitle: x.storyTitle, rtf: x.rtf, isAlert: x.isAlert, author: x.author }))).toEqual([
      { chatId: 1, content: 'plain — ünïcödé 中文 🚀', storyTitle: null, rtf: null, isAlert: false, author: 'sip:alice@contoso.example' },
      { chatId: 2, content: 'ALERT', storyTitle: null, rtf: null, isAlert: true, author: 'sip:bob@contoso.example' },
      { chatId: 3, content: 'Line one\nLine "two", with, commas', storyTitle: 'Post-mortem', rtf: '{\\rtf1\\ansi Post-mortem}', isAlert: false, author: 'sip:alice@contoso.example' },
    ]);
    expect([m![0]!.postedAt, m![0]!.postedAtTicks]).toEqual([Date.UTC(2012, 1, 3, 4, 5, 6, 789), 4321]);
  });

  it('C13–C15 and C20: scope from the nearest category that has one, members inherited unless overridden, out-of-scope and deleted principals dropped', async () => {
    const b = new LegacyDumpBuilder('hierarchical');
    const team = b.group('Team');
    const alice = b.user('alice');
    const bob = b.user('bob');
    const gone = b.user('gone', { disabled: 2 });
    const off = b.user('off', { disabled: 1 });
    for (const u of [alice, gone, off]) b.affiliate(u, team);
    const cat = b.category(b.root, 'Cat', { restrictChildCreate: false });
    b.scope(cat, team);
    b.role(cat, alice, 'Member');
    b.role(cat, bob, 'Member');
    const sub = b.category(cat, 'Sub', { restrictChildCreate: true });
    b.role(sub, off, 'Manager');
    const inherits = b.room(sub, 'Inherits');
    b.role(inherits, gone, 'Member');
    const own = b.room(sub, 'Own', { overrideMember: true });
    b.role(own, off, 'Member');
    const report = await migrate(b.write());
    expect(report.outcome).toBe('completed');
    const s = await snap();
    expect(s.categories.find((c) => c.name === 'Cat')).toMatchObject({ allowed: ['cn=team,ou=groups,dc=contoso,dc=example'], creators: ['sip:alice@contoso.example'] });
    expect(s.categories.find((c) => c.name === 'Cat / Sub')).toMatchObject({ allowed: ['cn=team,ou=groups,dc=contoso,dc=example'], creators: ['sip:off@contoso.example'] });
    expect(room(s, 'Cat / Sub / Inherits')).toMatchObject({ members: ['sip:alice@contoso.example'], managers: ['sip:off@contoso.example'] });
    expect(room(s, 'Cat / Sub / Own')).toMatchObject({ members: ['sip:off@contoso.example'] });
    expect(s.principals.find((p) => p.key === 'sip:gone@contoso.example')?.status).toBe('deleted');
    expect(rule(report, 'C14').map((f) => f.message)).toContain('members: sip:bob@contoso.example dropped (outside the scope of the category)');
    expect(rule(report, 'C20').map((f) => f.message)).toContain('members: sip:gone@contoso.example dropped (its directory object was deleted)');
  });

  it('reads the flat 2013 shape: denied scope, Creator rows, add-in and open visibility; C18 with --grant-admins; invitations', async () => {
    const { b, alice, bob, cat, domain } = small('flat');
    b.scope(cat, domain);
    b.scope(cat, bob, true);
    b.role(cat, alice, 'Creator');
    const addin = b.addin('Wiki', 'https://wiki.contoso.example/');
    const r = b.room(cat, 'Open room', { visibility: 'open', addin });
    b.role(r, alice, 'Member');
    b.role(b.root, alice, 'Administrator');
    b.invite(alice, r);
    const report = await migrate(b.write(), { grantAdmins: true });
    expect(report.shape).toBe('flat');
    expect(report.outcome).toBe('completed');
    const s = await snap();
    expect(s.categories.find((c) => c.name === 'Team')).toMatchObject({ allowed: ['contoso.example'], denied: ['sip:bob@contoso.example'], creators: ['sip:alice@contoso.example'] });
    expect(room(s, 'Open room')).toMatchObject({ privacy: 'Open', members: ['sip:alice@contoso.example'] });
    expect(s.administrators).toEqual(['sip:alice@contoso.example']);
    expect(s.invitations.map((i) => i.principal)).toEqual(['sip:alice@contoso.example']);
    expect(rule(report, 'C18')).toEqual([expect.objectContaining({ legacyPath: 'sip:alice@contoso.example', message: expect.stringMatching(/made a Stoa administrator/) as unknown })]);
  });

  it('C8: copies linked files from --files with their checksum, rewrites the links, warns on missing ones, refuses links that leave the folder', async () => {
    const { b, cat, alice, bob } = small();
    const r = b.room(cat, 'Files');
    const roomGuid = b.nodeRow(r).nodeGuid as string;
    const repo = tempDir('stoa-gc-files-');
    fs.mkdirSync(path.join(repo, roomGuid), { recursive: true });
    const report1 = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    fs.writeFileSync(path.join(repo, roomGuid, '0988239a-0000-4000-8000-b07771a2097c.txt'), report1);
    fs.writeFileSync(path.join(repo, 'only-by-name.pdf'), 'pdf bytes');
    b.chat(r, alice, `see ma-filelink://gc.contoso.example/${roomGuid}/0988239a-0000-4000-8000-b07771a2097c.txt please`);
    b.chat(r, bob, 'ma-filelink:elsewhere/only-by-name.pdf');
    b.chat(r, bob, 'ma-filelink:lost.doc');
    const dump = b.write();
    const report = await migrate(dump, { files: repo });
    expect(report.outcome).toBe('completed');
    const s = (await snapshot(target)) as unknown as { files: { name: string; sha256: string; sizeBytes: number; contentType: string; uploader: string; guid: string }[]; messages: Record<string, { content: string; file: string | null }[]> };
    expect(s.files.map((f) => [f.name, f.sizeBytes, f.contentType, f.uploader]).sort()).toEqual([
      ['0988239a-0000-4000-8000-b07771a2097c.txt', 5000, 'text/plain', 'sip:alice@contoso.example'],
      ['only-by-name.pdf', 9, 'application/pdf', 'sip:bob@contoso.example'],
    ]);
    const [messages] = Object.values(s.messages);
    expect(messages!.map((m) => m.content)).toEqual(['see 0988239a-0000-4000-8000-b07771a2097c.txt please', 'only-by-name.pdf', 'ma-filelink:lost.doc']);
    expect(messages!.map((m) => m.file === null)).toEqual([false, false, true]);
    expect(rule(report, 'C8').filter((f) => f.severity === 'warning').map((f) => f.message)).toEqual(['file lost.doc is not in the --files folder: the link stays text']);
    expect((await migrate(dump, { files: repo })).import!.counts.files).toMatchObject({ created: 0, updated: 0 });

    const { b: b2, cat: cat2, alice: alice2 } = small();
    const r2 = b2.room(cat2, 'Escape');
    b2.chat(r2, alice2, 'ma-filelink:../../etc/passwd');
    const t2 = await openArchiveDeployment(await sqliteStore());
    try {
      const escaped = await migrateLegacy(t2.services, SYSTEM_ACTOR, { source: b2.write(), files: repo });
      expect(escaped.outcome).toBe('refused');
      expect(rule(escaped, 'C8').filter((f) => f.severity === 'error').map((f) => f.message)).toEqual(['file link ma-filelink:../../etc/passwd points outside the --files folder']);
      expect(((await snapshot(t2)) as unknown as Snap).rooms).toEqual([]);
    } finally {
      await t2.close();
    }
  });

  it('adds history from compliance XML by channel URI (node id or guid), without duplicating what the dump has', async () => {
    const { b, cat, alice, bob } = small();
    const r = b.room(cat, 'Logged');
    const g = b.room(cat, 'By guid');
    b.chat(r, alice, 'one');
    b.chat(r, alice, 'two');
    const xmlDir = tempDir('stoa-gc-xml-');
    const at = (ms: number) => `<DateTimeUTC since1970="${ms}" string="${new Date(ms).toISOString()}" long="${ticksOf(ms, 7)}" />`;
    const message = (id: number, text: string, who: string) => `<Message type="CHAT" content="${text}" id="${id}"><Sender UserName="x" id="0" email="" internal="true" uri="${who}" />${at(Date.UTC(2012, 5, id))}</Message>`;
    fs.writeFileSync(
      path.join(xmlDir, '20120601T000000Z-1.xml'),
      `<?xml version="1.0" encoding="utf-8"?>
<Conversations xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Conversation><Channel uri="ma-chan://contoso.example/${r}" name="x" islogged="" />
    <Messages><Message type="JOIN" content="" id="0"><Sender id="0" uri="bob@contoso.example" />${at(1)}</Message>
      ${message(2, 'two (again)', 'alice@contoso.example')}${message(3, 'three &amp; more', 'bob@contoso.example')}</Messages></Conversation>
  <Conversation><Channel uri="ma-chan://contoso.example/${String(b.nodeRow(g).nodeGuid).toUpperCase()}" />
    <Messages>${message(1, 'found by guid', 'alice@contoso.example')}</Messages></Conversation>
  <Conversation><Channel uri="ma-chan://contoso.example/9999" /><Messages>${message(1, 'nowhere', 'alice@contoso.example')}</Messages></Conversation>
</Conversations>`,
    );
    void bob;
    const report = await migrate(b.write(), { complianceXml: xmlDir });
    expect(report.outcome).toBe('completed');
    const s = await snap();
    const contents = Object.values(s.messages).map((ms) => ms.map((m) => `${m.chatId}:${m.content}`));
    expect(contents.sort()).toEqual([['1:found by guid'], ['1:one', '2:two', '3:three & more']]);
    expect(Object.values(s.messages).flat().find((m) => m.chatId === 3)!.postedAtTicks).toBe(7);
    expect(rule(report, 'XML').map((f) => f.message)).toEqual([
      'no room of the dump has this channel URI: its messages are not added',
      '1 file(s), 4 chat message(s): 2 added, 1 already in the dump, 1 not added',
    ]);
  });

  it('inheritance (02 §2.2, D3): NULL takes the nearest ancestor, a category with inheritance locks its subtree; C16 visibility from the category; C12 topics', async () => {
    const b = new LegacyDumpBuilder('hierarchical', 'contoso.example', { invite: true, filePost: true });
    const domain = b.domainPrincipal();
    b.scope(b.root, domain);
    const locked = b.category(b.root, 'Locked', { inheritance: true, filePost: false, visibility: 'private' });
    const below = b.category(locked, 'Below', { filePost: true, invite: false, logged: false, visibility: 'scope' });
    const r1 = b.room(below, 'R1', { visibility: 'open', topic: 'appended', description: 'Has a description' });
    const free = b.category(b.root, 'Free', { visibility: 'private' });
    b.room(free, 'R2', { topic: 'x'.repeat(200), description: 'y'.repeat(100) });
    b.room(free, 'R3', { visibility: 'scope' });
    const report = await migrate(b.write());
    expect(report.outcome).toBe('completed');
    const s = await snapshot(target) as unknown as { categories: { name: string; invitations: boolean; fileUpload: boolean; chatHistory: boolean }[]; rooms: { name: string; privacy: string; description: string }[] };
    // Below's own values are ignored: Locked (and the root) decide.
    expect(s.categories.find((c) => c.name === 'Locked / Below')).toMatchObject({ invitations: true, fileUpload: false, chatHistory: true });
    expect(s.rooms.find((r) => r.name === 'Locked / Below / R1')).toMatchObject({ privacy: 'Secret', description: 'Has a description — appended' });
    expect(s.rooms.find((r) => r.name === 'R2')).toMatchObject({ privacy: 'Secret', description: 'y'.repeat(100) });
    expect(s.rooms.find((r) => r.name === 'R3')?.privacy).toBe('Closed');
    expect(rule(report, 'C12').map((f) => [f.legacyId, f.severity])).toEqual([[`node ${r1}`, 'info'], [expect.stringMatching(/^node /) as unknown, 'warning']]);
  });

  it('C9: a name already taken in Stoa follows --on-conflict, and the what-if lists the collision', async () => {
    const { b, cat, alice } = small();
    b.room(cat, 'Existing room');
    b.chat(b.tables.tblNode!.at(-1)!.nodeID as number, alice, 'from the legacy side');
    const dump = b.write();
    const { buildCategory, buildRoom } = await import('../factories.js');
    const here = await buildCategory(target.services, { name: 'Team', description: 'made in Stoa before the migration' });
    await buildRoom(target.services, here.name, { name: 'Existing room' });
    const whatIf = await migrate(dump, { whatIf: true, onConflict: 'fail' });
    expect(whatIf.outcome).toBe('refused');
    expect(whatIf.import!.findings.filter((f) => f.severity === 'conflict').map((f) => f.object).sort()).toEqual(['Existing room', 'Team']);
    expect((await snap()).categories.map((c) => c.name)).toEqual(['Team']);
    const renamed = await migrate(dump, { onConflict: 'rename' });
    expect(renamed.outcome).toBe('completed');
    expect((await snap()).rooms.map((r) => r.name).sort()).toEqual(['Existing room', 'Existing room (2)']);
  });

  it('reads TSV dumps, a byte order mark, True/False booleans and ISO 8601 times', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Tabbed');
    b.chat(r, alice, 'tab\there, "quotes", newline\nthere');
    Object.assign(b.nodeRow(r), { nodeType: false, disabled: false });
    Object.assign(b.nodeRow(cat), { nodeType: true });
    b.tables.tblChat![0]!.chatDate = '2012-03-04T05:06:07.1234567Z';
    const report = await migrate(b.write(undefined, { tsv: true, bom: true }));
    expect(report.outcome).toBe('completed');
    expect(Object.values((await snap()).messages).flat().map((m) => [m.content, m.postedAt, m.postedAtTicks])).toEqual([['tab\there, "quotes", newline\nthere', Date.UTC(2012, 2, 4, 5, 6, 7, 123), 4567]]);
  });

  it('reads the word NULL as text where the legacy column may not be NULL (SSMS writes both alike)', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Null talk');
    b.chat(r, alice, 'SAYS-NULL');
    b.chat(r, alice, 'empty rtf');
    const dir = b.write();
    const file = path.join(dir, 'tblChat.csv');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"SAYS-NULL"', 'NULL'));
    expect(fs.readFileSync(file, 'utf8')).toMatch(/,NULL,/);
    expect((await migrate(dir)).outcome).toBe('completed');
    const messages = Object.values((await snap()).messages).flat();
    expect(messages.map((m) => [m.content, m.rtf])).toEqual([
      ['NULL', null],
      ['empty rtf', null],
    ]);
  });

  it("reads Windows PowerShell's Export-Csv: a #TYPE line, and -UseCulture's semicolons", async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Kultur');
    b.chat(r, alice, 'Grüße; mit Semikolon, und Komma');
    const report = await migrate(b.write(undefined, { separator: ';', typeLine: true, bom: true }));
    expect(report.outcome).toBe('completed');
    expect(Object.values((await snap()).messages).flat().map((m) => m.content)).toEqual(['Grüße; mit Semikolon, und Komma']);
    expect((await snap()).rooms.map((x) => x.name)).toContain('Kultur');
  });

  it('reads UTF-16 without a byte order mark (bcp -w), and a Windows code page with --encoding', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Größe');
    b.chat(r, alice, 'Grüße aus Köln');
    expect((await migrate(b.write(undefined, { encoding: 'utf16le' }))).outcome).toBe('completed');
    expect(Object.values((await snap()).messages).flat().map((m) => m.content)).toEqual(['Grüße aus Köln']);
    const latin = b.write(undefined, { encoding: 'latin1' });
    await expect(migrate(latin)).rejects.toThrow(/not valid utf-8 text — .*--encoding windows-1252/);
    expect((await migrate(latin, { encoding: 'windows-1252' })).outcome).toBe('completed');
    expect((await snap()).rooms.map((x) => x.name)).toContain('Größe');
  });

  it("reads Export-Csv's date-times in the session's culture: told by --culture, or by the value when unambiguous", async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Zeiten');
    b.chat(r, alice, 'first');
    b.chat(r, alice, 'second');
    const [first, second] = b.tables.tblChat!;
    first!.chatDate = '2/1/2013 9:30:15 PM';
    second!.chatDate = '2/1/2013 9:30:16 PM';
    const ambiguous = b.write();
    await expect(migrate(ambiguous)).rejects.toThrow(/tblChat\.csv:2: chatDate '2\/1\/2013 9:30:15 PM' could be day-first or month-first: give the culture that wrote the dump with --culture/);
    await expect(migrate(ambiguous, { culture: 'tlh-KL' })).rejects.toThrow(/--culture: 'tlh-KL' is not a culture Stoa knows/);
    expect((await migrate(ambiguous, { culture: 'en-US' })).outcome).toBe('completed');
    expect(Object.values((await snap()).messages).flat().map((m) => [m.content, new Date(m.postedAt).toISOString()])).toEqual([
      ['first', '2013-02-01T21:30:15.000Z'],
      ['second', '2013-02-01T21:30:16.000Z'],
    ]);
    // de-DE writes dd.MM.yyyy: day first, told by the dots alone.
    const other = small();
    const room = other.b.room(other.cat, 'Punkte');
    other.b.chat(room, other.alice, 'am ersten Februar');
    other.b.tables.tblChat![0]!.chatDate = '01.02.2013 21:30:15';
    await target.close();
    target = await openArchiveDeployment(await sqliteStore());
    expect((await migrate(other.b.write(undefined, { separator: ';' }))).outcome).toBe('completed');
    expect(Object.values((await snap()).messages).flat().map((m) => new Date(m.postedAt).toISOString())).toEqual(['2013-02-01T21:30:15.000Z']);
  });

  it('lists migrated principals by SIP address or DN, as the cmdlets do, with the legacy name as display name', async () => {
    const b = new LegacyDumpBuilder('hierarchical');
    const domain = b.domainPrincipal();
    b.scope(b.root, domain);
    const adams1 = b.user('alice', { display: 'Alice Adams' });
    const adams2 = b.user('alice.adams', { display: 'Alice Adams' });
    const admins = b.group('Chat Admins');
    for (const p of [adams1, adams2, admins]) b.affiliate(p, domain);
    const cat = b.category(b.root, 'Team');
    const r = b.room(cat, 'Two Alices');
    b.role(r, adams1, 'Member');
    b.role(r, adams2, 'Member');
    b.role(r, admins, 'Manager');
    expect((await migrate(b.write())).outcome).toBe('completed');
    const [room] = await listRooms(target.services, SYSTEM_ACTOR, { filter: 'Two Alices' });
    expect(room?.members).toEqual(['sip:alice.adams@contoso.example', 'sip:alice@contoso.example']);
    expect(room?.managers).toEqual(['CN=Chat Admins,OU=Groups,DC=contoso,DC=example']);
    const [alice] = await listPrincipals(target.services, SYSTEM_ACTOR, { key: 'sip:alice@contoso.example' });
    expect(alice).toMatchObject({ key: 'sip:alice@contoso.example', displayName: 'Alice Adams' });
    // -AsObject: display names, where two people may read alike.
    const [asObject] = await listRooms(target.services, SYSTEM_ACTOR, { filter: 'Two Alices', labels: 'display' });
    expect(asObject?.members).toEqual(['Alice Adams', 'Alice Adams']);
    expect(asObject?.managers).toEqual(['Chat Admins']);
  });

  it('keeps the messages of authors without a SIP address under a placeholder that says so', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Old voices');
    const ghost = b.principal({ prinUri: null, prinName: 'CONTOSO\\gone', prinDisplayName: 'Gone Person', prinTypeID: 5 });
    b.chat(r, ghost, 'said before the SIP address was removed');
    b.chat(r, alice, 'reply');
    b.chat(r, ghost, 'and again');
    const report = await migrate(b.write());
    expect(report.outcome).toBe('completed');
    const key = `sip:legacy-author-${ghost}@legacy.invalid`;
    const messages = Object.values((await snap()).messages).flat();
    expect(messages.map((m) => [m.content, m.author])).toEqual([
      ['said before the SIP address was removed', key],
      ['reply', 'sip:alice@contoso.example'],
      ['and again', key],
    ]);
    const [placeholder] = await listPrincipals(target.services, SYSTEM_ACTOR, { key });
    expect(placeholder).toMatchObject({ key, status: 'disabled', displayName: 'Gone Person (legacy author without a SIP address)' });
    expect(report.findings.filter((f) => f.legacyId === `principal ${ghost}` && f.severity === 'warning').map((f) => f.message)).toEqual([
      `2 message(s) by an author Stoa cannot key as a user (no SIP address (prinUri '')): kept under the placeholder ${key} (disabled)`,
    ]);
    // A second run changes nothing: the placeholder is keyed on the legacy id.
    const before = await snap();
    expect((await migrate(b.write())).outcome).toBe('completed');
    expect(await snap()).toEqual(before);
  });

  it('expands nested groups for scope checks: a user in a group inside the scope group is in scope', async () => {
    const b = new LegacyDumpBuilder('hierarchical');
    const outer = b.group('Engineering');
    const inner = b.group('Platform');
    const deeper = b.group('Platform On-call');
    const dana = b.user('dana');
    const eve = b.user('eve');
    b.affiliate(inner, outer);
    b.affiliate(deeper, inner);
    b.affiliate(dana, deeper);
    b.affiliate(eve, deeper);
    b.affiliate(deeper, outer); // a second path to Engineering,
    b.affiliate(outer, deeper); // and a cycle in the dump's rows: the walk ends, it does not loop
    const cat = b.category(b.root, 'Eng');
    b.scope(cat, outer);
    const r = b.room(cat, 'Nested');
    b.role(r, dana, 'Member');
    b.role(r, eve, 'Manager');
    const report = await migrate(b.write());
    expect(report.outcome).toBe('completed');
    expect(room(await snap(), 'Nested')).toMatchObject({ members: ['sip:dana@contoso.example'], managers: ['sip:eve@contoso.example'] });
    expect(report.findings.filter((f) => /outside the scope/.test(f.message))).toEqual([]);
  });

  it('reports each setting of its own a node loses to an inheritance lock, a private room made visible as a warning', async () => {
    const { b } = small();
    const locked = b.category(b.root, 'Locked', { inheritance: true, visibility: 'scope', filePost: false });
    const r = b.room(locked, 'Was private', { visibility: 'private', filePost: true });
    const free = b.category(b.root, 'Free', { visibility: 'scope' });
    b.room(free, 'Still private', { visibility: 'private' });
    const report = await migrate(b.write());
    expect(report.outcome).toBe('completed');
    const s = await snap();
    expect([room(s, 'Was private').privacy, room(s, 'Still private').privacy]).toEqual(['Closed', 'Secret']);
    const c16 = rule(report, 'C16').filter((f) => f.legacyId?.includes(String(r)));
    expect(c16.map((f) => f.severity)).toEqual(['warning']);
    expect(c16[0]?.message).toMatch(/own visibility Secret \(private\) gives way to Closed \(scope\): category \d+ 'Locked' locks inheritance; the room becomes visible in the directory/);
    expect(rule(report, 'C11').map((f) => f.message)).toContainEqual(expect.stringMatching(/own file upload setting \(on\) gives way to off: category \d+ 'Locked' locks inheritance/));
  });

  it('a room named like its category: refused with the exact rename-map row, or renamed with --resolve-name-collisions', async () => {
    const { b } = small();
    const eng = b.category(b.root, 'Engineering');
    const r = b.room(eng, 'Engineering');
    b.room(eng, 'Builds');
    const refused = await migrate(b.write(), { whatIf: true });
    expect(refused.outcome).toBe('refused');
    const errors = rule(refused, 'C2').filter((f) => f.severity === 'error').map((f) => f.message);
    expect(errors).toEqual([`becomes 'Engineering', the name /Engineering (${eng}) also gets; add the row ${r},Engineering (room) to --rename-map, or run with --resolve-name-collisions`]);
    // The row it names works as given...
    const map = path.join(tempDir(), 'renames.csv');
    fs.writeFileSync(map, `${r},Engineering (room)\n`);
    expect((await migrate(b.write(), { renameMap: map, whatIf: true })).outcome).toBe('what-if');
    // ... and the option gives the same name, reported.
    const resolved = await migrate(b.write(), { resolveNameCollisions: true });
    expect(resolved.outcome).toBe('completed');
    expect((await snap()).rooms.map((x) => x.name).sort()).toEqual(['Builds', 'Engineering (room)']);
    expect(rule(resolved, 'C2').filter((f) => f.severity === 'warning').map((f) => f.message)).toEqual([
      `becomes 'Engineering (room)': 'Engineering' is the name /Engineering (${eng}) also gets (--resolve-name-collisions)`,
    ]);
  });

  it('reads bcp -c files byte-exact: quotes are characters, NUL is the empty string, an empty field NULL', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Raw');
    b.chat(r, alice, '"Quoted" at the start, and "here"');
    b.chat(r, alice, 'NULL');
    b.chat(r, alice, '');
    b.chat(r, alice, 'with rtf', { rtf: '{\\rtf1 "x"}' });
    const report = await migrate(b.writeBcp());
    expect(report.outcome).toBe('completed');
    expect(Object.values((await snap()).messages).flat().map((m) => [m.content, m.rtf])).toEqual([
      ['"Quoted" at the start, and "here"', null],
      ['NULL', null],
      ['', null],
      ['with rtf', '{\\rtf1 "x"}'],
    ]);
  });

  it('finds tables under the names the tools give them: a schema prefix, brackets, .txt and .dat', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Renamed files');
    b.chat(r, alice, 'found by any name');
    const csv = b.write();
    const tsv = b.write(undefined, { tsv: true });
    // SSMS and the wizard write dbo.tblX.csv, bcp tblX.dat (tab-separated), some scripts [dbo].[tblX].txt.
    const forms = [(t: string) => `dbo.${t}.csv`, (t: string) => `[dbo].[${t}].txt`, (t: string) => `${t}.dat`, (t: string) => `DBO.${t.toUpperCase()}.TXT`];
    const dump = tempDir();
    for (const [i, file] of fs.readdirSync(csv).sort().entries()) {
      const table = file.replace(/\.csv$/, '');
      const name = forms[i % forms.length]!(table);
      fs.copyFileSync(name.endsWith('.dat') ? path.join(tsv, `${table}.tsv`) : path.join(csv, file), path.join(dump, name));
    }
    expect(fs.readdirSync(dump).some((f) => f.endsWith('.dat'))).toBe(true);
    const report = await migrate(dump);
    expect(report.outcome).toBe('completed');
    expect(Object.values((await snap()).messages).flat().map((m) => m.content)).toEqual(['found by any name']);
  });

  it('delta runs: a newer dump of the same deployment adds only what is new', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Talk');
    b.chat(r, alice, 'one');
    b.chat(r, alice, 'two');
    expect((await migrate(b.write())).outcome).toBe('completed');
    b.chat(r, alice, 'three');
    const later = b.room(cat, 'Later');
    b.chat(later, alice, 'new room');
    const delta = await migrate(await b.zip());
    expect(delta.outcome).toBe('completed');
    expect(delta.import!.counts.messages).toMatchObject({ created: 2 });
    expect(delta.import!.counts.rooms).toMatchObject({ created: 1, updated: 0 });
    expect(delta.import!.counts.categories).toMatchObject({ created: 0, updated: 0 });
    const s = await snap();
    expect(Object.values(s.messages).flat().map((m) => m.content).sort()).toEqual(['new room', 'one', 'three', 'two']);
  });
});

describe('legacy dumps Stoa refuses', () => {
  async function refused(dump: string, message: RegExp): Promise<void> {
    const before = await snapshot(target);
    const err = await migrate(dump).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('MIGRATION_INVALID');
    expect((err as AppError).message).toMatch(message);
    expect(await snapshot(target)).toEqual(before);
    expect(await pendingEvents(target.services)).toEqual([]);
  }

  const withTable = (b: LegacyDumpBuilder, table: string, text: string | Buffer) => {
    const dir = b.write();
    fs.writeFileSync(path.join(dir, `${table}.csv`), text);
    return dir;
  };

  it('a missing table, a missing column, an extra column kept out, a wrong type', async () => {
    const { b } = small();
    const dir = b.write();
    fs.rmSync(path.join(dir, 'tblChat.csv'));
    fs.writeFileSync(path.join(dir, 'tblChat.xlsx'), 'not a table');
    await refused(dir, /lacks tblChat\.csv \(one file per table, named <table>\.csv, \.tsv, \.txt or \.dat, with or without a schema prefix such as dbo\.\); it holds: .*tblChat\.xlsx/);
    fs.writeFileSync(path.join(dir, 'dbo.tblNode.txt'), 'x');
    await refused(dir, /two files for table tblnode: .*\(keep one of them\)/);
    await refused(withTable(small().b, 'tblRoleType', '"rtypeID","description"\r\n"1","Member"\r\n'), /tblRoleType\.csv:1: the header lacks rtypeDesc/);
    await refused(withTable(small().b, 'tblRoleType', '"rtypeID","rtypeDesc"\r\n"one","Member"\r\n'), /tblRoleType\.csv:2: rtypeID 'one' is not a whole number/);
    await refused(withTable(small().b, 'tblRoleType', '"rtypeID","rtypeDesc"\r\n"1","Member","extra"\r\n'), /tblRoleType\.csv:2: 3 fields where the header names 2/);
  });

  it('every problem of the dump in one run, each with its file and line; a file that cannot be read on does not hide the others', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'Broken');
    b.chat(r, alice, 'one');
    b.chat(r, alice, 'two');
    b.chat(r, alice, 'three');
    const dir = b.write();
    const chat = path.join(dir, 'tblChat.csv');
    const lines = fs.readFileSync(chat, 'utf8').split('\r\n');
    lines[1] = lines[1]!.replace(/^"\d+"/, '"x"');
    lines[3] = `${lines[3]},"extra"`;
    fs.writeFileSync(chat, lines.join('\r\n'));
    fs.writeFileSync(path.join(dir, 'tblRoleType.csv'), '"rtypeID","rtypeDesc"\r\n"1","Mem\r\n');
    fs.rmSync(path.join(dir, 'tblSiopWhiteList.csv'));
    const err = (await migrate(dir).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.message).toMatch(/^4 problems in the dump; the first: .*lacks tblSiopWhiteList\.csv/);
    expect(err.details?.problems).toEqual([
      expect.stringMatching(/lacks tblSiopWhiteList\.csv/),
      expect.stringMatching(/^tblRoleType\.csv:2: a quoted field is never closed/),
      expect.stringMatching(/^tblChat\.csv:2: channelId 'x' is not a whole number/),
      expect.stringMatching(/^tblChat\.csv:4: 8 fields where the header names 7/),
    ]);
    // The limit ends reading early and says so.
    const limited = (await migrateLegacy(target.services, SYSTEM_ACTOR, { source: dir, maxProblems: 2 }).catch((e: unknown) => e)) as AppError;
    expect(limited.message).toMatch(/^2 problems in the dump \(reading stopped after 2(, \d+ more not listed)?: fix these and run again\)/);
  });

  it('malformed CSV, bad encoding, duplicate keys', async () => {
    await refused(withTable(small().b, 'tblRoleType', '"rtypeID","rtypeDesc"\r\n"1","Mem\r\n'), /tblRoleType\.csv:2: a quoted field is never closed/);
    await refused(withTable(small().b, 'tblRoleType', Buffer.concat([Buffer.from('"rtypeID","rtypeDesc"\r\n"1","'), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('"\r\n')])), /tblRoleType\.csv:2: the file is not valid utf-8 text/);
    await refused(withTable(small().b, 'tblRoleType', '"rtypeID","rtypeDesc"\r\n"1","Member"\r\n"1","Manager"\r\n'), /tblRoleType\.csv:3: a second row for rtypeID 1/);
  });

  it('dangling references and a cycle in parentID', async () => {
    const a = small();
    const r = a.b.room(a.cat, 'R');
    a.b.chat(r, 999, 'from nobody');
    await refused(a.b.write(), /tblChat\.csv:2: userId 999 is not a principal in tblPrincipal\.csv/);
    const c = small();
    c.b.room(4242, 'Orphan');
    await refused(c.b.write(), /node \d+ \(Orphan\) has parent 4242, which is not in the dump/);
    const d = small();
    const x = d.b.category(d.cat, 'X');
    const y = d.b.category(x, 'Y');
    d.b.nodeRow(x).parentID = y;
    await refused(d.b.write(), /go round in a circle/);
  });

  it('compliance XML with a DOCTYPE (XXE, billion laughs) or malformed', async () => {
    const xml = (text: string) => {
      const dir = tempDir('stoa-gc-xml-');
      fs.writeFileSync(path.join(dir, 'a.xml'), text);
      return dir;
    };
    const run = (dir: string) => migrate(small().b.write(), { complianceXml: dir });
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><Conversations><Conversation><Channel uri="&lol2;"/></Conversation></Conversations>`;
    const xxe = `<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><Conversations>&x;</Conversations>`;
    for (const [text, message] of [
      [laughs, /a\.xml:1: a document type declaration \(DOCTYPE\) is refused/],
      [xxe, /a\.xml:1: a document type declaration \(DOCTYPE\) is refused/],
      ['<Conversations><Conversation></Conversations>', /a\.xml: not well-formed XML/],
    ] as const) {
      const before = await snapshot(target);
      await expect(run(xml(text))).rejects.toThrow(message);
      expect(await snapshot(target)).toEqual(before);
    }
  });

  it('a time that is neither ticks nor ISO 8601', async () => {
    const { b, cat, alice } = small();
    const r = b.room(cat, 'R');
    b.chat(r, alice, 'x');
    b.tables.tblChat![0]!.chatDate = 'last tuesday';
    await refused(b.write(), /tblChat\.csv:2: chatDate 'last tuesday' is neither \.NET ticks, an ISO 8601 time nor a date-time of a culture/);
    expect(ticksOf(0)).toBe('621355968000000000');
  });
});

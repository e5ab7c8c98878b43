/**
 * Legacy dumps written the way D3 describes them (one CSV per table, a header of the
 * documented column names, PowerShell-style quoting, .NET ticks), in either shape: the
 * Lync 2010 hierarchical tblNode or the flat 2013 / SfB 2015 one. Tests describe a
 * deployment with the builder; `generateDump` makes one of any size from a seed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yazl from 'yazl';
import { UNIX_EPOCH_TICKS } from '../../src/migration/sources/legacy/ticks.js';

/** A fresh temporary folder (not the test store harness: benches use this file too). */
const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

type Value = string | number | boolean | null | undefined;
type Row = Record<string, Value>;
export type Shape = 'hierarchical' | 'flat';

export const ROLE_TYPES = { Member: 1, Manager: 2, Voiced: 3, Creator: 4, Administrator: 5 } as const;
export type RoleName = keyof typeof ROLE_TYPES;

export interface NodeSettings {
  description?: string;
  topic?: string;
  invite?: boolean | null;
  logged?: boolean | null;
  filePost?: boolean | null;
  inheritance?: boolean;
  overrideMember?: boolean;
  restrictChildCreate?: boolean | null;
  visibility?: 'private' | 'scope' | 'open' | null;
  auditorium?: boolean;
  disabled?: boolean;
  addin?: string;
  guid?: string;
}

const VISIBILITY = { private: 2, scope: 3, open: 6 } as const;

/** .NET ticks of a time (ms since 1970, plus ticks within the ms). */
export const ticksOf = (ms: number, sub = 0): string => (UNIX_EPOCH_TICKS + BigInt(ms) * 10000n + BigInt(sub)).toString();

let builders = 0;

export class LegacyDumpBuilder {
  readonly tables: Record<string, Row[]> = {};
  private nextNode = 2;
  private nextPrincipal = 100;
  private readonly lastChat = new Map<number, number>();
  readonly root = 1;

  constructor(
    readonly shape: Shape = 'hierarchical',
    readonly domain = 'contoso.example',
    root: NodeSettings & { name?: string } = {},
  ) {
    for (const t of ['tblPrincipal', 'tblPrincipalAffiliations', 'tblSiopWhiteList', 'tblNode', 'tblRoleType', 'tblScopePrincipal', 'tblPrincipalRole', 'tblPrincipalInvites', 'tblChat']) this.tables[t] = [];
    for (const [desc, id] of Object.entries(ROLE_TYPES)) this.tables.tblRoleType!.push({ rtypeID: id, rtypeDesc: desc });
    this.node(1, 1, true, root.name ?? 'Root', root);
  }

  /** Deterministic GUIDs: the builder's number in this process and a counter (two builders never share one). */
  private readonly instance = ++builders;
  private guids = 0;

  private guid(): string {
    const n = ++this.guids;
    return `${this.instance.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  }

  private node(id: number, parent: number, category: boolean, name: string, s: NodeSettings): number {
    const bit = (v: boolean | null | undefined) => (v === undefined || v === null ? null : v ? 1 : 0);
    const row: Row = {
      nodeID: id,
      nodeGuid: s.guid ?? this.guid(),
      parentID: parent,
      nodeType: category ? 1 : 0,
      nodeName: name,
      nodeDesc: s.description ?? '',
      invite: bit(s.invite),
      logged: bit(s.logged),
      filePost: bit(s.filePost),
      disabled: s.disabled === true ? 1 : 0,
      behavior: s.auditorium === true ? 5 : 4,
      visibility: s.visibility === undefined || s.visibility === null ? null : VISIBILITY[s.visibility],
      nodeAddedOn: ticksOf(Date.UTC(2011, 0, 1) + id * 1000),
    };
    if (this.shape === 'hierarchical') {
      Object.assign(row, { topic: s.topic ?? null, inheritance: s.inheritance === true ? 1 : 0, scopeChange: 1, overrideMember: s.overrideMember === true ? 1 : 0, restrictChildCreate: bit(s.restrictChildCreate) });
    } else {
      Object.assign(row, { siopID: s.addin ?? null });
    }
    if (this.shape === 'hierarchical' && s.addin !== undefined) row.siopID = s.addin;
    this.tables.tblNode!.push(row);
    return id;
  }

  category(parent: number, name: string, s: NodeSettings = {}): number {
    return this.node(this.nextNode++, parent, true, name, s);
  }

  room(parent: number, name: string, s: NodeSettings = {}): number {
    return this.node(this.nextNode++, parent, false, name, s);
  }

  nodeRow(id: number): Row {
    return this.tables.tblNode!.find((r) => r.nodeID === id)!;
  }

  /** A tblPrincipal row as given (tests make principals the typed helpers cannot). */
  principal(row: Row): number {
    const id = this.nextPrincipal++;
    this.tables.tblPrincipal!.push({ prinID: id, prinGuid: this.guid(), prinDisabled: 0, prinAddedOn: ticksOf(Date.UTC(2010, 5, 1)), ...row });
    this.tables.tblPrincipalAffiliations!.push({ principalID: id, affiliationID: id, index: -1 });
    return id;
  }

  user(name: string, opts: { domain?: string; disabled?: 0 | 1 | 2; dn?: string; display?: string } = {}): number {
    const domain = opts.domain ?? this.domain;
    return this.principal({ prinUri: `sip:${name}@${domain}`, prinName: name, prinDisplayName: opts.display ?? name, prinEmail: `${name}@${domain}`, prinADPath: opts.dn ?? `CN=${name},OU=Users,DC=${domain.split('.').join(',DC=')}`, prinTypeID: 5, prinDisabled: opts.disabled ?? 0 });
  }

  federatedUser(address: string): number {
    return this.principal({ prinUri: `sip:${address}`, prinName: address, prinDisplayName: address, prinTypeID: 7 });
  }

  group(cn: string, ou = 'Groups'): number {
    return this.principal({ prinUri: `ma-grp:${cn}@u.g`, prinName: cn, prinADPath: `CN=${cn},OU=${ou},DC=${this.domain.split('.').join(',DC=')}`, prinTypeID: 9 });
  }

  federatedGroup(name: string): number {
    return this.principal({ prinUri: `ma-grp:${name}@u.g`, prinName: name, prinTypeID: 11 });
  }

  folder(ou: string): number {
    return this.principal({ prinUri: `ma-grp:${ou}@u.g`, prinName: ou, prinADPath: `OU=${ou},DC=${this.domain.split('.').join(',DC=')}`, prinTypeID: 10 });
  }

  domainPrincipal(domain = this.domain): number {
    return this.principal({ prinUri: `ma-grp:${domain}@u.g`, prinName: domain, prinADPath: `DC=${domain.split('.').join(',DC=')}`, prinTypeID: 8 });
  }

  affiliate(principal: number, of: number): void {
    this.tables.tblPrincipalAffiliations!.push({ principalID: principal, affiliationID: of, index: 1 });
  }

  role(node: number, principal: number, role: RoleName): void {
    this.tables.tblPrincipalRole!.push({ prinRoleNodeID: node, prinRolePrinID: principal, prinRoleTypeID: ROLE_TYPES[role] });
  }

  scope(node: number, principal: number, denied = false): void {
    this.tables.tblScopePrincipal!.push({ scopeNodeID: node, scopePrinID: principal, ...(this.shape === 'flat' ? { scopeIsDenied: denied ? 1 : 0 } : {}) });
  }

  addin(name: string, url: string): string {
    const id = this.guid();
    this.tables.tblSiopWhiteList!.push({ siopID: id, siopName: name, siopUrl: url });
    return id;
  }

  chat(room: number, user: number, content: string, opts: { at?: number; ticks?: number; alert?: boolean; rtf?: string } = {}): number {
    const chatId = (this.lastChat.get(room) ?? 0) + 1;
    this.lastChat.set(room, chatId);
    const at = opts.at ?? Date.UTC(2012, 0, 1) + chatId * 60_000;
    this.tables.tblChat!.push({ channelId: room, chatId, chatDate: ticksOf(at, opts.ticks ?? 0), userId: user, isAlert: opts.alert === true ? 1 : 0, content, rtf: opts.rtf ?? null });
    return chatId;
  }

  invite(principal: number, room: number): void {
    this.tables.tblPrincipalInvites!.push({ prinID: principal, invID: this.tables.tblPrincipalInvites!.length + 1, nodeID: room, createdOn: ticksOf(Date.UTC(2013, 1, 1)) });
  }

  /** Writes the dump: a folder of CSV files (or TSV), PowerShell-style quoted. */
  write(dir = tempDir('stoa-legacy-'), opts: TableTextOptions = {}): string {
    fs.mkdirSync(dir, { recursive: true });
    for (const [table, rows] of Object.entries(this.tables)) {
      fs.writeFileSync(path.join(dir, `${table}.${opts.tsv === true ? 'tsv' : 'csv'}`), Buffer.from(tableText(table, rows, opts), opts.encoding ?? 'utf8'));
    }
    return dir;
  }

  /**
   * Writes the dump as `bcp <table> out <file>.dat -c` does — tab-separated, no quoting,
   * NULL as an empty field, an empty string as one NUL byte — with a header line added
   * (bcp writes none; administrators add one, or give a format file). Text must hold
   * no tab or line break: bcp -c cannot tell those from its terminators.
   */
  writeBcp(dir = tempDir('stoa-legacy-bcp-')): string {
    fs.mkdirSync(dir, { recursive: true });
    for (const [table, rows] of Object.entries(this.tables)) {
      const columns = columnsOf(table, rows);
      const field = (v: Value) => (v === null || v === undefined ? '' : v === '' ? '\u0000' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
      const lines = [columns.join('\t'), ...rows.map((r) => columns.map((c) => field(r[c])).join('\t'))];
      fs.writeFileSync(path.join(dir, `${table}.dat`), `${lines.join('\r\n')}\r\n`);
    }
    return dir;
  }

  /** Writes the dump as one .zip. */
  async zip(file = path.join(tempDir('stoa-legacy-'), 'dump.zip')): Promise<string> {
    const zip = new yazl.ZipFile();
    for (const [table, rows] of Object.entries(this.tables)) zip.addBuffer(Buffer.from(tableText(table, rows, {})), `dump/${table}.csv`);
    zip.end();
    await new Promise<void>((resolve, reject) => zip.outputStream.pipe(fs.createWriteStream(file)).on('close', resolve).on('error', reject));
    return file;
  }
}

const COLUMNS: Record<string, string[]> = {
  tblPrincipal: ['prinID', 'prinGuid', 'prinUri', 'prinName', 'prinDisplayName', 'prinEmail', 'prinADPath', 'prinDisabled', 'prinTypeID', 'prinAddedOn'],
  tblPrincipalAffiliations: ['principalID', 'affiliationID', 'index'],
  tblSiopWhiteList: ['siopID', 'siopName', 'siopUrl'],
  tblRoleType: ['rtypeID', 'rtypeDesc'],
  tblPrincipalRole: ['prinRoleNodeID', 'prinRolePrinID', 'prinRoleTypeID'],
  tblPrincipalInvites: ['prinID', 'invID', 'nodeID', 'createdOn'],
  tblChat: ['channelId', 'chatId', 'chatDate', 'userId', 'isAlert', 'content', 'rtf'],
};

function columnsOf(table: string, rows: Row[]): string[] {
  if (table === 'tblNode' || table === 'tblScopePrincipal') {
    const names = new Set<string>(table === 'tblNode' ? ['nodeID', 'nodeGuid', 'parentID', 'nodeType', 'nodeName', 'nodeDesc'] : ['scopeNodeID', 'scopePrinID']);
    for (const r of rows) Object.keys(r).forEach((k) => names.add(k));
    return [...names];
  }
  return COLUMNS[table]!;
}

export function csvField(v: Value, tsv = false): string {
  if (v === null || v === undefined) return tsv ? '' : '""';
  const text = typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
  if (tsv && !/["\t\r\n]/.test(text)) return text;
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * How a table is written. The default is PowerShell 7's `Export-Csv` (every field quoted,
 * comma, no type line); `typeLine` adds Windows PowerShell 5.1's `#TYPE System.Data.DataRow`
 * (without -NoTypeInformation), `separator: ';'` is `-UseCulture` in de-DE, fr-FR and
 * most of Europe.
 */
export interface TableTextOptions {
  tsv?: boolean;
  bom?: boolean;
  separator?: ',' | ';';
  typeLine?: boolean;
  /** Bytes as written: UTF-8 (default), UTF-16LE without a mark (bcp -w), or Latin-1 / Windows-1252 (Latin-1 text only). */
  encoding?: 'utf8' | 'utf16le' | 'latin1';
}

export function tableText(table: string, rows: Row[], opts: TableTextOptions): string {
  const columns = columnsOf(table, rows);
  const sep = opts.tsv === true ? '\t' : (opts.separator ?? ',');
  const lines = [
    ...(opts.typeLine === true ? ['#TYPE System.Data.DataRow'] : []),
    columns.map((c) => (opts.tsv === true ? c : `"${c}"`)).join(sep),
    ...rows.map((r) => columns.map((c) => csvField(r[c], opts.tsv === true)).join(sep)),
  ];
  return `${opts.bom === true ? '\ufeff' : ''}${lines.join('\r\n')}\r\n`;
}

/** A small deterministic PRNG (mulberry32), so a seed always makes the same dump. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedDump {
  dir: string;
  /** The file repository the messages' ma-filelink references point into. */
  files: string;
  builder: LegacyDumpBuilder;
  rooms: number[];
  users: number[];
  messages: number;
}

export interface GenerateOptions {
  seed?: number;
  shape?: Shape;
  /** Depth of the category tree below the root, and categories per level. */
  depth?: number;
  fanout?: number;
  roomsPerCategory?: number;
  users?: number;
  messages?: number;
  dir?: string;
}

const WORDS = ['build', 'deploy', 'release', 'Привет', '部署', 'مرحبا', 'café', 'naïve', '🚀', 'ship', 'it', 'green', 'red', 'review', 'merge'];

/**
 * A legacy deployment of any size and shape: a category tree `depth` deep with every
 * setting combination drawn from the seed, rooms of every visibility and behaviour (some
 * disabled, some with very long names), users (a few federated, disabled or deleted) in
 * groups, scopes and roles, add-ins, and `messages` messages — alerts, stories, RTF,
 * unicode and file links into a generated file repository. tblChat is streamed to disk in
 * random room order, so a million messages take no memory.
 */
export function generateDump(opts: GenerateOptions = {}): GeneratedDump {
  const random = prng(opts.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const maybe = (p: number) => random() < p;
  const tri = () => (maybe(0.5) ? null : maybe(0.5));
  const b = new LegacyDumpBuilder(opts.shape ?? 'hierarchical', 'contoso.example', { invite: true, logged: true, filePost: true });
  const domain = b.domainPrincipal();
  b.scope(b.root, domain);
  const groups = Array.from({ length: 4 }, (_, i) => b.group(`Team${i}`));
  const users: number[] = [];
  for (let i = 0; i < (opts.users ?? 40); i++) {
    const u = b.user(`user${i}`, { disabled: i % 29 === 7 ? 2 : i % 31 === 5 ? 1 : 0, display: `User ${i} ${pick(WORDS)}` });
    b.affiliate(u, domain);
    b.affiliate(u, groups[i % groups.length]!);
    users.push(u);
  }
  const federated = [b.federatedUser('partner1@fabrikam.example'), b.federatedUser('partner2@fabrikam.example')];
  b.scope(b.root, b.federatedGroup('FabrikamPartners'));
  b.role(b.root, users[0]!, 'Manager');
  b.role(b.root, users[1]!, 'Administrator');
  const addins = [b.addin('Ticker', 'https://ticker.contoso.example/'), b.addin('Wiki', 'https://wiki.contoso.example/')];
  const rooms: number[] = [];
  const level = (parent: number, depth: number, path: string) => {
    for (let i = 0; i < (opts.fanout ?? 2); i++) {
      const name = `${pick(['Eng', 'Sales', 'Ops', 'Ünïcode', '研究'])}${depth}-${i}`;
      const c = b.category(parent, name, { invite: tri(), logged: tri(), filePost: tri(), inheritance: maybe(0.2), overrideMember: maybe(0.3), restrictChildCreate: tri(), visibility: maybe(0.5) ? null : pick(['private', 'scope'] as const) });
      if (maybe(0.7)) b.scope(c, pick(groups));
      if (maybe(0.5)) b.role(c, pick(users), 'Manager');
      if (maybe(0.5)) b.role(c, pick(users), 'Member');
      if ((opts.shape ?? 'hierarchical') === 'flat' && maybe(0.5)) b.role(c, pick(users), 'Creator');
      for (let r = 0; r < (opts.roomsPerCategory ?? 3); r++) {
        const auditorium = maybe(0.2);
        const longName = maybe(0.05);
        // Unique names (rooms of first-level categories are not prefixed): the category id is in them.
        const room = b.room(c, longName ? `${'Long'.repeat(70)}${c}-${r}` : `Room ${c}-${r} ${pick(WORDS)}`, {
          invite: tri(),
          filePost: tri(),
          visibility: maybe(0.3) ? null : pick(['private', 'scope', 'open'] as const),
          auditorium,
          disabled: maybe(0.1),
          overrideMember: maybe(0.3),
          topic: maybe(0.3) ? `Topic of ${path}/${r}` : undefined,
          ...(maybe(0.3) ? { addin: pick(addins) } : {}),
        });
        for (const u of users.filter(() => maybe(0.2))) b.role(room, u, 'Member');
        if (maybe(0.3)) b.role(room, pick(federated), 'Member');
        if (auditorium) b.role(room, pick(users), 'Voiced');
        if (maybe(0.2)) b.invite(pick(users), room);
        rooms.push(room);
      }
      if (depth > 1) level(c, depth - 1, `${path}/${name}`);
    }
  };
  level(b.root, opts.depth ?? 3, '');
  b.room(b.root, 'Announcements');
  rooms.push(b.tables.tblNode!.at(-1)!.nodeID as number);

  const dir = b.write(opts.dir);
  const files = tempDir('stoa-legacy-files-');
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(files, `file${i}.txt`), `file ${i} ${'x'.repeat(i * 100)}`);
  // tblChat streamed: rooms interleaved at random, chat ids increasing per room.
  const total = opts.messages ?? 500;
  const fd = fs.openSync(path.join(dir, 'tblChat.csv'), 'w');
  const last = new Map<number, number>();
  let buffer = `${COLUMNS.tblChat!.map((c) => `"${c}"`).join(',')}\r\n`;
  const authors = [...users, ...federated];
  for (let i = 0; i < total; i++) {
    const room = pick(rooms);
    const chatId = (last.get(room) ?? 0) + 1;
    last.set(room, chatId);
    const kind = random();
    const words = Array.from({ length: 3 + Math.floor(random() * 12) }, () => pick(WORDS)).join(' ');
    const content = kind < 0.05 ? `[STORY]Story ${i}\n${words}\n${words}` : kind < 0.08 ? `see ma-filelink:file${i % 5}.txt` : words;
    const rtf = kind > 0.95 ? `{\\rtf1\\ansi ${words}}` : null;
    const at = Date.UTC(2011, 0, 1) + i * 30_000;
    buffer += [room, chatId, ticksOf(at, i % 10000), pick(authors), kind > 0.9 ? 1 : 0, content, rtf].map((v) => csvField(v)).join(',') + '\r\n';
    if (buffer.length > 1 << 20) {
      fs.writeSync(fd, buffer);
      buffer = '';
    }
  }
  fs.writeSync(fd, buffer);
  fs.closeSync(fd);
  return { dir, files, builder: b, rooms, users, messages: total };
}

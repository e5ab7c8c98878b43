/**
 * The conversion of a staged legacy dump into a Stoa archive (D3, 02 §4): principals,
 * administrators (C18), add-ins (C17), the flattened categories (C1, C4, C11, C13, C15),
 * rooms (C2–C6, C12, C14, C16, C17) and their messages (C7, stories, RTF, exact ticks),
 * and pending invitations. Every decision the rules force is recorded in the findings.
 * The archive is then loaded by the one importer (conflicts, what-if, resumption).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, type ArchiveWriter, type Manifest } from '../../../archive/container.js';
import type { Progress } from '../../../archive/progress.js';
import { ENTRY, blobEntry, messagesEntry, type AddinLine, type CategoryLine, type FileLine, type InvitationLine, type MessageLine, type PrincipalLine, type RoomLine } from '../../../archive/records.js';
import { LIMITS, normaliseName } from '../../../domain/names.js';
import { VERSION } from '../../../version.js';
import type { MigrationFindings } from './findings.js';
import { Naming, type NamingOptions } from './naming.js';
import { mapPrincipal, type LegacyPrincipalRow, type MappedPrincipal, type PrincipalMapping } from './principals.js';
import { checkReferences } from './references.js';
import { Roles } from './roles.js';
import type { Staging } from './staging.js';
import { BEHAVIOR, LegacyTree, VISIBILITY, type ResolvedNode } from './tree.js';
import { fromStoryEncoding } from './content.js';
import { FILE_LINK, contentTypeOf, type FileRepository } from './files.js';

export interface LegacyConvertOptions extends NamingOptions {
  includeDisabled: boolean;
  /** C7: messages before this time (ms) are left behind. */
  startDate?: number;
  grantAdmins: boolean;
  /** C8: the legacy file repository (--files); without it, file links stay text. */
  files?: FileRepository;
  pool: string;
  now: number;
}

/** The reserved domain of placeholder authors (RFC 2606: .invalid never resolves). */
export const PLACEHOLDER_DOMAIN = 'legacy.invalid';
const placeholderKey = (prinID: number): string => `sip:legacy-author-${prinID}@${PLACEHOLDER_DOMAIN}`;

/** A guid derived from a name (uuid version 5 layout over sha-1), stable across runs. */
export function derivedGuid(name: string): string {
  const h = createHash('sha1').update(`stoa-legacy:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

const PAGE = 2_000;
const DESCRIPTION_MAX = LIMITS.description;

interface ChatRow {
  chatId: number;
  chatDate: number;
  chatDateTicks: number;
  userId: number;
  isAlert: number | null;
  content: string | null;
  rtf: string | null;
}

export class LegacyConversion {
  readonly counts: Record<string, number> = {};
  private readonly principals = new Map<number, PrincipalMapping>();
  private readonly tree: LegacyTree;
  private readonly roles: Roles;
  private readonly naming: Naming;
  private readonly db: Database.Database;
  /** Categories (and the root category) by legacy node id → their Stoa guid. */
  private readonly categoryGuids = new Map<number, string>();
  private readonly roomGuids = new Map<number, string>();
  private readonly addins = new Set<string>();
  /** C8: files the messages link to, by guid, and the repository path of each blob. */
  private readonly fileLines = new Map<string, FileLine>();
  private readonly blobs = new Map<string, string>();
  private rootCategoryGuid: string | undefined;
  /** Placeholder users for message authors Stoa cannot key (by legacy prinID). */
  private readonly placeholders = new Map<number, string>();
  /** The legacy row each Stoa category, room and principal comes from: `rooms:<name>` → node id, `principals:<key>` → prinID. */
  private readonly sources = new Map<string, { table: 'tblNode' | 'tblPrincipal'; id: number; path: string }>();
  private readonly staging: Staging;

  constructor(
    staging: Staging,
    private readonly options: LegacyConvertOptions,
    private readonly findings: MigrationFindings,
    private readonly progress: Progress,
  ) {
    this.db = staging.db;
    this.staging = staging;
    checkReferences(this.db);
    this.tree = LegacyTree.load(staging);
    for (const row of this.db.prepare('SELECT * FROM tblPrincipal ORDER BY prinID').iterate() as Iterable<LegacyPrincipalRow>) {
      const mapping = mapPrincipal(row);
      this.principals.set(row.prinID, mapping);
      if ('dropped' in mapping) {
        findings.add({ rule: mapping.federatedGroup === true ? 'C6' : 'input', severity: 'info', legacyId: `principal ${row.prinID}`, legacyPath: row.prinUri ?? row.prinADPath ?? '', message: `not migrated: ${mapping.dropped}` });
      }
    }
    this.roles = new Roles(this.db, this.tree, this.principals, findings);
    this.naming = new Naming(this.tree, options, findings);
  }

  /**
   * The time of what the dump leaves undated (tblSiopWhiteList has no times; a 2010 dump
   * may lack nodeAddedOn): the root's creation, else 1970 — the same on every run, so a
   * second run finds nothing changed.
   */
  private get undated(): number {
    return this.tree.root.addedOn ?? 0;
  }

  private principal(id: number | null): MappedPrincipal | undefined {
    if (id === null) return undefined;
    const m = this.principals.get(id);
    return m !== undefined && 'ok' in m ? m.ok : undefined;
  }

  private keyOf(id: number | null): string | null {
    return this.principal(id)?.key ?? null;
  }

  private domainCounts: Map<string, number> | undefined;

  /** Local (not federated) users per SIP domain, counted once. */
  private userDomainCounts(): Map<string, number> {
    if (this.domainCounts !== undefined) return this.domainCounts;
    const counts = new Map<string, number>();
    for (const m of this.principals.values()) {
      if ('ok' in m && m.ok.kind === 'user' && !m.ok.federated && m.ok.domain !== null) counts.set(m.ok.domain, (counts.get(m.ok.domain) ?? 0) + 1);
    }
    return (this.domainCounts = counts);
  }

  private userDomains(): Set<string> {
    return new Set(this.userDomainCounts().keys());
  }

  /** The SIP domain most migrated local users have: the legacy lookup URI's domain. */
  /**
   * Where in the dump an object the importer names comes from — `tblNode.csv:14 (node 12,
   * /Team/Builds)` — so that a refusal by the importer points at the legacy file and line.
   */
  legacySource(kind: string, object: string): string | undefined {
    const key = kind === 'principals' ? `principals:${object}` : `${kind}:${object.toLowerCase()}`;
    const source = this.sources.get(key);
    if (source === undefined) return undefined;
    const idColumn = source.table === 'tblNode' ? 'nodeID' : 'prinID';
    const row = this.db.prepare(`SELECT _line AS line FROM "${source.table}" WHERE "${idColumn}" = ?`).get(source.id) as { line: number } | undefined;
    const file = this.staging.files[source.table] ?? `${source.table}.csv`;
    return `${file}:${row?.line ?? '?'} (${source.table === 'tblNode' ? 'node' : 'principal'} ${source.id}, ${source.path})`;
  }

  primaryDomain(): string | undefined {
    return [...this.userDomainCounts()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  }

  /** The rooms that are migrated (C5: disabled ones only with --include-disabled). */
  private migratedRooms(): ResolvedNode[] {
    return this.tree.rooms().filter((r) => {
      if (!r.disabled || this.options.includeDisabled) return true;
      this.findings.add({ rule: 'C5', severity: 'info', node: r, message: 'disabled: not migrated (--include-disabled migrates it, disabled)' });
      return false;
    });
  }

  /** Writes the whole archive (the caller finishes or aborts the writer). */
  async write(writer: ArchiveWriter): Promise<Manifest> {
    const rooms = this.migratedRooms();
    const underRoot = rooms.filter((r) => r.parentId === this.tree.root.id);
    if (underRoot.length > 0) {
      this.naming.claimRootCategory();
      this.rootCategoryGuid = derivedGuid(`${this.tree.root.guid}/root-category`);
    }
    const count = (kind: string) => (n: number) => (this.counts[kind] = (this.counts[kind] ?? 0) + n);

    this.progress.phase('principals');
    await writer.addLines(ENTRY.principals, () => this.principalLines(), count('principals'));
    await writer.addLines(ENTRY.administrators, () => this.administratorLines(), count('administrators'));
    await writer.addLines(ENTRY.addins, () => this.addinLines(), count('addins'));
    const categories = this.categoryLines(underRoot.length > 0);
    await writer.addLines(ENTRY.categories, async function* () {
      yield* categories;
    }, count('categories'));
    const roomLines = this.roomLines(rooms);
    await writer.addLines(ENTRY.rooms, async function* () {
      yield* roomLines;
    }, count('rooms'));
    this.progress.phase('messages', this.messageTotal());
    for (const room of rooms) {
      const guid = this.roomGuids.get(room.id);
      if (guid !== undefined) await writer.addLines(messagesEntry(guid), () => this.messageLines(room), count('messages'));
    }
    this.counts.messages ??= 0;
    const files = [...this.fileLines.values()];
    await writer.addLines(ENTRY.files, async function* () {
      yield* files;
    }, count('files'));
    for (const [sha, file] of this.blobs) writer.addBlob(blobEntry(sha), () => fs.createReadStream(file));
    count('blobs')(this.blobs.size);
    await writer.addLines(ENTRY.invitations, () => this.invitationLines(), count('invitations'));
    this.progress.done();
    return {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      levels: ['User', 'Category', 'RoomDirectory', 'Content'],
      counts: this.counts,
      source: { pool: this.options.pool, stoaVersion: VERSION, kind: `legacy-${this.tree.shape}` },
      createdAt: new Date(this.options.now).toISOString(),
      options: { separator: this.options.separator, rootCategory: this.options.rootCategory, shorten: this.options.shorten, resolveNameCollisions: this.options.resolveNameCollisions === true, includeDisabled: this.options.includeDisabled, ...(this.options.startDate === undefined ? {} : { startDate: new Date(this.options.startDate).toISOString() }) },
    };
  }

  // ---------------------------------------------------------------- principals (C6, C18, C20)

  private async *principalLines(): AsyncGenerator<PrincipalLine> {
    const written = new Set<string>();
    const memberOf = this.db.prepare('SELECT affiliationID AS id FROM tblPrincipalAffiliations WHERE principalID = ? AND affiliationID <> principalID ORDER BY affiliationID');
    const rows = this.db.prepare('SELECT prinID, prinGuid, prinAddedOn, prinUpdatedOn FROM tblPrincipal ORDER BY prinID').iterate() as Iterable<{ prinID: number; prinGuid: string | null; prinAddedOn: number | null; prinUpdatedOn: number | null }>;
    for (const row of rows) {
      const p = this.principal(row.prinID);
      if (p === undefined) continue;
      if (written.has(p.key)) {
        this.findings.add({ rule: 'input', severity: 'warning', legacyId: `principal ${row.prinID}`, legacyPath: p.key, message: `a second principal with the address ${p.key}: merged into the first` });
        continue;
      }
      written.add(p.key);
      this.sources.set(`principals:${p.key}`, { table: 'tblPrincipal', id: row.prinID, path: p.key });
      const groups = (memberOf.all(row.prinID) as { id: number }[]).map((a) => this.principal(a.id)).filter((g): g is MappedPrincipal => g?.kind === 'group');
      const createdAt = row.prinAddedOn ?? this.undated;
      yield {
        guid: row.prinGuid ?? derivedGuid(`principal/${p.key}`),
        kind: p.kind,
        key: p.key,
        name: p.name,
        displayName: p.displayName,
        email: p.email,
        dn: p.dn,
        domain: p.domain,
        site: null,
        status: p.status,
        federated: p.federated,
        policy: null,
        createdAt,
        updatedAt: Math.max(row.prinUpdatedOn ?? createdAt, createdAt),
        memberOf: [...new Set(groups.map((g) => g.key))].sort(),
      };
    }
    yield* this.placeholderLines();
  }

  /**
   * Authors of messages the dump keeps but Stoa cannot key as users (no SIP address, a
   * pseudo-principal, a group): their messages stay, under a placeholder user that says
   * so — disabled, keyed `sip:legacy-author-<prinID>@legacy.invalid` (the reserved
   * `.invalid` domain: nobody signs in as it), the legacy name in its display name.
   */
  private async *placeholderLines(): AsyncGenerator<PrincipalLine> {
    const from = this.options.startDate ?? 0;
    const authors = this.db.prepare('SELECT userId, COUNT(*) AS n FROM tblChat WHERE chatDate >= ? GROUP BY userId ORDER BY userId').all(from) as { userId: number; n: number }[];
    const names = this.db.prepare('SELECT prinName, prinDisplayName, prinUri, prinAddedOn FROM tblPrincipal WHERE prinID = ?');
    for (const { userId, n } of authors) {
      if (this.principal(userId)?.kind === 'user') continue;
      const row = names.get(userId) as { prinName: string | null; prinDisplayName: string | null; prinUri: string | null; prinAddedOn: number | null } | undefined;
      const key = placeholderKey(userId);
      const legacyName = [row?.prinDisplayName, row?.prinName, row?.prinUri].find((v) => v !== null && v !== undefined && v.trim() !== '')?.trim();
      const why = (this.principals.get(userId) as { dropped?: string } | undefined)?.dropped ?? `a ${this.principal(userId)?.kind ?? 'principal'}, not a user`;
      this.placeholders.set(userId, key);
      this.findings.add({
        rule: 'input',
        severity: 'warning',
        legacyId: `principal ${userId}`,
        legacyPath: legacyName ?? '',
        message: `${n} message(s) by an author Stoa cannot key as a user (${why}): kept under the placeholder ${key} (disabled)`,
      });
      const createdAt = row?.prinAddedOn ?? this.undated;
      yield {
        guid: derivedGuid(`principal/${key}`),
        kind: 'user',
        key,
        name: key,
        displayName: `${legacyName ?? `legacy principal ${userId}`} (legacy author without a SIP address)`.slice(0, 256),
        email: null,
        dn: null,
        domain: PLACEHOLDER_DOMAIN,
        site: null,
        status: 'disabled',
        federated: false,
        policy: null,
        createdAt,
        updatedAt: createdAt,
        memberOf: [],
      };
    }
  }

  private async *administratorLines(): AsyncGenerator<{ principal: string }> {
    for (const id of this.roles.holders('administrator')) {
      const p = this.principal(id);
      const legacyPath = p?.key ?? '';
      if (p === undefined || p.kind !== 'user' || p.federated) {
        this.findings.add({ rule: 'C18', severity: 'warning', legacyId: `principal ${id}`, legacyPath, message: 'a legacy administrator that cannot be a Stoa administrator (not a local user)' });
        continue;
      }
      this.findings.add({ rule: 'C18', severity: 'info', legacyId: `principal ${id}`, legacyPath, message: this.options.grantAdmins ? 'legacy administrator: made a Stoa administrator (--grant-admins)' : 'legacy administrator: not made a Stoa administrator (--grant-admins would)' });
      if (this.options.grantAdmins) yield { principal: p.key };
    }
  }

  // ---------------------------------------------------------------- add-ins (C17)

  private async *addinLines(): AsyncGenerator<AddinLine> {
    const rows = this.db.prepare('SELECT siopID, siopName, siopUrl FROM tblSiopWhiteList ORDER BY siopID').all() as { siopID: string; siopName: string; siopUrl: string }[];
    for (const a of rows) {
      let name: string;
      try {
        name = normaliseName(a.siopName, 'add-in', LIMITS.addinName);
        const url = new URL(a.siopUrl);
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not an http(s) URL');
        if (a.siopUrl.length > LIMITS.addinUrl) throw new Error(`longer than ${LIMITS.addinUrl} characters`);
      } catch (err) {
        this.findings.add({ rule: 'C17', severity: 'warning', legacyId: `add-in ${a.siopID}`, legacyPath: a.siopName, message: `not migrated: ${(err as Error).message}; rooms that use it lose their add-in` });
        continue;
      }
      this.addins.add(a.siopID);
      yield { guid: a.siopID, name, url: a.siopUrl, createdAt: this.undated, updatedAt: this.undated };
    }
  }

  // ---------------------------------------------------------------- categories (C1, C4, C11, C13, C15)

  private scopeKeys(category: ResolvedNode, node: ResolvedNode): { allowed: string[]; denied: string[] } {
    const scope = this.roles.legacyScope(category);
    if (scope === undefined) {
      // 02 §2.4: the root's scope is the whole directory; a dump without one is read so.
      const domains = this.userDomains();
      this.findings.add({ rule: 'C13', severity: 'warning', node, message: `no scope on the category or above it: allowed members are the domains of the migrated users (${[...domains].sort().join(', ')})` });
      return { allowed: [...domains].sort(), denied: [] };
    }
    const side = (ids: number[], which: string) => {
      const out = new Set<string>();
      for (const id of ids) {
        const m = this.principals.get(id);
        if (m !== undefined && 'ok' in m && m.ok.legacyDisabled !== 2) out.add(m.ok.key);
        else if (m !== undefined && 'dropped' in m && m.federatedGroup === true) this.findings.add({ rule: 'C6', severity: 'warning', node, message: `${which}: federated group ${id} dropped from the scope (Stoa has no federation)` });
        else this.findings.add({ rule: 'C13', severity: 'warning', node, message: `${which}: principal ${id} dropped from the scope (${m === undefined ? 'unknown' : 'ok' in m ? 'its directory object was deleted' : m.dropped})` });
      }
      return [...out].sort();
    };
    return { allowed: side(scope.allowed, 'allowed members'), denied: side(scope.denied, 'denied members') };
  }

  /** C15: effective managers, plus effective members where members may create rooms (2013: Creator rows too). */
  private creatorIds(category: ResolvedNode): number[] {
    const ids = new Set(this.roles.inheritedManagers(category));
    for (const n of [...category.ancestors, category]) this.roles.explicitOf(n as ResolvedNode, 'creator').forEach((id) => ids.add(id));
    if (this.tree.shape === 'hierarchical' && category.effective.restrictChildCreate === 0) this.roles.categoryMembers(category).forEach((id) => ids.add(id));
    return [...ids];
  }

  private categoryLine(node: ResolvedNode, guid: string, name: string, description: string): CategoryLine {
    const scope = this.scopeKeys(node, node);
    const createdAt = node.addedOn ?? this.undated;
    return {
      guid,
      name,
      description,
      invitations: node.effective.invite === 1,
      fileUpload: node.effective.filePost === 1,
      chatHistory: node.effective.logged === 1,
      createdAt,
      createdBy: this.keyOf(node.addedBy),
      updatedAt: Math.max(node.updatedOn ?? createdAt, createdAt),
      updatedBy: null,
      allowed: scope.allowed,
      denied: scope.denied,
      creators: this.roles.keys(this.creatorIds(node), 'creators', node, node, 'C15'),
    };
  }

  private categoryLines(withRootCategory: boolean): CategoryLine[] {
    const out: CategoryLine[] = [];
    if (withRootCategory) {
      const root = this.tree.root;
      this.findings.add({ rule: 'C1', severity: 'info', node: root, message: `rooms directly under the root go to the category '${this.naming.rootCategoryName}' (--root-category), with the root's settings, scope and managers` });
      const rootName = normaliseName(this.naming.rootCategoryName, 'category');
      this.sources.set(`categories:${rootName.toLowerCase()}`, { table: 'tblNode', id: root.id, path: root.path });
      out.push(this.categoryLine(root, this.rootCategoryGuid!, rootName, this.clip(root, root.description)));
      this.categoryGuids.set(root.id, this.rootCategoryGuid!);
    }
    for (const c of this.tree.categories()) {
      if (!this.naming.isMigratedCategory(c)) continue;
      const name = this.naming.nameOf(c);
      if (name === undefined) continue;
      this.reportLocked(c);
      this.sources.set(`categories:${name.toLowerCase()}`, { table: 'tblNode', id: c.id, path: c.path });
      out.push(this.categoryLine(c, c.guid, name, this.clip(c, c.description)));
      this.categoryGuids.set(c.id, c.guid);
    }
    return out;
  }

  private clip(node: ResolvedNode, description: string): string {
    if ([...description].length <= DESCRIPTION_MAX) return description;
    this.findings.add({ rule: 'input', severity: 'warning', node, message: `description cut to ${DESCRIPTION_MAX} characters` });
    return [...description].slice(0, DESCRIPTION_MAX).join('');
  }

  // ---------------------------------------------------------------- rooms (C2–C6, C11, C12, C14, C16, C17)

  /** C12: the topic goes into an empty description, else is appended when it fits, else is dropped. */
  private description(room: ResolvedNode): string {
    const description = room.description.trim();
    if (room.topic === null) return this.clip(room, description);
    if (description === '') {
      this.findings.add({ rule: 'C12', severity: 'info', node: room, message: `topic '${room.topic}' becomes the description` });
      return this.clip(room, room.topic);
    }
    const joined = `${description} — ${room.topic}`;
    if ([...joined].length <= DESCRIPTION_MAX) {
      this.findings.add({ rule: 'C12', severity: 'info', node: room, message: `topic '${room.topic}' appended to the description` });
      return joined;
    }
    this.findings.add({ rule: 'C12', severity: 'warning', node: room, message: `topic '${room.topic}' dropped: the description has no room for it` });
    return this.clip(room, description);
  }

  /** C4 as the table of 02 §4 has it. */
  private invitations(room: ResolvedNode, category: ResolvedNode): RoomLine['invitations'] {
    const wanted = room.effective.invite;
    const categoryOn = category.effective.invite === 1;
    if (wanted === category.effective.invite) return 'Inherit';
    if (categoryOn) return 'False';
    this.findings.add({ rule: 'C4', severity: 'warning', node: room, message: 'wants invitations, but its category has them off: stored as False' });
    return 'False';
  }

  /**
   * 02 §2.2: below a category that locks inheritance, a node's own settings give way to
   * the category's. Each such change is a finding — a room that was private and
   * becomes visible in the directory above all (a warning).
   */
  private reportLocked(node: ResolvedNode): void {
    const privacyOf = (v: number) => (v === VISIBILITY.private ? 'Secret (private)' : v === VISIBILITY.open ? 'Open' : 'Closed (scope)');
    const onOff = (v: number) => (v === 1 ? 'on' : 'off');
    for (const o of node.overridden) {
      const by = `category ${o.lockedBy.id} '${o.lockedBy.name}' locks inheritance`;
      if (o.setting === 'visibility') {
        const exposed = o.own === VISIBILITY.private;
        this.findings.add({
          rule: 'C16',
          severity: exposed ? 'warning' : 'info',
          node,
          message: `its own visibility ${privacyOf(o.own)} gives way to ${privacyOf(o.effective)}: ${by}${exposed ? '; the room becomes visible in the directory to the category scope — set it Secret after migrating if it must stay hidden (stoa room set --privacy Secret)' : ''}`,
        });
        continue;
      }
      const what = { invite: 'invitations', logged: 'chat history', filePost: 'file upload', restrictChildCreate: 'managers-only room creation' }[o.setting];
      this.findings.add({ rule: o.setting === 'invite' ? 'C4' : 'C11', severity: 'info', node, message: `its own ${what} setting (${onOff(o.own)}) gives way to ${onOff(o.effective)}: ${by}` });
    }
  }

  private privacy(room: ResolvedNode): RoomLine['privacy'] {
    const v = room.effective.visibility;
    return v === VISIBILITY.private ? 'Secret' : v === VISIBILITY.open ? 'Open' : 'Closed';
  }

  private roomLines(rooms: ResolvedNode[]): RoomLine[] {
    const out: RoomLine[] = [];
    const lastChat = this.db.prepare('SELECT MAX(chatId) AS last FROM tblChat WHERE channelId = ?');
    for (const room of rooms) {
      const category = this.tree.parent(room)!;
      const categoryGuid = this.categoryGuids.get(category.id);
      const name = this.naming.nameOf(room);
      if (categoryGuid === undefined || name === undefined) continue;
      this.reportLocked(room);
      for (const [key, what] of [['filePost', 'file upload'], ['logged', 'chat history']] as const) {
        if (room.effective[key] !== category.effective[key]) {
          this.findings.add({ rule: 'C11', severity: 'warning', node: room, message: `${what} is ${room.effective[key] === 1 ? 'on' : 'off'} for the room but ${category.effective[key] === 1 ? 'on' : 'off'} for its category; Stoa keeps the category's` });
        }
      }
      let addin: string | null = null;
      if (room.addin !== null) {
        if (this.addins.has(room.addin)) addin = room.addin;
        else this.findings.add({ rule: 'C17', severity: 'warning', node: room, message: `its add-in ${room.addin} is not migrated` });
      }
      const memberIds = [...this.roles.explicitOf(room, 'member'), ...(this.tree.shape === 'hierarchical' && room.overrideMember ? [] : this.roles.categoryMembers(category))];
      const createdAt = room.addedOn ?? this.undated;
      const line: RoomLine = {
        guid: room.guid,
        category: categoryGuid,
        name,
        description: this.description(room),
        type: room.behavior === BEHAVIOR.auditorium ? 'Auditorium' : 'Normal',
        privacy: this.privacy(room),
        invitations: this.invitations(room, category),
        disabled: room.disabled,
        addin,
        lastChatId: (lastChat.get(room.id) as { last: number | null }).last ?? 0,
        createdAt,
        createdBy: this.keyOf(room.addedBy),
        updatedAt: Math.max(room.updatedOn ?? createdAt, createdAt),
        updatedBy: null,
        members: this.roles.keys(memberIds, 'members', room, category, 'C14'),
        managers: this.roles.keys(this.roles.inheritedManagers(room), 'managers', room, category, 'C3'),
        presenters: room.behavior === BEHAVIOR.auditorium ? this.roles.keys(this.roles.explicitOf(room, 'presenter'), 'presenters', room, category, 'C17') : [],
      };
      if (room.behavior !== BEHAVIOR.auditorium && this.roles.explicitOf(room, 'presenter').length > 0) {
        this.findings.add({ rule: 'C17', severity: 'warning', node: room, message: 'presenters of a room that is not an auditorium are not migrated' });
      }
      this.roomGuids.set(room.id, room.guid);
      this.sources.set(`rooms:${name.toLowerCase()}`, { table: 'tblNode', id: room.id, path: room.path });
      out.push(line);
    }
    return out;
  }

  // ---------------------------------------------------------------- messages (C7, C8)

  private messageTotal(): number {
    const from = this.options.startDate;
    const row = (from === undefined ? this.db.prepare('SELECT COUNT(*) AS n FROM tblChat').get() : this.db.prepare('SELECT COUNT(*) AS n FROM tblChat WHERE chatDate >= ?').get(from)) as { n: number };
    return row.n;
  }

  private async *messageLines(room: ResolvedNode): AsyncGenerator<MessageLine> {
    const from = this.options.startDate ?? 0;
    const page = this.db.prepare('SELECT chatId, chatDate, chatDateTicks, userId, isAlert, content, rtf FROM tblChat WHERE channelId = ? AND chatId > ? AND chatDate >= ? ORDER BY chatId LIMIT ?');
    const unlinked = { count: 0 };
    for (let after = 0; ; ) {
      const rows = page.all(room.id, after, from, PAGE) as ChatRow[];
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.chatId;
      for (const m of rows) {
        const mapped = this.principal(m.userId);
        const authorKey = mapped?.kind === 'user' ? mapped.key : this.placeholders.get(m.userId);
        if (authorKey === undefined) {
          this.findings.add({ rule: 'input', severity: 'error', legacyId: `message ${room.id}/${m.chatId}`, legacyPath: room.path, message: `its author ${m.userId} has no principal row` });
          continue;
        }
        if (m.chatId < 1) {
          this.findings.add({ rule: 'input', severity: 'error', legacyId: `message ${room.id}/${m.chatId}`, legacyPath: room.path, message: 'chat ids start at 1' });
          continue;
        }
        const story = fromStoryEncoding(m.content ?? '');
        const { text, file } = this.fileLinks(story.text, room, m, authorKey, unlinked);
        yield {
          chatId: m.chatId,
          author: authorKey,
          postedAt: m.chatDate,
          postedAtTicks: m.chatDateTicks,
          content: text,
          rtf: m.rtf,
          isAlert: m.isAlert === 1,
          storyTitle: story.storyTitle,
          file,
          inHistory: true,
          replacedAt: null,
        };
      }
      this.progress.add(rows.length);
    }
    if (unlinked.count > 0) {
      this.findings.add({ rule: 'C8', severity: 'warning', node: room, message: `${unlinked.count} file link(s) kept as text: no --files repository to copy them from` });
    }
    if (this.options.startDate !== undefined) {
      const skipped = (this.db.prepare('SELECT COUNT(*) AS n FROM tblChat WHERE channelId = ? AND chatDate < ?').get(room.id, from) as { n: number }).n;
      if (skipped > 0) this.findings.add({ rule: 'C7', severity: 'info', node: room, message: `${skipped} message(s) before the start date left behind` });
    }
  }

  /**
   * C8: each `ma-filelink:` resolved in the repository becomes a file of the room (the
   * link in the text becomes the file's name); the first is the message's file.
   */
  private fileLinks(content: string, room: ResolvedNode, m: ChatRow, author: string, unlinked: { count: number }): { text: string; file: string | null } {
    const links = content.match(FILE_LINK);
    if (links === null) return { text: content, file: null };
    const repository = this.options.files;
    if (repository === undefined) {
      unlinked.count += links.length;
      return { text: content, file: null };
    }
    const roomGuid = this.roomGuids.get(room.id)!;
    const legacyId = `message ${room.id}/${m.chatId}`;
    const attached: string[] = [];
    const text = content.replace(FILE_LINK, (link) => {
      const found = repository.resolve(link);
      if ('escapes' in found) {
        this.findings.add({ rule: 'C8', severity: 'error', legacyId, legacyPath: room.path, message: `file link ${link} points outside the --files folder` });
        return link;
      }
      if ('missing' in found) {
        this.findings.add({ rule: 'C8', severity: 'warning', legacyId, legacyPath: room.path, message: `file ${found.missing} is not in the --files folder: the link stays text` });
        return link;
      }
      const f = found.file;
      const guid = derivedGuid(`file/${roomGuid}/${f.relative}`);
      if (!this.fileLines.has(guid)) {
        this.fileLines.set(guid, { guid, room: roomGuid, uploader: author, name: f.name, contentType: contentTypeOf(f.name), sizeBytes: f.sizeBytes, sha256: f.sha256, createdAt: m.chatDate });
        if (!this.blobs.has(f.sha256)) this.blobs.set(f.sha256, f.absolute);
      }
      attached.push(guid);
      return f.name;
    });
    if (attached.length > 1) this.findings.add({ rule: 'C8', severity: 'warning', legacyId, legacyPath: room.path, message: `${attached.length} files linked: the first is attached, the others are named in the text` });
    if (attached.length > 0) this.findings.add({ rule: 'C8', severity: 'info', legacyId, legacyPath: room.path, message: `file link rewritten to the copied file ${this.fileLines.get(attached[0]!)!.name}` });
    return { text, file: attached[0] ?? null };
  }

  // ---------------------------------------------------------------- invitations

  private async *invitationLines(): AsyncGenerator<InvitationLine> {
    const rows = this.db.prepare('SELECT prinID, nodeID, createdOn FROM tblPrincipalInvites ORDER BY nodeID, prinID').iterate() as Iterable<{ prinID: number; nodeID: number; createdOn: number | null }>;
    for (const r of rows) {
      const room = this.roomGuids.get(r.nodeID);
      const p = this.principal(r.prinID);
      if (room === undefined || p === undefined || p.kind !== 'user') continue;
      yield { principal: p.key, room, createdAt: r.createdOn ?? this.undated };
    }
  }
}

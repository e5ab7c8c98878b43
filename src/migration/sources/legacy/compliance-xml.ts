/**
 * Compliance XML archives (01 §5.4) as an extra or alternative source of message history
 * (D3): every `.xml` file of `--compliance-xml DIR`, streamed. CHAT messages are matched to
 * rooms by channel URI (`ma-chan://<domain>/<node id or node guid>`), to authors by SIP
 * address (else the legacy principal id), and added to the staged history unless the
 * database dump already has that chat id in that room. A document type declaration is
 * refused outright: no entity is ever expanded (XXE, billion laughs).
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { channelValue } from '../../../domain/compliance.js';
import { AppError } from '../../../domain/errors.js';
import type { MigrationFindings } from './findings.js';
import type { Staging } from './staging.js';
import { parseLegacyTime, fromTicks } from './ticks.js';

const fail = (message: string) => new AppError('MIGRATION_INVALID', message);
const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

export interface XmlHistoryCounts {
  files: number;
  chats: number;
  added: number;
  alreadyInDump: number;
  skipped: number;
}

interface PendingMessage {
  type: string;
  id: number;
  content: string;
  line: number;
  senderUri: string | null;
  senderId: number | null;
  time: { ms: number; ticks: number } | undefined;
}

function timeOf(attrs: Record<string, string>): { ms: number; ticks: number } | undefined {
  if (attrs.long !== undefined && /^\d+$/.test(attrs.long)) return fromTicks(BigInt(attrs.long));
  if (attrs.since1970 !== undefined && /^\d+$/.test(attrs.since1970)) return { ms: Number(attrs.since1970), ticks: 0 };
  if (attrs.string !== undefined) return parseLegacyTime(attrs.string);
  return undefined;
}

export class ComplianceXmlSource {
  readonly counts: XmlHistoryCounts = { files: 0, chats: 0, added: 0, alreadyInDump: 0, skipped: 0 };
  private readonly roomById: Database.Statement;
  private readonly roomByGuid: Database.Statement;
  private readonly principalByUri: Database.Statement;
  private readonly principalById: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly rooms = new Map<string, number | null>();
  private readonly reportedChannels = new Set<string>();

  constructor(
    private readonly staging: Staging,
    private readonly findings: MigrationFindings,
  ) {
    const db = staging.db;
    this.roomById = db.prepare('SELECT nodeID FROM tblNode WHERE nodeID = ? AND nodeType = 0');
    this.roomByGuid = db.prepare('SELECT nodeID FROM tblNode WHERE nodeGuid = ? AND nodeType = 0');
    this.principalByUri = db.prepare('SELECT prinID FROM tblPrincipal WHERE lower(prinUri) = ? ORDER BY prinID LIMIT 1');
    this.principalById = db.prepare('SELECT prinID FROM tblPrincipal WHERE prinID = ?');
    this.insert = db.prepare('INSERT INTO tblChat (channelId, chatId, chatDate, chatDateTicks, userId, isAlert, content, rtf, _line) VALUES (?, ?, ?, ?, ?, 0, ?, NULL, ?) ON CONFLICT DO NOTHING');
  }

  /** Reads every `.xml` file of the folder, in name order. */
  async load(dir: string): Promise<void> {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.xml')).sort();
    } catch {
      throw new AppError('INVALID_INPUT', `--compliance-xml: no folder at ${dir}`);
    }
    for (const name of names) await this.loadFile(path.join(dir, name), name);
  }

  private room(uri: string): number | null {
    const known = this.rooms.get(uri);
    if (known !== undefined) return known;
    const value = channelValue(uri);
    let id: number | null = null;
    if (value !== undefined) {
      const guid = GUID.exec(value);
      const row = (/^\d+$/.test(value) ? this.roomById.get(Number(value)) : guid !== null ? this.roomByGuid.get(guid[1]!.toLowerCase()) : undefined) as { nodeID: number } | undefined;
      id = row?.nodeID ?? null;
    }
    this.rooms.set(uri, id);
    return id;
  }

  private author(m: PendingMessage): number | null {
    if (m.senderUri !== null) {
      const uri = m.senderUri.toLowerCase().startsWith('sip:') ? m.senderUri.toLowerCase() : `sip:${m.senderUri.toLowerCase()}`;
      const row = this.principalByUri.get(uri) as { prinID: number } | undefined;
      if (row !== undefined) return row.prinID;
    }
    if (m.senderId !== null) return ((this.principalById.get(m.senderId) as { prinID: number } | undefined)?.prinID ?? null);
    return null;
  }

  private add(file: string, channel: string | null, m: PendingMessage): void {
    if (m.type !== 'CHAT') return;
    this.counts.chats++;
    const skip = (why: string) => {
      this.counts.skipped++;
      this.findings.add({ rule: 'XML', severity: 'warning', legacyId: `${file}:${m.line}`, legacyPath: channel ?? '', message: `message not added: ${why}` });
    };
    if (channel === null) return skip('no Channel before it');
    const room = this.room(channel);
    if (room === null) {
      if (!this.reportedChannels.has(channel)) {
        this.reportedChannels.add(channel);
        this.findings.add({ rule: 'XML', severity: 'warning', legacyId: `${file}:${m.line}`, legacyPath: channel, message: 'no room of the dump has this channel URI: its messages are not added' });
      }
      this.counts.skipped++;
      return;
    }
    if (!(m.id > 0)) return skip('no message id (chat id)');
    if (m.time === undefined || m.time.ms < 0) return skip('no time');
    const author = this.author(m);
    if (author === null) return skip(`sender ${m.senderUri ?? m.senderId ?? '?'} is not in tblPrincipal`);
    const result = this.insert.run(room, m.id, m.time.ms, m.time.ticks, author, m.content, m.line);
    if (result.changes === 1) this.counts.added++;
    else this.counts.alreadyInDump++;
  }

  private async loadFile(file: string, name: string): Promise<void> {
    this.counts.files++;
    const parser = new SaxesParser({ xmlns: false, position: true });
    let channel: string | null = null;
    let pending: PendingMessage | undefined;
    let failure: Error | undefined;
    const db = this.staging.db;
    parser.on('doctype', () => {
      throw fail(`${name}:${parser.line}: a document type declaration (DOCTYPE) is refused in compliance XML: entities are never expanded`);
    });
    parser.on('opentag', (tag: SaxesTagPlain) => {
      const a = tag.attributes as Record<string, string>;
      if (tag.name === 'Channel') channel = a.uri ?? null;
      else if (tag.name === 'Message') {
        pending = { type: (a.type ?? '').toUpperCase(), id: /^\d+$/.test(a.id ?? '') ? Number(a.id) : 0, content: a.content ?? '', line: parser.line, senderUri: null, senderId: null, time: undefined };
      } else if (tag.name === 'Sender' && pending !== undefined) {
        pending.senderUri = a.uri ?? null;
        pending.senderId = /^\d+$/.test(a.id ?? '') ? Number(a.id) : null;
      } else if (tag.name === 'DateTimeUTC' && pending !== undefined) pending.time = timeOf(a);
    });
    parser.on('closetag', (tag) => {
      if (tag.name === 'Message' && pending !== undefined) {
        this.add(name, channel, pending);
        pending = undefined;
      } else if (tag.name === 'Conversation') channel = null;
    });
    parser.on('error', (err) => {
      failure ??= err;
    });
    const stream = fs.createReadStream(file, { encoding: 'utf8' });
    const begin = db.prepare('BEGIN');
    const commit = db.prepare('COMMIT');
    begin.run();
    try {
      for await (const chunk of stream) {
        parser.write(chunk as string);
        if (failure !== undefined) break;
      }
      if (failure === undefined) parser.close();
    } catch (err) {
      db.prepare('ROLLBACK').run();
      stream.destroy();
      if (err instanceof AppError) throw err;
      throw fail(`${name}: not well-formed XML (${(err as Error).message})`);
    }
    if (failure !== undefined) {
      db.prepare('ROLLBACK').run();
      stream.destroy();
      throw fail(`${name}: not well-formed XML (${failure.message})`);
    }
    commit.run();
  }
}

/**
 * The built-in XML adapter (01 §5.4): one `Conversation` per room per batch, in one file
 * per batch or one per room (OneChatRoomPerOutputFile), valid against the documented
 * schema. AddChatRoomDetails and AddUserDetails add attributes (docs/compliance.md,
 * docs/compliance/stoa-conversations.xsd). Stoa's extension events, which the legacy schema
 * cannot carry, go to a companion `<base>.stoa.xml`; file transfers also go to the
 * `.ATTACH` manifest when CreateFileAttachmentsManifest is on.
 */
import { complianceTime, isLegacyEventType, type ComplianceTime } from '../domain/compliance.js';
import type { ComplianceConfiguration } from '../domain/settings.js';
import type { ComplianceAdapter, ComplianceBatch, ComplianceEvent, ComplianceRoom, ComplianceUser, OutputDirectory, OutputFile } from './adapter.js';
import { attachLine, baseName, BatchFiles, FILE_EVENTS } from './files.js';
import { attrs, xmlAttr, xmlText, XML_DECLARATION } from './xml-text.js';
import { stylesheetFile, transform } from './xslt.js';

const ROOT_OPEN = `${XML_DECLARATION}<Conversations xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n`;
const ROOT_CLOSE = '</Conversations>\n';

function timeAttrs(t: ComplianceTime): string {
  return attrs([
    ['since1970', t.since1970],
    ['string', t.string],
    ['long', t.long],
  ]);
}

function bareUri(uri: string): string {
  return uri.replace(/^sip:/i, '');
}

interface Conversation {
  name: string;
  file: OutputFile;
  room: ComplianceRoom;
  first: number;
  last: number;
}

export class XmlAdapter implements ComplianceAdapter {
  /** A user's Sender element, and a room's Channel, are the same for every event: made once. */
  private readonly senders = new Map<number, string>();
  private readonly channels = new Map<string, string>();

  constructor(private readonly settings: ComplianceConfiguration) {}

  async translate(batch: ComplianceBatch, output: OutputDirectory): Promise<void> {
    const files = new BatchFiles(output);
    const base = baseName(batch);
    const stylesheet = this.settings.customConfiguration.trim() === '' ? undefined : stylesheetFile(this.settings.customConfiguration);
    const finish = async (file: OutputFile): Promise<OutputFile> => {
      await file.write(ROOT_CLOSE);
      if (stylesheet === undefined) return file;
      await file.seal();
      const transformed = await output.create(file.name);
      try {
        await transform(stylesheet.path, file.tempPath, transformed);
      } catch (err) {
        await transformed.abort();
        throw err;
      } finally {
        await file.abort();
      }
      return transformed;
    };
    let conv: Conversation | undefined;
    const closeConversation = async (): Promise<void> => {
      if (conv === undefined) return;
      await conv.file.write(
        `    </Messages>\n    <StartTimeUTC${timeAttrs(complianceTime(conv.first))} />\n    <EndTimeUTC${timeAttrs(complianceTime(conv.last))} />\n  </Conversation>\n`,
      );
      if (this.settings.oneChatRoomPerOutputFile) await files.commit(conv.name, finish);
      conv = undefined;
    };
    try {
      for await (const run of batch.runs()) {
        for (const e of run) {
          if (this.settings.createFileAttachmentsManifest && FILE_EVENTS.has(e.type)) {
            await (await files.get(`${base}.ATTACH`)).write(attachLine(e));
          }
          if (!isLegacyEventType(e.type) || e.room === null) {
            await (await files.get(`${base}.stoa.xml`, `${XML_DECLARATION}<StoaEvents${attrs([['batch', batch.id]])}>\n`)).write(this.extensionEvent(e));
            continue;
          }
          if (conv?.room.uri !== e.room.uri) {
            await closeConversation();
            const name = this.settings.oneChatRoomPerOutputFile ? `${baseName(batch, e.id)}.xml` : `${base}.xml`;
            conv = { name, file: await files.get(name, ROOT_OPEN), room: e.room, first: e.time.since1970, last: e.time.since1970 };
            await conv.file.write('  <Conversation>\n', this.channel(e.room), ...this.message(e, '    <FirstMessage', '    </FirstMessage>\n    <Messages>\n'));
          }
          conv.first = Math.min(conv.first, e.time.since1970);
          conv.last = Math.max(conv.last, e.time.since1970);
          await conv.file.write(...this.message(e, '      <Message', '      </Message>\n'));
        }
      }
      await closeConversation();
      if (files.has(`${base}.xml`)) await files.commit(`${base}.xml`, finish);
      await files.commit(`${base}.stoa.xml`, async (f) => (await f.write('</StoaEvents>\n'), f));
      await files.commit(`${base}.ATTACH`);
    } catch (err) {
      await files.abortAll();
      throw err;
    } finally {
      stylesheet?.remove();
    }
  }

  private channel(room: ComplianceRoom): string {
    let made = this.channels.get(room.uri);
    if (made === undefined) {
      made = this.makeChannel(room);
      this.channels.set(room.uri, made);
    }
    return made;
  }

  private makeChannel(room: ComplianceRoom): string {
    const details: [string, string | boolean | null | undefined][] = this.settings.addChatRoomDetails
      ? [
          ['roomName', room.name ?? ''],
          ['category', room.category ?? ''],
          ['privacy', room.privacy ?? ''],
          ['roomType', room.type ?? ''],
          ['disabled', room.disabled ?? undefined],
          ['description', room.description ?? ''],
        ]
      : [];
    return `    <Channel${attrs([['uri', room.uri], ['name', room.uri], ['islogged', room.chatHistory ?? ''], ...details])} />\n`;
  }

  /**
   * A FirstMessage or Message element: attributes, Sender and DateTimeUTC. As pieces, which
   * the output file joins once (a string built from them would be joined twice).
   */
  private message(e: ComplianceEvent, open: string, close: string): string[] {
    const id = e.type === 'CHAT' ? (e.messageId ?? 0) : 0;
    const t = e.time;
    return [
      open,
      ' type="',
      xmlAttr(e.type),
      '" content="',
      xmlAttr(e.content),
      '" id="',
      String(id),
      '">\n',
      e.actor === null ? '' : '        ',
      this.sender(e.actor),
      '        <DateTimeUTC since1970="',
      String(t.since1970),
      '" string="',
      xmlAttr(t.string),
      '" long="',
      xmlAttr(t.long),
      '" />\n',
      close,
    ];
  }

  /** `<Sender … />` and its line break, made once per user. */
  private sender(u: ComplianceUser | null): string {
    if (u === null) return '';
    let made = this.senders.get(u.id);
    if (made === undefined) {
      made = `<Sender${this.senderAttrs(u)} />\n`;
      this.senders.set(u.id, made);
    }
    return made;
  }

  private senderAttrs(u: ComplianceUser): string {
    const details: [string, string | boolean | null | undefined][] = this.settings.addUserDetails
      ? [
          ['kind', u.kind ?? ''],
          ['distinguishedName', u.distinguishedName ?? ''],
          ['deleted', u.deleted],
        ]
      : [];
    return attrs([
      ['UserName', u.displayName ?? bareUri(u.uri)],
      ['id', u.id],
      ['email', u.email ?? ''],
      ['internal', u.internal],
      ['uri', bareUri(u.uri)],
      ...details,
    ]);
  }

  private extensionEvent(e: ComplianceEvent): string {
    const room = e.room === null ? '' : `    <Room${attrs([['uri', e.room.uri], ['name', e.room.name ?? '']])} />\n`;
    return (
      `  <Event${attrs([['id', e.id], ['type', e.type], ['messageId', e.messageId ?? undefined], ['by', e.actor === null ? 'system' : undefined]])}>\n` +
      (e.actor === null ? '' : `    ${this.sender(e.actor).replace('<Sender', '<Actor')}`) +
      room +
      `    <DateTimeUTC${timeAttrs(e.time)} />\n` +
      `    <Content>${xmlText(e.content)}</Content>\n` +
      (e.details === null ? '' : `    <Details>${xmlText(JSON.stringify(e.details))}</Details>\n`) +
      '  </Event>\n'
    );
  }
}


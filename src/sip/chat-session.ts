/**
 * One legacy client's chat session: the XCCOS commands of a SIP dialog (02 §7.4) run
 * through the same actions and the same realtime gateway as a WebSocket client's — joins,
 * backchat, posts, permissions, compliance, kicks — and what the gateway sends a client
 * (messages, roster changes, kicks) goes back as XCCOS.
 */
import type { Actor, Services } from '../actions/context.js';
import { isDisabledRoomOf } from '../access/rooms.js';
import { listInvitations, searchDirectory } from '../actions/directory.js';
import { checkPostMessage, getHistory } from '../actions/messages.js';
import type { MessageView } from '../actions/chat-views.js';
import { channelUri, channelValue } from '../domain/compliance.js';
import { isAppError } from '../domain/errors.js';
import { MESSAGE_LIMITS } from '../domain/messages.js';
import { SIP_SESSION, type Gateway } from '../realtime/gateway.js';
import type { Connection } from '../realtime/registry.js';
import { VERSION } from '../version.js';
import { attrs, envelope, esc, find, findAll, reply, type RespKind, type XmlElement } from './xccos.js';

const VISIBILITY = { Secret: 'private', Closed: 'scope', Open: 'open' } as const;
/** SIPE reads `aib` key 3984 as the users present, 12276 as operators. */
const AIB_USERS = 3984;
const SEARCH_LIMIT = 999;

export interface ChatSessionHost {
  /** Sends an XCCOS envelope to the client in this dialog. */
  send(xml: string): void;
  /** Ends the dialog from the server side (BYE). */
  end(reason: string): void;
  readonly open: boolean;
}

/** `2026-11-24T05:46:27Z`: the time form legacy clients read. */
const legacyTime = (iso: string): string => `${iso.slice(0, 19)}Z`;

function roomGuidOf(uri: string | undefined): string | undefined {
  const value = channelValue(uri ?? '');
  return value !== undefined && /^[0-9a-f-]{36}$/i.test(value) ? value.toLowerCase() : undefined;
}

export class ChatSession {
  readonly conn: Connection;
  private readonly actor: Actor;
  /** Backchat delivered with a join, handed out by the bccontext that follows it (read once, recorded once). */
  private readonly joinedBackchat = new Map<string, readonly MessageView[]>();
  /**
   * Texts this session is posting or has posted: the gateway echoes them (possibly before
   * the post's own answer), and the client shows them already. A post from the same user
   * elsewhere (the web client) is not among them and is delivered.
   */
  private readonly echoes: string[] = [];

  constructor(
    private readonly services: Services,
    private readonly gateway: Gateway,
    readonly principalId: number,
    readonly userUri: string,
    /** The endpoint URI this dialog was opened on. */
    readonly serverUri: string,
    private readonly host: ChatSessionHost,
  ) {
    this.actor = { kind: 'user', principalId };
    this.conn = gateway.connect(principalId, `${SIP_SESSION}${serverUri}:${Math.random()}`, {
      get open() {
        return host.open;
      },
      send: (frame) => this.onFrame(frame),
      close: (_code, reason) => host.end(reason),
    });
  }

  private chanUri(roomGuid: string): string {
    return channelUri(this.services.poolFqdn, roomGuid);
  }

  close(): void {
    this.gateway.disconnect(this.conn);
  }

  // ------------------------------------------------------------ client → server

  /** Handles a command element; the reply goes out as its own INFO. */
  async command(cmd: XmlElement, envid: string): Promise<void> {
    const id = cmd.attrs.id ?? '';
    const answer = (outcome: RespKind, data = '') => this.host.send(envelope(reply(cmd, envid, outcome, data)));
    try {
      switch (id) {
        case 'cmd:requri':
          return answer('ok', `<uib${attrs({ uri: this.serverUri })}/>`);
        case 'cmd:getserverinfo':
          return answer(
            'ok',
            `<sib${attrs({ serverTime: legacyTime(new Date(this.services.clock()).toISOString()), searchLimit: SEARCH_LIMIT, messageSizeLimit: MESSAGE_LIMITS.textBytes, storySizeLimit: MESSAGE_LIMITS.storyBytes, rootUri: `ma-cat://${this.services.poolFqdn}/root`, dbVersion: `stoa-${VERSION}` })}/>`,
          );
        case 'cmd:getinv': {
          const invitations = await listInvitations(this.services, this.actor);
          return answer('ok', invitations.map((i) => `<inv${attrs({ inviteId: i.id, chanUri: this.chanUri(i.room.id), name: i.room.name, ts: legacyTime(i.createdAt) })}/>`).join(''));
        }
        case 'cmd:chansrch': {
          const criteria = find(cmd, 'qib')?.attrs.criteria?.trim() ?? '';
          const rooms = await searchDirectory(this.services, this.actor, { ...(criteria === '' ? {} : { text: criteria }), limit: SEARCH_LIMIT });
          return answer(
            'ok',
            rooms
              .map(
                (r) =>
                  `<chanib${attrs({ name: r.name, description: r.description, uri: this.chanUri(r.id) })}><info id="urn:parlano:ma:info:ucnt">${r.participants}</info><info id="urn:parlano:ma:info:visibilty">${VISIBILITY[r.privacy]}</info></chanib>`,
              )
              .join(''),
          );
        }
        case 'cmd:join':
        case 'cmd:bjoin': {
          const rooms = findAll(cmd, 'chanid');
          if (rooms.length === 0) return answer('badRequest');
          for (const chanid of rooms) await this.join(cmd, envid, chanid);
          return;
        }
        case 'cmd:bccontext': {
          const guid = roomGuidOf(find(cmd, 'chanib')?.attrs.uri);
          if (guid === undefined) return answer('badRequest');
          const count = Math.min(Math.max(Number(find(cmd, 'last')?.attrs.cnt ?? 25) || 25, 1), 100);
          let messages = this.joinedBackchat.get(guid);
          this.joinedBackchat.delete(guid);
          if (messages === undefined) messages = (await getHistory(this.services, this.actor, guid, { limit: count })).messages;
          const items = messages.slice(-count).map((m) => this.msgXml(m, 'msg')).join('');
          return answer('ok', `<chanib${attrs({ uri: this.chanUri(guid) })}>${items}</chanib>`);
        }
        case 'cmd:part': {
          const guid = roomGuidOf(find(cmd, 'chanib')?.attrs.uri);
          if (guid === undefined) return answer('badRequest');
          await this.gateway.part(this.conn, guid);
          return answer('ok', `<chanib${attrs({ uri: this.chanUri(guid) })}/>`);
        }
        default:
          return answer('unknownCommand');
      }
    } catch (err) {
      return answer(await this.outcomeOf(err, id === 'cmd:bccontext' ? undefined : roomGuidOf(find(cmd, 'chanib')?.attrs.uri), 'join'));
    }
  }

  private async join(cmd: XmlElement, envid: string, chanid: XmlElement): Promise<void> {
    const guid = /^[0-9a-f-]{36}$/i.test(chanid.attrs.value ?? '') ? chanid.attrs.value!.toLowerCase() : undefined;
    const answer = (outcome: RespKind, data = '') => this.host.send(envelope(reply(cmd, envid, outcome, data)));
    if (guid === undefined) return answer('notFound');
    try {
      const joined = await this.gateway.join(this.conn, guid);
      if (joined === undefined) return;
      this.joinedBackchat.set(guid, joined.backchat);
      const people = joined.participants ?? [];
      const users = people.map((p, i) => `<uib${attrs({ id: i + 1, uri: p.sipUri })}/>`).join('');
      const present = people.map((_, i) => i + 1).join(',');
      answer('ok', `${users}<chanib${attrs({ name: joined.room.name, uri: this.chanUri(guid), topic: joined.room.description })}><aib${attrs({ key: AIB_USERS, value: present })}/></chanib>`);
    } catch (err) {
      answer(await this.outcomeOf(err, guid, 'join'));
    }
  }

  /** A post (`grpchat`): true when it was posted (the INFO then gets 200). */
  async post(grpchat: XmlElement): Promise<RespKind> {
    const guid = roomGuidOf(grpchat.attrs.chanUri);
    if (guid === undefined) return 'notFound';
    const text = find(grpchat, 'chat')?.text ?? '';
    this.echoes.push(text);
    try {
      await checkPostMessage(this.services, this.actor, guid, { text });
      return 'ok';
    } catch (err) {
      this.echoes.splice(this.echoes.indexOf(text), 1);
      return this.outcomeOf(err, guid, 'post');
    }
  }

  /** The reply code for a refusal: the reason a legacy client can act on, never more than a WebSocket client learns. */
  private async outcomeOf(err: unknown, roomGuid: string | undefined, doing: 'join' | 'post'): Promise<RespKind> {
    if (!isAppError(err)) throw err;
    if (err.code === 'ROOM_NOT_FOUND') {
      const disabled = roomGuid !== undefined && (await isDisabledRoomOf(this.services.store, await this.services.access.actorFacts(this.actor), roomGuid));
      return disabled ? 'disabled' : 'notFound';
    }
    if (err.code.startsWith('INVALID') || err.code === 'MESSAGE_TOO_LARGE' || err.code === 'NOT_JOINED') return 'badRequest';
    if (err.code !== 'PERMISSION_DENIED' || roomGuid === undefined) return 'failed';
    const room = await this.services.store.rooms.getByGuid(roomGuid);
    if (room?.disabled === true) return 'disabled';
    if (doing === 'post' && room?.type === 'Auditorium') return 'notPresenter';
    return 'notMember';
  }

  // ------------------------------------------------------------ server → client

  private msgXml(m: MessageView, element: 'msg' | 'grpchat'): string {
    const text = m.story === null ? m.text : `${m.story.title}\r\n${m.text}`;
    const head = element === 'msg' ? `<msg${attrs({ id: 'grpchat', chanUri: this.chanUri(m.roomId), author: m.author, ts: legacyTime(m.postedAt) })}>` : `<grpchat${attrs({ id: 'grpchat', seqid: 1, chanUri: this.chanUri(m.roomId), author: m.author, ts: legacyTime(m.postedAt) })}>`;
    return `${head}<chat>${esc(text.replace(/\r?\n/g, '\r\n'))}</chat></${element}>`;
  }

  /** What the realtime gateway sends a client, as XCCOS. */
  private onFrame(text: string): void {
    const frame = JSON.parse(text) as { type: string } & Record<string, unknown>;
    switch (frame.type) {
      case 'message': {
        const m = frame.message as MessageView;
        const echo = m.author === this.userUri ? this.echoes.indexOf(m.text) : -1;
        if (echo >= 0) {
          this.echoes.splice(echo, 1);
          return;
        }
        return this.host.send(envelope(this.msgXml(m, 'grpchat')));
      }
      case 'participant.joined':
      case 'participant.left': {
        const room = frame.room as string;
        const user = (frame.user as { sipUri: string }).sipUri;
        return this.host.send(envelope(this.rosterNotice(frame.type === 'participant.joined' ? 'join' : 'part', room, user)));
      }
      case 'room.kicked': {
        const room = frame.room as string | null;
        if (room !== null) this.host.send(envelope(this.rosterNotice('part', room, this.userUri)));
        return;
      }
      default:
        return;
    }
  }

  private rosterNotice(kind: 'join' | 'part', roomGuid: string, user: string): string {
    if (kind === 'join') {
      return `<ntc id="ntc:join" seqid="1"><data><uib${attrs({ uri: user })}><aib${attrs({ key: AIB_USERS, domain: this.services.poolFqdn, value: roomGuid })}/></uib></data></ntc>`;
    }
    return `<ntc id="ntc:part" seqid="1"><data><chanib${attrs({ uri: this.chanUri(roomGuid) })}><uib${attrs({ uri: user })}/></chanib></data></ntc>`;
  }
}

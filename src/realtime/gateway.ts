/**
 * The WebSocket gateway: authenticates connections, runs their commands through the
 * actions, fans committed events out to the connections they concern, and re-checks live
 * sessions when an administrator changes who may do what (D5: changes take effect at once).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import type { Services } from '../actions/context.js';
import type { DomainEvent } from '../events/types.js';
import { authenticate } from '../actions/auth.js';
import { checkJoinRoom, recordInstanceParts, recordParts, type Joined } from '../actions/presence.js';
import { checkPostMessage, messagesBetween } from '../actions/messages.js';
import { RoomSequencer } from './sequencer.js';
import type { PoolRoster, RosterChange } from './pool-roster.js';
import { loadActorFactsMany } from '../access/actor.js';
import { loadRooms } from '../access/rooms.js';
import { configurations } from '../actions/configurations.js';
import { canJoin, canManage, canPost, canUseService, type ActorFacts } from '../domain/permissions.js';
import { AppError, isAppError } from '../domain/errors.js';
import { ClientCommand, CLOSE, ROSTER_PAGE_DEFAULT } from './protocol.js';
import { Registry, type Connection } from './registry.js';
import { SerialQueue } from './serial-queue.js';
import { CommandQueue } from './command-queue.js';
import { RateLimiter } from '../auth/rate-limit.js';
import { DEFAULT_LIMITS, type Limits } from '../config/schema.js';
import { databaseUnavailable } from '../store/db-errors.js';
import { FollowerIndex } from './followers.js';
import type { MessageView } from '../actions/chat-views.js';

export const WS_PATH = '/api/v1/ws';
/** How a legacy client's SIP dialog marks its connection: it has no session of the API (signed in by SIP). */
export const SIP_SESSION = 'sip:';
const HEARTBEAT_MS = 30_000;
/**
 * Each socket is pinged every HEARTBEAT_MS, at its own phase: the heartbeat ticks this often
 * and pings the sockets that are due, so 20,000 connections cost a few hundred pings a
 * second rather than a burst of 20,000 (and their pongs) that stalls every other reply.
 */
const HEARTBEAT_TICK_MS = 1_000;
/** A client that lets this much pile up unread is cut off rather than buffered forever. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface GatewayMetrics {
  connections(n: number): void;
  delivered(frames: number): void;
  /** A connection or command refused by a limit (D9), by which. */
  refused?(limit: string): void;
}

export type GatewayLimits = Pick<
  Limits,
  'wsFrameBytes' | 'wsConnectionsPerUser' | 'wsQueuedCommands' | 'wsCommandsPerSecond' | 'wsCommandBurst' | 'wsRefusalsBeforeClose'
>;

/** A command as it waits in a connection's queue: parsed, or why it could not be. */
type Queued = { command: ClientCommand } | { id: string | number | undefined; error: AppError };

export interface RosterEntry {
  sipUri: string;
  displayName: string | null;
}

/** A cached roster is rebuilt at least this often (a renamed user shows the new name). */
const ROSTER_TTL_MS = 10_000;
/** How often a node of a pool takes back what stopped nodes counted in the rosters. */
const RECONCILE_MS = 15_000;

type Socket = WebSocket & { stoaAlive?: boolean; stoaPingAt?: number };

export class Gateway {
  readonly registry = new Registry();
  private readonly wss: WebSocketServer;
  /**
   * Housekeeping in event order: re-checks after changes of rights, roster changes, kicks.
   * Message delivery does not wait here (see `dispatch`).
   */
  private readonly queue: SerialQueue;
  /**
   * Per room, delivery work that later deliveries of the room must wait for (a re-check
   * of the room after its roles changed, a lookup): kept only while something is pending,
   * so a room's frames go out in event order and other rooms are not held up.
   */
  private readonly roomTails = new Map<number, Promise<void>>();
  /** Sorted rosters of rooms with people in them, by the registry's roster version. */
  private readonly rosters = new Map<number, { version: number; at: number; list: readonly RosterEntry[] }>();
  /** Commands per second of each user, across their connections (in a pool, across nodes). */
  readonly rate: RateLimiter;
  private readonly large = new Set<number>();
  /** Each room's messages in chat-id order, once each (in a pool they come from every node). */
  readonly sequencer: RoomSequencer;
  /** Who follows which room among the users connected here (room.activity frames). */
  readonly follows: FollowerIndex;
  /** Room ids as clients know them, kept so a removed room can still be named in a kick. */
  private readonly guids = new Map<number, string>();
  private participantLimit: number | undefined;
  /** In a pool: who is in which room on every node (realtime/pool-roster.ts). */
  private pool: PoolRoster | undefined;
  /** In a pool: each room's participant count on every node, as last heard. */
  private readonly poolCounts = new Map<number, number>();
  private reconciler: NodeJS.Timeout | undefined;
  private nextId = 1;
  private heartbeat: NodeJS.Timeout | undefined;
  private closing = false;
  /** Commands being handled: shutdown waits for them before the store closes. */
  private readonly inflight = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly services: Services,
    private readonly logger: FastifyBaseLogger,
    private readonly metrics?: GatewayMetrics,
    private readonly limits: GatewayLimits = DEFAULT_LIMITS,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.wsFrameBytes });
    this.rate = new RateLimiter({ perSecond: limits.wsCommandsPerSecond, burst: limits.wsCommandBurst });
    this.queue = new SerialQueue((err) => this.logger.error({ err }, 'realtime event handling failed'));
    this.sequencer = new RoomSequencer({
      fill: (roomId, after, before) => messagesBetween(services, roomId, after, before),
      deliver: (roomId, message) => this.inRoomOrder(roomId, () => this.broadcast(roomId, { type: 'message', message })),
      active: (roomId) => this.registry.participantCount(roomId) > 0,
      onError: (err) => this.logger.error({ err }, 'filling a gap in live messages failed'),
    });
    this.follows = new FollowerIndex(async (principalId) => (await services.store.follows.list(principalId)).map((f) => f.roomId));
    this.unsubscribe = services.bus.subscribe((event) => this.dispatch(event));
    services.presence = { participants: (roomId) => this.countOf(roomId) };
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Node hands an upgrading socket over without its error handler: one is needed
      // before anything else (ws adds its own during the handshake).
      socket.on('error', (err: NodeJS.ErrnoException) => this.logger.debug({ error: err.code ?? err.message }, 'upgrading socket failed'));
      let url: URL;
      try {
        url = new URL(request.url ?? '/', 'http://localhost');
      } catch {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        return;
      }
      if (url.pathname !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      // Only an active server of the pool takes new connections (docs/pool.md).
      this.services.activeServers.accepting().then(
        (active) => {
          if (active) return this.wss.handleUpgrade(request, socket, head, (ws) => this.opened(ws, request, url));
          this.metrics?.refused?.('inactive node');
          const body = JSON.stringify({ error: { code: 'NODE_INACTIVE', message: 'this node is not an active server of the pool: connect through another node' } });
          socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        },
        (err: unknown) => {
          this.logger.error({ err }, 'reading the active-server list failed');
          socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
        },
      );
    });
    this.heartbeat = setInterval(() => this.ping(), HEARTBEAT_TICK_MS);
    this.heartbeat.unref();
  }

  private ping(): void {
    const now = Date.now();
    for (const roomId of this.rosters.keys()) if (this.registry.rosterVersion(roomId) === 0) this.rosters.delete(roomId);
    for (const ws of this.wss.clients as Set<Socket>) {
      if (ws.stoaPingAt === undefined || ws.stoaPingAt > now) continue;
      if (ws.stoaAlive === false) {
        ws.terminate();
        continue;
      }
      ws.stoaAlive = false;
      ws.stoaPingAt = now + HEARTBEAT_MS;
      ws.ping();
    }
  }

  /**
   * A socket has upgraded. Its errors are handled from the first moment (a malformed
   * frame closes that socket with 1002/1007/1009, never the process), and the commands it
   * sends while it is being signed in wait in its queue rather than being lost.
   */
  private opened(ws: Socket, request: IncomingMessage, url: URL): void {
    const address = request.socket.remoteAddress;
    ws.on('error', (err: Error & { code?: string }) => {
      this.metrics?.refused?.('frame');
      this.logger.info({ address, error: err.code ?? err.message }, 'websocket closed: protocol error from the client');
    });
    ws.stoaAlive = true;
    // The first ping at a random point of the first period spreads the pings over time.
    ws.stoaPingAt = Date.now() + Math.floor(Math.random() * HEARTBEAT_MS) + HEARTBEAT_TICK_MS;
    ws.on('pong', () => (ws.stoaAlive = true));
    const queue = new CommandQueue<Queued>({ queued: this.limits.wsQueuedCommands, refusalsBeforeClose: this.limits.wsRefusalsBeforeClose }, (err) =>
      this.logger.error({ err }, 'websocket command failed'),
    );
    let conn: Connection | undefined;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(CLOSE.badFrame, 'frames are JSON text');
      this.received(ws, conn, queue, (data as Buffer).toString('utf8'));
    });
    ws.on('close', () => {
      queue.clear();
      if (conn !== undefined) this.disconnect(conn);
    });
    void this.track(
      this.accept(ws, request, url, (accepted) => (conn = accepted)).then((accepted) => {
        if (accepted === undefined) return queue.clear();
        queue.start((item) => this.track(this.run(accepted, item)));
      }),
    );
  }

  /** A frame arrived: parsed, admitted by the user's rate and the queue, or refused with a reply. */
  private received(ws: Socket, conn: Connection | undefined, queue: CommandQueue<Queued>, text: string): void {
    const item = parseCommand(text);
    const id = 'command' in item ? item.command.id : item.id;
    let refusal: AppError | undefined;
    const wait = conn === undefined ? 0 : this.rate.take(conn.principalId);
    if (wait > 0) {
      refusal = new AppError('RATE_LIMITED', `too many commands; wait ${wait} ms (at most ${this.limits.wsCommandsPerSecond} a second, ${this.limits.wsCommandBurst} at once)`, { retryAfterMs: wait });
    } else if (!queue.push(item)) {
      refusal = new AppError('TOO_MANY_COMMANDS', `at most ${this.limits.wsQueuedCommands} commands may wait for their replies; wait for some`);
    }
    if (refusal === undefined) return;
    this.metrics?.refused?.(refusal.code === 'RATE_LIMITED' ? 'ws_rate' : 'ws_queue');
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'reply', id: id ?? null, ok: false, error: errorBody(refusal) }));
    if (queue.refused()) {
      queue.clear();
      ws.close(CLOSE.policy, 'too many refused commands');
    }
  }

  private async run(conn: Connection, item: Queued): Promise<void> {
    if (!conn.open) return;
    if ('error' in item) return this.fail(conn, item.id, item.error);
    return this.command(conn, item.command);
  }

  /** Signs the socket in; undefined (and the socket closed) when it may not connect. */
  private async accept(ws: Socket, request: IncomingMessage, url: URL, registered: (conn: Connection) => void): Promise<Connection | undefined> {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? undefined);
    let conn: Connection;
    try {
      const auth = await authenticate(this.services, token);
      const facts = await this.services.access.actorFacts(auth.actor);
      if (!canUseService(facts)) throw new AppError('SERVICE_DISABLED', 'this account may not use Persistent Chat');
      if (this.registry.ofPrincipal(auth.actor.principalId).length >= this.limits.wsConnectionsPerUser) {
        throw new AppError('TOO_MANY_CONNECTIONS', `at most ${this.limits.wsConnectionsPerUser} connections per user; close another tab or device`);
      }
      conn = this.connection(ws, auth.actor.principalId, auth.tokenHash);
    } catch (err) {
      if (isAppError(err) && err.code === 'TOO_MANY_CONNECTIONS') this.metrics?.refused?.('ws_user_connections');
      const code = !isAppError(err)
        ? CLOSE.unauthenticated
        : err.code === 'SERVICE_DISABLED'
          ? CLOSE.serviceDisabled
          : err.code === 'TOO_MANY_CONNECTIONS'
            ? CLOSE.tooManyConnections
            : CLOSE.unauthenticated;
      if (!isAppError(err)) this.logger.error({ err }, 'websocket sign-in failed');
      ws.close(code, isAppError(err) ? err.message.slice(0, 120) : 'unauthenticated');
      return undefined;
    }
    if (ws.readyState !== ws.OPEN) return undefined;
    this.registry.add(conn);
    registered(conn);
    // The rooms this user follows, for their unread counts (read once per user connected here).
    await this.follows.connected(conn.principalId).catch((err: unknown) => this.logger.warn({ err }, 'reading the rooms a user follows failed'));
    this.metrics?.connections(this.registry.connectionCount);
    const user = await this.services.store.principals.getById(conn.principalId);
    conn.send(JSON.stringify({ type: 'ready', user: { sipUri: user?.key, displayName: user?.displayName ?? null } }));
    return conn;
  }

  /**
   * A connection of another transport (the legacy clients' SIP gateway). It gets the same
   * frames a WebSocket client gets — messages, roster changes, kicks — and is closed the
   * same way when its user may no longer use the service.
   */
  connect(principalId: number, tokenHash: string, transport: Pick<Connection, 'open' | 'send' | 'close'>): Connection {
    const conn: Connection = {
      id: this.nextId++,
      principalId,
      tokenHash,
      rooms: new Set(),
      get open() {
        return transport.open;
      },
      send: (frame) => transport.send(frame),
      close: (code, reason) => transport.close(code, reason),
    };
    this.registry.add(conn);
    this.metrics?.connections(this.registry.connectionCount);
    return conn;
  }

  /** The connection is gone: it leaves its rooms (PARTs recorded) and its roster entries. */
  disconnect(conn: Connection): void {
    const left = this.registry.remove(conn);
    if (this.registry.ofPrincipal(conn.principalId).length === 0) this.follows.disconnected(conn.principalId);
    this.metrics?.connections(this.registry.connectionCount);
    if (this.closing) return;
    void this.track(recordParts(this.services, { connection: conn.id }, undefined, 'disconnected'));
    for (const roomId of left) void this.queue.push(() => this.exited(roomId, conn.principalId));
  }

  /** Joins a connection to a room (guid): the room, its backchat and, unless the room is large, who is in it. */
  async join(conn: Connection, roomGuid: string): Promise<(Joined & { participants: { sipUri: string; displayName: string | null }[] | null; large: boolean }) | undefined> {
    const joined = await checkJoinRoom(this.services, { kind: 'user', principalId: conn.principalId }, roomGuid, { connection: conn.id });
    const roomId = joined.loaded.room.id;
    if (!conn.open) {
      // The client went away while joining: its disconnect may already have been
      // recorded, so this join gets its PART here and never enters the roster.
      await recordParts(this.services, { connection: conn.id }, [roomId], 'disconnected');
      return undefined;
    }
    const fresh = this.registry.join(conn, roomId);
    this.guids.set(roomId, joined.loaded.room.guid);
    const announce = fresh && (await this.inPool(roomId, conn.principalId, 'joined'));
    const large = await this.updateLarge(roomId);
    const participants = large ? null : await this.roster(roomId);
    if (announce) void this.queue.push(() => this.rosterChanged(roomId, conn.principalId, 'joined'));
    return { ...joined, room: { ...joined.room, participants: this.countOf(roomId) }, participants, large };
  }

  /** The connection leaves a room it joined (PART recorded). */
  async part(conn: Connection, roomGuid: string): Promise<void> {
    const room = await this.services.store.rooms.getByGuid(roomGuid);
    if (room === undefined || !conn.rooms.has(room.id)) throw new AppError('NOT_JOINED', 'you have not joined that room');
    const left = this.registry.part(conn, room.id);
    await recordParts(this.services, { connection: conn.id }, [room.id], 'left');
    if (left) await this.exited(room.id, conn.principalId);
  }

  /** Work the shutdown must wait for before the store closes. */
  private track(work: Promise<void>): Promise<void> {
    const running = work.catch((err: unknown) => this.logger.error({ err }, 'realtime work failed'));
    this.inflight.add(running);
    void running.finally(() => this.inflight.delete(running));
    return running;
  }


  private connection(ws: WebSocket, principalId: number, tokenHash: string): Connection {
    const metrics = this.metrics;
    return {
      id: this.nextId++,
      principalId,
      tokenHash,
      rooms: new Set(),
      get open() {
        return ws.readyState === ws.OPEN;
      },
      send(frame, bytes) {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          ws.close(CLOSE.slowConsumer, 'too far behind');
          return;
        }
        if (bytes === undefined) ws.send(frame);
        else ws.send(bytes, { binary: false });
        metrics?.delivered(1);
      },
      close(code, reason) {
        ws.close(code, reason);
      },
    };
  }

  /** Commands refused since the database stopped answering, logged once per UNAVAILABLE_LOG_MS (not once per command). */
  private unavailable = { refused: 0, loggedAt: 0 };

  private noteUnavailable(err: unknown): void {
    this.unavailable.refused++;
    const now = Date.now();
    if (now - this.unavailable.loggedAt < UNAVAILABLE_LOG_MS) return;
    this.logger.warn({ err, refused: this.unavailable.refused }, 'websocket commands refused: the database does not answer');
    this.unavailable = { refused: 0, loggedAt: now };
  }

  private reply(conn: Connection, id: string | number | undefined, result: unknown): void {
    conn.send(JSON.stringify({ type: 'reply', id: id ?? null, ok: true, result }));
  }

  private fail(conn: Connection, id: string | number | undefined, err: unknown): void {
    if (databaseUnavailable(err) !== undefined) this.noteUnavailable(err);
    else if (!isAppError(err)) this.logger.error({ err }, 'websocket command failed');
    conn.send(JSON.stringify({ type: 'reply', id: id ?? null, ok: false, error: errorBody(err) }));
  }

  private async command(conn: Connection, parsed: ClientCommand): Promise<void> {
    const actor = { kind: 'user' as const, principalId: conn.principalId };
    try {
      switch (parsed.type) {
        case 'ping':
          return this.reply(conn, parsed.id, { pong: Date.now() });
        case 'join': {
          const joined = await this.join(conn, parsed.room);
          if (joined === undefined) return;
          this.reply(conn, parsed.id, { room: joined.room, backchat: joined.backchat, participants: joined.participants, large: joined.large });
          return;
        }
        case 'part':
          await this.part(conn, parsed.room);
          return this.reply(conn, parsed.id, { room: parsed.room });
        case 'participants': {
          const room = await this.services.store.rooms.getByGuid(parsed.room);
          if (room === undefined || !conn.rooms.has(room.id)) throw new AppError('NOT_JOINED', 'join the room to see who is in it');
          const page = await this.rosterPage(room.id, parsed.limit ?? ROSTER_PAGE_DEFAULT, parsed.after);
          return this.reply(conn, parsed.id, { ...page, large: this.large.has(room.id) });
        }
        case 'post': {
          const message = await checkPostMessage(this.services, actor, parsed.room, {
            text: parsed.text,
            ...(parsed.alert === undefined ? {} : { alert: parsed.alert }),
            ...(parsed.story == null ? {} : { story: parsed.story }),
            ...(parsed.fileId === undefined ? {} : { fileId: parsed.fileId }),
          });
          return this.reply(conn, parsed.id, { message });
        }
      }
    } catch (err) {
      this.fail(conn, parsed.id, err);
    }
  }

  /** True while the room is above ParticipantUpdateLimit (no roster updates). */
  isLarge(roomId: number): boolean {
    return this.large.has(roomId);
  }

  /** The users in a room as the roster shows them, by SIP address. */
  async roster(roomId: number): Promise<RosterEntry[]> {
    return (await this.sortedRoster(roomId)).slice();
  }

  /**
   * A page of the roster: at most `limit` users after the SIP address `after`, the total,
   * and whether more follow. A large room's roster is thousands of users; a page of it
   * costs the same as a small room's.
   */
  async rosterPage(roomId: number, limit: number, after?: string): Promise<{ participants: RosterEntry[]; total: number; more: boolean }> {
    const all = await this.sortedRoster(roomId);
    let from = 0;
    if (after !== undefined) {
      // Binary search: the first address above `after`.
      let hi = all.length;
      while (from < hi) {
        const mid = (from + hi) >>> 1;
        if (all[mid]!.sipUri <= after) from = mid + 1;
        else hi = mid;
      }
    }
    const participants = all.slice(from, from + limit);
    return { participants, total: all.length, more: from + limit < all.length };
  }

  /**
   * The sorted roster, built once per change of who is in the room (and at most
   * ROSTER_TTL_MS old, for renames): polls of a busy room share it.
   */
  private async sortedRoster(roomId: number): Promise<readonly RosterEntry[]> {
    const version = this.registry.rosterVersion(roomId);
    const cached = this.rosters.get(roomId);
    if (cached !== undefined && cached.version === version && Date.now() - cached.at < ROSTER_TTL_MS) return cached.list;
    const at = Date.now();
    const ids = this.pool === undefined ? this.registry.participants(roomId) : await this.poolMembers(roomId);
    const users = await this.services.access.principalsByIds(ids);
    const list = users.map((u) => ({ sipUri: u.key, displayName: u.displayName })).sort((a, b) => (a.sipUri < b.sipUri ? -1 : a.sipUri > b.sipUri ? 1 : 0));
    if (this.registry.rosterVersion(roomId) === version) {
      if (version === 0) this.rosters.delete(roomId);
      else this.rosters.set(roomId, { version, at, list });
    }
    return list;
  }

  private async limit(): Promise<number> {
    this.participantLimit ??= (await configurations.effective(this.services.store, this.services.poolFqdn)).participantUpdateLimit;
    return this.participantLimit;
  }

  /**
   * ParticipantUpdateLimit: above the limit the room goes quiet (no roster updates, no
   * roster for newcomers); it returns to normal below 80 % of the limit.
   */
  private async updateLarge(roomId: number): Promise<boolean> {
    const count = this.countOf(roomId);
    const limit = await this.limit();
    if (count > limit) this.large.add(roomId);
    else if (count < 0.8 * limit) this.large.delete(roomId);
    return this.large.has(roomId);
  }

  /** The room's participants: on every node of a pool, else here. */
  private countOf(roomId: number): number {
    const local = this.registry.participantCount(roomId);
    return this.pool === undefined ? local : Math.max(local, this.poolCounts.get(roomId) ?? 0);
  }

  /**
   * Makes this node the pool's roster keeper for its own users (startServer, with Redis):
   * entries and exits are counted pool-wide, and the other nodes' reach this node's clients.
   */
  async usePool(roster: PoolRoster): Promise<void> {
    this.pool = roster;
    await roster.start((change) => this.rosterHeard(change));
    this.reconciler = setInterval(() => void this.reconcile(), RECONCILE_MS);
    this.reconciler.unref();
  }

  /** Another node's user entered or left a room: this node's clients in it are told. */
  private rosterHeard(change: RosterChange): void {
    if (change.count > 0) this.poolCounts.set(change.roomId, change.count);
    else this.poolCounts.delete(change.roomId);
    this.rosters.delete(change.roomId);
    if (this.registry.participantCount(change.roomId) === 0) return;
    void this.queue.push(() => this.rosterChanged(change.roomId, change.principalId, change.change));
  }

  /** What nodes that stopped counted is taken back (their users left every room). */
  private async reconcile(): Promise<void> {
    try {
      const running = new Set((await this.services.store.compliance.instances()).map((i) => i.id));
      running.add(this.services.instanceId);
      await this.pool?.reconcile(running);
    } catch (err) {
      this.logger.warn({ err }, "reconciling the pool's rosters failed");
    }
  }

  /** The pool's members of a room; this node's alone when Redis does not answer. */
  private async poolMembers(roomId: number): Promise<number[]> {
    try {
      return [...new Set([...(await this.pool!.members(roomId)), ...this.registry.participants(roomId)])];
    } catch (err) {
      this.logger.warn({ err }, "reading a room's roster from the pool failed: this node's users only");
      return this.registry.participants(roomId);
    }
  }

  /**
   * The user entered or left the room here: whether the roster changed (in a pool: they
   * were on no node before, or are on none any more). Redis silent: as on one node.
   */
  private async inPool(roomId: number, principalId: number, change: 'joined' | 'left'): Promise<boolean> {
    if (this.pool === undefined) return true;
    try {
      const { changed, count } = await this.pool.change(roomId, principalId, change);
      if (count > 0) this.poolCounts.set(roomId, count);
      else this.poolCounts.delete(roomId);
      this.rosters.delete(roomId);
      return changed;
    } catch (err) {
      this.logger.warn({ err }, "counting a room's participants in the pool failed");
      return true;
    }
  }

  /** The user left the room here: the roster and the room's other clients follow. */
  private async exited(roomId: number, principalId: number): Promise<void> {
    if (await this.inPool(roomId, principalId, 'left')) await this.rosterChanged(roomId, principalId, 'left');
  }

  private async rosterChanged(roomId: number, principalId: number, change: 'joined' | 'left'): Promise<void> {
    const large = await this.updateLarge(roomId);
    if (large) return;
    const guid = this.guids.get(roomId) ?? (await this.services.store.rooms.getById(roomId))?.guid;
    const [user] = await this.services.access.principalsByIds([principalId]);
    if (guid === undefined || user === undefined) return;
    const frame = JSON.stringify({ type: `participant.${change}`, room: guid, user: { sipUri: user.key, displayName: user.displayName } });
    for (const c of this.registry.inRoom(roomId)) if (c.principalId !== principalId) c.send(frame);
  }

  /** Encodes a frame once; every socket of the room is handed the same bytes. */
  private broadcast(roomId: number, frame: object): void {
    const text = JSON.stringify(frame);
    const bytes = Buffer.from(text, 'utf8');
    for (const c of this.registry.inRoom(roomId)) c.send(text, bytes);
  }

  /** Sends each user their own frame (notifications, invitations): on every connection of theirs. */
  /**
   * A post reaches the clients of the room's followers that are not in it: a small
   * `room.activity` frame (their unread count moves), encoded once.
   */
  private toFollowers(roomId: number, message: MessageView): void {
    const followers = this.follows.followersOf(roomId);
    if (followers === undefined) return;
    let text: string | undefined;
    for (const principalId of followers) {
      for (const c of this.registry.ofPrincipal(principalId)) {
        if (c.rooms.has(roomId)) continue;
        text ??= JSON.stringify({ type: 'room.activity', room: message.roomId, chatId: message.chatId, author: message.author });
        c.send(text);
      }
    }
  }

  private toPrincipals(items: readonly { principalId: number; frame: object }[]): void {
    for (const { principalId, frame } of items) {
      const conns = this.registry.ofPrincipal(principalId);
      if (conns.length === 0) continue;
      const text = JSON.stringify(frame);
      for (const c of conns) c.send(text);
    }
  }

  /**
   * Runs a room's delivery job now, or after the room's pending work. Only a room with
   * pending work keeps a tail; a job that turns out to be asynchronous becomes the tail.
   */
  private inRoomOrder(roomId: number, job: () => void | Promise<void>): void {
    const tail = this.roomTails.get(roomId);
    let pending: Promise<void> | void;
    if (tail !== undefined) pending = tail.then(job);
    else {
      try {
        pending = job();
      } catch (err) {
        this.logger.error({ err }, 'realtime delivery failed');
        return;
      }
    }
    if (pending === undefined) return;
    const next: Promise<void> = pending.catch((err: unknown) => this.logger.error({ err }, 'realtime delivery failed'));
    this.roomTails.set(roomId, next);
    void next.then(() => {
      if (this.roomTails.get(roomId) === next) this.roomTails.delete(roomId);
    });
  }

  /**
   * Where a committed event goes. Chat traffic (messages, removals, notifications,
   * invitations) is delivered at once, in event order per room — it never queues behind a
   * re-check of every connected user after a policy change, nor behind roster work. A
   * change to one room's roles or settings re-checks that room in the housekeeping queue
   * and holds that room's later frames until its kicks are out, so nobody it removes sees
   * what is posted after the change. Changes that reach many users at once (policies,
   * directory, categories, principals) re-check in the housekeeping queue without holding
   * delivery: a message committed while such a re-check runs reaches the room as it was,
   * like one committed just before the change.
   */
  private dispatch(event: DomainEvent): void {
    switch (event.type) {
      case 'message.posted':
        this.toFollowers(event.roomId, event.message);
        return this.sequencer.push(event.roomId, event.message);
      case 'follows.changed':
        // Every client of the user: a room followed or not, or read further on another device.
        if (event.lastReadChatId === null) this.follows.unfollow(event.principalId, event.roomId);
        else this.follows.follow(event.principalId, event.roomId);
        this.toPrincipals([{ principalId: event.principalId, frame: { type: 'follow.changed', room: event.room, following: event.lastReadChatId !== null, lastReadChatId: event.lastReadChatId } }]);
        return;
      case 'message.replaced': {
        // A message still held for its turn goes out as it now is.
        const now = new Map(event.messages.map((m) => [m.id, m]));
        this.sequencer.amend(event.roomId, (m) => now.get(m.id) ?? m);
        return this.inRoomOrder(event.roomId, () => this.broadcast(event.roomId, { type: 'message.replaced', messages: event.messages }));
      }
      case 'message.removed':
      case 'room.cleared':
        // A message still held for its turn that this removes never goes out.
        if (event.type === 'message.removed') {
          const gone = new Set(event.messageIds);
          this.sequencer.amend(event.roomId, (m) => (gone.has(m.id) ? null : m));
        } else {
          const through = Date.parse(event.through);
          this.sequencer.amend(event.roomId, (m) => (Date.parse(m.postedAt) <= through ? null : m));
        }
        return this.inRoomOrder(event.roomId, () => {
          const guid = this.guids.get(event.roomId);
          if (guid !== undefined) return this.removed(event, guid);
          return this.services.store.rooms.getById(event.roomId).then((room) => {
            if (room !== undefined) this.removed(event, room.guid);
          });
        });
      case 'notification.created':
        return this.toPrincipals(event.notifications.map((n) => ({ principalId: n.principalId, frame: { type: 'notification', notification: n.notification } })));
      case 'invitation.created':
        return this.toPrincipals(event.invitations.map((i) => ({ principalId: i.principalId, frame: { type: 'invitation', invitation: i.invitation } })));
      case 'invitation.accepted':
        return this.toPrincipals([{ principalId: event.principalId, frame: { type: 'invitation.accepted', room: event.room } }]);
      case 'room.removed':
      case 'room.disabled':
      case 'room.roles_changed':
      case 'room.updated':
      case 'room.moved': {
        const roomId = event.roomId;
        if (event.type === 'room.removed' || event.type === 'room.disabled') this.sequencer.forget(roomId);
        const done = this.queue.push(() => this.onEvent(event));
        return this.inRoomOrder(roomId, () => done);
      }
      case 'data.imported':
        // An import wrote history around the live path (chat ids moved on without events).
        this.sequencer.reset();
        return;
      case 'events.lost':
        this.sequencer.reset();
        void this.follows.reload().catch((err: unknown) => this.logger.warn({ err }, 'reading the rooms users follow again failed'));
        void this.queue.push(() => this.onEvent(event));
        return;
      default:
        void this.queue.push(() => this.onEvent(event));
    }
  }

  private removed(event: Extract<DomainEvent, { type: 'message.removed' | 'room.cleared' }>, guid: string): void {
    this.broadcast(
      event.roomId,
      event.type === 'message.removed' ? { type: 'message.removed', room: guid, messageIds: event.messageIds } : { type: 'room.cleared', room: guid, through: event.through },
    );
  }

  /** Housekeeping: what a change of rights, settings or sessions does to live connections. */
  private async onEvent(event: DomainEvent): Promise<void> {
    switch (event.type) {
      case 'room.removed':
      case 'room.disabled':
        return this.kickAll(event.roomId, event.type === 'room.removed' ? 'the room was removed' : 'the room was disabled');
      case 'room.roles_changed':
        await this.recheckRooms([event.roomId]);
        return this.roomListsChanged([...event.added, ...event.removed]);
      case 'room.updated':
      case 'room.moved':
        return this.recheckRooms([event.roomId]);
      case 'category.scope_changed':
      case 'category.updated':
      case 'category.removed': {
        const rooms = await this.services.store.rooms.list({ categoryId: event.categoryId });
        return this.recheckRooms(rooms.map((r) => r.id));
      }
      case 'configuration.changed':
        this.participantLimit = undefined;
        return;
      case 'session.ended':
        for (const c of this.registry.ofPrincipal(event.principalId)) {
          if (event.tokenHashes === 'all' || event.tokenHashes.includes(c.tokenHash)) c.close(CLOSE.signedOut, 'signed out');
        }
        return;
      case 'directory.changed':
        this.rosters.clear();
        // Everyone whose affiliations the change touched (the event lists them).
        return this.recheckPrincipals(event.principalIds);
      case 'principal.updated':
      case 'principal.removed':
        this.rosters.clear();
        return this.recheckPrincipals([event.principalId]);
      case 'events.lost':
        // Whatever was missed (a kick, a revocation) is found by checking everyone again.
        this.rosters.clear();
        this.participantLimit = undefined;
        // The pool's rosters may be gone with the events: this node counts its users in again.
        for (const roomId of this.registry.rooms()) for (const principalId of this.registry.participants(roomId)) await this.inPool(roomId, principalId, 'joined');
        await this.recheckRooms([...this.guids.keys()].filter((id) => this.registry.participantCount(id) > 0));
        await this.recheckSessions();
        return this.recheckPrincipals(this.registry.principals());
      case 'policy.changed':
      case 'administrator.revoked':
        // Policies reach users through sites and tags, the role through groups: check all.
        return this.recheckPrincipals(this.registry.principals());
      default:
        return;
    }
  }

  private async kickAll(roomId: number, reason: string): Promise<void> {
    const frame = JSON.stringify({ type: 'room.kicked', room: this.guids.get(roomId) ?? null, reason });
    for (const c of this.registry.inRoom(roomId)) {
      const left = this.registry.part(c, roomId);
      c.send(frame);
      await recordParts(this.services, { connection: c.id }, [roomId], `kicked: ${reason}`);
      // Everyone here goes: nobody here is told; the pool's count follows.
      if (left) await this.inPool(roomId, c.principalId, 'left');
    }
  }

  private async kick(conn: Connection, roomId: number, guid: string, reason: string): Promise<void> {
    const left = this.registry.part(conn, roomId);
    await recordParts(this.services, { connection: conn.id }, [roomId], `kicked: ${reason}`);
    conn.send(JSON.stringify({ type: 'room.kicked', room: guid, reason }));
    if (left) await this.exited(roomId, conn.principalId);
  }

  /** Actor facts for many users in a constant number of queries; missing users may do nothing. */
  private async factsOf(principalIds: readonly number[]): Promise<(id: number) => ActorFacts> {
    const facts = await loadActorFactsMany(this.services.store, principalIds);
    return (id) => facts.get(id) ?? { kind: 'user', principal: { id, affiliations: new Set([id]) }, isAdmin: false, serviceEnabled: false, active: false };
  }

  /** Everyone joined to these rooms must still be allowed to be there. */
  private async recheckRooms(roomIds: readonly number[]): Promise<void> {
    const store = this.services.store;
    const rooms = await loadRooms(store, await store.rooms.getManyByIds(roomIds));
    const gone = roomIds.filter((id) => !rooms.some((r) => r.room.id === id));
    for (const id of gone) await this.kickAll(id, 'the room was removed');
    const factsOf = await this.factsOf([...new Set(rooms.flatMap((r) => this.registry.participants(r.room.id)))]);
    for (const loaded of rooms) {
      const { room, category } = loaded;
      const settings = { name: room.name, description: room.description, category: category.name, privacy: room.privacy, type: room.type, chatHistory: category.chatHistory, fileUpload: category.fileUpload };
      for (const principalId of this.registry.participants(room.id)) {
        const facts = factsOf(principalId);
        if (canJoin(facts, loaded.facts)) {
          // Those who stay see the room as it now is (renamed, moved, made an auditorium,
          // their right to post or manage changed by someone else) without reopening it.
          const frame = JSON.stringify({ type: 'room.changed', room: room.guid, settings: { ...settings, canPost: canPost(facts, loaded.facts), canManage: canManage(facts, loaded.facts) } });
          for (const c of this.registry.ofPrincipal(principalId)) if (c.rooms.has(room.id)) c.send(frame);
          continue;
        }
        for (const c of this.registry.ofPrincipal(principalId)) {
          if (c.rooms.has(room.id)) await this.kick(c, room.id, room.guid, 'you may no longer be in this room');
        }
      }
    }
  }

  /**
   * Roles were given or taken (directly or through groups, OUs, domains): the users
   * connected here whom that touches read their room lists again (`rooms.changed`). One
   * expansion query per change, whatever the number of users.
   */
  private async roomListsChanged(principalIds: readonly number[]): Promise<void> {
    if (principalIds.length === 0 || this.registry.principals().length === 0) return;
    const touched = await this.services.store.principals.expand(principalIds);
    this.toPrincipals(this.registry.principals().filter((id) => touched.has(id)).map((principalId) => ({ principalId, frame: { type: 'rooms.changed' } })));
  }

  /** These users (those of them connected here) must still be allowed to use the service and be in their rooms. */
  private async recheckPrincipals(principalIds: readonly number[]): Promise<void> {
    const connected = principalIds.filter((id) => this.registry.ofPrincipal(id).length > 0);
    if (connected.length === 0) return;
    const factsOf = await this.factsOf(connected);
    const roomIds = [...new Set(connected.flatMap((id) => this.registry.ofPrincipal(id).flatMap((c) => [...c.rooms])))];
    const rooms = await loadRooms(this.services.store, await this.services.store.rooms.getManyByIds(roomIds));
    for (const principalId of connected) {
      const facts = factsOf(principalId);
      const conns = this.registry.ofPrincipal(principalId);
      if (!canUseService(facts)) {
        for (const c of conns) c.close(CLOSE.serviceDisabled, 'Persistent Chat is no longer enabled for this account');
        continue;
      }
      for (const loaded of rooms) {
        if (canJoin(facts, loaded.facts)) continue;
        for (const c of conns) if (c.rooms.has(loaded.room.id)) await this.kick(c, loaded.room.id, loaded.room.guid, 'you may no longer be in this room');
      }
    }
  }

  /**
   * Every connection's session must still exist (a sign-out or revocation this node may
   * have missed). One read per connected user: only after the pool lost events, a rare
   * recovery, never on a request's path.
   */
  private async recheckSessions(): Promise<void> {
    for (const principalId of this.registry.principals()) {
      const live = new Set((await this.services.store.sessions.list(principalId)).map((s) => s.tokenHash));
      for (const c of this.registry.ofPrincipal(principalId)) if (!c.tokenHash.startsWith(SIP_SESSION) && !live.has(c.tokenHash)) c.close(CLOSE.signedOut, 'signed out');
    }
  }

  /** Resolves when every event published so far and every command or disconnect in progress is handled. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.queue.idle();
    while (this.roomTails.size > 0) await Promise.allSettled([...this.roomTails.values()]);
  }

  /** Open WebSocket connections on this server. */
  get connections(): number {
    return this.registry.connectionCount;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.unsubscribe();
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.close(CLOSE.shuttingDown, 'server shutting down');
    await Promise.allSettled([...this.inflight]);
    // Everyone still in a room leaves with the server (recorded for compliance).
    await recordInstanceParts(this.services, this.services.instanceId, 'server shutting down').catch((err: unknown) =>
      this.logger.error({ err }, 'recording the last PARTs failed'),
    );
    await this.queue.idle();
    await Promise.allSettled([...this.roomTails.values()]);
    if (this.reconciler !== undefined) clearInterval(this.reconciler);
    // This node's users leave every room of the pool's rosters with it.
    await this.pool?.forget().catch((err: unknown) => this.logger.warn({ err }, "taking this node's users out of the pool's rosters failed"));
    await this.pool?.close();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

const UNAVAILABLE_LOG_MS = 10_000;

function errorBody(err: unknown): { code: string; message: string; retryAfterMs?: number } {
  const unavailable = databaseUnavailable(err);
  if (unavailable !== undefined) return { code: unavailable.code, message: unavailable.message };
  if (!isAppError(err)) return { code: 'INTERNAL', message: 'internal error' };
  const wait = err.details?.retryAfterMs;
  return { code: err.code, message: err.message, ...(typeof wait === 'number' ? { retryAfterMs: wait } : {}) };
}

/** A frame as a command, or the INVALID_INPUT it earns (with its id when it has one). */
function parseCommand(text: string): Queued {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { id: undefined, error: new AppError('INVALID_INPUT', 'frames are JSON commands') };
  }
  const result = ClientCommand.safeParse(json);
  if (result.success) return { command: result.data };
  const raw = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  const id = typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw)) ? raw : undefined;
  return { id: typeof id === 'string' ? id.slice(0, 64) : id, error: new AppError('INVALID_INPUT', `not a command: ${result.error.issues[0]?.message ?? 'invalid'}`) };
}

/**
 * The WebSocket half of the API (docs/api.md, "The WebSocket"): one connection per signed-in
 * tab, commands answered by `reply` frames with the same id, everything else handed to the
 * listeners. It reconnects after a network drop (with back-off) and tells the listeners, so
 * that joined rooms are joined again; close codes that mean "signed out" end the session.
 */
import { ApiError, type Message, type Participant, type RoomSummary } from './api';
import { t } from './i18n';

export type Frame =
  | { type: 'ready'; user: { sipUri: string; displayName: string | null } }
  | { type: 'reply'; id: number; ok: boolean; result?: unknown; error?: { code: string; message: string } }
  | { type: 'message'; message: Message }
  | { type: 'message.replaced'; messages: Message[] }
  | { type: 'message.removed'; room: string; messageIds: number[] }
  | { type: 'room.cleared'; room: string; through: string }
  | { type: 'participant.joined' | 'participant.left'; room: string; user: Participant }
  | { type: 'room.kicked'; room: string; reason: string }
  | { type: 'invitation'; invitation: { id: number; room: RoomSummary; createdAt: string } }
  | { type: 'invitation.accepted'; room: string }
  | { type: 'room.activity'; room: string; chatId: number; author: string }
  | { type: 'room.changed'; room: string; settings: Pick<Joined['room'], 'name' | 'description' | 'category' | 'privacy' | 'type' | 'chatHistory' | 'fileUpload' | 'canPost' | 'canManage'> }
  | { type: 'rooms.changed' }
  | { type: 'follow.changed'; room: string; following: boolean; lastReadChatId: number | null }
  | { type: 'notification'; notification: { id: number; kind: string; detail: string; createdAt: string; message: Message } };

export interface Joined {
  room: RoomSummary & { canPost: boolean; canManage: boolean; chatHistory: boolean; fileUpload: boolean; addin: { name: string; url: string } | null };
  backchat: Message[];
  participants: Participant[] | null;
  large: boolean;
}

/** Close codes after which reconnecting cannot help (docs/api.md). */
const FINAL = new Set([4401, 4403, 4404]);

export class Live {
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(frame: Frame) => void>();
  private readonly statusListeners = new Set<(up: boolean) => void>();
  private retry = 0;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  up = false;

  constructor(
    private readonly token: string,
    private readonly onFinal: (code: number) => void,
  ) {
    this.open();
  }

  private open(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws?token=${encodeURIComponent(this.token)}`);
    this.socket = socket;
    socket.onmessage = (event) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data)) as Frame;
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.retry = 0;
        this.setUp(true);
      }
      if (frame.type === 'reply') {
        const waiter = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        if (frame.ok) waiter?.resolve(frame.result);
        else waiter?.reject(new ApiError(400, frame.error?.code ?? 'ERROR', frame.error?.message ?? 'refused'));
        return;
      }
      for (const l of this.listeners) l(frame);
    };
    socket.onclose = (event) => {
      this.setUp(false);
      for (const w of this.pending.values()) w.reject(new ApiError(0, 'NETWORK', t('api.lost')));
      this.pending.clear();
      if (this.closed) return;
      if (FINAL.has(event.code)) {
        this.closed = true;
        this.onFinal(event.code);
        return;
      }
      const wait = Math.min(30_000, 500 * 2 ** this.retry++);
      this.timer = setTimeout(() => this.open(), wait);
    };
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    for (const l of this.statusListeners) l(up);
  }

  /** Sends a command; resolves with its result, rejects with the server's error. */
  command<T>(frame: Record<string, unknown>): Promise<T> {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN || !this.up) return Promise.reject(new ApiError(0, 'NETWORK', t('api.notYet')));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.send(JSON.stringify({ ...frame, id }));
    });
  }

  join(room: string): Promise<Joined> {
    return this.command<Joined>({ type: 'join', room });
  }

  part(room: string): Promise<unknown> {
    return this.command({ type: 'part', room });
  }

  on(listener: (frame: Frame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStatus(listener: (up: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
  }
}

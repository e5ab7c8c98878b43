/**
 * Puts each room's live messages in chat-id order, each once. On one node they already
 * arrive so; in a pool they come from several nodes, and a node's publish can overtake
 * another's that committed first (the room's row lock orders the commits, nothing orders
 * the publishes). A message that arrives ahead of a gap is held for a moment; if what is
 * missing has not come by then (its node died between commit and publish, say), the gap
 * is filled from the room's history and everything goes out in order.
 */
import type { MessageView } from '../actions/chat-views.js';

/** How long a message waits for the ones before it before the history is asked. */
export const GAP_WAIT_MS = 250;
/** Held messages per room before the history is asked at once. */
const MAX_HELD = 1_000;

export interface SequencerParts {
  /** Messages kept in the room's history with after < chat id < before, oldest first. */
  fill(roomId: number, after: number, before: number): Promise<MessageView[]>;
  deliver(roomId: number, message: MessageView): void;
  /** Someone here to deliver the room's messages to (rooms nobody is in keep no state). */
  active(roomId: number): boolean;
  onError(err: unknown): void;
  waitMs?: number;
}

interface RoomState {
  last: number;
  /** Messages ahead of a gap; null: removed while held (its chat id still counts, nothing goes out). */
  held: Map<number, MessageView | null>;
  timer: NodeJS.Timeout | undefined;
}

export class RoomSequencer {
  private readonly rooms = new Map<number, RoomState>();
  /** Messages dropped as copies, and gaps filled from history (metrics, tests). */
  readonly stats = { copies: 0, fills: 0, filled: 0 };

  constructor(private readonly parts: SequencerParts) {}

  push(roomId: number, message: MessageView): void {
    const room = this.rooms.get(roomId);
    if (!this.parts.active(roomId)) {
      if (room !== undefined) this.forget(roomId);
      return;
    }
    const chatId = message.chatId;
    if (room === undefined) {
      this.rooms.set(roomId, { last: chatId, held: new Map(), timer: undefined });
      this.parts.deliver(roomId, message);
      return;
    }
    if (chatId <= room.last || room.held.has(chatId)) {
      this.stats.copies++;
      return;
    }
    if (chatId === room.last + 1) {
      room.last = chatId;
      this.parts.deliver(roomId, message);
      this.drain(roomId, room);
      return;
    }
    room.held.set(chatId, message);
    if (room.held.size >= MAX_HELD) {
      this.stopTimer(room);
      void this.fill(roomId, room);
    } else if (room.timer === undefined) {
      room.timer = setTimeout(() => void this.fill(roomId, room), this.parts.waitMs ?? GAP_WAIT_MS);
      room.timer.unref();
    }
  }

  /**
   * A change to messages that may be held here (removed, replaced, cleared): held ones
   * change with it, so that none goes out after the change as it was before (the change
   * itself goes out at once; a removal of a message a client has not seen yet is harmless).
   * `change` returns the message as it is now, or null when it is gone.
   */
  amend(roomId: number, change: (message: MessageView) => MessageView | null): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    for (const [chatId, message] of room.held) if (message !== null) room.held.set(chatId, change(message));
  }

  /** The room's order starts again from its next message (nobody left in it, the room removed). */
  forget(roomId: number): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    this.stopTimer(room);
    this.rooms.delete(roomId);
  }

  /** Every room starts again (an import rewrote history, events of the pool were lost). */
  reset(): void {
    for (const roomId of [...this.rooms.keys()]) this.forget(roomId);
  }

  private stopTimer(room: RoomState): void {
    if (room.timer !== undefined) clearTimeout(room.timer);
    room.timer = undefined;
  }

  private drain(roomId: number, room: RoomState): void {
    while (room.held.has(room.last + 1)) {
      const next = room.held.get(room.last + 1);
      room.held.delete(room.last + 1);
      room.last++;
      if (next != null) this.parts.deliver(roomId, next);
    }
    if (room.held.size === 0) this.stopTimer(room);
  }

  private async fill(roomId: number, room: RoomState): Promise<void> {
    room.timer = undefined;
    if (room.held.size === 0) return;
    const top = Math.max(...room.held.keys());
    let found: MessageView[] = [];
    try {
      found = await this.parts.fill(roomId, room.last, top);
    } catch (err) {
      // The held messages still go out, in order; what is missing stays in history.
      this.parts.onError(err);
    }
    if (this.rooms.get(roomId) !== room) return;
    this.stats.fills++;
    const all = new Map<number, MessageView | null>();
    for (const m of found) if (m.chatId > room.last) all.set(m.chatId, m);
    this.stats.filled += all.size;
    for (const [chatId, m] of room.held) all.set(chatId, m);
    room.held.clear();
    for (const chatId of [...all.keys()].sort((a, b) => a - b)) {
      if (chatId <= room.last) continue;
      room.last = chatId;
      const message = all.get(chatId);
      if (message != null) this.parts.deliver(roomId, message);
    }
  }
}

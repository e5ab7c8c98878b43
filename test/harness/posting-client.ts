import { WsClient } from './server.js';

/**
 * One WebSocket client of a user in a room, for the tests of a pool's failures (a node
 * killed, a database failed over): it posts, remembers what was acknowledged, and
 * reconnects when cut.
 */
export class PostingClient {
  ws: WsClient | undefined;
  /** Connected without a break since the round began. */
  steady = true;
  acknowledged: { text: string; chatId: number }[] = [];
  /** Posts acknowledged after this client reconnected, and when the first was. */
  afterReconnect = 0;
  backAt: number | undefined;
  /** The codes of the posts refused, by how many times. */
  refused = new Map<string, number>();
  /** When the last post was acknowledged. */
  lastAckAt: number | undefined;
  /** How the connection was cut, each time. */
  cuts: { code: number; reason: string; at: number }[] = [];
  private reconnected = false;

  constructor(
    readonly url: string,
    readonly token: string,
    readonly room: string,
  ) {}

  /** A round begins: what it measures starts again. */
  newRound(): void {
    this.steady = this.ws?.closed === undefined;
    this.acknowledged = [];
    this.afterReconnect = 0;
    this.backAt = undefined;
    this.reconnected = false;
  }

  async connect(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const ws = await WsClient.connect(this.url, this.token);
        await ws.ok({ type: 'join', room: this.room });
        this.ws = ws;
        return;
      } catch (err) {
        if (attempt > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async post(text: string): Promise<void> {
    if (this.ws === undefined || this.ws.closed !== undefined) {
      if (this.ws?.closed !== undefined) this.cuts.push({ ...this.ws.closed, at: Date.now() });
      this.steady = false;
      this.reconnected = true;
      await this.connect();
    }
    try {
      const reply = await this.ws!.call({ type: 'post', room: this.room, text });
      if (reply.ok !== true) {
        const code = String((reply.error as { code?: unknown } | undefined)?.code);
        this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
      } else {
        this.lastAckAt = Date.now();
        this.acknowledged.push({ text, chatId: (reply.result as { message: { chatId: number } }).message.chatId });
        if (this.reconnected && this.afterReconnect++ === 0) this.backAt = Date.now();
      }
    } catch {
      // Cut while waiting for the reply: not acknowledged.
    }
  }
}

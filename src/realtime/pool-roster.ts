/**
 * Who is in which room across the nodes of a pool (docs/pool.md), kept in its Redis:
 *
 * - `<prefix>roster:<roomId>`: a hash of user id → the number of nodes where that user is
 *   in the room. Its size is the room's pool-wide participant count (the large-room state).
 * - `<prefix>roster-node:<node>`: what one node counted (`roomId:userId`), so what a dead
 *   node counted is taken back by the others (`reconcile`).
 * - the channel `<prefix>roster`: each pool-wide entry or exit, for the other nodes to tell
 *   their clients in the room (participant.joined / participant.left).
 *
 * A node counts a user once per room however many connections they have there (the
 * registry decides that); Lua scripts keep each count and its node's record in step.
 */
import type { Redis } from 'ioredis';

const ENTER = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  local n = redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  return {n, redis.call('HLEN', KEYS[2])}
end
return {-1, redis.call('HLEN', KEYS[2])}`;

const LEAVE = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then
  local n = redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
  if n <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
  return {n, redis.call('HLEN', KEYS[2])}
end
return {-1, redis.call('HLEN', KEYS[2])}`;

/** Takes back everything one node counted: the (room, user, count) of each user gone from a room. */
const FORGET = `
local out = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sep = string.find(member, ':')
  local room = string.sub(member, 1, sep - 1)
  local user = string.sub(member, sep + 1)
  local key = ARGV[1] .. room
  local n = redis.call('HINCRBY', key, user, -1)
  if n <= 0 then
    redis.call('HDEL', key, user)
    table.insert(out, room)
    table.insert(out, user)
    table.insert(out, redis.call('HLEN', key))
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return out`;

export interface RosterChange {
  roomId: number;
  principalId: number;
  change: 'joined' | 'left';
  /** The room's pool-wide participant count after the change. */
  count: number;
}

type Log = (level: 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;

export class PoolRoster {
  private readonly subscriber: Redis;
  private handler: ((change: RosterChange) => void) | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** This node (Services.instanceId). */
    private readonly node: string,
    private readonly log: Log,
  ) {
    this.subscriber = redis.duplicate();
    this.subscriber.on('error', (err: Error) => this.log('warn', `the pool's Redis (rosters): ${err.message}`));
    this.subscriber.on('message', (_channel: string, text: string) => this.received(text));
  }

  /** Hears the other nodes' entries and exits. */
  async start(handler: (change: RosterChange) => void): Promise<void> {
    this.handler = handler;
    await this.subscriber.subscribe(`${this.prefix}roster`);
    await this.redis.sadd(`${this.prefix}roster-nodes`, this.node);
  }

  /**
   * The user entered (`joined`) or left the room on this node. `changed`: the pool's
   * roster changed — they were on no node before, or are on none any more (the other
   * nodes are told); `count`: the room's participants on every node now.
   */
  async change(roomId: number, principalId: number, change: 'joined' | 'left'): Promise<{ changed: boolean; count: number }> {
    const script = change === 'joined' ? ENTER : LEAVE;
    const [n, count] = (await this.redis.eval(script, 2, this.nodeKey(), this.roomKey(roomId), `${roomId}:${principalId}`, String(principalId))) as [number, number];
    const changed = change === 'joined' ? n === 1 : n === 0;
    if (changed) this.announce({ roomId, principalId, change, count });
    return { changed, count };
  }

  /** The room's users on every node. */
  async members(roomId: number): Promise<number[]> {
    return (await this.redis.hkeys(this.roomKey(roomId))).map(Number).filter((id) => Number.isSafeInteger(id));
  }

  /**
   * Takes back what nodes that are no longer running counted (`running`: the instance ids
   * of the deployment's live nodes), telling every node's clients who left.
   */
  async reconcile(running: ReadonlySet<string>): Promise<void> {
    for (const node of await this.redis.smembers(`${this.prefix}roster-nodes`)) {
      if (node === this.node || running.has(node)) continue;
      await this.forget(node);
    }
  }

  /** Takes back what a node counted (this one, when it shuts down). */
  async forget(node: string = this.node): Promise<void> {
    const out = (await this.redis.eval(FORGET, 2, `${this.prefix}roster-node:${node}`, `${this.prefix}roster-nodes`, `${this.prefix}roster:`, node)) as (string | number)[];
    for (let i = 0; i + 2 < out.length; i += 3) {
      const change: RosterChange = { roomId: Number(out[i]), principalId: Number(out[i + 1]), change: 'left', count: Number(out[i + 2]) };
      this.announce(change);
      this.handler?.(change);
    }
  }

  async close(): Promise<void> {
    this.handler = undefined;
    this.subscriber.disconnect();
  }

  private announce(change: RosterChange): void {
    this.redis.publish(`${this.prefix}roster`, JSON.stringify({ ...change, node: this.node })).catch((err: unknown) => this.log('warn', 'telling the pool of a roster change failed', { err }));
  }

  private received(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const c = parsed as Partial<RosterChange> & { node?: unknown };
    if (c.node === this.node) return;
    if (!Number.isSafeInteger(c.roomId) || !Number.isSafeInteger(c.principalId) || !Number.isSafeInteger(c.count) || (c.change !== 'joined' && c.change !== 'left')) {
      this.log('warn', 'a roster message of the pool is not one: ignored');
      return;
    }
    this.handler?.({ roomId: c.roomId!, principalId: c.principalId!, change: c.change, count: c.count! });
  }

  private nodeKey(): string {
    return `${this.prefix}roster-node:${this.node}`;
  }

  private roomKey(roomId: number): string {
    return `${this.prefix}roster:${roomId}`;
  }
}

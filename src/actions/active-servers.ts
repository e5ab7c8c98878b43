/**
 * The pool's active servers (`Set-CsPersistentChatActiveServer`, spec 01 §2.10;
 * `stoa pool active-server get|set`): only the nodes on the list accept **new**
 * connections — sign-ins, WebSockets, legacy SIP clients; a node taken off keeps what it
 * has, and its /healthz answers 503 so a load balancer sends newcomers elsewhere. At most
 * MAX_ACTIVE_SERVERS. Until an administrator sets it, every node is active.
 */
import { requireAdministrator } from '../access/categories.js';
import { loadActorFacts } from '../access/actor.js';
import { AppError } from '../domain/errors.js';
import { NODE_NAME, NODE_NAME_RULE } from '../domain/nodes.js';
import type { EventBus } from '../events/bus.js';
import type { Store } from '../store/types.js';
import { runWrite, type Actor, type Outcome, type Services, type WriteOptions } from './context.js';
import { listNodes } from './nodes.js';

/** Up to four active servers per pool; the others (four more in the legacy topology) stand by. */
export const MAX_ACTIVE_SERVERS = 4;
const KEY = 'active_servers';
/** A node reads the list again at least this often (an event tells it at once). */
const TTL_MS = 10_000;

export interface ActiveServersView {
  /** `PersistentChatServer:<pool>`, as the cmdlet names the collection. */
  identity: string;
  /** Null until an administrator sets the list: every node is active. */
  activeServers: string[] | null;
}

export type ActiveServersEdit = { add?: string[]; remove?: string[] } | { clear: true } | { swap: true };

async function read(store: Store): Promise<string[] | null> {
  const raw = await store.meta.get(KEY);
  if (raw === undefined) return null;
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === 'string') : null;
}

const view = (services: Services, list: string[] | null): ActiveServersView => ({ identity: `PersistentChatServer:${services.poolFqdn}`, activeServers: list });
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function checkName(name: string): string {
  if (!NODE_NAME.test(name)) throw new AppError('INVALID_IDENTITY', `'${name}': ${NODE_NAME_RULE}`);
  return name;
}

export async function getActiveServers(services: Services, actor: Actor): Promise<ActiveServersView> {
  requireAdministrator(await loadActorFacts(services.store, actor), 'read the active servers');
  return view(services, await read(services.store));
}

/**
 * Adds and removes names, clears the list (no node accepts new connections: what the
 * legacy failover did before switching databases), or swaps it: the running nodes not
 * on it become the list.
 */
export async function setActiveServers(services: Services, actor: Actor, edit: ActiveServersEdit, options: WriteOptions = {}): Promise<Outcome<ActiveServersView>> {
  const running = 'swap' in edit ? (await listNodes(services, actor)).filter((n) => n.state === 'Running').map((n) => n.name) : [];
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'set the active servers');
    const before = await read(tx.store);
    let after: string[];
    if ('clear' in edit) after = [];
    else if ('swap' in edit) {
      // Every node was active while the list was unset: swapping leaves none.
      after = before === null ? [] : [...new Set(running.filter((n) => !before.some((b) => same(b, n))))];
    } else {
      after = [...(before ?? [])];
      for (const name of (edit.remove ?? []).map(checkName)) {
        const at = after.findIndex((n) => same(n, name));
        if (at < 0) throw new AppError('NODE_NOT_FOUND', `'${name}' is not on the active-server list (${after.join(', ') || 'empty'})`);
        after.splice(at, 1);
      }
      for (const name of (edit.add ?? []).map(checkName)) if (!after.some((n) => same(n, name))) after.push(name);
    }
    if (after.length > MAX_ACTIVE_SERVERS) {
      throw new AppError('INVALID_VALUE', `at most ${MAX_ACTIVE_SERVERS} active servers per pool (the others stand by); the list would be ${after.join(', ')}`);
    }
    await tx.store.meta.set(KEY, JSON.stringify(after));
    tx.emit({ type: 'pool.active_servers_changed' });
    tx.record({ action: 'set', kind: 'active servers', identity: `PersistentChatServer:${services.poolFqdn}`, details: { activeServers: { from: before, to: after } } });
    return view(services, after);
  });
}

/**
 * Whether this node accepts new connections, from memory: read again when the list
 * changes (the event reaches every node of the pool) and at least every TTL_MS.
 */
export class ActiveServerGate {
  private cached: { at: number; list: string[] | null } | undefined;
  private loading: Promise<string[] | null> | undefined;

  constructor(
    private readonly store: Store,
    /** This node's name; undefined outside a serving node (every CLI command is let in). */
    private readonly nodeName: string | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  follow(bus: EventBus): () => void {
    return bus.subscribe((event) => {
      if (event.type === 'pool.active_servers_changed' || event.type === 'events.lost' || event.type === 'data.imported') this.cached = undefined;
    });
  }

  async accepting(): Promise<boolean> {
    if (this.nodeName === undefined) return true;
    const name = this.nodeName;
    const list = await this.list();
    return list === null || list.some((n) => same(n, name));
  }

  /** NODE_INACTIVE unless this node accepts new connections. */
  async admit(): Promise<void> {
    if (!(await this.accepting())) {
      throw new AppError('NODE_INACTIVE', `this node (${this.nodeName ?? ''}) is not an active server of the pool: connect through another node`);
    }
  }

  private async list(): Promise<string[] | null> {
    const now = this.clock();
    if (this.cached !== undefined && now - this.cached.at < TTL_MS) return this.cached.list;
    this.loading ??= read(this.store).finally(() => (this.loading = undefined));
    const list = await this.loading;
    this.cached = { at: now, list };
    return list;
  }
}

/**
 * The nodes of a deployment (the legacy tblServerIdentity; `stoa pool node get`): every
 * running `stoa serve` beats in the database every HEARTBEAT_MS with its name, version,
 * address and connections (compliance/worker.ts writes it), and the compliance worker of
 * any node removes one that stopped beating, giving its users their PART.
 */
import os from 'node:os';
import { requireAdministrator } from '../access/categories.js';
import { loadActorFacts } from '../access/actor.js';
import { AppError } from '../domain/errors.js';
import { NODE_NAME, NODE_NAME_RULE } from '../domain/nodes.js';
import { HEARTBEAT_MS, processAlive } from '../compliance/worker.js';
import type { ServerInstanceRecord } from '../store/types.js';
import type { Actor, Services } from './context.js';

/** A node whose last heartbeat is older than this is listed as not responding (three beats missed). */
export const NODE_SILENT_MS = 3 * HEARTBEAT_MS;

export interface NodeView {
  name: string;
  /** `Running`, or `NotResponding` once three heartbeats are missed (removed after four). */
  state: 'Running' | 'NotResponding';
  version: string;
  address: string | null;
  connections: number;
  lastHeartbeat: string;
  started: string;
  host: string;
  pid: number;
}

function running(node: ServerInstanceRecord, now: number): boolean {
  if (now - node.heartbeatAt > NODE_SILENT_MS) return false;
  // A process of this host that is gone stopped beating for good, whatever its last beat says.
  return node.host !== os.hostname() || processAlive(node.pid);
}

function view(node: ServerInstanceRecord, now: number): NodeView {
  return {
    name: node.name,
    state: running(node, now) ? 'Running' : 'NotResponding',
    version: node.version,
    address: node.address,
    connections: node.connections,
    lastHeartbeat: new Date(node.heartbeatAt).toISOString(),
    started: new Date(node.startedAt).toISOString(),
    host: node.host,
    pid: node.pid,
  };
}

/** The deployment's nodes by name, or the one named (administrators). */
export async function listNodes(services: Services, actor: Actor, identity?: string): Promise<NodeView[]> {
  requireAdministrator(await loadActorFacts(services.store, actor), 'list the nodes');
  const now = services.clock();
  const nodes = (await services.store.compliance.instances()).map((n) => view(n, now)).sort((a, b) => a.name.localeCompare(b.name) || a.started.localeCompare(b.started));
  if (identity === undefined) return nodes;
  if (!NODE_NAME.test(identity)) throw new AppError('INVALID_IDENTITY', NODE_NAME_RULE);
  const named = nodes.filter((n) => n.name.toLowerCase() === identity.toLowerCase());
  if (named.length === 0) throw new AppError('NODE_NOT_FOUND', `no running node is named '${identity}' (stoa pool node get lists them)`);
  return named;
}

/**
 * Refuses to start a node under a name a running node has (names tell nodes apart in the
 * listing, the logs and the active-server list). A node that stopped beating, or whose
 * process on this host is gone, leaves its name free.
 */
export async function checkNodeName(services: Services, name: string): Promise<void> {
  refuseTakenName(await services.store.compliance.instances(), services.instanceId, name, services.clock());
}

function refuseTakenName(instances: readonly ServerInstanceRecord[], self: string, name: string, now: number): void {
  for (const other of instances) {
    if (other.id === self || other.name.toLowerCase() !== name.toLowerCase() || !running(other, now)) continue;
    throw new AppError(
      'NAME_TAKEN',
      `the node name '${name}' is in use by a running node (host ${other.host}, pid ${other.pid}, last heartbeat ${new Date(other.heartbeatAt).toISOString()}); start this node with another --node-name (or STOA_NODE_NAME)`,
    );
  }
}

/** Two nodes starting under one name take this row's lock in turn. */
const NAME_CLAIM = 'node_name_claim';

/**
 * Checks the name and writes this node's first heartbeat in one transaction, so that of
 * two nodes started under one name at the same moment, the second sees the first's
 * heartbeat and is refused (it waits on the claim row until the first commits). The
 * compliance worker's heartbeats then keep the row.
 */
export async function claimNodeName(services: Services, node: { name: string; version: string; pooled: boolean }): Promise<void> {
  await services.store.transaction(async (tx) => {
    await tx.meta.set(NAME_CLAIM, node.name.toLowerCase());
    const now = services.clock();
    const instances = await tx.compliance.instances();
    refuseTakenName(instances, services.instanceId, node.name, now);
    // Nodes hear each other only through the pool's Redis: without it, a second node would
    // serve stale rooms, miss kicks and sign-outs, and split every roster.
    const others = instances.filter((i) => i.id !== services.instanceId && running(i, now));
    if (!node.pooled && others.length > 0) {
      throw new AppError(
        'POOL_UNAVAILABLE',
        `another node (${others.map((o) => `${o.name} on ${o.host}`).join(', ')}) runs on this database: the nodes of a pool hear each other through Redis. Start every node with --redis-url redis://... (STOA_REDIS_URL; docs/pool.md), or stop the other node`,
      );
    }
    await tx.compliance.heartbeat({ id: services.instanceId, name: node.name, host: os.hostname(), pid: process.pid, version: node.version, address: '', connections: 0, startedAt: now, heartbeatAt: now });
  });
}

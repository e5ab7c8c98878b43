/**
 * `stoa pool state get|set Normal|FailedOver` (`Get/Set-CsPersistentChatState`, spec 01
 * §2.9): which of the pool's databases every node uses. Where the state lives and how
 * nodes follow it: store/failover.ts. The procedures: docs/pool.md, "Failover" and
 * "Failback".
 *
 * These run without opening the deployment the usual way: the primary may be lost. They
 * look at both servers, and `set` writes the new record into the database it names.
 */
import { redactUrl } from '../config/redact.js';
import { AppError } from '../domain/errors.js';
import {
  checkSameDeployment,
  chooseDatabase,
  describeProbe,
  governingRecord,
  POOL_STATE_KEY,
  probeBoth,
  probeOnce,
  type DatabaseProbe,
  type PoolStateName,
  type PoolStateRecord,
} from '../store/failover.js';
import { requireAdministrator } from '../access/categories.js';
import { loadActorFacts } from '../access/actor.js';
import { runWrite, type Actor, type Outcome, type Services, type WriteOptions } from './context.js';

export interface PoolDatabases {
  primary: string;
  /** Undefined: the pool has no backup database (always Normal). */
  backup?: string;
}

export interface DatabaseView {
  url: string;
  status: 'in use' | 'accepts writes' | 'standby' | 'does not answer' | 'not configured';
  error?: string;
}

export interface PoolStateView {
  /** `PersistentChatServer:<pool>`, as the cmdlet names it. */
  identity: string;
  poolState: PoolStateName;
  epoch: number;
  /** When it was last set (ISO); null: never set. */
  changedAt: string | null;
  primary: DatabaseView;
  backup: DatabaseView;
  /** When the pool cannot work on the database its state names: why, and what to do. */
  problem?: string;
}

function databaseView(p: DatabaseProbe, inUse: boolean): DatabaseView {
  const url = redactUrl(p.url);
  if (!p.reachable) return { url, status: 'does not answer', ...(p.error === undefined ? {} : { error: p.error }) };
  return { url, status: inUse ? 'in use' : p.writable ? 'accepts writes' : 'standby' };
}

function poolOf(probes: readonly DatabaseProbe[], fallback: string | undefined): string {
  return probes.find((p) => p.deployment !== undefined)?.deployment?.poolFqdn ?? fallback ?? '(unknown pool)';
}

/** An administrator's, when the command came through a server; a CLI on the database is the local administrator. */
async function checkAdministrator(services: Services | undefined, actor: Actor, what: string): Promise<void> {
  if (services !== undefined) requireAdministrator(await loadActorFacts(services.store, actor), what);
}

export async function getPoolState(databases: PoolDatabases, context: { services?: Services; actor: Actor; poolFqdn?: string }): Promise<PoolStateView> {
  await checkAdministrator(context.services, context.actor, 'read the pool state');
  if (databases.backup === undefined) {
    const primary = await probeOnce('primary', databases.primary);
    const record = primary.reachable ? primary.record : { state: 'Normal' as const, epoch: 0, changedAt: 0 };
    return {
      identity: `PersistentChatServer:${poolOf([primary], context.poolFqdn)}`,
      poolState: record.state,
      epoch: record.epoch,
      changedAt: record.changedAt === 0 ? null : new Date(record.changedAt).toISOString(),
      primary: databaseView(primary, primary.reachable && primary.writable),
      backup: { url: '', status: 'not configured' },
      ...(primary.reachable ? {} : { problem: `the database does not answer (${primary.error ?? 'unknown error'})` }),
    };
  }
  const [primary, backup] = await probeBoth(databases.primary, databases.backup);
  const governing = governingRecord(primary, backup);
  const record: PoolStateRecord = governing?.record ?? { state: 'Normal', epoch: 0, changedAt: 0 };
  let inUse: DatabaseProbe | undefined;
  let problem: string | undefined;
  try {
    checkSameDeployment(primary, backup);
    inUse = chooseDatabase(primary, backup);
  } catch (err) {
    problem = (err as Error).message;
  }
  return {
    identity: `PersistentChatServer:${poolOf([primary, backup], context.poolFqdn)}`,
    poolState: record.state,
    epoch: record.epoch,
    changedAt: record.changedAt === 0 ? null : new Date(record.changedAt).toISOString(),
    primary: databaseView(primary, inUse === primary),
    backup: databaseView(backup, inUse === backup),
    ...(problem === undefined ? {} : { problem }),
  };
}

export interface PoolStateChange {
  to: PoolStateName;
  /** Switch even though the database being left still accepts writes. */
  force?: boolean;
}

/**
 * What `set` checked, for the caller to write (setPoolState) into `target`: the record,
 * or undefined when the pool is in that state already.
 */
export interface PoolStatePlan {
  target: DatabaseProbe;
  from: PoolStateRecord;
  record?: PoolStateRecord;
}

/**
 * Checks a change of pool state against both servers: the database the new state names
 * must hold this deployment and accept writes (a backup must have been promoted), and,
 * unless forced, the one being left must not (nodes still on it would write what the
 * other never sees).
 */
export async function planPoolState(databases: PoolDatabases, change: PoolStateChange, context: { services?: Services; actor: Actor; now: number }): Promise<PoolStatePlan> {
  await checkAdministrator(context.services, context.actor, 'set the pool state');
  if (databases.backup === undefined) {
    throw new AppError('INVALID_CONFIG', 'the pool has no backup database: give --backup-database-url postgres://... (STOA_BACKUP_DATABASE_URL, backupDatabaseUrl), the streaming standby of the primary, to this command and to every node');
  }
  const [primary, backup] = await probeBoth(databases.primary, databases.backup);
  checkSameDeployment(primary, backup);
  const [target, other] = change.to === 'FailedOver' ? [backup, primary] : [primary, backup];
  if (!target.reachable) throw new AppError('DATABASE_UNAVAILABLE', `cannot set the pool state ${change.to}: its ${target.role} database ${describeProbe(target)}`);
  if (!target.writable) {
    const how = target.role === 'backup' ? 'promote the standby first (pg_ctl promote -D <its data dir>, or SELECT pg_promote() on it)' : 'the rebuilt primary must be promoted first, once it has caught up (docs/pool.md, "Failback")';
    throw new AppError('POOL_STATE_REFUSED', `cannot set the pool state ${change.to}: its ${target.role} database (${redactUrl(target.url)}) is a standby in recovery: ${how}`);
  }
  if (target.deployment === undefined) throw new AppError('DEPLOYMENT_MISMATCH', `the ${target.role} database (${redactUrl(target.url)}) holds no Stoa deployment: it must be a streaming standby of the other`);
  const governing = governingRecord(primary, backup);
  const from = governing?.record ?? { state: 'Normal' as const, epoch: 0, changedAt: 0 };
  if (from.state === change.to) return { target, from };
  if (other.reachable && other.writable && change.force !== true) {
    throw new AppError(
      'POOL_STATE_REFUSED',
      `the ${other.role} database (${redactUrl(other.url)}) still accepts writes: stop it first (pg_ctl stop -m fast -D <its data dir>), or nodes that still use it write what the ${target.role} never sees. --force switches anyway`,
    );
  }
  const epoch = Math.max(primary.record.epoch, backup.record.epoch, from.epoch) + 1;
  return { target, from, record: { state: change.to, epoch, changedAt: context.now } };
}

/**
 * Writes the planned record into its database, as one change of that deployment (recorded
 * in the administrative log there). `services` are the deployment's on that database.
 */
export interface PoolStateSet {
  identity: string;
  poolState: PoolStateName;
  epoch: number;
  changedAt: string | null;
  /** The database every node uses in this state. */
  database: string;
}

export async function setPoolState(services: Services, actor: Actor, plan: PoolStatePlan, options: WriteOptions = {}): Promise<Outcome<PoolStateSet>> {
  return runWrite(services, actor, options, async (tx) => {
    requireAdministrator(await loadActorFacts(tx.store, actor), 'set the pool state');
    const record = plan.record;
    const identity = `PersistentChatServer:${services.poolFqdn}`;
    if (record !== undefined) {
      await tx.store.meta.set(POOL_STATE_KEY, JSON.stringify(record));
      tx.record({ action: 'set', kind: 'pool state', identity, details: { poolState: { from: plan.from.state, to: record.state }, epoch: { from: plan.from.epoch, to: record.epoch }, database: { from: plan.target.role === 'backup' ? 'primary' : 'backup', to: plan.target.role } } });
    }
    const now = record ?? plan.from;
    return {
      identity,
      poolState: now.state,
      epoch: now.epoch,
      changedAt: now.changedAt === 0 ? null : new Date(now.changedAt).toISOString(),
      database: `${plan.target.role} (${redactUrl(plan.target.url)})`,
    };
  });
}

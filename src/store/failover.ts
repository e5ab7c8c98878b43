/**
 * The pool state (`Get/Set-CsPersistentChatState`, spec 01 §2.9): **Normal**, the pool uses
 * its primary database; **FailedOver**, its backup database — a PostgreSQL streaming
 * standby that the operator promoted after losing the primary (docs/pool.md, "Failover").
 *
 * The state lives in the databases themselves (meta `pool_state`): `stoa pool state set`
 * writes it into the database the new state names, with an epoch one above any the two
 * databases hold. A node or command that has a backup database reads both servers and
 * follows the record with the highest epoch among the servers that accept writes (a
 * standby in recovery does not count; the primary's record wins a tie; nothing set is
 * Normal at epoch 0). So:
 * - a primary that comes back as it was after a failover holds an older epoch: nobody
 *   goes back to it (its writes since the failover are not on the backup, nor the
 *   backup's on it);
 * - a primary rebuilt from the backup is a standby, then (promoted) holds the backup's
 *   FailedOver record: nodes stay on the backup until `set Normal` gives it a higher epoch;
 * - a backup promoted without `set FailedOver` is not used: the record still names the
 *   primary, whose loss is reported until an administrator decides.
 *
 * A serving node keeps a connection to each server and reads both every
 * CHECK_INTERVAL_MS; when the record it follows names the other server, it switches its
 * store there (store/postgres.ts, PostgresTarget).
 */
import pg from 'pg';
import { redactUrl } from '../config/redact.js';
import { AppError } from '../domain/errors.js';

export type PoolStateName = 'Normal' | 'FailedOver';
export const POOL_STATES: readonly PoolStateName[] = ['Normal', 'FailedOver'];

export interface PoolStateRecord {
  state: PoolStateName;
  /** One above every epoch the databases held when it was set; 0: never set. */
  epoch: number;
  /** When it was set (ms since the epoch); 0: never set. */
  changedAt: number;
}

export const POOL_STATE_KEY = 'pool_state';
const NEVER_SET: PoolStateRecord = { state: 'Normal', epoch: 0, changedAt: 0 };

/** How long a node waits between two looks at the pool's databases. */
export const CHECK_INTERVAL_MS = 1_000;
/** How long a look at one server may take (a lost machine does not answer at all). */
const PROBE_TIMEOUT_MS = 3_000;

export type DatabaseRole = 'primary' | 'backup';

/** What one look at one of the pool's database servers found. */
export interface DatabaseProbe {
  role: DatabaseRole;
  url: string;
  reachable: boolean;
  /** Accepts writes: a primary, or a standby that was promoted (not in recovery). */
  writable: boolean;
  /** Its pool state record (NEVER_SET when it has none). */
  record: PoolStateRecord;
  /** The deployment it holds (undefined: not a Stoa database yet). */
  deployment?: { poolFqdn: string; createdAt: number };
  /** Why it could not be read. */
  error?: string;
}

/** A pool state record as stored; anything else reads as never set (and is overwritten by the next set). */
export function parseRecord(raw: string | undefined): PoolStateRecord {
  if (raw === undefined) return NEVER_SET;
  try {
    const value = JSON.parse(raw) as Partial<PoolStateRecord>;
    if (POOL_STATES.includes(value.state as PoolStateName) && Number.isSafeInteger(value.epoch) && (value.epoch as number) >= 0) {
      return { state: value.state as PoolStateName, epoch: value.epoch as number, changedAt: Number.isSafeInteger(value.changedAt) ? (value.changedAt as number) : 0 };
    }
  } catch {
    // not JSON
  }
  return NEVER_SET;
}

const READ_META = `select key, value from meta where key in ('pool_state', 'pool_fqdn', 'created_at')`;

/**
 * Looks at one server through a client of its own (a serving node keeps it between
 * looks; a command opens one for its look). Never throws: what failed is in the probe.
 */
export class DatabaseProber {
  private client: Promise<pg.Client> | undefined;

  constructor(
    readonly role: DatabaseRole,
    readonly url: string,
  ) {}

  async probe(): Promise<DatabaseProbe> {
    const base = { role: this.role, url: this.url };
    let client: pg.Client;
    try {
      client = await this.connect();
    } catch (err) {
      return { ...base, reachable: false, writable: false, record: NEVER_SET, error: (err as Error).message };
    }
    try {
      const recovery = await withTimeout(client.query<{ standby: boolean }>('select pg_is_in_recovery() as standby'));
      const writable = recovery.rows[0]?.standby === false;
      let meta: Map<string, string>;
      try {
        meta = new Map((await withTimeout(client.query<{ key: string; value: string }>(READ_META))).rows.map((r) => [r.key, r.value]));
      } catch (err) {
        // An empty database (no tables yet): no deployment, no record.
        if ((err as { code?: unknown }).code !== '42P01') throw err;
        meta = new Map();
      }
      const poolFqdn = meta.get('pool_fqdn');
      return {
        ...base,
        reachable: true,
        writable,
        record: parseRecord(meta.get(POOL_STATE_KEY)),
        ...(poolFqdn === undefined ? {} : { deployment: { poolFqdn, createdAt: Number(meta.get('created_at') ?? 0) } }),
      };
    } catch (err) {
      this.drop();
      return { ...base, reachable: false, writable: false, record: NEVER_SET, error: (err as Error).message };
    }
  }

  private connect(): Promise<pg.Client> {
    if (this.client !== undefined) return this.client;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: PROBE_TIMEOUT_MS, keepAlive: true, application_name: 'stoa-pool-state' });
    const ready = client.connect().then(() => client);
    this.client = ready;
    // A connection that fails (the server died) is dropped; the next look opens another. Never reaches the process.
    client.on('error', () => this.drop(ready));
    client.on('end', () => this.drop(ready));
    ready.catch(() => this.drop(ready));
    return ready;
  }

  private drop(which?: Promise<pg.Client>): void {
    const client = this.client;
    if (which !== undefined && client !== which) return;
    this.client = undefined;
    void client?.then(
      (c) => c.end(),
      () => undefined,
    );
  }

  close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    return client === undefined
      ? Promise.resolve()
      : client.then(
          (c) => c.end().catch(() => undefined),
          () => undefined,
        );
  }
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Looks at one server once, through a client opened for the look. */
export async function probeOnce(role: DatabaseRole, url: string): Promise<DatabaseProbe> {
  const prober = new DatabaseProber(role, url);
  try {
    return await prober.probe();
  } finally {
    await prober.close();
  }
}

/** Looks at both servers once, at the same time. */
export function probeBoth(primaryUrl: string, backupUrl: string): Promise<[DatabaseProbe, DatabaseProbe]> {
  return Promise.all([probeOnce('primary', primaryUrl), probeOnce('backup', backupUrl)]);
}

/** The record the pool follows: the highest epoch among the servers that accept writes (the primary's on a tie). */
export function governingRecord(primary: DatabaseProbe, backup: DatabaseProbe): { record: PoolStateRecord; from: DatabaseRole } | undefined {
  const live = [primary, backup].filter((p) => p.reachable && p.writable);
  if (live.length === 0) return undefined;
  const best = live.reduce((a, b) => (b.record.epoch > a.record.epoch ? b : a));
  return { record: best.record, from: best.role };
}

/** A server as it may be printed: its URL without a password, and what was found. */
export function describeProbe(p: DatabaseProbe): string {
  const where = redactUrl(p.url);
  if (!p.reachable) return `${where}: does not answer (${p.error ?? 'unknown error'})`;
  return `${where}: ${p.writable ? 'accepts writes' : 'a standby in recovery'}${p.deployment === undefined ? ', holds no Stoa deployment' : ''}`;
}

/**
 * The server a process of the pool is to use now, or why there is none: the one the
 * governing record names, if it accepts writes.
 */
export function chooseDatabase(primary: DatabaseProbe, backup: DatabaseProbe): DatabaseProbe {
  const governing = governingRecord(primary, backup);
  if (governing === undefined) {
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `neither of the pool's databases accepts writes — primary ${describeProbe(primary)}; backup ${describeProbe(backup)}. If the primary is lost: promote the backup, then stoa pool state set FailedOver (docs/pool.md, "Failover")`,
    );
  }
  const { record } = governing;
  const chosen = record.state === 'FailedOver' ? backup : primary;
  if (chosen.reachable && chosen.writable) return chosen;
  const advice =
    record.state === 'Normal'
      ? 'If the primary is lost: promote the backup, then stoa pool state set FailedOver (docs/pool.md, "Failover")'
      : 'If the primary was rebuilt and promoted: stoa pool state set Normal (docs/pool.md, "Failback")';
  throw new AppError('DATABASE_UNAVAILABLE', `the pool state is ${record.state} (epoch ${record.epoch}), so the pool uses its ${chosen.role} database, which ${chosen.reachable ? 'is a standby in recovery' : `does not answer (${chosen.error ?? 'unknown error'})`}. ${advice}`);
}

/** Both servers must hold the same deployment (a standby of the other), when both hold one. */
export function checkSameDeployment(primary: DatabaseProbe, backup: DatabaseProbe): void {
  const [a, b] = [primary.deployment, backup.deployment];
  if (a === undefined || b === undefined) return;
  if (a.poolFqdn !== b.poolFqdn || a.createdAt !== b.createdAt) {
    throw new AppError(
      'DEPLOYMENT_MISMATCH',
      `the backup database holds another deployment (pool ${b.poolFqdn}, created ${new Date(b.createdAt).toISOString()}) than the primary (pool ${a.poolFqdn}, created ${new Date(a.createdAt).toISOString()}): it must be a streaming standby of the primary`,
    );
  }
}

/**
 * A serving node's watch on the pool state: every CHECK_INTERVAL_MS it looks at both
 * servers and, when the record it follows names the other one (and that one accepts
 * writes), switches to it. A look that finds neither usable changes nothing (it is
 * logged once until things change).
 */
export class FailoverWatch {
  private readonly probers: { primary: DatabaseProber; backup: DatabaseProber };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastProblem: string | undefined;

  constructor(
    urls: { primary: string; backup: string },
    /** The role of the server in use now. */
    private current: DatabaseRole,
    private readonly onSwitch: (to: DatabaseProbe) => Promise<void>,
    private readonly log: (level: 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void,
  ) {
    this.probers = { primary: new DatabaseProber('primary', urls.primary), backup: new DatabaseProber('backup', urls.backup) };
  }

  get using(): DatabaseRole {
    return this.current;
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** One look (the timer's; tests call it to look now). */
  check(): Promise<void> {
    this.running ??= this.look().finally(() => (this.running = undefined));
    return this.running;
  }

  private async look(): Promise<void> {
    const [primary, backup] = await Promise.all([this.probers.primary.probe(), this.probers.backup.probe()]);
    let chosen: DatabaseProbe;
    try {
      checkSameDeployment(primary, backup);
      chosen = chooseDatabase(primary, backup);
    } catch (err) {
      const problem = (err as Error).message;
      if (problem !== this.lastProblem) this.log('error', `pool state: ${problem}`);
      this.lastProblem = problem;
      return;
    }
    this.lastProblem = undefined;
    if (chosen.role === this.current) return;
    this.log('warn', `pool state ${chosen.record.state} (epoch ${chosen.record.epoch}): this node switches from its ${this.current} database to its ${chosen.role} database (${redactUrl(chosen.url)})`);
    this.current = chosen.role;
    try {
      await this.onSwitch(chosen);
    } catch (err) {
      this.log('error', 'pool state: after switching databases, checking this node again failed', { err });
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
    await Promise.all([this.probers.primary.close(), this.probers.backup.close()]);
  }
}

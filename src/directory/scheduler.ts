/**
 * The periodic directory sync of `stoa serve` (docs/directory.md): an incremental pass
 * every `syncIntervalMinutes`, a full one (which finds leavers) every `fullSyncHours`.
 * Several nodes on one database take turns: a node syncs only while it holds the lease,
 * a row in `meta` it takes in a transaction when the last holder's has run out (the legacy
 * tblADCookie's lockedUntil). A failed pass is logged and tried again next time; it never
 * stops the server.
 */
import { SYSTEM_ACTOR, type Services } from '../actions/context.js';
import type { LdapConfig } from '../config/schema.js';
import { syncDirectory, type DirectorySource, type SyncReport } from './sync.js';

const LEASE_KEY = 'directory.ldap.lease';
const LAST_FULL_KEY = 'directory.ldap.lastFullAt';

export type SyncLog = (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;

export class DirectorySyncScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly services: Services,
    private readonly config: LdapConfig,
    private readonly source: () => DirectorySource,
    private readonly log: SyncLog,
  ) {}

  private get intervalMs(): number {
    return this.config.syncIntervalMinutes * 60_000;
  }

  start(): void {
    if (this.config.syncIntervalMinutes === 0) return;
    // The first pass soon after start (not during it), then every interval.
    this.timer = setTimeout(() => this.tickLoop(), Math.min(5_000, this.intervalMs));
    this.timer.unref();
  }

  private tickLoop(): void {
    if (this.stopped) return;
    this.running = this.tick()
      .then(() => undefined)
      .catch((err: unknown) => this.log('error', 'directory sync failed', { err }))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        this.timer = setTimeout(() => this.tickLoop(), this.intervalMs);
        this.timer.unref();
      });
  }

  /**
   * Takes (or renews) the lease for one interval and a minute; false when another node
   * holds it. The write is a compare-and-swap on the value read: of two nodes that read the
   * same expired lease, one wins.
   */
  async takeLease(now = this.services.clock()): Promise<boolean> {
    const me = this.services.instanceId;
    const meta = this.services.store.meta;
    const held = await meta.get(LEASE_KEY);
    const [holder, until] = (held ?? '').split('@');
    if (held !== undefined && holder !== me && Number(until) > now) return false;
    return meta.swap(LEASE_KEY, held, `${me}@${now + this.intervalMs + 60_000}`);
  }

  /** One pass, if this node holds the lease: full when the last full one is old enough. */
  async tick(): Promise<SyncReport | undefined> {
    const now = this.services.clock();
    if (!(await this.takeLease(now))) return undefined;
    const lastFull = Number((await this.services.store.meta.get(LAST_FULL_KEY)) ?? '0');
    const full = now - lastFull >= this.config.fullSyncHours * 3_600_000;
    const report = await syncDirectory(this.services, SYSTEM_ACTOR, this.source(), { full });
    if (full) await this.services.store.meta.set(LAST_FULL_KEY, String(now));
    const changes = report.changes.length + report.changesOmitted;
    this.log(report.problems.length > 0 ? 'warn' : 'info', `directory sync: ${report.mode} pass, ${changes} change(s), ${report.problems.length} entr${report.problems.length === 1 ? 'y' : 'ies'} left out`, {
      counts: report.counts,
      memberships: report.memberships,
      ...(report.problems.length > 0 ? { problems: report.problems.slice(0, 20) } : {}),
    });
    return report;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * The compliance worker (D2, 01 §5.2): runs in every server process; the one holding the
 * pool-wide lease writes. A run finishes any batch a previous holder claimed but did not
 * complete (with that batch's own settings), then claims the events captured since,
 * oldest first, in batches; each batch is written atomically by the adapter and then
 * marked done and its events deleted — exactly once across crashes and servers.
 * It also keeps this server's heartbeat (the node registry: `stoa pool node get`), and
 * gives the participants of a server that died their PART.
 */
import os from 'node:os';
import path from 'node:path';
import { resolveOutputDirectory } from '../domain/settings.js';
import { pathToFileURL } from 'node:url';
import { complianceTime } from '../domain/compliance.js';
import type { ComplianceConfiguration } from '../domain/settings.js';
import type { ClaimedBatch, ComplianceEventRecord, PrincipalRecord, Store } from '../store/types.js';
import type { Services } from '../actions/context.js';
import { complianceConfigurations } from '../actions/compliance-configurations.js';
import { recordInstanceParts } from '../actions/presence.js';
import type { ComplianceAdapter, ComplianceBatch, ComplianceEvent, ComplianceRoom, ComplianceUser, CreateAdapter } from './adapter.js';
import { AtomicDirectory } from './output.js';
import { XmlAdapter } from './xml-adapter.js';
import { VERSION } from '../version.js';
import { defaultNodeName } from '../config/schema.js';
import { JsonLinesAdapter } from './jsonl-adapter.js';

export const COMPLIANCE_DIR = 'compliance';

export interface WorkerOptions {
  /** The data dir: the default output directory and the base of relative ones. */
  dataDir: string;
  /** complianceAdapters of the server configuration: module name → path. */
  modules?: Record<string, string>;
  /** Who holds the lease (default: this process's instance id). */
  holder?: string;
  batchSize?: number;
  leaseMs?: number;
  /** How often the timer checks whether RunInterval has passed (and beats the heart). */
  tickMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string, extra?: object) => void;
}

export interface RunReport {
  /** False when another server holds the lease. */
  ran: boolean;
  holder: string | null;
  batches: number;
  events: number;
  files: string[];
  /** Why output is off or failed, if it is. */
  note?: string;
}

/** What a node's heartbeat says about it (`stoa serve` describes itself once it listens). */
export interface NodeDescription {
  /** Unique among running nodes (--node-name; default the host name). */
  name: string;
  version: string;
  address: string | null;
  connections(): number;
}

/** How often a serving node beats (the timer's default tick). */
export const HEARTBEAT_MS = 15_000;

const DEFAULT_BATCH = 20_000;
/**
 * A batch's content and details, in UTF-16 units, at most (a batch is read whole to be
 * ordered by room): 20,000 events of average text are far below it; long messages end a
 * batch early.
 */
const BATCH_TEXT = 16 * 1024 * 1024;
/** Rows per read of a batch's events. */
const PAGE = 1000;
/** Events per run handed to an adapter (ComplianceBatch.runs). */
const RUN = 64;

export class ComplianceWorker {
  private readonly holder: string;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RunReport> | undefined;
  /** The timer's tick in progress (heartbeat, sweep, run). */
  private ticking: Promise<void> | undefined;
  private readonly startedAt: number;
  private stopped = false;
  private node: NodeDescription = { name: defaultNodeName(), version: VERSION, address: null, connections: () => 0 };

  constructor(
    private readonly services: Services,
    private readonly options: WorkerOptions,
  ) {
    // host/pid/instance: a holder on this host whose process is gone can be taken over at once.
    this.holder = options.holder ?? `${os.hostname()}/${process.pid}/${services.instanceId}`;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.tickMs = options.tickMs ?? HEARTBEAT_MS;
    this.startedAt = services.clock();
  }

  private get store(): Store {
    return this.services.store;
  }

  /** Processes everything pending now (one run at a time per process). */
  run(): Promise<RunReport> {
    this.running ??= this.runNow().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The worker's own bookkeeping (lease, heartbeat, run state) is written in transactions too. */
  private write<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    return this.store.transaction(fn);
  }

  private async runNow(): Promise<RunReport> {
    const report: RunReport = { ran: false, holder: null, batches: 0, events: 0, files: [] };
    if (!(await this.lease())) {
      report.holder = (await this.store.compliance.state()).holder;
      return report;
    }
    report.ran = true;
    report.holder = this.holder;
    try {
      const settings = await complianceConfigurations.effective(this.store, this.services.poolFqdn);
      let batch = await this.store.compliance.unfinishedBatch();
      if (batch === undefined && settings.adapterType === '') {
        report.note = 'AdapterType is empty: no output is written; events are kept until an adapter is set';
        await this.write((s) => s.compliance.recordRun(this.services.clock(), null));
        return report;
      }
      let leftoversChecked = false;
      for (;;) {
        batch ??= await this.claim(settings);
        if (batch === undefined) break;
        const used = JSON.parse(batch.settings) as ComplianceConfiguration;
        const dir = AtomicDirectory.open(this.outputDirectory(used));
        if (!leftoversChecked) {
          dir.removeLeftovers();
          leftoversChecked = true;
        }
        const adapter = await this.adapter(used);
        await adapter.translate(this.resolve(batch), dir);
        await dir.sync();
        // Fenced: only a holder whose lease still runs marks the batch done. A holder that
        // lost it leaves the batch to the next one, which writes the same files again.
        const done = batch;
        await this.store.transaction(async (tx) => {
          const now = this.services.clock();
          if (!(await tx.compliance.acquireLease(this.holder, now, now + this.leaseMs))) {
            throw new Error('the compliance lease was lost while writing; the next holder writes this batch again');
          }
          await tx.compliance.completeBatch(done.id, now, dir.committed);
        });
        report.batches++;
        report.events += batch.eventCount;
        report.files.push(...dir.committed.map((f) => path.join(dir.path, f)));
        batch = undefined;
      }
      await this.write((s) => s.compliance.recordRun(this.services.clock(), null));
      return report;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.write((s) => s.compliance.recordRun(this.services.clock(), message)).catch(() => undefined);
      throw err;
    }
  }

  private async lease(): Promise<boolean> {
    const now = this.services.clock();
    if (await this.write((s) => s.compliance.acquireLease(this.holder, now, now + this.leaseMs))) return true;
    // A holder that died on this host (a killed `stoa compliance run`) need not be waited out.
    const { holder } = await this.store.compliance.state();
    const [host, pid] = (holder ?? '').split('/');
    if (holder === null || host !== os.hostname() || !/^\d+$/.test(pid ?? '') || processAlive(Number(pid))) return false;
    return this.write((s) => s.compliance.takeOverLease(holder, this.holder, now + this.leaseMs));
  }

  /** The next batch, claimed while this holder's lease runs (renewing it); none once the lease is lost. */
  private async claim(settings: ComplianceConfiguration): Promise<ClaimedBatch | undefined> {
    if (settings.adapterType === '') return undefined;
    const limit = { events: this.batchSize, textUnits: BATCH_TEXT };
    // The events are read before the claim, a page at a time: the claim only checks that
    // they are still the oldest, so it holds the writer (or the events table) briefly.
    // Records of reads waiting in their log join the events first, to be read with them.
    await this.store.transaction((tx) => tx.compliance.moveReads(limit.events));
    const ahead = await readEvents(this.store, Number.MAX_SAFE_INTEGER, 0, limit);
    return this.store.transaction(async (tx) => {
      const now = this.services.clock();
      if (!(await tx.compliance.acquireLease(this.holder, now, now + this.leaseMs))) return undefined;
      return tx.compliance.claimBatch({ holder: this.holder, claimedAt: now, settings: JSON.stringify(settings) }, limit, ahead);
    });
  }

  /** Checked again at each run: a setting from an older version or an archive may point anywhere. */
  outputDirectory(settings: ComplianceConfiguration): string {
    return resolveOutputDirectory(settings.adapterOutputDirectory, this.options.dataDir, this.services.paths?.outputDirectories ?? []);
  }

  private async adapter(settings: ComplianceConfiguration): Promise<ComplianceAdapter> {
    const type = settings.adapterType;
    if (type === 'Xml') return new XmlAdapter(settings);
    if (type === 'JsonLines') return new JsonLinesAdapter(settings);
    if (type.startsWith('module:')) {
      const name = type.slice('module:'.length);
      const file = Object.entries(this.options.modules ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
      if (file === undefined) throw new Error(`AdapterType ${type}: the server configuration lists no complianceAdapters entry '${name}'`);
      const loaded = (await import(pathToFileURL(path.resolve(file)).href)) as { createAdapter?: CreateAdapter };
      if (typeof loaded.createAdapter !== 'function') throw new Error(`compliance adapter module ${file} does not export createAdapter`);
      return loaded.createAdapter(settings);
    }
    throw new Error('no adapter is configured');
  }

  /**
   * The batch as adapters see it. Its events are those read ahead of the claim, or (a batch
   * left unfinished) are read in primary-key order, PAGE at a time; they are ordered by room
   * and time in memory — a batch is bounded by BATCH_TEXT as well as by its count, so it
   * fits — and users and rooms are resolved once for the whole batch.
   * By time, not id: on SQLite the records of reads take their ids when a claim moves them
   * out of their log (store/read-log.ts), after events captured later.
   */
  private resolve(batch: ClaimedBatch): ComplianceBatch {
    const store = this.store;
    const users = new Map<number, ComplianceUser>();
    const rooms = new Map<number, ComplianceRoom | null>();
    const read = async (): Promise<ComplianceEventRecord[]> => {
      const records = batch.events ?? (await readEvents(store, batch.lastEventId));
      records.sort((a, b) => (a.roomId ?? 0) - (b.roomId ?? 0) || a.at - b.at || a.id - b.id);
      const wantUsers = new Set<number>();
      const wantRooms = new Set<number>();
      for (const e of records) {
        if (e.actorId !== null) wantUsers.add(e.actorId);
        if (e.roomId !== null) wantRooms.add(e.roomId);
      }
      for (const p of await store.principals.getManyByIds([...wantUsers])) users.set(p.id, complianceUser(p));
      if (wantRooms.size > 0) {
        const categories = new Map((await store.categories.list()).map((c) => [c.id, { name: c.name, chatHistory: c.chatHistory }]));
        const found = new Map((await store.rooms.getManyByIds([...wantRooms])).map((r) => [r.id, r]));
        for (const id of wantRooms) {
          const r = found.get(id);
          const c = r === undefined ? undefined : categories.get(r.categoryId);
          rooms.set(
            id,
            r === undefined
              ? null
              : { id, uri: '', name: r.name, category: c?.name ?? null, privacy: r.privacy, type: r.type, disabled: r.disabled, description: r.description, chatHistory: c?.chatHistory ?? null },
          );
        }
      }
      return records;
    };
    const event = (e: ComplianceEventRecord): ComplianceEvent => ({
      id: e.id,
      type: e.type,
      time: complianceTime(e.at),
      actor: e.actorId === null ? null : (users.get(e.actorId) ?? unknownUser(e.actorId, e.actorUri)),
      room: e.roomId === null || e.roomUri === null ? null : roomOf(rooms.get(e.roomId) ?? null, e.roomId, e.roomUri),
      messageId: e.messageId,
      content: e.content,
      details: e.details === null ? null : (JSON.parse(e.details) as Record<string, unknown>),
    });
    async function* runs(): AsyncGenerator<ComplianceEvent[]> {
      const records = await read();
      for (let i = 0; i < records.length; i += RUN) yield records.slice(i, i + RUN).map(event);
    }
    return {
      id: batch.id,
      claimedAt: batch.claimedAt,
      eventCount: batch.eventCount,
      firstEventId: batch.firstEventId,
      lastEventId: batch.lastEventId,
      runs,
      async *events() {
        for await (const run of runs()) yield* run;
      },
    };
  }

  // ------------------------------------------------------------ the timer

  /** Which node this is, for its heartbeat (before start). */
  describeNode(node: NodeDescription): void {
    this.node = node;
  }

  /** Starts the heartbeat and the RunInterval timer (in `stoa serve`). */
  start(): void {
    const tick = (): void => {
      // Kept, so that stop() waits for a heartbeat in flight: one landing after stop removed this node would list it again.
      const ticking: Promise<void> = this.tick()
        .catch((err: unknown) => this.log('error', 'compliance run failed', { err }))
        .finally(() => {
          if (this.ticking === ticking) this.ticking = undefined;
        });
      this.ticking = ticking;
    };
    tick();
    this.timer = setInterval(tick, this.tickMs);
    this.timer.unref();
  }

  /** Runs now if RunInterval has passed since the last run (settings are read each time: changes apply live). */
  async tick(): Promise<void> {
    if (this.stopped) return;
    await this.heartbeat();
    await this.sweepDeadInstances();
    const [state, settings] = await Promise.all([this.store.compliance.state(), complianceConfigurations.effective(this.store, this.services.poolFqdn)]);
    const last = state.lastRunAt ?? this.startedAt - settings.runIntervalSeconds * 1000;
    if (this.services.clock() - last < settings.runIntervalSeconds * 1000) return;
    const report = await this.run();
    if (report.events > 0) this.log('info', 'compliance output written', { batches: report.batches, events: report.events, files: report.files.length });
  }

  private async heartbeat(): Promise<void> {
    const now = this.services.clock();
    const { name, version, address } = this.node;
    const connections = this.node.connections();
    await this.write((s) => s.compliance.heartbeat({ id: this.services.instanceId, name, host: os.hostname(), pid: process.pid, version, address, connections, startedAt: this.startedAt, heartbeatAt: now }));
  }

  /**
   * A server that stopped beating (or, on this host, whose process is gone) left its
   * participants in their rooms: they get their PART, dated at its last heartbeat.
   */
  async sweepDeadInstances(): Promise<number> {
    const now = this.services.clock();
    let parted = 0;
    for (const instance of await this.store.compliance.instances()) {
      if (instance.id === this.services.instanceId) continue;
      const silent = now - instance.heartbeatAt > 4 * this.tickMs;
      const goneHere = instance.host === os.hostname() && !processAlive(instance.pid);
      if (!silent && !goneHere) continue;
      parted += await recordInstanceParts(this.services, instance.id, 'server stopped', instance.heartbeatAt);
      await this.write((s) => s.compliance.removeInstance(instance.id));
    }
    return parted;
  }

  /** Stops the timer, lets a run in progress finish, and hands the lease back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.ticking;
    await this.running?.catch(() => undefined);
    await this.write((s) => s.compliance.releaseLease(this.holder)).catch(() => undefined);
    await this.write((s) => s.compliance.removeInstance(this.services.instanceId)).catch(() => undefined);
  }

  private log(level: 'info' | 'warn' | 'error', message: string, extra?: object): void {
    this.options.log?.(level, message, extra);
  }
}

/**
 * Captured events by id, PAGE at a time: those after `afterId` and at or below
 * `lastEventId`, up to `limit` (at least one event; no limit: all of them).
 */
async function readEvents(
  store: Store,
  lastEventId: number,
  afterId = 0,
  limit: { events: number; textUnits: number } = { events: Infinity, textUnits: Infinity },
): Promise<ComplianceEventRecord[]> {
  const events: ComplianceEventRecord[] = [];
  let units = 0;
  for (let after = afterId; events.length < limit.events; ) {
    const size = Math.min(PAGE, limit.events - events.length);
    const page = await store.compliance.batchEvents(lastEventId, after, size);
    for (const e of page) {
      units += e.content.length + (e.details?.length ?? 0);
      if (events.length > 0 && units > limit.textUnits) return events;
      events.push(e);
    }
    const last = page.at(-1);
    if (last === undefined || page.length < size) break;
    after = last.id;
  }
  return events;
}

/** Whether a process of this host runs (another user's counts). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function complianceUser(p: PrincipalRecord): ComplianceUser {
  return {
    id: p.id,
    uri: p.key,
    displayName: p.displayName,
    email: p.email,
    internal: !p.federated,
    kind: p.kind,
    distinguishedName: p.dn,
    deleted: p.status === 'deleted',
  };
}

function unknownUser(id: number, uri: string | null): ComplianceUser {
  return { id, uri: uri ?? '', displayName: null, email: null, internal: true, kind: null, distinguishedName: null, deleted: true };
}

function roomOf(known: ComplianceRoom | null, id: number, uri: string): ComplianceRoom {
  if (known === null) return { id, uri, name: null, category: null, privacy: null, type: null, disabled: null, description: null, chatHistory: null };
  return { ...known, uri };
}

/** `stoa compliance run|status`: the compliance worker on demand, and where it stands (administrators). */
import { requireAdministrator } from '../access/categories.js';
import { loadActorFacts } from '../access/actor.js';
import { complianceConfigurations } from './compliance-configurations.js';
import type { Actor, Services } from './context.js';
import type { ComplianceConfiguration } from '../domain/settings.js';

export interface ComplianceRunner {
  run(): Promise<{ ran: boolean; holder: string | null; batches: number; events: number; files: string[]; note?: string }>;
  outputDirectory(settings: ComplianceConfiguration): string;
}

export async function checkRunCompliance(services: Services, actor: Actor, runner: ComplianceRunner): ReturnType<ComplianceRunner['run']> {
  requireAdministrator(await loadActorFacts(services.store, actor), 'run compliance output');
  return runner.run();
}

export interface ComplianceStatus {
  adapterType: string;
  outputDirectory: string;
  runIntervalSeconds: number;
  pendingEvents: number;
  oldestPending: string | null;
  leaseHolder: string | null;
  leaseUntil: string | null;
  lastRun: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  unfinishedBatch: number | null;
  recentBatches: { id: number; events: number; firstEventId: number; lastEventId: number; writtenAt: string | null; files: string[] }[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export async function getComplianceStatus(services: Services, actor: Actor, runner: ComplianceRunner): Promise<ComplianceStatus> {
  const store = services.store;
  requireAdministrator(await loadActorFacts(store, actor), 'see the compliance status');
  const [settings, pending, state, unfinished, recent] = await Promise.all([
    complianceConfigurations.effective(store, services.poolFqdn),
    store.compliance.pending(),
    store.compliance.state(),
    store.compliance.unfinishedBatch(),
    store.compliance.recentBatches(5),
  ]);
  const leased = state.holder !== null && state.leaseUntil > services.clock();
  return {
    adapterType: settings.adapterType === '' ? '(none: output off)' : settings.adapterType,
    outputDirectory: runner.outputDirectory(settings),
    runIntervalSeconds: settings.runIntervalSeconds,
    pendingEvents: pending.events,
    oldestPending: iso(pending.oldestAt),
    leaseHolder: leased ? state.holder : null,
    leaseUntil: leased ? iso(state.leaseUntil) : null,
    lastRun: iso(state.lastRunAt),
    lastError: state.lastError,
    lastErrorAt: iso(state.lastErrorAt),
    unfinishedBatch: unfinished?.id ?? null,
    recentBatches: recent.map((b) => ({ id: b.id, events: b.eventCount, firstEventId: b.firstEventId, lastEventId: b.lastEventId, writtenAt: iso(b.writtenAt), files: b.files })),
  };
}

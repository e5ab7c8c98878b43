/**
 * `stoa data import` (Import-CsPersistentChatData, D4, C9–C10): loads a Stoa archive.
 *
 * Two passes over the archive, both streaming. The first (the plan) reads and validates
 * every line, resolves every reference and decides what each object becomes, writing
 * nothing; `--what-if` stops there and reports. A real run stops there too when the plan
 * has errors, or conflicts under `--on-conflict fail`, so bad input changes nothing. The
 * second pass makes the same decisions again and writes them in short transactions, each
 * carrying its compliance record (CHANGE per object, IMPORT per batch of messages).
 *
 * Objects are matched by guid (principals by key, settings by identity); an object that
 * is already there and the same is left alone, so importing an archive twice changes
 * nothing the second time, and an interrupted import run again finishes the job.
 * Messages keep their chat ids: a room takes the ones after its last chat id.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import { AppError, isAppError } from '../domain/errors.js';
import { nameKey, normaliseDescription, normaliseName, LIMITS, codePointLength } from '../domain/names.js';
import { dnKey, formOfKind, parsePrincipalRef, type PrincipalKind } from '../domain/principals.js';
import { normaliseKeyword } from '../domain/messages.js';
import { normaliseAddinUrl } from '../domain/addins.js';
import { publishChange, runWrite, type Actor, type Services, type Tx } from '../actions/context.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import type { AddinRecord, CategoryRecord, ImportedMessage, PrincipalRecord, RoomRecord, Store } from '../store/types.js';
import { ArchiveReader, DEFAULT_LIMITS, type ArchiveLimits, type Manifest } from './container.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import { emptyCounts, type Finding, type ImportReport, type KindCounts, type Severity } from './report.js';
import { PrincipalKeys, addinLineOf, categoryLineOf, configLineOf, endpointLineOf, policyLineOf, principalLineOf, roomLineOf, sameLine } from './lines.js';
import {
  ENTRY,
  MESSAGES_DIR,
  addinLine,
  administratorLine,
  blobEntry,
  categoryLine,
  complianceConfigurationLine,
  configurationLine,
  endpointLine,
  fileLine,
  followLine,
  invitationLine,
  keywordAlertLine,
  messageLine,
  messagesEntry,
  policyLine,
  principalLine,
  roomLine,
  topicFeedLine,
  type CategoryLine,
  type FileLine,
  type MessageLine,
  isMessageLine,
  type PrincipalLine,
  type RoomLine,
} from './records.js';

export const CONFLICT_MODES = ['overwrite', 'skip', 'rename', 'fail'] as const;
export type ConflictMode = (typeof CONFLICT_MODES)[number];

export interface ImportOptions {
  file: string;
  whatIf?: boolean;
  /** C9: default overwrite, as the legacy tool. */
  onConflict?: ConflictMode;
  progress?: Progress;
  limits?: ArchiveLimits;
}

/** Findings listed per severity in a report; beyond, only counted. */
const MAX_FINDINGS = 10_000;
/** A plan with this many errors stops early: the archive is not worth reading further. */
const MAX_ERRORS = 1_000;
const BATCH = 200;
/**
 * Messages a transaction of the import writes: large transactions are what a bulk load
 * needs (each commit writes every index page the batch touched, and the author index is
 * touched all over: docs/benchmarks.md "archive"), bounded by their text so a batch of
 * long messages stays small in memory. A batch holds SQLite's writer some 50 ms.
 */
const MESSAGE_BATCH = 10_000;
/** UTF-16 units of text (content, RTF, story title) a batch of messages holds at most. */
const MESSAGE_BATCH_TEXT = 16 * 1024 * 1024;
/** Files an import writes to the file store at once. */
const FILE_WRITES = 4;

class TooManyErrors extends Error {}

/**
 * What an object already here keeps whatever the archive says (its identity and its
 * creation): compared as equal so that a second import finds nothing to change.
 */
const KEPT = { guid: '', createdAt: 0 } as const;

interface RoomTarget {
  /** Target room id; null: the room is not imported (its content neither). */
  id: number | null;
  guid: string;
  name: string;
  /** Messages with chat ids up to here are already in the room. */
  startAfter: number;
  /** The archived room's last chat id, raised to once its messages are in. */
  lastChatId?: number;
}

type Phase = 'plan' | 'apply';

/** One pass of the import; the plan and the real run are the same code. */
class Pass {
  readonly counts: Record<string, KindCounts> = {};
  readonly findings: Finding[] = [];
  readonly omitted: Record<Severity, number> = { error: 0, conflict: 0, warning: 0 };
  errors = 0;
  conflicts = 0;
  private placeholder = 0;

  /** Principal key → target id (negative: created by this plan). */
  private readonly principalIds = new Map<string, number>();
  private readonly principalKinds = new Map<string, PrincipalKind>();
  /** What the pass decided for each archived principal: its memberships follow it. */
  private readonly takeMemberships = new Set<string>();
  private readonly targetKeys = new Map<string, PrincipalRecord | null>();
  private readonly policyIds = new Map<string, number>();
  private readonly addins = new Map<string, number | null>();
  private readonly categories = new Map<string, number | null>();
  private readonly rooms = new Map<string, RoomTarget>();
  private readonly files = new Map<string, number | null>();
  /** Node names this plan takes (created or renamed objects). */
  private readonly claimedNames = new Set<string>();
  private readonly keys: PrincipalKeys;

  constructor(
    private readonly services: Services,
    private readonly actor: Actor,
    private readonly reader: ArchiveReader,
    private readonly manifest: Manifest,
    private readonly mode: ConflictMode,
    private readonly phase: Phase,
    private readonly progress: Progress,
  ) {
    this.keys = new PrincipalKeys(services.store);
  }

  // ---------------------------------------------------------------- bookkeeping

  private count(kind: string): KindCounts {
    return (this.counts[kind] ??= emptyCounts());
  }

  private note(severity: Severity, kind: string, object: string, message: string, resolution?: string): void {
    if (severity === 'error') this.errors++;
    if (severity === 'conflict') this.conflicts++;
    if (this.findings.filter((f) => f.severity === severity).length >= MAX_FINDINGS) this.omitted[severity]++;
    else this.findings.push({ severity, kind, object, message, ...(resolution === undefined ? {} : { resolution }) });
    if (severity === 'error' && this.phase === 'plan' && this.errors >= MAX_ERRORS) throw new TooManyErrors();
  }

  private error(kind: string, object: string, message: string): void {
    if (this.phase === 'apply') throw new AppError('IMPORT_REFUSED', `${kind} ${object}: ${message}`);
    this.note('error', kind, object, message);
  }

  private warn(kind: string, object: string, message: string): void {
    this.note('warning', kind, object, message);
  }

  /**
   * A target object differs from the archived one: records the conflict and says whether
   * the archive's version is taken (`take`), the target's kept (`keep`) or a renamed copy
   * made (`rename`, only where asked for and possible).
   */
  private conflict(kind: string, object: string, message: string, renamable: boolean): 'take' | 'keep' | 'rename' {
    const decision = this.mode === 'overwrite' ? 'take' : this.mode === 'rename' ? (renamable ? 'rename' : 'take') : 'keep';
    const resolution =
      this.mode === 'fail'
        ? 'refused (--on-conflict fail)'
        : decision === 'take'
          ? "the archive's version replaces this pool's"
          : decision === 'rename'
            ? 'imported under a new name'
            : "this pool's version is kept";
    this.note('conflict', kind, object, message, resolution);
    return decision;
  }

  /**
   * Settings that differ only in when they were last changed (a new pool's defaults
   * against the same defaults elsewhere) are no conflict: under overwrite or rename they
   * take the archive's time (`retime`), otherwise they stay as they are.
   */
  private sameSettings(current: object, line: object, bookkeeping: object = { updatedAt: 0 }): 'same' | 'retime' | 'differ' {
    if (sameLine(current, line)) return 'same';
    if (!sameLine({ ...current, ...bookkeeping }, { ...line, ...bookkeeping })) return 'differ';
    return this.mode === 'overwrite' || this.mode === 'rename' ? 'retime' : 'same';
  }

  private placeholderId(): number {
    return --this.placeholder;
  }

  /** Runs a batch: in its own transaction on the real run, against the store on the plan. */
  private async write<T>(fn: (store: Store, tx: Tx | undefined) => Promise<T>): Promise<T> {
    if (this.phase === 'plan') return fn(this.services.store, undefined);
    try {
      return (
        await runWrite(this.services, this.actor, {}, (tx) => {
          this.keys.use(tx.store);
          return fn(tx.store, tx);
        })
      ).result;
    } finally {
      this.keys.use(this.services.store);
    }
  }

  /** Validated lines of an entry, in batches. */
  private async *batches<S extends z.ZodType>(
    name: string,
    schema: S,
    kind: string,
    size = BATCH,
    valid?: (value: Record<string, unknown>) => boolean,
    weight?: { of: (value: z.infer<S>) => number; max: number },
  ): AsyncGenerator<{ line: number; value: z.infer<S> }[]> {
    if (!this.reader.has(name)) return;
    let batch: { line: number; value: z.infer<S> }[] = [];
    let weighs = 0;
    const counts = this.count(kind);
    for await (const run of this.reader.lines(name)) {
      for (const { line, value } of run) {
        counts.inArchive++;
        if (valid?.(value)) {
          // `valid` accepts only what the schema accepts as it is (records.ts).
          batch.push({ line, value: value as z.infer<S> });
        } else {
          const parsed = schema.safeParse(value);
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            this.error(kind, `${name}:${line}`, `not a valid ${kind} line: ${issue?.path.join('.') || 'line'}: ${issue?.message ?? 'invalid'}`);
            continue;
          }
          batch.push({ line, value: parsed.data });
        }
        if (weight !== undefined) weighs += weight.of(batch[batch.length - 1]!.value);
        if (batch.length >= size || (weight !== undefined && weighs >= weight.max)) {
          yield batch;
          batch = [];
          weighs = 0;
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  private startPhase(kind: string): void {
    this.progress.phase(`${this.phase === 'plan' ? 'checking' : 'importing'} ${kind}`, this.manifest.counts[kind]);
  }

  // ---------------------------------------------------------------- references

  /** Principals by key: the archive's (as this pass decided them) or the target's. */
  private async principalsByKey(store: Store, keys: Iterable<string>): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const id = this.principalIds.get(key);
      if (id !== undefined) out.set(key, id);
      else if (this.targetKeys.has(key)) out.set(key, this.targetKeys.get(key)?.id ?? null);
      else missing.push(key);
    }
    if (missing.length > 0) {
      const found = new Map((await store.principals.getManyByKeys(missing)).map((p) => [p.key, p]));
      for (const key of missing) {
        const p = found.get(key) ?? null;
        if (this.targetKeys.size < 100_000) this.targetKeys.set(key, p);
        out.set(key, p?.id ?? null);
      }
    }
    return out;
  }

  /** Resolves a list of keys, warning about (and dropping) the unknown ones. */
  private async principalList(store: Store, keys: readonly string[], kind: string, object: string, what: string): Promise<number[]> {
    const ids = await this.principalsByKey(store, keys);
    const out: number[] = [];
    for (const key of keys) {
      const id = ids.get(key);
      if (id === null || id === undefined) this.warn(kind, object, `${what}: ${key} is neither in the archive nor in this pool; left out`);
      else out.push(id);
    }
    return out;
  }

  private async principalOrNull(store: Store, key: string | null): Promise<number | null> {
    if (key === null) return null;
    return (await this.principalsByKey(store, [key])).get(key) ?? null;
  }

  private async roomTarget(store: Store, guid: string): Promise<RoomTarget | undefined> {
    const known = this.rooms.get(guid);
    if (known !== undefined) return known;
    const room = await store.rooms.getByGuid(guid);
    if (room === undefined) return undefined;
    const target: RoomTarget = { id: room.id, guid: room.guid, name: room.name, startAfter: room.lastChatId };
    this.rooms.set(guid, target);
    return target;
  }

  /** A node name no category or room has, in the pool or in this plan: `Name (2)`, `Name (3)` ... */
  private async freeName(store: Store, name: string): Promise<string> {
    for (let n = 2; ; n++) {
      const suffix = ` (${n})`;
      const room = LIMITS.nodeName - codePointLength(suffix);
      const base = codePointLength(name) > room ? [...name].slice(0, room).join('') : name;
      const candidate = `${base}${suffix}`;
      const key = nameKey(candidate);
      if (!this.claimedNames.has(key) && (await store.nodeNames.holder(key)) === undefined) return candidate;
    }
  }

  private async claimName(store: Store, name: string, kind: 'category' | 'room', kindName: string, object: string): Promise<boolean> {
    const key = nameKey(name);
    if (this.claimedNames.has(key)) {
      this.error(kindName, object, `the archive has another category or room named '${name}' (names ignore case)`);
      return false;
    }
    this.claimedNames.add(key);
    if (this.phase === 'apply') await store.nodeNames.claim(key, kind);
    return true;
  }

  private record(tx: Tx | undefined, action: 'create' | 'update' | 'add' | 'remove', kind: string, identity: string, notes?: string[]): void {
    tx?.record({ action, kind, identity, notes: ['imported from a Stoa archive', ...(notes ?? [])] });
  }

  // ---------------------------------------------------------------- the run

  async run(): Promise<void> {
    try {
      await this.settings();
      await this.principals();
      await this.userData();
      await this.addinsAndCategories();
      await this.roomsAndFollows();
      await this.content();
    } catch (err) {
      if (!(err instanceof TooManyErrors)) throw err;
      this.warn('archive', path.basename(this.reader.file), `stopped after ${MAX_ERRORS} errors; the rest of the archive was not checked`);
    } finally {
      this.progress.done();
    }
  }

  // ---------------------------------------------------------------- policies and configuration

  private async settings(): Promise<void> {
    this.startPhase('policies');
    for await (const batch of this.batches(ENTRY.policies, policyLine, 'policies')) {
      await this.write(async (store, tx) => {
        for (const { value: line } of batch) {
          const c = this.count('policies');
          const existing = await store.policies.getByKey(line.identity);
          if (existing === undefined) {
            const id = this.phase === 'apply' ? (await store.policies.insert({ identityKey: line.identity, scope: line.scope, name: line.name, enablePersistentChat: line.enablePersistentChat, description: line.description, updatedAt: line.updatedAt })).id : this.placeholderId();
            this.policyIds.set(line.identity, id);
            this.record(tx, 'create', 'policy', line.identity);
            c.created++;
            continue;
          }
          this.policyIds.set(line.identity, existing.id);
          const same = this.sameSettings(policyLineOf(existing), line);
          if (same === 'same') {
            c.unchanged++;
          } else if (same === 'retime' || this.conflict('policies', line.identity, 'the policy differs from the one in this pool', false) === 'take') {
            if (this.phase === 'apply') await store.policies.update(existing.id, { enablePersistentChat: line.enablePersistentChat, description: line.description, updatedAt: line.updatedAt });
            this.record(tx, 'update', 'policy', line.identity);
            c.updated++;
          } else c.skipped++;
        }
      });
      this.progress.add(batch.length);
    }
    for (const [kind, entry, schema, table] of [
      ['configurations', ENTRY.configurations, configurationLine, 'configurations'],
      ['complianceConfigurations', ENTRY.complianceConfigurations, complianceConfigurationLine, 'complianceConfigurations'],
    ] as const) {
      this.startPhase(kind);
      for await (const batch of this.batches(entry, schema, kind)) {
        await this.write(async (store, tx) => {
          const settings = store[table] as Store['configurations'];
          for (const { value } of batch) {
            const line = value as z.infer<typeof configurationLine>;
            const c = this.count(kind);
            const existing = await settings.getByKey(line.identity);
            if (existing === undefined) {
              if (this.phase === 'apply') await settings.insert({ identityKey: line.identity, scope: line.scope, name: line.name, settings: line.settings, updatedAt: line.updatedAt });
              this.record(tx, 'create', kind, line.identity);
              c.created++;
            } else if (this.sameSettings(configLineOf(existing), line) === 'same') {
              c.unchanged++;
            } else if (this.sameSettings(configLineOf(existing), line) === 'retime' || this.conflict(kind, line.identity, 'the settings differ from the ones in this pool', false) === 'take') {
              if (this.phase === 'apply') await settings.update(existing.id, line.settings, line.updatedAt);
              this.record(tx, 'update', kind, line.identity);
              c.updated++;
            } else c.skipped++;
          }
        });
        this.progress.add(batch.length);
      }
    }
    this.startPhase('endpoints');
    for await (const batch of this.batches(ENTRY.endpoints, endpointLine, 'endpoints')) {
      await this.write(async (store, tx) => {
        for (const { value: line } of batch) {
          const c = this.count('endpoints');
          const existing = await store.endpoints.getByUri(line.sipUri);
          const same = existing === undefined ? 'differ' : this.sameSettings(endpointLineOf(existing), line, KEPT);
          if (same === 'same') {
            c.unchanged++;
            continue;
          }
          if (existing !== undefined && same === 'differ' && this.conflict('endpoints', line.sipUri, 'an endpoint with this SIP address differs', false) === 'keep') {
            c.skipped++;
            continue;
          }
          if (this.phase === 'apply') {
            if (existing !== undefined) await store.endpoints.delete(existing.id);
            await store.endpoints.insert({ guid: line.guid, sipUri: line.sipUri, displayName: line.displayName, poolFqdn: line.poolFqdn, createdAt: line.createdAt });
          }
          this.record(tx, existing === undefined ? 'create' : 'update', 'endpoint', line.sipUri);
          if (existing === undefined) c.created++;
          else c.updated++;
        }
      });
      this.progress.add(batch.length);
    }
  }

  // ---------------------------------------------------------------- principals

  private principalProblem(line: PrincipalLine): string | undefined {
    try {
      const ref = parsePrincipalRef(line.key);
      if (ref.form !== formOfKind(line.kind) || ref.key !== line.key) return `'${line.key}' is not the key of a ${line.kind}`;
      if (line.dn !== null) dnKey(line.dn);
      if (line.kind !== 'user' && line.legacyNtHash != null) return `a ${line.kind} has no legacy sign-in secret (legacyNtHash)`;
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private async principals(): Promise<void> {
    this.startPhase('principals');
    const guids = new Set<string>();
    for await (const batch of this.batches(ENTRY.principals, principalLine, 'principals')) {
      await this.write(async (store, tx) => {
        const existing = new Map((await store.principals.getManyByKeys(batch.map((b) => b.value.key))).map((p) => [p.key, p]));
        const groups = await store.principals.groupsOfMany([...existing.values()].map((p) => p.id));
        const secrets = await store.principals.legacySecrets([...existing.values()].map((p) => p.id));
        await this.keys.load([...groups.values()].flat());
        for (const { line: n, value: line } of batch) {
          const c = this.count('principals');
          const object = line.key;
          const problem = this.principalProblem(line);
          if (problem !== undefined) {
            this.error('principals', `${ENTRY.principals}:${n}`, problem);
            continue;
          }
          if (this.principalIds.has(line.key) || guids.has(line.guid)) {
            this.error('principals', object, 'appears twice in the archive');
            continue;
          }
          guids.add(line.guid);
          this.principalKinds.set(line.key, line.kind);
          const policyId = line.policy === null ? null : (this.policyIds.get(line.policy) ?? (await store.policies.getByKey(line.policy))?.id ?? null);
          if (line.policy !== null && policyId === null) this.warn('principals', object, `policy ${line.policy} is neither in the archive nor in this pool; none assigned`);
          const target = existing.get(line.key);
          const columns = {
            name: line.name,
            displayName: line.displayName,
            email: line.email,
            dn: line.dn,
            dnKey: line.dn === null ? null : dnKey(line.dn),
            domain: line.domain,
            site: line.site,
            status: line.status,
            federated: line.federated,
            policyId: policyId !== null && policyId < 0 ? null : policyId,
            ...(line.passwordHash === undefined ? {} : { passwordHash: line.passwordHash }),
          };
          if (target === undefined) {
            let id = this.placeholderId();
            if (this.phase === 'apply') {
              const made = await store.principals.insert({ guid: line.guid, kind: line.kind, key: line.key, createdAt: line.createdAt, passwordHash: null, ...columns });
              id = (await store.principals.update(made.id, {}, line.updatedAt)).id;
              if (line.legacyNtHash != null) await store.principals.setLegacySecret(id, line.legacyNtHash, line.updatedAt);
            }
            this.principalIds.set(line.key, id);
            // A principal this plan creates has a placeholder id: lists still name it by key.
            this.keys.remember({ id, key: line.key });
            this.takeMemberships.add(line.key);
            this.record(tx, 'create', line.kind, line.key);
            c.created++;
            continue;
          }
          this.principalIds.set(line.key, target.id);
          if (target.kind !== line.kind) {
            this.error('principals', object, `is a ${target.kind} in this pool and a ${line.kind} in the archive`);
            continue;
          }
          const policyKey = target.policyId === null ? null : ((await store.policies.getByKey(line.policy ?? ''))?.id === target.policyId ? line.policy : `#${target.policyId}`);
          const current = principalLineOf(target, policyKey, (groups.get(target.id) ?? []).map((g) => this.keys.key(g)), line.passwordHash !== undefined, line.legacyNtHash === undefined ? undefined : (secrets.get(target.id) ?? null));
          // The guid and creation time of a principal already here stay as they are.
          if (sameLine({ ...current, ...KEPT }, { ...line, ...KEPT })) {
            c.unchanged++;
          } else if (this.conflict('principals', object, 'differs from the principal with this key in this pool', false) === 'take') {
            if (this.phase === 'apply') {
              await store.principals.update(target.id, columns, line.updatedAt);
              if (line.legacyNtHash !== undefined) await store.principals.setLegacySecret(target.id, line.legacyNtHash, line.updatedAt);
            }
            this.takeMemberships.add(line.key);
            this.record(tx, 'update', line.kind, line.key);
            c.updated++;
          } else c.skipped++;
        }
      });
      this.progress.add(batch.length);
    }
    await this.memberships();
  }

  /** Group memberships, once every principal is there (a line may name a group after it). */
  private async memberships(): Promise<void> {
    if (!this.reader.has(ENTRY.principals)) return;
    this.startPhase('memberships');
    for await (const batch of this.batches(ENTRY.principals, principalLine, 'memberships')) {
      await this.write(async (store, tx) => {
        for (const { value: line } of batch) {
          // Counted per membership, not per line.
          this.count('memberships').inArchive--;
          if (!this.takeMemberships.has(line.key)) continue;
          const id = this.principalIds.get(line.key) as number;
          const wanted = new Set<number>();
          const resolved = await this.principalsByKey(store, line.memberOf);
          for (const group of line.memberOf) {
            this.count('memberships').inArchive++;
            const gid = resolved.get(group);
            const kind = this.principalKinds.get(group) ?? this.targetKeys.get(group)?.kind;
            if (gid === null || gid === undefined || kind !== 'group') {
              this.warn('memberships', line.key, `member of ${group}, which is not a group in the archive or in this pool; left out`);
              continue;
            }
            wanted.add(gid);
          }
          if (this.phase === 'plan') {
            this.count('memberships').created += wanted.size;
            continue;
          }
          const current = new Set(await store.principals.groupsOf(id));
          for (const gid of wanted) {
            if (current.has(gid)) {
              this.count('memberships').unchanged++;
              continue;
            }
            if (this.principalKinds.get(line.key) === 'group') {
              const above = (await store.principals.affiliations([gid])).get(gid) ?? new Set<number>();
              if (gid === id || above.has(id)) {
                this.warn('memberships', line.key, 'this membership would make a group contain itself; left out');
                continue;
              }
            }
            await store.principals.addGroupMember(gid, id);
            this.record(tx, 'add', 'membership', `${line.key} in group #${gid}`);
            this.count('memberships').created++;
          }
          for (const gid of current) {
            if (wanted.has(gid)) continue;
            await store.principals.removeGroupMember(gid, id);
            this.record(tx, 'remove', 'membership', `${line.key} from group #${gid}`);
            this.count('memberships').updated++;
          }
        }
      });
      this.progress.add(batch.length);
    }
  }

  // ---------------------------------------------------------------- per-user data

  private async userData(): Promise<void> {
    this.startPhase('administrators');
    for await (const batch of this.batches(ENTRY.administrators, administratorLine, 'administrators')) {
      await this.write(async (store, tx) => {
        const admins = new Set(await store.administrators.list());
        for (const { value: line } of batch) {
          const c = this.count('administrators');
          const id = await this.principalOrNull(store, line.principal);
          if (id === null) {
            this.warn('administrators', line.principal, 'is neither in the archive nor in this pool; not made an administrator');
            c.skipped++;
          } else if (admins.has(id)) c.unchanged++;
          else {
            if (this.phase === 'apply') await store.administrators.add(id);
            this.record(tx, 'add', 'administrator', line.principal);
            c.created++;
          }
        }
      });
    }
    this.startPhase('keywordAlerts');
    for await (const batch of this.batches(ENTRY.keywordAlerts, keywordAlertLine, 'keywordAlerts')) {
      await this.write(async (store, tx) => {
        for (const { value: line } of batch) {
          const c = this.count('keywordAlerts');
          const id = await this.principalOrNull(store, line.principal);
          let keyword: { keyword: string; key: string };
          try {
            keyword = normaliseKeyword(line.keyword);
          } catch (err) {
            this.error('keywordAlerts', line.principal, (err as Error).message);
            continue;
          }
          if (id === null) {
            this.warn('keywordAlerts', line.principal, `keyword '${line.keyword}': the user is neither in the archive nor in this pool; left out`);
            c.skipped++;
            continue;
          }
          const has = id > 0 && (await store.keywordAlerts.list(id)).some((a) => a.keywordKey === keyword.key);
          if (has) c.unchanged++;
          else {
            if (this.phase === 'apply') await store.keywordAlerts.add({ principalId: id, keyword: keyword.keyword, keywordKey: keyword.key, createdAt: line.createdAt });
            this.record(tx, 'add', 'keyword alert', `${line.principal}: ${keyword.keyword}`);
            c.created++;
          }
        }
      });
    }
    this.startPhase('topicFeeds');
    for await (const batch of this.batches(ENTRY.topicFeeds, topicFeedLine, 'topicFeeds')) {
      await this.write(async (store, tx) => {
        for (const { value: line } of batch) {
          const c = this.count('topicFeeds');
          const id = await this.principalOrNull(store, line.principal);
          if (id === null) {
            this.warn('topicFeeds', line.principal, `feed '${line.name}': the user is neither in the archive nor in this pool; left out`);
            c.skipped++;
            continue;
          }
          const existing = id > 0 ? (await store.topicFeeds.list(id)).find((f) => f.nameKey === nameKey(line.name)) : undefined;
          if (existing !== undefined && existing.query === line.query) {
            c.unchanged++;
            continue;
          }
          if (existing !== undefined && this.conflict('topicFeeds', `${line.principal}: ${line.name}`, 'the user has a feed of this name with another query', false) === 'keep') {
            c.skipped++;
            continue;
          }
          if (this.phase === 'apply') {
            if (existing !== undefined) await store.topicFeeds.remove(id, existing.id);
            await store.topicFeeds.add({ principalId: id, name: line.name, nameKey: nameKey(line.name), query: line.query, createdAt: line.createdAt });
          }
          this.record(tx, existing === undefined ? 'add' : 'update', 'topic feed', `${line.principal}: ${line.name}`);
          if (existing === undefined) c.created++;
          else c.updated++;
        }
      });
    }
  }

  // ---------------------------------------------------------------- add-ins and categories

  private async addinsAndCategories(): Promise<void> {
    this.startPhase('addins');
    const addinNames = new Set<string>();
    for await (const batch of this.batches(ENTRY.addins, addinLine, 'addins')) {
      await this.write(async (store, tx) => {
        for (const { value: line } of batch) {
          const c = this.count('addins');
          let name: string;
          let url: string;
          try {
            name = normaliseName(line.name, 'add-in', LIMITS.addinName);
            url = normaliseAddinUrl(line.url);
          } catch (err) {
            this.error('addins', line.name, (err as Error).message);
            continue;
          }
          if (addinNames.has(nameKey(name))) {
            this.error('addins', name, 'appears twice in the archive');
            continue;
          }
          addinNames.add(nameKey(name));
          const all = await store.addins.list();
          const byGuid = all.find((a) => a.guid === line.guid);
          const byName = all.find((a) => a.nameKey === nameKey(name) && a.guid !== line.guid);
          const want = { ...line, name, url };
          const same = (a: AddinRecord) => sameLine({ ...addinLineOf(a), ...KEPT }, { ...want, ...KEPT });
          const apply = async (a: AddinRecord | undefined, as: string) => {
            if (this.phase === 'plan') return a?.id ?? this.placeholderId();
            if (a === undefined) {
              if (byName !== undefined && nameKey(as) === byName.nameKey) throw new AppError('IMPORT_REFUSED', `add-in name ${as} taken`);
              return (await store.addins.insert({ guid: line.guid, name: as, nameKey: nameKey(as), url, createdAt: line.createdAt, updatedAt: line.updatedAt })).id;
            }
            return (await store.addins.update(a.id, { name: as, nameKey: nameKey(as), url, updatedAt: line.updatedAt })).id;
          };
          const target = byGuid ?? byName;
          if (target !== undefined && same(target)) {
            this.addins.set(line.guid, target.id);
            c.unchanged++;
            continue;
          }
          if (target === undefined) {
            this.addins.set(line.guid, await apply(undefined, name));
            this.record(tx, 'create', 'add-in', name);
            c.created++;
            continue;
          }
          const why = target === byGuid ? 'the add-in differs from the one in this pool' : `this pool has another add-in named '${target.name}'`;
          const decision = this.conflict('addins', name, why, target === byName);
          if (decision === 'keep') {
            this.addins.set(line.guid, target.id);
            c.skipped++;
          } else if (decision === 'rename') {
            let renamed = name;
            for (let n = 2; all.some((a) => a.nameKey === nameKey(renamed)) || addinNames.has(nameKey(renamed)); n++) renamed = `${[...name].slice(0, LIMITS.addinName - 4).join('')} (${n})`;
            addinNames.add(nameKey(renamed));
            this.addins.set(line.guid, await apply(undefined, renamed));
            this.record(tx, 'create', 'add-in', renamed, [`renamed from '${name}'`]);
            c.renamed++;
          } else {
            this.addins.set(line.guid, await apply(target, name));
            this.record(tx, 'update', 'add-in', name);
            c.updated++;
          }
        }
      });
    }

    this.startPhase('categories');
    for await (const batch of this.batches(ENTRY.categories, categoryLine, 'categories')) {
      await this.write(async (store, tx) => {
        const all = await store.categories.list();
        for (const { value } of batch) await this.category(store, tx, value, all);
      });
      this.progress.add(batch.length);
    }
  }

  /** Validates a named node's name and description; undefined when invalid (error noted). */
  private validNode(kind: 'category' | 'room', line: { name: string; description: string }): { name: string; description: string } | undefined {
    try {
      return { name: normaliseName(line.name, kind), description: normaliseDescription(line.description, kind) };
    } catch (err) {
      this.error(`${kind === 'room' ? 'rooms' : 'categories'}`, line.name, (err as Error).message);
      return undefined;
    }
  }

  private async category(store: Store, tx: Tx | undefined, line: CategoryLine, all: CategoryRecord[]): Promise<void> {
    const c = this.count('categories');
    const valid = this.validNode('category', line);
    if (valid === undefined) return;
    const { name } = valid;
    const object = name;
    const lists = {
      allowed: await this.principalList(store, line.allowed, 'categories', object, 'allowed member'),
      denied: await this.principalList(store, line.denied, 'categories', object, 'denied member'),
      creators: await this.principalList(store, line.creators, 'categories', object, 'creator'),
    };
    const want: CategoryLine = {
      ...line,
      ...valid,
      createdBy: (await this.principalOrNull(store, line.createdBy)) === null ? null : line.createdBy,
      updatedBy: (await this.principalOrNull(store, line.updatedBy)) === null ? null : line.updatedBy,
    };
    const byGuid = all.find((x) => x.guid === line.guid);
    const holder = await store.nodeNames.holder(nameKey(name));
    const byName = holder === 'category' ? all.find((x) => x.nameKey === nameKey(name) && x.guid !== line.guid) : undefined;
    const target = byGuid ?? byName;
    const wantResolved = { ...want, allowed: await this.keys.keysOf(lists.allowed), denied: await this.keys.keysOf(lists.denied), creators: await this.keys.keysOf(lists.creators), guid: '' };

    const write = async (existing: CategoryRecord | undefined, as: string): Promise<number> => {
      if (this.phase === 'plan') return existing?.id ?? this.placeholderId();
      const by = await this.principalOrNull(store, want.createdBy);
      const upd = await this.principalOrNull(store, want.updatedBy);
      const fields = { description: valid.description, invitations: line.invitations, fileUpload: line.fileUpload, chatHistory: line.chatHistory, updatedAt: line.updatedAt, updatedBy: upd };
      let id: number;
      if (existing === undefined) {
        id = (await store.categories.insert({ guid: line.guid, name: as, nameKey: nameKey(as), createdAt: line.createdAt, createdBy: by, ...fields })).id;
      } else {
        if (nameKey(as) !== existing.nameKey) {
          await store.nodeNames.release(existing.nameKey);
        }
        id = (await store.categories.update(existing.id, { name: as, nameKey: nameKey(as), ...fields })).id;
      }
      await store.categories.setList(id, 'allowed', lists.allowed);
      await store.categories.setList(id, 'denied', lists.denied);
      await store.categories.setList(id, 'creator', lists.creators);
      return id;
    };

    if (target !== undefined) {
      const current = await categoryLineOf(target, (await store.categories.lists([target.id])).get(target.id) ?? { allowed: [], denied: [], creators: [] }, this.keys);
      this.claimedNames.add(target.nameKey);
      if (sameLine({ ...current, ...KEPT, createdBy: null }, { ...wantResolved, ...KEPT, createdBy: null })) {
        this.categories.set(line.guid, target.id);
        c.unchanged++;
        return;
      }
    }
    if (target === undefined && holder === undefined) {
      if (!(await this.claimName(store, name, 'category', 'categories', object))) return;
      this.categories.set(line.guid, await write(undefined, name));
      this.record(tx, 'create', 'category', name);
      c.created++;
      return;
    }
    const why =
      target === byGuid && target !== undefined
        ? 'the category differs from the one in this pool'
        : holder === 'room'
          ? `this pool has a room named '${name}'`
          : `this pool has another category named '${name}'`;
    const decision = this.conflict('categories', object, why, target !== byGuid || target === undefined);
    if (decision === 'keep' || (decision === 'take' && target === undefined)) {
      // Kept (or a room holds the name): the archive's rooms go into the pool's category of that name, if any.
      this.categories.set(line.guid, target?.id ?? null);
      if (target === undefined) this.warn('categories', object, 'not imported; its rooms are not imported either');
      c.skipped++;
      return;
    }
    if (decision === 'rename') {
      const renamed = await this.freeName(store, name);
      await this.claimName(store, renamed, 'category', 'categories', object);
      this.categories.set(line.guid, await write(undefined, renamed));
      this.record(tx, 'create', 'category', renamed, [`renamed from '${name}'`]);
      c.renamed++;
      return;
    }
    // Take the archive's version; a renamed category takes its new name if free.
    const existing = target as CategoryRecord;
    if (nameKey(name) !== existing.nameKey) {
      if (holder !== undefined) {
        this.error('categories', object, `cannot take the name '${name}': this pool has another ${holder} of that name`);
        return;
      }
      if (!(await this.claimName(store, name, 'category', 'categories', object))) return;
    }
    this.categories.set(line.guid, await write(existing, name));
    this.record(tx, 'update', 'category', name);
    c.updated++;
  }

  // ---------------------------------------------------------------- rooms and follows

  private async roomsAndFollows(): Promise<void> {
    this.startPhase('rooms');
    for await (const batch of this.batches(ENTRY.rooms, roomLine, 'rooms')) {
      await this.write(async (store, tx) => {
        for (const { value } of batch) await this.room(store, tx, value);
      });
      this.progress.add(batch.length);
    }
    this.startPhase('follows');
    let cache: { roomId: number; follows: Map<number, { lastReadChatId: number; createdAt: number }> } | undefined;
    for await (const batch of this.batches(ENTRY.follows, followLine, 'follows')) {
      await this.write(async (store, tx) => {
        for (const { value: line } of batch) {
          const c = this.count('follows');
          const room = await this.roomTarget(store, line.room);
          const id = await this.principalOrNull(store, line.principal);
          if (room === undefined || room.id === null || id === null) {
            if (room === undefined || id === null) this.warn('follows', `${line.principal} → ${line.room}`, 'the user or the room is neither in the archive nor in this pool; left out');
            c.skipped++;
            continue;
          }
          if (cache?.roomId !== room.id) cache = { roomId: room.id, follows: new Map(room.id > 0 ? (await store.archive.follows(room.id)).map((f) => [f.principalId, f]) : []) };
          const existing = cache.follows.get(id);
          if (existing !== undefined && existing.lastReadChatId === line.lastReadChatId && existing.createdAt === line.createdAt) {
            c.unchanged++;
            continue;
          }
          if (existing !== undefined && this.conflict('follows', `${line.principal} → ${room.name}`, 'the user follows this room with another read position', false) === 'keep') {
            c.skipped++;
            continue;
          }
          if (this.phase === 'apply') await store.archive.putFollow({ principalId: id, roomId: room.id, lastReadChatId: line.lastReadChatId, createdAt: line.createdAt });
          cache.follows.set(id, line);
          this.record(tx, existing === undefined ? 'add' : 'update', 'follow', `${line.principal} → ${room.name}`);
          if (existing === undefined) c.created++;
          else c.updated++;
        }
      });
    }
  }

  private async room(store: Store, tx: Tx | undefined, line: RoomLine): Promise<void> {
    const c = this.count('rooms');
    const valid = this.validNode('room', line);
    if (valid === undefined) return;
    const { name } = valid;
    const object = name;
    let categoryId = this.categories.get(line.category);
    let categoryGuid: string | undefined;
    if (categoryId === undefined) {
      const found = (await store.categories.list()).find((x) => x.guid === line.category);
      if (found === undefined) {
        this.error('rooms', object, `its category ${line.category} is neither in the archive nor in this pool`);
        return;
      }
      categoryId = found.id;
      this.categories.set(line.category, found.id);
    }
    if (categoryId === null) {
      this.rooms.set(line.guid, { id: null, guid: line.guid, name, startAfter: 0 });
      this.warn('rooms', object, 'its category was not imported; the room is not imported either');
      c.skipped++;
      return;
    }
    if (categoryId > 0) categoryGuid = (await store.categories.getById(categoryId))?.guid;
    let addinId: number | null = null;
    if (line.addin !== null) {
      addinId = this.addins.get(line.addin) ?? (await store.addins.list()).find((a) => a.guid === line.addin)?.id ?? null;
      if (addinId === null) this.warn('rooms', object, `its add-in ${line.addin} is neither in the archive nor in this pool; the room has none`);
    }
    const roles = {
      members: await this.principalList(store, line.members, 'rooms', object, 'member'),
      managers: await this.principalList(store, line.managers, 'rooms', object, 'manager'),
      presenters: await this.principalList(store, line.presenters, 'rooms', object, 'presenter'),
    };
    const createdBy = await this.principalOrNull(store, line.createdBy);
    const updatedBy = await this.principalOrNull(store, line.updatedBy);
    const byGuid = await store.rooms.getByGuid(line.guid);
    const holder = await store.nodeNames.holder(nameKey(name));
    const byNameRoom = holder === 'room' ? await store.rooms.getByNameKey(nameKey(name)) : undefined;
    const byName = byNameRoom !== undefined && byNameRoom.guid !== line.guid ? byNameRoom : undefined;
    const target = byGuid ?? byName;
    const hasContent = this.reader.has(messagesEntry(line.guid));

    const write = async (existing: RoomRecord | undefined, as: string, replaceContent: boolean): Promise<number> => {
      if (this.phase === 'plan') return existing?.id ?? this.placeholderId();
      const fields = {
        categoryId: categoryId,
        description: valid.description,
        type: line.type,
        privacy: line.privacy,
        invitations: line.invitations,
        disabled: line.disabled,
        addinId: addinId !== null && addinId > 0 ? addinId : null,
        updatedAt: line.updatedAt,
        updatedBy,
      };
      let id: number;
      if (existing === undefined) {
        id = (await store.rooms.insert({ guid: line.guid, name: as, nameKey: nameKey(as), createdAt: line.createdAt, createdBy, ...fields })).id;
      } else {
        if (nameKey(as) !== existing.nameKey) await store.nodeNames.release(existing.nameKey);
        id = (await store.rooms.update(existing.id, { name: as, nameKey: nameKey(as), ...fields })).id;
        if (replaceContent) {
          const gone = await store.archive.clearRoom(existing.id);
          const blobs = this.services.blobs;
          if (blobs !== undefined) tx?.afterCommit.push(() => gone.forEach((g) => blobs.remove(g)));
        }
      }
      await store.rooms.setRoles(id, 'member', roles.members);
      await store.rooms.setRoles(id, 'manager', roles.managers);
      await store.rooms.setRoles(id, 'presenter', roles.presenters);
      return id;
    };
    const remember = (id: number | null, guid: string, as: string, startAfter: number) =>
      this.rooms.set(line.guid, { id, guid, name: as, startAfter, lastChatId: line.lastChatId });

    if (target !== undefined) {
      this.claimedNames.add(target.nameKey);
      const targetCategory = (await store.categories.getById(target.categoryId))?.guid ?? '';
      const current = await roomLineOf(target, targetCategory, null, (await store.rooms.roles([target.id])).get(target.id) ?? { members: [], managers: [], presenters: [] }, this.keys);
      const addinGuid = target.addinId === null ? null : ((await store.addins.getById(target.addinId))?.guid ?? null);
      const wantAddin = addinId === null || addinId < 0 ? null : ((await store.addins.getById(addinId))?.guid ?? null);
      const want = {
        ...line,
        ...valid,
        guid: '',
        lastChatId: 0,
        category: categoryGuid ?? '',
        addin: wantAddin,
        createdBy: createdBy === null ? null : line.createdBy,
        updatedBy: updatedBy === null ? null : line.updatedBy,
        members: await this.keys.keysOf(roles.members),
        managers: await this.keys.keysOf(roles.managers),
        presenters: await this.keys.keysOf(roles.presenters),
      };
      if (categoryId > 0 && sameLine({ ...current, ...KEPT, createdBy: null, lastChatId: 0, addin: addinGuid }, { ...want, ...KEPT, createdBy: null })) {
        remember(target.id, target.guid, target.name, target.lastChatId);
        c.unchanged++;
        return;
      }
    }
    if (target === undefined && holder === undefined) {
      if (!(await this.claimName(store, name, 'room', 'rooms', object))) return;
      remember(await write(undefined, name, false), line.guid, name, 0);
      this.record(tx, 'create', 'room', name);
      c.created++;
      return;
    }
    const sameRoom = target !== undefined && target === byGuid;
    const why = sameRoom ? 'the room differs from the one in this pool' : holder === 'category' ? `this pool has a category named '${name}'` : `this pool has another room named '${name}'`;
    const decision = this.conflict('rooms', object, why, !sameRoom);
    if (decision === 'keep' || (decision === 'take' && target === undefined)) {
      if (sameRoom) remember(target.id, target.guid, target.name, target.lastChatId);
      else {
        remember(null, line.guid, name, 0);
        if (hasContent) this.warn('rooms', object, 'not imported, nor its messages, files and invitations');
      }
      c.skipped++;
      return;
    }
    if (decision === 'rename') {
      const renamed = await this.freeName(store, name);
      await this.claimName(store, renamed, 'room', 'rooms', object);
      remember(await write(undefined, renamed, false), line.guid, renamed, 0);
      this.record(tx, 'create', 'room', renamed, [`renamed from '${name}'`]);
      c.renamed++;
      return;
    }
    const existing = target as RoomRecord;
    if (nameKey(name) !== existing.nameKey) {
      if (holder !== undefined) {
        this.error('rooms', object, `cannot take the name '${name}': this pool has another ${holder} of that name`);
        return;
      }
      if (!(await this.claimName(store, name, 'room', 'rooms', object))) return;
    }
    // Another room of this name is replaced by the archive's: its content too, when the archive has the room's.
    const replace = !sameRoom && hasContent;
    if (replace) this.warn('rooms', object, `the messages and files of this pool's room '${existing.name}' are replaced by the archive's`);
    remember(await write(existing, name, replace), existing.guid, name, replace ? 0 : existing.lastChatId);
    this.record(tx, 'update', 'room', name, replace ? ['messages and files replaced by the archive\'s'] : undefined);
    c.updated++;
  }

  // ---------------------------------------------------------------- content

  private async content(): Promise<void> {
    this.startPhase('files');
    for await (const batch of this.batches(ENTRY.files, fileLine, 'files', 50)) await this.fileBatch(batch.map((b) => b.value));
    this.startPhase('messages');
    for (const entry of this.reader.list(MESSAGES_DIR)) {
      const guid = entry.slice(MESSAGES_DIR.length).replace(/\.jsonl$/, '');
      await this.messages(entry, guid);
    }
    this.startPhase('invitations');
    let cache: { roomId: number; seen: Set<string> } | undefined;
    for await (const batch of this.batches(ENTRY.invitations, invitationLine, 'invitations')) {
      await this.write(async (store, tx) => {
        for (const { value: line } of batch) {
          const c = this.count('invitations');
          const room = await this.roomTarget(store, line.room);
          const id = await this.principalOrNull(store, line.principal);
          if (room === undefined || room.id === null || id === null) {
            if (room === undefined || id === null) this.warn('invitations', `${line.principal} → ${line.room}`, 'the user or the room is neither in the archive nor in this pool; left out');
            c.skipped++;
            continue;
          }
          if (cache?.roomId !== room.id) cache = { roomId: room.id, seen: new Set(room.id > 0 ? (await store.archive.invitations(room.id)).map((i) => `${i.principalId}:${i.createdAt}`) : []) };
          const key = `${id}:${line.createdAt}`;
          if (cache.seen.has(key)) {
            c.unchanged++;
            continue;
          }
          cache.seen.add(key);
          if (this.phase === 'apply') await store.archive.addInvitation(id, room.id, line.createdAt);
          this.record(tx, 'add', 'invitation', `${line.principal} → ${room.name}`);
          c.created++;
        }
      });
    }
  }

  private async fileBatch(lines: FileLine[]): Promise<void> {
    const store = this.services.store;
    const ready: { line: FileLine; room: RoomTarget; uploader: number }[] = [];
    for (const line of lines) {
      const c = this.count('files');
      const object = `${line.name} (${line.guid})`;
      const room = await this.roomTarget(store, line.room);
      if (room === undefined) {
        this.error('files', object, `its room ${line.room} is neither in the archive nor in this pool`);
        continue;
      }
      if (room.id === null) {
        this.files.set(line.guid, null);
        c.skipped++;
        continue;
      }
      const existing = await store.files.getByGuid(line.guid);
      if (existing !== undefined) {
        this.files.set(line.guid, existing.id);
        c.unchanged++;
        continue;
      }
      const uploader = await this.principalOrNull(store, line.uploader);
      if (uploader === null) {
        this.error('files', object, `its uploader ${line.uploader} is neither in the archive nor in this pool`);
        continue;
      }
      const entry = blobEntry(line.sha256);
      if (!this.reader.has(entry)) {
        this.error('files', object, `the archive has no ${entry}`);
        continue;
      }
      if (this.phase === 'plan') {
        const { sha256, size } = await digest(await this.reader.blob(entry));
        if (sha256 !== line.sha256 || size !== line.sizeBytes) {
          this.error('files', object, `${entry} holds ${size} bytes with sha256 ${sha256}, not the ${line.sizeBytes} bytes the file line names`);
          continue;
        }
        this.files.set(line.guid, this.placeholderId());
        c.created++;
        continue;
      }
      ready.push({ line, room, uploader });
    }
    if (ready.length === 0) return;
    const blobs = this.services.blobs;
    if (blobs === undefined) throw new Error('the import has no file store to write files to');
    const written: string[] = [];
    try {
      // A few at a time, each waiting for the disk on libuv's threads; their folders are
      // synced together once they are all written, before their rows commit.
      for (let i = 0; i < ready.length; i += FILE_WRITES) {
        const results = await Promise.allSettled(
          ready.slice(i, i + FILE_WRITES).map(async ({ line }) => {
            const stored = await blobs.write(line.guid, await this.reader.blob(blobEntry(line.sha256)), line.sizeBytes, { deferNameSync: true });
            written.push(line.guid);
            if (stored.sha256 !== line.sha256) throw new AppError('IMPORT_REFUSED', `file ${line.guid}: the archive's bytes changed while importing`);
          }),
        );
        // Every write of the group has settled (none is left to land after the clean-up below).
        const failed = results.find((r) => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      }
      await blobs.syncNames();
      await this.write(async (tx, t) => {
        for (const { line, room, uploader } of ready) {
          const file = await tx.files.insert({ guid: line.guid, roomId: room.id as number, uploaderId: uploader, name: line.name, contentType: line.contentType, sizeBytes: line.sizeBytes, sha256: line.sha256, createdAt: line.createdAt });
          this.files.set(line.guid, file.id);
          this.record(t, 'create', 'file', `${room.name}/${line.name}`);
          this.count('files').created++;
        }
      });
    } catch (err) {
      written.forEach((guid) => blobs.remove(guid));
      throw err;
    }
    this.progress.add(ready.length);
  }

  private async messages(entry: string, guid: string): Promise<void> {
    const c = this.count('messages');
    const room = await this.roomTarget(this.services.store, guid);
    if (room === undefined) {
      this.error('messages', entry, `the room ${guid} is neither in the archive nor in this pool`);
      return;
    }
    let previous = 0;
    for await (const batch of this.batches(entry, messageLine, 'messages', MESSAGE_BATCH, isMessageLine, { of: textUnits, max: MESSAGE_BATCH_TEXT })) {
      this.progress.add(batch.length);
      const rows: ImportedMessage[] = [];
      const authors = await this.principalsByKey(this.services.store, batch.map((b) => b.value.author));
      for (const { line: n, value: line } of batch) {
        if (line.chatId <= previous) {
          this.error('messages', `${entry}:${n}`, `chat id ${line.chatId} does not follow ${previous}`);
          continue;
        }
        previous = line.chatId;
        if (room.id === null) {
          c.skipped++;
          continue;
        }
        const author = authors.get(line.author);
        if (author === null || author === undefined) {
          this.error('messages', `${room.name} #${line.chatId}`, `its author ${line.author} is neither in the archive nor in this pool`);
          continue;
        }
        const fileId = await this.fileOf(room, line);
        if (line.chatId <= room.startAfter) {
          c.unchanged++;
          continue;
        }
        rows.push(messageRow(line, author, fileId));
      }
      if (rows.length === 0) continue;
      c.created += rows.length;
      if (this.phase === 'plan') continue;
      const first = rows[0] as ImportedMessage;
      const last = rows[rows.length - 1] as ImportedMessage;
      await this.write(async (store, tx) => {
        await store.archive.insertMessages(room.id as number, rows);
        tx?.capture({
          type: 'IMPORT',
          room: { id: room.id as number, guid: room.guid },
          content: `${rows.length} message(s), chat ids ${first.chatId}–${last.chatId}`,
          details: { archive: path.basename(this.reader.file), messages: rows.length, firstChatId: first.chatId, lastChatId: last.chatId },
        });
      });
    }
    if (this.phase === 'apply' && room.id !== null && room.lastChatId !== undefined) {
      const { id, lastChatId } = room;
      await this.write((store) => store.archive.raiseLastChatId(id, lastChatId));
    }
  }

  private async fileOf(room: RoomTarget, line: MessageLine): Promise<number | null> {
    if (line.file === null) return null;
    let id = this.files.get(line.file);
    if (id === undefined) {
      const found = await this.services.store.files.getByGuid(line.file);
      id = found === undefined ? undefined : found.id;
    }
    if (id === undefined || id === null) {
      if (id === undefined) this.warn('messages', `${room.name} #${line.chatId}`, `its file ${line.file} is neither in the archive nor in this pool; the message keeps no file`);
      return null;
    }
    return id > 0 ? id : null;
  }
}

/** What a message line holds in text (UTF-16 units). */
function textUnits(line: MessageLine): number {
  return line.content.length + (line.rtf?.length ?? 0) + (line.storyTitle?.length ?? 0);
}

function messageRow(line: MessageLine, authorId: number, fileId: number | null): ImportedMessage {
  return {
    chatId: line.chatId,
    authorId,
    postedAt: line.postedAt,
    postedAtTicks: line.postedAtTicks,
    content: line.content,
    rtf: line.rtf,
    isAlert: line.isAlert,
    storyTitle: line.storyTitle,
    fileId,
    inHistory: line.inHistory,
    replacedAt: line.replacedAt,
  };
}

async function digest(stream: NodeJS.ReadableStream): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Imports an archive (or, with `whatIf`, only plans it). Returns the report; a refused
 * import (errors, or conflicts under `fail`) changes nothing and says why in the report.
 */
export async function importArchive(services: Services, actor: Actor, options: ImportOptions): Promise<ImportReport> {
  requireAdministrator(await loadActorFacts(services.store, actor), 'import data');
  if (!fs.existsSync(options.file)) throw new AppError('INVALID_INPUT', `no archive at ${options.file}`);
  const mode = options.onConflict ?? 'overwrite';
  const startedAt = new Date(services.clock()).toISOString();
  const reader = await ArchiveReader.open(options.file, options.limits ?? DEFAULT_LIMITS);
  try {
    const manifest = reader.manifest;
    const progress = options.progress ?? NO_PROGRESS;
    const report = (pass: Pass, outcome: ImportReport['outcome']): ImportReport => ({
      file: path.resolve(options.file),
      manifest: { format: manifest.format, version: manifest.version, levels: manifest.levels, counts: manifest.counts, source: manifest.source, createdAt: manifest.createdAt, options: manifest.options },
      whatIf: options.whatIf === true,
      onConflict: mode,
      startedAt,
      finishedAt: new Date(services.clock()).toISOString(),
      outcome,
      counts: pass.counts,
      findings: pass.findings,
      omitted: pass.omitted,
    });
    const plan = new Pass(services, actor, reader, manifest, mode, 'plan', progress);
    await plan.run();
    if (plan.errors > 0 || (mode === 'fail' && plan.conflicts > 0)) return report(plan, 'refused');
    if (options.whatIf === true) return report(plan, 'what-if');
    const apply = new Pass(services, actor, reader, manifest, mode, 'apply', progress);
    try {
      await apply.run();
    } catch (err) {
      if (isAppError(err)) throw new AppError(err.code, `${err.message} (the import stopped part-way: run it again to finish)`);
      throw err;
    } finally {
      // The bulk path writes around the actions' events: what the node holds in memory
      // (access facts, the newest messages of rooms) is read again.
      await publishChange(services, [{ type: 'data.imported', file: path.resolve(options.file) }]);
    }
    // A bulk load's commits may not have waited for the disk: all of them reach it before
    // the import reports that it completed.
    await services.store.sync();
    return report(apply, 'completed');
  } finally {
    reader.close();
  }
}

/**
 * The Store: every read and write of persistent state, grouped by entity. One Kysely
 * implementation serves SQLite and PostgreSQL; a conformance suite runs on both.
 * Actions receive a Store bound to their transaction.
 */
import type { Dialect } from './dialect.js';
import type { PrincipalKind, PrincipalStatus } from '../domain/principals.js';
import type { RoomInvitations, RoomPrivacy, RoomType } from '../domain/rooms.js';
import type { ChatConfiguration, ComplianceConfiguration, ConfigScope, PolicyScope } from '../domain/settings.js';

export interface PrincipalRecord {
  id: number;
  guid: string;
  kind: PrincipalKind;
  key: string;
  name: string;
  displayName: string | null;
  email: string | null;
  dn: string | null;
  dnKey: string | null;
  domain: string | null;
  site: string | null;
  status: PrincipalStatus;
  federated: boolean;
  policyId: number | null;
  passwordHash: string | null;
  createdAt: number;
  updatedAt: number;
}

export type NewPrincipal = Omit<PrincipalRecord, 'id' | 'updatedAt'>;
export type PrincipalPatch = Partial<Omit<PrincipalRecord, 'id' | 'guid' | 'kind' | 'createdAt'>>;

export interface PrincipalQuery {
  kind?: PrincipalKind;
  /** Default: everything but deleted principals. */
  statuses?: readonly PrincipalStatus[];
  /** Lower-case substring of key, name, display name or e-mail. */
  text?: string;
  limit?: number;
}

export interface CategoryRecord {
  id: number;
  guid: string;
  name: string;
  nameKey: string;
  description: string;
  invitations: boolean;
  fileUpload: boolean;
  chatHistory: boolean;
  createdAt: number;
  createdBy: number | null;
  updatedAt: number;
  updatedBy: number | null;
}

export type CategoryListName = 'allowed' | 'denied' | 'creator';

export interface CategoryLists {
  allowed: number[];
  denied: number[];
  creators: number[];
}

export type NewCategory = Omit<CategoryRecord, 'id'>;
export type CategoryPatch = Partial<Omit<CategoryRecord, 'id' | 'guid' | 'createdAt' | 'createdBy'>>;

export interface RoomRecord {
  id: number;
  guid: string;
  categoryId: number;
  name: string;
  nameKey: string;
  description: string;
  type: RoomType;
  privacy: RoomPrivacy;
  invitations: RoomInvitations;
  disabled: boolean;
  addinId: number | null;
  lastChatId: number;
  contentBytes: number;
  createdAt: number;
  createdBy: number | null;
  updatedAt: number;
  updatedBy: number | null;
}

export type RoomRoleName = 'member' | 'manager' | 'presenter';

export interface RoomRoles {
  members: number[];
  managers: number[];
  presenters: number[];
}

export type NewRoom = Omit<RoomRecord, 'id' | 'lastChatId' | 'contentBytes'>;
export type RoomPatch = Partial<Omit<RoomRecord, 'id' | 'guid' | 'createdAt' | 'createdBy' | 'lastChatId' | 'contentBytes'>>;

/** Filters of `room get` / Get-CsPersistentChatRoom, all optional and combined with AND. */
export interface RoomQuery {
  categoryId?: number;
  /** Only rooms whose id is in this list (permission pre-filtering). */
  ids?: readonly number[];
  privacy?: RoomPrivacy;
  type?: RoomType;
  disabled?: boolean;
  invitations?: RoomInvitations;
  addinId?: number;
  /** Rooms where any of these principals (a user and its affiliations) holds the role. */
  role?: { role: RoomRoleName; principalIds: readonly number[] };
  contentExceedsBytes?: number;
  /** Rooms in any of these categories. */
  categoryIds?: readonly number[];
  /** Rooms with any of these name keys. */
  nameKeys?: readonly string[];
  /**
   * The directory's access rule in SQL: rooms of one of these privacies, or rooms where
   * any of the principals holds the member role.
   */
  privacyOrMember?: { privacies: readonly RoomPrivacy[]; principalIds: readonly number[] };
  /** Case-insensitive substring of the name (and of the description when asked). */
  text?: { value: string; description: boolean };
  limit?: number;
}

export interface AddinRecord {
  id: number;
  guid: string;
  name: string;
  nameKey: string;
  url: string;
  createdAt: number;
  updatedAt: number;
}

export interface PolicyRecord {
  id: number;
  identityKey: string;
  scope: PolicyScope;
  name: string;
  enablePersistentChat: boolean;
  description: string;
  updatedAt: number;
}

export interface ScopedRecord<S> {
  id: number;
  identityKey: string;
  scope: ConfigScope;
  name: string;
  settings: S;
  updatedAt: number;
}

export interface EndpointRecord {
  id: number;
  guid: string;
  sipUri: string;
  displayName: string;
  poolFqdn: string;
  createdAt: number;
}

export interface NewMessage {
  roomId: number;
  authorId: number;
  postedAt: number;
  postedAtTicks?: number;
  content: string;
  rtf?: string | null;
  isAlert?: boolean;
  storyTitle?: string | null;
  fileId?: number | null;
  /** False when the category had chat history off: the message was live only. */
  inHistory?: boolean;
}

export interface MessageRecord extends Required<NewMessage> {
  id: number;
  chatId: number;
  sizeBytes: number;
  replacedAt: number | null;
}

/** One page of a room's history, in chat id order. */
export interface HistoryQuery {
  roomId: number;
  beforeChatId?: number;
  afterChatId?: number;
  limit: number;
}

/**
 * Full-text search over the rooms the caller may read (the caller computes roomIds).
 * Every term must occur as a case-insensitive substring of the text or story title.
 */
export interface MessageSearch {
  /** The rooms searched: a room selection, evaluated in the database. */
  rooms: RoomQuery;
  terms: readonly string[];
  /**
   * Searched through the word index: for each term, the vocabulary words that contain it,
   * and (SQLite) the id through which messages are indexed. What the index has not
   * reached (SQLite: newer ids and those waiting to be indexed again; PostgreSQL: the
   * pending messages) is matched directly. Absent: the trigram index.
   */
  /**
   * The word-index plan: each term's vocabulary words, complete through vocabulary id
   * `vocabulary`, and SQLite's watermark.
   */
  words?: { expansions: readonly (readonly string[])[]; indexedThrough: number; vocabulary: number };
  authorIds?: readonly number[];
  from?: number;
  to?: number;
  hasFile?: boolean;
  /** Paging: only messages with a smaller global id. */
  beforeId?: number;
  limit: number;
}

/** What an administrator's content operation selects before keyword matching. */
export interface MessageSelection {
  roomId: number;
  authorId?: number;
  from?: number;
  to?: number;
}

export type SessionKind = 'session' | 'api';

export interface SessionRecord {
  tokenHash: string;
  principalId: number;
  kind: SessionKind;
  name: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number;
}

export interface FollowRecord {
  principalId: number;
  roomId: number;
  lastReadChatId: number;
  createdAt: number;
}

export interface InvitationRecord {
  id: number;
  principalId: number;
  roomId: number;
  createdAt: number;
}

export type NotificationKind = 'mention' | 'keyword' | 'feed';

export interface NotificationRecord {
  id: number;
  principalId: number;
  kind: NotificationKind;
  roomId: number;
  messageId: number;
  /** The keyword that matched, or the feed's name; empty for mentions. */
  detail: string;
  createdAt: number;
}

export interface KeywordAlertRecord {
  id: number;
  principalId: number;
  keyword: string;
  keywordKey: string;
  createdAt: number;
}

export interface TopicFeedRecord {
  id: number;
  principalId: number;
  name: string;
  nameKey: string;
  query: string;
  createdAt: number;
}

export interface FileRecord {
  id: number;
  guid: string;
  roomId: number;
  uploaderId: number;
  name: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  createdAt: number;
}

export interface FileTokenRecord {
  tokenHash: string;
  direction: 'upload' | 'download';
  principalId: number;
  roomId: number;
  /** Downloads: the file. Uploads: null until used. */
  fileId: number | null;
  name: string | null;
  contentType: string | null;
  sizeBytes: number | null;
  expiresAt: number;
}

export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /**
   * Sets the value only if it is still `expected` (undefined: only if there is none), in
   * one statement: true when this call set it. Two writers racing cannot both win.
   */
  swap(key: string, expected: string | undefined, value: string): Promise<boolean>;
}

export interface PrincipalStore {
  insert(p: NewPrincipal): Promise<PrincipalRecord>;
  update(id: number, patch: PrincipalPatch, now: number): Promise<PrincipalRecord>;
  getById(id: number): Promise<PrincipalRecord | undefined>;
  getByKey(key: string): Promise<PrincipalRecord | undefined>;
  getByDnKey(dnKey: string): Promise<PrincipalRecord | undefined>;
  getManyByIds(ids: readonly number[]): Promise<PrincipalRecord[]>;
  getManyByKeys(keys: readonly string[]): Promise<PrincipalRecord[]>;
  /** Active users whose SIP address has one of these user parts (`sip:<part>@...`). */
  usersByUserPart(parts: readonly string[]): Promise<PrincipalRecord[]>;
  list(query: PrincipalQuery): Promise<PrincipalRecord[]>;
  /** Groups the principal is a direct member of. */
  groupsOf(memberId: number): Promise<number[]>;
  /** The same for many principals at once. */
  groupsOfMany(memberIds: readonly number[]): Promise<Map<number, number[]>>;
  /** Direct members of a group. */
  membersOf(groupId: number): Promise<number[]>;
  addGroupMember(groupId: number, memberId: number): Promise<boolean>;
  removeGroupMember(groupId: number, memberId: number): Promise<boolean>;
  /**
   * For each principal: itself, every group it belongs to (transitively), every container
   * its DN lies under and every domain it is in (including parent domains).
   */
  affiliations(ids: readonly number[]): Promise<Map<number, Set<number>>>;
  /** The reverse: every principal affiliated with any of the given principals. */
  expand(ids: readonly number[]): Promise<Set<number>>;
  /** Takes the principal out of every list, group and role (when it is deleted). */
  removeFromAllLists(id: number): Promise<void>;
  /** The lists and roles that name the principal directly (what removeFromAllLists would take it out of, groups aside). */
  listsOf(id: number): Promise<{ on: 'category' | 'room' | 'administrators'; name: string; list: string }[]>;
  countAssignedPolicy(policyId: number): Promise<number>;
  clearPolicy(policyId: number): Promise<number>;
  /** The NT hashes (hex) of these principals for legacy (NTLM) sign-in, for those that have one. */
  legacySecrets(ids: readonly number[]): Promise<Map<number, string>>;
  /** Sets (or, with null, removes) the user's NT hash. */
  setLegacySecret(id: number, ntHash: string | null, now: number): Promise<void>;
  /** Every principal a directory sync manages: principal id → its directory object's identity. */
  directoryLinks(): Promise<Map<number, DirectoryLink>>;
  /** The principals linked to these directory objects: directory id → principal id. */
  principalsByDirectoryIds(source: string, directoryIds: readonly string[]): Promise<Map<string, number>>;
  /** The link of one principal (undefined: a local principal). */
  directoryLinkOf(id: number): Promise<DirectoryLink | undefined>;
  /** Links (or, with null, unlinks) a principal to its directory object. */
  setDirectoryLink(id: number, link: { directoryId: string; source: string } | null, now: number): Promise<void>;
}

export interface DirectoryLink {
  directoryId: string;
  source: string;
  syncedAt: number;
}

export interface CategoryStore {
  insert(c: NewCategory): Promise<CategoryRecord>;
  update(id: number, patch: CategoryPatch): Promise<CategoryRecord>;
  delete(id: number): Promise<void>;
  getById(id: number): Promise<CategoryRecord | undefined>;
  getManyByIds(ids: readonly number[]): Promise<CategoryRecord[]>;
  /** Takes the row lock on PostgreSQL (SQLite transactions already hold the write lock). */
  lock(id: number): Promise<void>;
  getByNameKey(nameKey: string): Promise<CategoryRecord | undefined>;
  list(): Promise<CategoryRecord[]>;
  count(): Promise<number>;
  lists(ids: readonly number[]): Promise<Map<number, CategoryLists>>;
  setList(id: number, list: CategoryListName, principalIds: readonly number[]): Promise<void>;
  roomCount(id: number): Promise<number>;
}

export interface RoomStore {
  insert(r: NewRoom): Promise<RoomRecord>;
  update(id: number, patch: RoomPatch): Promise<RoomRecord>;
  delete(id: number): Promise<void>;
  getById(id: number): Promise<RoomRecord | undefined>;
  getByNameKey(nameKey: string): Promise<RoomRecord | undefined>;
  getByGuid(guid: string): Promise<RoomRecord | undefined>;
  getManyByIds(ids: readonly number[]): Promise<RoomRecord[]>;
  /** Takes the row lock on PostgreSQL (SQLite transactions already hold the write lock). */
  lock(id: number): Promise<void>;
  list(query: RoomQuery): Promise<RoomRecord[]>;
  /** The ids of the matching rooms, ascending: at most `max` + 1 (more means too many to list). */
  listIds(query: RoomQuery, max: number): Promise<number[]>;
  roles(ids: readonly number[]): Promise<Map<number, RoomRoles>>;
  /**
   * The room's role entries held by any of `principalIds` (an actor's affiliations): all
   * an access check needs, however many members the room has. One statement.
   */
  rolesFor(id: number, principalIds: readonly number[]): Promise<RoomRoles>;
  setRoles(id: number, role: RoomRoleName, principalIds: readonly number[]): Promise<void>;
  countUsingAddin(addinId: number): Promise<number>;
  clearAddin(addinId: number): Promise<number>;
}

/** Category and room names share one namespace; the claim is the race-proof check. */
export interface NodeNameStore {
  holder(nameKey: string): Promise<'category' | 'room' | undefined>;
  claim(nameKey: string, kind: 'category' | 'room'): Promise<void>;
  release(nameKey: string): Promise<void>;
}

/** A row of the pool's transactional outbox: one write's events, as JSON. */
export interface OutboxRow {
  id: number;
  origin: string;
  events: string;
  createdAt: number;
}

/**
 * The transactional outbox (migration 0009): a write appends its events in its own
 * transaction; they are deleted once published across the pool.
 */
export interface OutboxStore {
  append(row: { origin: string; publishedByOrigin: boolean; events: string; createdAt: number }): Promise<number>;
  /**
   * Rows to relay, oldest first: those their origin does not publish, and those it does
   * but left over from before `staleBefore`. Inside a transaction, PostgreSQL locks them
   * (skipping rows another node is relaying).
   */
  due(staleBefore: number, limit: number): Promise<OutboxRow[]>;
  remove(ids: readonly number[]): Promise<void>;
}

export interface AddinStore {
  insert(a: Omit<AddinRecord, 'id'>): Promise<AddinRecord>;
  update(id: number, patch: Partial<Pick<AddinRecord, 'name' | 'nameKey' | 'url' | 'updatedAt'>>): Promise<AddinRecord>;
  delete(id: number): Promise<void>;
  getById(id: number): Promise<AddinRecord | undefined>;
  getManyByIds(ids: readonly number[]): Promise<AddinRecord[]>;
  getByNameKey(nameKey: string): Promise<AddinRecord | undefined>;
  list(): Promise<AddinRecord[]>;
}

export interface PolicyStore {
  insert(p: Omit<PolicyRecord, 'id'>): Promise<PolicyRecord>;
  update(id: number, patch: Partial<Pick<PolicyRecord, 'enablePersistentChat' | 'description' | 'updatedAt'>>): Promise<PolicyRecord>;
  delete(id: number): Promise<void>;
  getById(id: number): Promise<PolicyRecord | undefined>;
  getByKey(identityKey: string): Promise<PolicyRecord | undefined>;
  list(): Promise<PolicyRecord[]>;
}

export interface ScopedSettingsStore<S> {
  insert(r: Omit<ScopedRecord<S>, 'id'>): Promise<ScopedRecord<S>>;
  update(id: number, settings: S, now: number): Promise<ScopedRecord<S>>;
  delete(id: number): Promise<void>;
  getByKey(identityKey: string): Promise<ScopedRecord<S> | undefined>;
  list(): Promise<ScopedRecord<S>[]>;
}

export interface EndpointStore {
  insert(e: Omit<EndpointRecord, 'id'>): Promise<EndpointRecord>;
  delete(id: number): Promise<void>;
  getByUri(sipUri: string): Promise<EndpointRecord | undefined>;
  list(): Promise<EndpointRecord[]>;
}

export interface AdministratorStore {
  add(principalId: number): Promise<boolean>;
  remove(principalId: number): Promise<boolean>;
  list(): Promise<number[]>;
}

export interface MessageStore {
  /** Appends with the room's next chat id; keeps the room's content size. */
  append(m: NewMessage): Promise<MessageRecord>;
  /** The newest messages kept as history, oldest first. */
  latest(roomId: number, limit: number): Promise<MessageRecord[]>;
  page(query: HistoryQuery): Promise<MessageRecord[]>;
  getById(id: number): Promise<MessageRecord | undefined>;
  getManyByIds(ids: readonly number[]): Promise<MessageRecord[]>;
  getByChatId(roomId: number, chatId: number): Promise<MessageRecord | undefined>;
  /** Newest first. */
  search(query: MessageSearch): Promise<MessageRecord[]>;
  /** Messages kept as history after each position (unread counts). */
  countAfter(positions: readonly { roomId: number; afterChatId: number }[]): Promise<Map<number, number>>;
  /** Every stored message of the selection, oldest first (content operations). */
  select(selection: MessageSelection): Promise<MessageRecord[]>;
  remove(roomId: number, ids: readonly number[]): Promise<number>;
  replace(roomId: number, ids: readonly number[], content: string, now: number): Promise<number>;
  /** Deletes the room's messages posted up to and including `endInclusive`. */
  clearUpTo(roomId: number, endInclusive: number): Promise<number>;
}

export interface SessionStore {
  insert(s: SessionRecord): Promise<void>;
  get(tokenHash: string): Promise<SessionRecord | undefined>;
  touch(tokenHash: string, now: number): Promise<void>;
  delete(tokenHash: string): Promise<boolean>;
  /** API tokens are addressed by the first characters of their hash. */
  deleteByPrefix(principalId: number, prefix: string): Promise<number>;
  deleteForPrincipal(principalId: number, kind?: SessionKind): Promise<number>;
  list(principalId: number, kind?: SessionKind): Promise<SessionRecord[]>;
  purgeExpired(now: number): Promise<number>;
}

export interface FollowStore {
  follow(f: FollowRecord): Promise<boolean>;
  unfollow(principalId: number, roomId: number): Promise<boolean>;
  list(principalId: number): Promise<FollowRecord[]>;
  /** Moves the read position forward only. */
  markRead(principalId: number, roomId: number, chatId: number): Promise<boolean>;
}

export interface InvitationStore {
  add(principalIds: readonly number[], roomId: number, now: number): Promise<InvitationRecord[]>;
  since(principalId: number, afterId: number, limit: number): Promise<InvitationRecord[]>;
  /** The user's invitations to the room are done with (they went in): removed; how many there were. */
  accept(principalId: number, roomId: number): Promise<number>;
}

export interface NotificationStore {
  add(rows: readonly Omit<NotificationRecord, 'id'>[]): Promise<NotificationRecord[]>;
  list(principalId: number, query: { beforeId?: number; afterId?: number; kind?: NotificationKind; limit: number }): Promise<NotificationRecord[]>;
}

export interface KeywordAlertStore {
  add(a: Omit<KeywordAlertRecord, 'id'>): Promise<KeywordAlertRecord>;
  remove(principalId: number, id: number): Promise<boolean>;
  list(principalId: number): Promise<KeywordAlertRecord[]>;
  all(): Promise<KeywordAlertRecord[]>;
}

export interface TopicFeedStore {
  add(f: Omit<TopicFeedRecord, 'id'>): Promise<TopicFeedRecord>;
  remove(principalId: number, id: number): Promise<boolean>;
  list(principalId: number): Promise<TopicFeedRecord[]>;
  all(): Promise<TopicFeedRecord[]>;
}

export interface FileStore {
  insert(f: Omit<FileRecord, 'id'>): Promise<FileRecord>;
  getById(id: number): Promise<FileRecord | undefined>;
  getByGuid(guid: string): Promise<FileRecord | undefined>;
  getManyByIds(ids: readonly number[]): Promise<FileRecord[]>;
  /** Deletes file records (of a room, or by id) and returns their ids on disk. */
  deleteByRoom(roomId: number): Promise<string[]>;
  deleteMany(ids: readonly number[]): Promise<string[]>;
  /** Uploads never attached to a message, older than `before`. */
  unattached(before: number, limit: number): Promise<FileRecord[]>;
  insertToken(t: FileTokenRecord): Promise<void>;
  getToken(tokenHash: string): Promise<FileTokenRecord | undefined>;
  deleteToken(tokenHash: string): Promise<boolean>;
  purgeExpiredTokens(now: number): Promise<number>;
}

export interface NewComplianceEvent {
  type: string;
  at: number;
  actorId: number | null;
  actorUri: string | null;
  roomId: number | null;
  roomUri: string | null;
  messageId: number | null;
  content: string;
  /** JSON text of type-specific details, or null. */
  details: string | null;
}

export interface ComplianceEventRecord extends NewComplianceEvent {
  id: number;
}

export interface ComplianceBatchRecord {
  id: number;
  holder: string;
  claimedAt: number;
  eventCount: number;
  firstEventId: number;
  lastEventId: number;
  writtenAt: number | null;
  /** JSON of the adapter settings the batch is written with (kept for a re-run). */
  settings: string;
  files: string[];
}

/** A batch as a claim returns it. */
export interface ClaimedBatch extends ComplianceBatchRecord {
  /** The batch's events by id, when the events read ahead of the claim were the batch; otherwise they are read with `batchEvents`. */
  events?: ComplianceEventRecord[];
}

export interface ComplianceStateRecord {
  holder: string | null;
  leaseUntil: number;
  lastRunAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
}

export interface ParticipantRecord {
  instance: string;
  connection: number;
  roomId: number;
  roomUri: string;
  principalId: number;
  principalUri: string;
  joinedAt: number;
}

/** A running node (`stoa serve`) as its heartbeat left it. */
export interface ServerInstanceRecord {
  id: string;
  /** The node's name, unique among running nodes (--node-name; default the host name). */
  name: string;
  host: string;
  pid: number;
  version: string;
  /** Where it listens (its HTTP URL), once it does. */
  address: string | null;
  /** Clients connected to it (WebSocket and SIP) at its last heartbeat. */
  connections: number;
  startedAt: number;
  heartbeatAt: number;
}

/**
 * The compliance queue (D2): events captured in the transaction of their activity,
 * claimed in batches by the one lease holder, deleted once written.
 */
export interface ComplianceStore {
  capture(events: readonly NewComplianceEvent[]): Promise<void>;
  pending(): Promise<{ events: number; oldestAt: number | null }>;
  /**
   * Moves up to `limit` records of reads from their log into the events (inside a
   * transaction; SQLite only, where they wait in `stoa-reads.db`; nothing elsewhere). A
   * claim does it too; the worker does it first so that the events it reads ahead include them.
   */
  moveReads(limit: number): Promise<void>;
  /** The oldest claimed batch not yet written, if any. */
  unfinishedBatch(): Promise<ComplianceBatchRecord | undefined>;
  /**
   * Claims the oldest captured events into a new batch (inside a transaction): up to
   * `limit.events` of them and up to `limit.textUnits` UTF-16 units of content and details
   * (at least one event). A batch is an id range — every event still captured at or below
   * its last id — so claiming marks no event. No event can commit below a claimed range
   * later: on SQLite the claim holds the writer; on PostgreSQL it locks the events table
   * against inserts until it commits, so transactions that took ids have committed (or
   * rolled back) and later ones take higher ids. While a batch is unfinished, no other is
   * claimed: that batch is returned instead.
   *
   * `ahead`: the oldest events, read before the claim within the same limits (pages of
   * `batchEvents`, outside any transaction: neither the writer nor the events table is held
   * while their text is read). If they are still exactly the events at or below the last
   * of them, they are the batch, returned with it; otherwise the claim finds the range from
   * the events' lengths, as without them.
   */
  claimBatch(batch: { holder: string; claimedAt: number; settings: string }, limit: { events: number; textUnits: number }, ahead?: ComplianceEventRecord[]): Promise<ClaimedBatch | undefined>;
  /** A page of a batch's events (those at or below `lastEventId`), after `afterId`, by id. */
  batchEvents(lastEventId: number, afterId: number, limit: number): Promise<ComplianceEventRecord[]>;
  /** Marks the batch written and deletes its events. */
  completeBatch(batchId: number, writtenAt: number, files: readonly string[]): Promise<void>;
  recentBatches(limit: number): Promise<ComplianceBatchRecord[]>;
  /** Takes or renews the pool-wide lease; false while another holder's lease runs. */
  acquireLease(holder: string, now: number, until: number): Promise<boolean>;
  releaseLease(holder: string): Promise<void>;
  /** Takes the lease from a holder known to be dead, whatever its expiry. */
  takeOverLease(from: string, to: string, until: number): Promise<boolean>;
  state(): Promise<ComplianceStateRecord>;
  recordRun(at: number, error: string | null): Promise<void>;
  /** Records a connection in a room; false when it was already there. */
  addParticipant(p: ParticipantRecord): Promise<boolean>;
  /** Forgets a connection's rooms (all of them unless listed) and returns what was there. */
  removeParticipants(instance: string, connection: number, roomIds?: readonly number[]): Promise<ParticipantRecord[]>;
  /** Forgets every participant of an instance and returns them. */
  removeInstanceParticipants(instance: string): Promise<ParticipantRecord[]>;
  heartbeat(instance: ServerInstanceRecord): Promise<void>;
  instances(): Promise<ServerInstanceRecord[]>;
  removeInstance(id: string): Promise<void>;
}

/** A message as an archive carries it: its own chat id, kept by the import. */
export interface ImportedMessage {
  chatId: number;
  authorId: number;
  postedAt: number;
  postedAtTicks: number;
  content: string;
  rtf: string | null;
  isAlert: boolean;
  storyTitle: string | null;
  fileId: number | null;
  inHistory: boolean;
  replacedAt: number | null;
}

/**
 * What `stoa data export` and `stoa data import` need beyond the everyday stores: reads
 * that page through whole tables (every status, history or not) and writes that keep the
 * archive's own ids, chat ids and times.
 */
export interface ArchiveStore {
  /** Every principal, whatever its status, in id order after `afterId`. */
  principals(afterId: number, limit: number): Promise<PrincipalRecord[]>;
  /** A room's messages (history or not) in chat id order after `afterChatId`, posted at or after `from`. */
  messages(roomId: number, afterChatId: number, limit: number, from?: number): Promise<MessageRecord[]>;
  /** The room's files that messages posted at or after `from` refer to. */
  referencedFiles(roomId: number, from?: number): Promise<FileRecord[]>;
  invitations(roomId: number): Promise<InvitationRecord[]>;
  follows(roomId: number): Promise<FollowRecord[]>;
  /** Appends messages under their own chat ids; the room's last chat id and content size follow. */
  insertMessages(roomId: number, rows: readonly ImportedMessage[]): Promise<void>;
  /** Raises the room's last chat id (never lowers it). */
  raiseLastChatId(roomId: number, chatId: number): Promise<void>;
  /** Deletes a room's messages, files, invitations and follows, and returns the file ids on disk. */
  clearRoom(roomId: number): Promise<string[]>;
  /** Adds an invitation unless the same one (principal, room, time) exists; true when added. */
  addInvitation(principalId: number, roomId: number, createdAt: number): Promise<boolean>;
  /** Creates or updates a follow (the read position as given). */
  putFollow(f: FollowRecord): Promise<void>;
}

/** How far the word index is (WordIndexStore.progress). */
export interface WordIndexProgress {
  /** Messages not indexed yet (counted up to the limit asked for). */
  waiting: number;
  /** Indexed messages whose text changed since (SQLite; PostgreSQL: 0). */
  changed: number;
  /** SQLite's watermark (PostgreSQL: 0). */
  indexedThrough: number;
  /** The newest vocabulary id: every word of the messages indexed so far is at or below it. */
  vocabulary: number;
}

/** The word index of message search (migrations 0006 on SQLite, 0007 on PostgreSQL). */
export interface WordIndexStore {
  /**
   * What is not in the index yet, and the newest vocabulary id:
   * - `waiting`: messages not indexed yet, matched directly by a word search (SQLite: ids
   *   above `indexedThrough`; PostgreSQL: rows of `search_pending`, counted up to `countUpTo`);
   * - `changed`: SQLite's indexed messages whose text changed since (PostgreSQL: 0, a
   *   changed message is pending again);
   * - `indexedThrough`: SQLite's watermark (PostgreSQL: 0, unused).
   */
  progress(countUpTo: number): Promise<WordIndexProgress>;
  /**
   * Indexes up to `limit` new messages and up to `limit` changed ones with the words
   * `wordsOf` finds in their text and story title; returns how many. In a transaction.
   */
  indexBatch(limit: number, wordsOf: (...texts: (string | null)[]) => string[]): Promise<number>;
  /**
   * For each term, the vocabulary words containing it: at most `max` + 1 (more means too
   * many); with `afterId`, only words added to the vocabulary after that id.
   */
  expand(terms: readonly string[], max: number, afterId?: number): Promise<string[][]>;
}

export interface Store {
  readonly dialect: Dialect;
  /** Runs fn in one transaction (joins the current one when already inside); it commits durably (on disk before it returns). */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /**
   * Appends the compliance record of reads in a commit of its own, outside any transaction
   * (only on the root store), with a durability no acknowledged change depends on: the
   * records are in a log before it returns, so they survive Stoa being killed, and reach
   * the disk soon after (a power cut may lose the last moments). SQLite commits them with
   * synchronous=NORMAL to a log file of their own, which a compliance claim moves into the
   * events (read-log.ts); PostgreSQL into the events table in one statement on a
   * connection whose commits do not wait for their WAL flush.
   */
  recordReads(events: readonly NewComplianceEvent[]): Promise<void>;
  /**
   * Makes every commit so far durable. A no-op unless the store was opened for a bulk load
   * whose commits do not wait for the disk (SQLite's `relaxedCommits`): such a load calls
   * it once at its end, before it reports that it finished.
   */
  sync(): Promise<void>;
  readonly inTransaction: boolean;
  readonly meta: MetaStore;
  readonly principals: PrincipalStore;
  readonly categories: CategoryStore;
  readonly rooms: RoomStore;
  readonly nodeNames: NodeNameStore;
  readonly outbox: OutboxStore;
  readonly addins: AddinStore;
  readonly policies: PolicyStore;
  readonly configurations: ScopedSettingsStore<ChatConfiguration>;
  readonly complianceConfigurations: ScopedSettingsStore<ComplianceConfiguration>;
  readonly endpoints: EndpointStore;
  readonly administrators: AdministratorStore;
  readonly messages: MessageStore;
  readonly words: WordIndexStore;
  readonly sessions: SessionStore;
  readonly follows: FollowStore;
  readonly invitations: InvitationStore;
  readonly notifications: NotificationStore;
  readonly keywordAlerts: KeywordAlertStore;
  readonly topicFeeds: TopicFeedStore;
  readonly files: FileStore;
  readonly compliance: ComplianceStore;
  readonly archive: ArchiveStore;
  /** Closes the connection pool (only on the root store). */
  close(): Promise<void>;
}

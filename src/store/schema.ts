/**
 * The database as Kysely sees it. Columns are snake_case in SQL and camelCase here
 * (Kysely's CamelCasePlugin). Booleans are stored as 0/1 integers and times as epoch
 * milliseconds so the same queries run on SQLite and PostgreSQL.
 */
import type { Generated } from 'kysely';

export type Flag = 0 | 1;

export interface MetaTable {
  key: string;
  value: string;
}

export interface PrincipalsTable {
  id: Generated<number>;
  guid: string;
  kind: string;
  /** Normalised lower-case key: SIP URI, DN or domain name. */
  key: string;
  /** The key as it prints (DNs keep the capitalisation they were written with). */
  name: string;
  displayName: string | null;
  email: string | null;
  /** Lower-case DN where the principal lies in the directory tree, if any. */
  dnKey: string | null;
  /** DN as written. */
  dn: string | null;
  /** Users: the SIP domain; domains: their own name. DN-based membership uses dnKey. */
  domain: string | null;
  site: string | null;
  status: string;
  federated: Flag;
  policyId: number | null;
  passwordHash: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface GroupMembersTable {
  groupId: number;
  memberId: number;
}

export interface AdministratorsTable {
  principalId: number;
}

/** Category and room names share one case-insensitive namespace (D1). */
export interface NodeNamesTable {
  nameKey: string;
  nodeKind: string;
}

export interface CategoriesTable {
  id: Generated<number>;
  guid: string;
  name: string;
  nameKey: string;
  description: string;
  invitations: Flag;
  fileUpload: Flag;
  chatHistory: Flag;
  createdAt: number;
  createdBy: number | null;
  updatedAt: number;
  updatedBy: number | null;
}

export interface CategoryPrincipalsTable {
  categoryId: number;
  list: string;
  principalId: number;
}

export interface RoomsTable {
  id: Generated<number>;
  guid: string;
  categoryId: number;
  name: string;
  nameKey: string;
  description: string;
  type: string;
  privacy: string;
  invitations: string;
  disabled: Flag;
  addinId: number | null;
  lastChatId: number;
  contentBytes: number;
  createdAt: number;
  createdBy: number | null;
  updatedAt: number;
  updatedBy: number | null;
}

export interface RoomPrincipalsTable {
  roomId: number;
  role: string;
  principalId: number;
}

export interface AddinsTable {
  id: Generated<number>;
  guid: string;
  name: string;
  nameKey: string;
  url: string;
  createdAt: number;
  updatedAt: number;
}

export interface PoliciesTable {
  id: Generated<number>;
  identityKey: string;
  scope: string;
  name: string;
  enablePersistentChat: Flag;
  description: string;
  updatedAt: number;
}

export interface ConfigurationsTable {
  id: Generated<number>;
  identityKey: string;
  scope: string;
  name: string;
  defaultChatHistory: number;
  maxFileSizeKb: number;
  participantUpdateLimit: number;
  roomManagementUrl: string;
  updatedAt: number;
}

export interface ComplianceConfigurationsTable {
  id: Generated<number>;
  identityKey: string;
  scope: string;
  name: string;
  adapterType: string;
  adapterName: string;
  adapterOutputDirectory: string;
  runIntervalSeconds: number;
  oneChatRoomPerOutputFile: Flag;
  addChatRoomDetails: Flag;
  addUserDetails: Flag;
  createFileAttachmentsManifest: Flag;
  customConfiguration: string;
  updatedAt: number;
}

export interface EndpointsTable {
  id: Generated<number>;
  guid: string;
  sipUri: string;
  displayName: string;
  poolFqdn: string;
  createdAt: number;
}

export interface LegacySecretsTable {
  principalId: number;
  /** The NT hash (MD4 of the UTF-16LE password), hex. */
  ntHash: string;
  setAt: number;
}

export interface DirectoryLinksTable {
  principalId: number;
  /** The directory object's stable identity (objectGUID, entryUUID), lower case. */
  directoryId: string;
  /** Which directory (the configured source's name, e.g. `ldap`). */
  source: string;
  syncedAt: number;
}

export interface MessagesTable {
  id: Generated<number>;
  roomId: number;
  /** Per-room strictly increasing sequence (legacy chatId). */
  chatId: number;
  authorId: number;
  /** Epoch milliseconds plus the 100-ns ticks within that millisecond (0–9999). */
  postedAt: number;
  postedAtTicks: number;
  content: string;
  rtf: string | null;
  isAlert: Flag;
  storyTitle: string | null;
  /** UTF-8 bytes of content, RTF and story title: what ChatContentExceedsMB counts. */
  sizeBytes: number;
  fileId: number | null;
  /** 0 when the category had chat history off: delivered live, never shown as history. */
  inHistory: Generated<Flag>;
  /** Set when an administrator replaced the text (Remove-CsPersistentChatMessage). */
  replacedAt: number | null;
}

export interface SessionsTable {
  /** sha256 of the bearer token; the token itself is never stored. */
  tokenHash: string;
  principalId: number;
  kind: string;
  name: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number;
}

export interface RoomFollowsTable {
  principalId: number;
  roomId: number;
  lastReadChatId: number;
  createdAt: number;
}

export interface InvitationsTable {
  id: Generated<number>;
  principalId: number;
  roomId: number;
  createdAt: number;
}

export interface NotificationsTable {
  id: Generated<number>;
  principalId: number;
  kind: string;
  roomId: number;
  messageId: number;
  detail: string;
  createdAt: number;
}

export interface KeywordAlertsTable {
  id: Generated<number>;
  principalId: number;
  keyword: string;
  keywordKey: string;
  createdAt: number;
}

export interface TopicFeedsTable {
  id: Generated<number>;
  principalId: number;
  name: string;
  nameKey: string;
  query: string;
  createdAt: number;
}

export interface FilesTable {
  id: Generated<number>;
  guid: string;
  roomId: number;
  uploaderId: number;
  name: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  createdAt: number;
}

export interface FileTokensTable {
  tokenHash: string;
  direction: string;
  principalId: number;
  roomId: number;
  fileId: number | null;
  name: string | null;
  contentType: string | null;
  sizeBytes: number | null;
  expiresAt: number;
}

export interface ComplianceEventsTable {
  id: Generated<number>;
  type: string;
  at: number;
  actorId: number | null;
  actorUri: string | null;
  roomId: number | null;
  roomUri: string | null;
  messageId: number | null;
  content: string;
  details: string | null;
}

export interface ComplianceBatchesTable {
  id: Generated<number>;
  holder: string;
  claimedAt: number;
  eventCount: number;
  firstEventId: number;
  lastEventId: number;
  writtenAt: number | null;
  settings: string;
  files: string | null;
}

export interface ComplianceStateTable {
  id: number;
  holder: string | null;
  leaseUntil: number;
  lastRunAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
}

export interface ComplianceParticipantsTable {
  instance: string;
  connection: number;
  roomId: number;
  roomUri: string;
  principalId: number;
  principalUri: string;
  joinedAt: number;
}

export interface ServerInstancesTable {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  name: Generated<string>;
  version: Generated<string>;
  address: string | null;
  connections: Generated<number>;
}

/** A write's events until they are published across the pool (migration 0009). */
export interface EventOutboxTable {
  id: Generated<number>;
  origin: string;
  publishedByOrigin: Flag;
  /** The events, as JSON. */
  events: string;
  createdAt: number;
}

export interface Database {
  meta: MetaTable;
  principals: PrincipalsTable;
  groupMembers: GroupMembersTable;
  administrators: AdministratorsTable;
  nodeNames: NodeNamesTable;
  categories: CategoriesTable;
  categoryPrincipals: CategoryPrincipalsTable;
  rooms: RoomsTable;
  roomPrincipals: RoomPrincipalsTable;
  addins: AddinsTable;
  policies: PoliciesTable;
  configurations: ConfigurationsTable;
  complianceConfigurations: ComplianceConfigurationsTable;
  endpoints: EndpointsTable;
  legacySecrets: LegacySecretsTable;
  directoryLinks: DirectoryLinksTable;
  messages: MessagesTable;
  sessions: SessionsTable;
  roomFollows: RoomFollowsTable;
  invitations: InvitationsTable;
  notifications: NotificationsTable;
  keywordAlerts: KeywordAlertsTable;
  topicFeeds: TopicFeedsTable;
  files: FilesTable;
  fileTokens: FileTokensTable;
  complianceEvents: ComplianceEventsTable;
  complianceBatches: ComplianceBatchesTable;
  complianceState: ComplianceStateTable;
  complianceParticipants: ComplianceParticipantsTable;
  serverInstances: ServerInstancesTable;
  eventOutbox: EventOutboxTable;
}

/**
 * What the Stoa archive holds, object kind by object kind (docs/archive-format.md): the
 * entry each kind lives in, the level that exports it, and the schema of one line.
 *
 * Objects refer to each other the way an administrator would: principals by key (SIP
 * address, DN or domain), rooms, categories, add-ins and files by guid, policies and
 * configurations by identity. Internal row ids never leave the pool.
 */
import { z } from 'zod';
import { PRINCIPAL_KINDS, PRINCIPAL_STATUSES } from '../domain/principals.js';
import { ROOM_INVITATIONS, ROOM_PRIVACIES, ROOM_TYPES } from '../domain/rooms.js';
import type { ArchiveLevel } from './container.js';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const guid = z.string().regex(GUID, 'a lower-case guid');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex');
const time = z.number().int().min(0).max(253402300799999);
const key = z.string().min(1).max(1024);
const keys = z.array(key).max(1_000_000);
const text = (max: number) => z.string().max(max);

export const principalLine = z.strictObject({
  guid,
  kind: z.enum(PRINCIPAL_KINDS),
  key,
  name: text(1024),
  displayName: text(1024).nullable(),
  email: text(1024).nullable(),
  dn: text(1024).nullable(),
  domain: text(253).nullable(),
  site: text(1024).nullable(),
  status: z.enum(PRINCIPAL_STATUSES),
  federated: z.boolean(),
  /** The identity of the user's policy (`tag:...`), or null. */
  policy: text(1024).nullable(),
  /** Absent when exported with --omit-passwords. */
  passwordHash: text(1024).nullable().optional(),
  /** The NT hash legacy clients sign in with (hex), or null; absent with --omit-passwords. */
  legacyNtHash: z.string().regex(/^[0-9a-f]{32}$/, 'an NT hash: 32 lower-case hex digits').nullable().optional(),
  createdAt: time,
  updatedAt: time,
  /** Groups the principal is a direct member of, by key. */
  memberOf: keys,
});

export const administratorLine = z.strictObject({ principal: key });

export const keywordAlertLine = z.strictObject({ principal: key, keyword: text(1024), createdAt: time });

export const topicFeedLine = z.strictObject({ principal: key, name: text(1024), query: text(4096), createdAt: time });

export const addinLine = z.strictObject({ guid, name: text(1024), url: text(4096), createdAt: time, updatedAt: time });

export const categoryLine = z.strictObject({
  guid,
  name: text(1024),
  description: text(4096),
  invitations: z.boolean(),
  fileUpload: z.boolean(),
  chatHistory: z.boolean(),
  createdAt: time,
  createdBy: key.nullable(),
  updatedAt: time,
  updatedBy: key.nullable(),
  allowed: keys,
  denied: keys,
  creators: keys,
});

export const roomLine = z.strictObject({
  guid,
  category: guid,
  name: text(1024),
  description: text(4096),
  type: z.enum(ROOM_TYPES),
  privacy: z.enum(ROOM_PRIVACIES),
  invitations: z.enum(ROOM_INVITATIONS),
  disabled: z.boolean(),
  addin: guid.nullable(),
  /** The room's last chat id (messages may have been removed after it). */
  lastChatId: z.number().int().min(0),
  createdAt: time,
  createdBy: key.nullable(),
  updatedAt: time,
  updatedBy: key.nullable(),
  members: keys,
  managers: keys,
  presenters: keys,
});

export const followLine = z.strictObject({ principal: key, room: guid, lastReadChatId: z.number().int().min(0), createdAt: time });

export const fileLine = z.strictObject({
  guid,
  room: guid,
  uploader: key,
  name: text(1024),
  contentType: text(255),
  sizeBytes: z.number().int().min(0),
  sha256,
  createdAt: time,
});

export const messageLine = z.strictObject({
  chatId: z.number().int().min(1),
  author: key,
  postedAt: time,
  postedAtTicks: z.number().int().min(0).max(9999),
  content: text(1024 * 1024),
  rtf: text(1024 * 1024).nullable(),
  isAlert: z.boolean(),
  storyTitle: text(1024).nullable(),
  file: guid.nullable(),
  inHistory: z.boolean(),
  replacedAt: time.nullable(),
});

const MESSAGE_KEYS = Object.keys(messageLine.shape);
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 253402300799999;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * The message schema's check written out, for the bulk path (an archive holds millions of
 * message lines, and each is read twice): true only for a line `messageLine` accepts as
 * it is (held by records.test.ts). A line it refuses goes to the schema, which names the
 * problem, so the two never differ in what they let in or in what they say.
 */
export function isMessageLine(v: Record<string, unknown>): v is MessageLine {
  let keys = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    keys++;
  }
  if (keys !== MESSAGE_KEYS.length) return false;
  return (
    Number.isSafeInteger(v.chatId) &&
    (v.chatId as number) >= 1 &&
    typeof v.author === 'string' &&
    v.author.length >= 1 &&
    v.author.length <= 1024 &&
    isTime(v.postedAt) &&
    Number.isSafeInteger(v.postedAtTicks) &&
    (v.postedAtTicks as number) >= 0 &&
    (v.postedAtTicks as number) <= 9999 &&
    isText(v.content, 1024 * 1024) &&
    (v.rtf === null || isText(v.rtf, 1024 * 1024)) &&
    typeof v.isAlert === 'boolean' &&
    (v.storyTitle === null || isText(v.storyTitle, 1024)) &&
    (v.file === null || (typeof v.file === 'string' && GUID.test(v.file))) &&
    typeof v.inHistory === 'boolean' &&
    (v.replacedAt === null || isTime(v.replacedAt))
  );
}

export const invitationLine = z.strictObject({ principal: key, room: guid, createdAt: time });

export const policyLine = z.strictObject({
  identity: text(1024),
  scope: z.enum(['global', 'site', 'tag']),
  name: text(1024),
  enablePersistentChat: z.boolean(),
  description: text(4096),
  updatedAt: time,
});

const configLine = <S extends z.ZodType>(settings: S) =>
  z.strictObject({ identity: text(1024), scope: z.enum(['global', 'site', 'service']), name: text(1024), settings, updatedAt: time });

export const configurationLine = configLine(
  z.strictObject({
    defaultChatHistory: z.number().int(),
    maxFileSizeKB: z.number().int(),
    participantUpdateLimit: z.number().int(),
    roomManagementUrl: text(4096),
  }),
);

export const complianceConfigurationLine = configLine(
  z.strictObject({
    adapterType: text(100),
    adapterName: text(1024),
    adapterOutputDirectory: text(4096),
    runIntervalSeconds: z.number().int(),
    oneChatRoomPerOutputFile: z.boolean(),
    addChatRoomDetails: z.boolean(),
    addUserDetails: z.boolean(),
    createFileAttachmentsManifest: z.boolean(),
    customConfiguration: text(1024 * 1024),
  }),
);

export const endpointLine = z.strictObject({ guid, sipUri: key, displayName: text(1024), poolFqdn: text(253), createdAt: time });

export type PrincipalLine = z.infer<typeof principalLine>;
export type AdministratorLine = z.infer<typeof administratorLine>;
export type KeywordAlertLine = z.infer<typeof keywordAlertLine>;
export type TopicFeedLine = z.infer<typeof topicFeedLine>;
export type AddinLine = z.infer<typeof addinLine>;
export type CategoryLine = z.infer<typeof categoryLine>;
export type RoomLine = z.infer<typeof roomLine>;
export type FollowLine = z.infer<typeof followLine>;
export type FileLine = z.infer<typeof fileLine>;
export type MessageLine = z.infer<typeof messageLine>;
export type InvitationLine = z.infer<typeof invitationLine>;
export type PolicyLine = z.infer<typeof policyLine>;
export type ConfigurationLine = z.infer<typeof configurationLine>;
export type ComplianceConfigurationLine = z.infer<typeof complianceConfigurationLine>;
export type EndpointLine = z.infer<typeof endpointLine>;

/** The entries of an archive, in the order they are written and read. */
export const ENTRY = {
  policies: 'policies.jsonl',
  configurations: 'configurations.jsonl',
  complianceConfigurations: 'compliance-configurations.jsonl',
  endpoints: 'endpoints.jsonl',
  principals: 'principals.jsonl',
  administrators: 'administrators.jsonl',
  keywordAlerts: 'keyword-alerts.jsonl',
  topicFeeds: 'topic-feeds.jsonl',
  addins: 'addins.jsonl',
  categories: 'categories.jsonl',
  rooms: 'rooms.jsonl',
  follows: 'follows.jsonl',
  files: 'files.jsonl',
  invitations: 'invitations.jsonl',
} as const;

export type ObjectKind = keyof typeof ENTRY | 'messages';

export const MESSAGES_DIR = 'messages/';
export const BLOBS_DIR = 'files/';
export const messagesEntry = (roomGuid: string): string => `${MESSAGES_DIR}${roomGuid}.jsonl`;
export const blobEntry = (sha: string): string => `${BLOBS_DIR}${sha}`;

/** Which object kinds each level exports (D4; All adds policies and configuration). */
export const LEVEL_KINDS: Record<Exclude<ArchiveLevel, 'All'>, readonly ObjectKind[]> = {
  User: ['principals', 'administrators', 'keywordAlerts', 'topicFeeds'],
  Category: ['addins', 'categories'],
  RoomDirectory: ['rooms', 'follows'],
  Content: ['files', 'messages', 'invitations'],
};
const ALL_ONLY: readonly ObjectKind[] = ['policies', 'configurations', 'complianceConfigurations', 'endpoints'];

export function kindsOf(levels: readonly ArchiveLevel[]): Set<ObjectKind> {
  const out = new Set<ObjectKind>();
  for (const level of levels) {
    if (level === 'All') {
      for (const kinds of Object.values(LEVEL_KINDS)) kinds.forEach((k) => out.add(k));
      ALL_ONLY.forEach((k) => out.add(k));
    } else {
      LEVEL_KINDS[level].forEach((k) => out.add(k));
    }
  }
  return out;
}

/**
 * Scoped settings: Persistent Chat policies (global / site / per-user tag, 01 §2.5),
 * service configuration and compliance configuration (global / site / service, §2.6–2.7).
 */
import path from 'node:path';
import { AppError } from './errors.js';
import { normaliseHttpUrl } from './addins.js';
import { LIMITS, codePointLength } from './names.js';

export type PolicyScope = 'global' | 'site' | 'tag';
export type ConfigScope = 'global' | 'site' | 'service';

export interface ScopedIdentity<S extends string> {
  scope: S;
  /** Site or tag name, or the pool FQDN of a service scope; '' for global. */
  name: string;
  /** Lower-case unique key, e.g. `site:redmond`. */
  key: string;
  /** How it prints, e.g. `Site:Redmond`. */
  display: string;
}

const SITE_OR_TAG = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,127}$/u;

function scopeName(raw: string, what: string): string {
  const name = raw.trim();
  if (!SITE_OR_TAG.test(name)) {
    throw new AppError(
      'INVALID_IDENTITY',
      `${what} '${raw}' must be 1–128 letters, digits, spaces, dots, dashes or underscores`,
    );
  }
  return name;
}

function scoped<S extends string>(scope: S, label: string, name: string): ScopedIdentity<S> {
  const display = name === '' ? label : `${label}:${name}`;
  return { scope, name, key: display.toLowerCase(), display };
}

/** `global`, `site:Redmond`, `tag:Sales` or a bare per-user policy name. */
export function parsePolicyIdentity(raw: string): ScopedIdentity<PolicyScope> {
  const text = raw.trim();
  if (/^global$/i.test(text)) return scoped('global', 'Global', '');
  const m = /^(site|tag):(.*)$/i.exec(text);
  if (m && (m[1] as string).toLowerCase() === 'site') {
    return scoped('site', 'Site', scopeName(m[2] as string, 'site name'));
  }
  return scoped('tag', 'Tag', scopeName(m ? (m[2] as string) : text, 'policy name'));
}

/**
 * `global`, `site:Redmond`, `service:PersistentChatServer:<pool fqdn>` (also
 * `service:<pool fqdn>`, as some legacy pages write it). Only this pool is a service.
 */
export function parseConfigIdentity(raw: string, poolFqdn: string): ScopedIdentity<ConfigScope> {
  const text = raw.trim();
  if (/^global$/i.test(text)) return scoped('global', 'Global', '');
  const site = /^site:(.*)$/i.exec(text);
  if (site) return scoped('site', 'Site', scopeName(site[1] as string, 'site name'));
  const service = /^service:(?:PersistentChatServer:)?(.+)$/i.exec(text);
  if (service) {
    const fqdn = (service[1] as string).trim().toLowerCase();
    if (fqdn !== poolFqdn.toLowerCase()) {
      throw new AppError('UNKNOWN_POOL', `'${service[1]}' is not this deployment's pool (${poolFqdn})`);
    }
    return scoped('service', 'Service:PersistentChatServer', poolFqdn);
  }
  throw new AppError(
    'INVALID_IDENTITY',
    `'${raw}' is not a configuration identity (global, site:<name> or service:PersistentChatServer:<pool>)`,
  );
}

export function serviceIdentity(poolFqdn: string): ScopedIdentity<ConfigScope> {
  return scoped('service', 'Service:PersistentChatServer', poolFqdn);
}

export function siteIdentity(site: string): ScopedIdentity<ConfigScope> {
  return scoped('site', 'Site', site);
}

export function normaliseSiteName(raw: string): string {
  return scopeName(raw, 'site name');
}

export function integerIn(raw: number | string, min: number, max: number, what: string): number {
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AppError('INVALID_VALUE', `${what} must be a whole number from ${min} to ${max} (got '${raw}')`);
  }
  return value;
}

// ---------------------------------------------------------------- policies

export interface PolicySettings {
  enablePersistentChat: boolean;
  description: string;
}

/** New site and tag policies start disabled (New-CsPersistentChatPolicy). */
export const NEW_POLICY_DEFAULTS: PolicySettings = { enablePersistentChat: false, description: '' };
/** A fresh Stoa has the service on (D1); removing the global policy restores this. */
export const GLOBAL_POLICY_DEFAULTS: PolicySettings = { enablePersistentChat: true, description: '' };

export function normalisePolicyDescription(raw: string): string {
  const text = raw.trim();
  if (/\p{Cc}/u.test(text.replace(/[\n\r\t]/g, ' '))) {
    throw new AppError('INVALID_DESCRIPTION', 'policy description must not contain control characters');
  }
  if (codePointLength(text) > LIMITS.policyDescription) {
    throw new AppError('INVALID_DESCRIPTION', `policy description is longer than ${LIMITS.policyDescription} characters`);
  }
  return text;
}

// ---------------------------------------------------------------- service configuration

export interface ChatConfiguration {
  defaultChatHistory: number;
  maxFileSizeKB: number;
  participantUpdateLimit: number;
  roomManagementUrl: string;
}

export const CHAT_CONFIGURATION_DEFAULTS: ChatConfiguration = {
  defaultChatHistory: 30,
  maxFileSizeKB: 20000,
  participantUpdateLimit: 75,
  roomManagementUrl: '',
};

const UINT32_MAX = 4294967295;

export const CHAT_CONFIGURATION_RULES = {
  defaultChatHistory: (v: number | string) => integerIn(v, 1, 500, 'DefaultChatHistory'),
  maxFileSizeKB: (v: number | string) => integerIn(v, 0, UINT32_MAX, 'MaxFileSizeKB'),
  participantUpdateLimit: (v: number | string) => integerIn(v, 0, UINT32_MAX, 'ParticipantUpdateLimit'),
  roomManagementUrl: (v: string) => {
    const text = v.trim();
    if (text === '') return '';
    if (text.length > 2048) throw new AppError('INVALID_URL', 'RoomManagementUrl is longer than 2048 characters');
    return normaliseHttpUrl(text, 'RoomManagementUrl');
  },
};

// ---------------------------------------------------------------- compliance configuration

export const ADAPTER_TYPES = ['Xml', 'JsonLines'] as const;
/** A built-in adapter, `''` (no output), or `module:<name>`: a custom adapter module the server's configuration names. */
export type AdapterType = (typeof ADAPTER_TYPES)[number] | '' | `module:${string}`;
const MODULE_ADAPTER = /^module:([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/i;

const LEGACY_XML_ADAPTER = 'microsoft.rtc.internal.chat.server.compliance.xmladapter';

export interface ComplianceConfiguration {
  /** `''` explicitly switches output off (01 §2.7 conflict, recommendation taken). */
  adapterType: AdapterType;
  adapterName: string;
  /** Empty: `<data dir>/compliance`; relative paths are taken from the data dir. */
  adapterOutputDirectory: string;
  runIntervalSeconds: number;
  oneChatRoomPerOutputFile: boolean;
  addChatRoomDetails: boolean;
  addUserDetails: boolean;
  createFileAttachmentsManifest: boolean;
  /** An XSLT 1.0 stylesheet applied to the XML output, or ''. */
  customConfiguration: string;
}

export const COMPLIANCE_CONFIGURATION_DEFAULTS: ComplianceConfiguration = {
  adapterType: 'Xml',
  adapterName: '',
  adapterOutputDirectory: '',
  runIntervalSeconds: 15 * 60,
  oneChatRoomPerOutputFile: false,
  addChatRoomDetails: false,
  addUserDetails: false,
  createFileAttachmentsManifest: false,
  customConfiguration: '',
};

export const RUN_INTERVAL_LIMITS = { min: 60, max: 30 * 86400 };

export function parseAdapterType(raw: string): AdapterType {
  const text = raw.trim();
  if (text === '') return '';
  if (text.split(',')[0]?.trim().toLowerCase() === LEGACY_XML_ADAPTER) return 'Xml';
  const module = MODULE_ADAPTER.exec(text);
  if (module !== null) return `module:${module[1] as string}`;
  const found = ADAPTER_TYPES.find((t) => t.toLowerCase() === text.toLowerCase());
  if (found === undefined) {
    throw new AppError(
      'INVALID_VALUE',
      `AdapterType must be Xml, JsonLines, module:<name> (a module listed in the server's complianceAdapters) or empty (no output) (got '${raw}')`,
    );
  }
  return found;
}

export function checkRunInterval(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < RUN_INTERVAL_LIMITS.min || seconds > RUN_INTERVAL_LIMITS.max) {
    throw new AppError('INVALID_VALUE', 'RunInterval must be from 1 minute (00:01:00) to 30 days (30.00:00:00)');
  }
  return seconds;
}

/**
 * Where compliance output goes (D9: over the network, paths stay in the data dir): the
 * data dir's `compliance/` when empty, a relative path inside the data dir, or an
 * absolute path inside the data dir or under one of `allowed` (the configuration file's
 * complianceOutputDirectories, which only the machine's owner edits).
 */
export function resolveOutputDirectory(dir: string, dataDir: string, allowed: readonly string[]): string {
  const root = path.resolve(dataDir);
  if (dir.trim() === '') return path.join(root, 'compliance');
  const resolved = path.resolve(root, dir.trim());
  const inside = (base: string) => resolved === path.resolve(base) || resolved.startsWith(path.resolve(base) + path.sep);
  if (!inside(root) && !allowed.some(inside)) {
    throw new AppError(
      'PATH_NOT_ALLOWED',
      `AdapterOutputDirectory '${dir}' is outside the data dir; use a path inside it, or list the directory in the configuration file's complianceOutputDirectories`,
    );
  }
  return resolved;
}

export function normaliseOutputDirectory(raw: string): string {
  const text = raw.trim();
  if (/\p{Cc}/u.test(text)) throw new AppError('INVALID_VALUE', 'AdapterOutputDirectory must not contain control characters');
  if (text.length > 4096) throw new AppError('INVALID_VALUE', 'AdapterOutputDirectory is too long');
  return text;
}

/**
 * Reading the organisation's directory over LDAP (D8, docs/directory.md): users with their
 * SIP addresses, groups with their direct members, OUs — by paged searches under each base
 * DN, as the account of the configuration (over ldaps:// or StartTLS). Every value is
 * checked before use: an entry the sync cannot use is a problem reported with its DN,
 * never a crash or a half-read directory.
 */
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client, type Entry } from 'ldapts';
import type { LdapConfig } from '../config/schema.js';
import { AppError } from '../domain/errors.js';

export type DirectoryKind = 'user' | 'group' | 'container';

export interface DirectoryObject {
  kind: DirectoryKind;
  /** The stable identity (objectGUID as a GUID string, entryUUID), lower case. */
  id: string;
  dn: string;
  /** Users: the SIP address as the directory holds it (`sip:ana@contoso.com`). */
  sipAddress: string | null;
  /** Users: enabled for chat and the account not disabled. */
  enabled: boolean;
  displayName: string | null;
  mail: string | null;
  userPrincipalName: string | null;
  account: string | null;
  /** Groups: the DNs of their direct members. */
  members: string[];
  /** The change marker of the entry (uSNChanged, modifyTimestamp). */
  changed: string | null;
}

export interface DirectoryRead {
  objects: DirectoryObject[];
  /** The highest change marker seen: where an incremental pass starts next time. */
  highestChange: string | null;
  /** Entries left out, each with its DN and why. */
  problems: string[];
}

const unavailable = (message: string) => new AppError('DIRECTORY_UNAVAILABLE', message);

/** Reads the bind password file (its first line), refusing a missing or empty one. */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('INVALID_CONFIG', `directory.ldap.bindPasswordFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') throw new AppError('INVALID_CONFIG', `directory.ldap.bindPasswordFile: ${file} is empty`);
  return password;
}

/** AD's objectGUID bytes as a GUID string (the first three groups are little-endian). */
export function guidFromBytes(b: Buffer): string {
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(b.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

/** RFC 4515: a value inside a filter. */
export function escapeFilterValue(value: string): string {
  const special = new Set(['\\', '*', '(', ')', String.fromCharCode(0)]);
  return [...value].map((ch) => (special.has(ch) ? `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : ch)).join('');
}

const first = (e: Entry, name: string): string | Buffer | undefined => {
  const key = Object.keys(e).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return undefined;
  const v = e[key];
  return Array.isArray(v) ? v[0] : v;
};

const text = (e: Entry, name: string): string | null => {
  const v = first(e, name);
  if (v === undefined) return null;
  const s = (Buffer.isBuffer(v) ? v.toString('utf8') : v).trim();
  return s === '' ? null : s;
};

const all = (e: Entry, name: string): string[] => {
  const key = Object.keys(e).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return [];
  const v = e[key];
  const values: (string | Buffer)[] = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return values.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : x));
};

/** Whether a change marker is a number (uSNChanged) rather than a generalized time. */
const numeric = (v: string) => /^\d+$/.test(v) && v.length < 16;

export function laterChange(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  if (numeric(a) && numeric(b)) return BigInt(a) >= BigInt(b) ? a : b;
  return a >= b ? a : b;
}

/**
 * `filter` limited to entries changed after `since`: a USN strictly above it; a time stamp
 * at or after it (a second's resolution: entries of the same second are read again, which
 * changes nothing, rather than missed).
 */
export function changedSince(filter: string, attribute: string, since: string | null): string {
  if (since === null) return filter;
  const from = numeric(since) ? (BigInt(since) + 1n).toString() : since;
  return `(&${filter.startsWith('(') ? filter : `(${filter})`}(${attribute}>=${escapeFilterValue(from)}))`;
}

export class LdapDirectory {
  constructor(
    private readonly config: LdapConfig,
    private readonly password: string,
  ) {}

  static fromConfig(config: LdapConfig): LdapDirectory {
    return new LdapDirectory(config, readPasswordFile(config.bindPasswordFile));
  }

  private tlsOptions(): ConnectionOptions {
    const options: ConnectionOptions = { minVersion: 'TLSv1.2' };
    if (this.config.caFile !== undefined) {
      try {
        options.ca = fs.readFileSync(this.config.caFile);
      } catch (err) {
        throw new AppError('INVALID_CONFIG', `directory.ldap.caFile: cannot read ${this.config.caFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    return options;
  }

  /** A client bound as `dn` (default: the sync's account), on the first server that answers. */
  async connect(dn = this.config.bindDn, password = this.password): Promise<Client> {
    const tlsOptions = this.tlsOptions();
    const failures: string[] = [];
    for (const url of this.config.urls) {
      // ldapts speaks TLS from the start whenever tlsOptions are given: only for ldaps://.
      const client = new Client({ url, timeout: this.config.timeoutMs, connectTimeout: this.config.timeoutMs, strictDN: false, ...(url.startsWith('ldaps://') ? { tlsOptions } : {}) });
      try {
        if (this.config.startTls && url.startsWith('ldap://')) await client.startTLS(tlsOptions);
        await client.bind(dn, password);
        return client;
      } catch (err) {
        await client.unbind().catch(() => undefined);
        const message = (err as Error).message;
        // A refused bind is an answer, not an outage: the next server would say the same.
        if (/invalid credentials|code 49|0x31/i.test(message)) throw new AppError('DIRECTORY_BIND_REFUSED', `${url}: the directory refused the bind as ${dn}`);
        failures.push(`${url}: ${message}`);
      }
    }
    throw unavailable(`no directory server answered (${failures.join('; ')})`);
  }

  private attributes(): string[] {
    const a = this.config.attributes;
    return [...new Set([a.id, a.sipAddress, a.enabled, a.accountControl, a.displayName, a.mail, a.member, a.userPrincipalName, a.account, a.changed, 'objectClass'])];
  }

  /** The filter of one kind, limited to entries changed since `since` (incremental passes). */
  private filter(kind: DirectoryKind, since: string | null): string {
    return changedSince({ user: this.config.userFilter, group: this.config.groupFilter, container: this.config.containerFilter }[kind], this.config.attributes.changed, since);
  }

  private objectOf(kind: DirectoryKind, e: Entry, problems: string[]): DirectoryObject | undefined {
    const a = this.config.attributes;
    const rawId = first(e, a.id);
    let id: string | undefined;
    if (Buffer.isBuffer(rawId) && rawId.length === 16) id = guidFromBytes(rawId);
    else if (typeof rawId === 'string' && rawId.trim() !== '') id = rawId.trim().toLowerCase();
    else if (Buffer.isBuffer(rawId) && rawId.length > 0) id = rawId.toString('utf8').trim().toLowerCase();
    if (id === undefined || id.length > 200) {
      problems.push(`${e.dn}: no usable ${a.id} (the stable identity): left out`);
      return undefined;
    }
    const control = Number(text(e, a.accountControl) ?? '0');
    const enabledFlag = text(e, a.enabled);
    return {
      kind,
      id,
      dn: e.dn,
      sipAddress: kind === 'user' ? text(e, a.sipAddress) : null,
      enabled: (enabledFlag === null || /^(true|1)$/i.test(enabledFlag)) && (Number.isFinite(control) ? (control & 2) === 0 : true),
      displayName: text(e, a.displayName),
      mail: text(e, a.mail),
      userPrincipalName: text(e, a.userPrincipalName),
      account: text(e, a.account),
      members: kind === 'group' ? all(e, a.member) : [],
      changed: text(e, a.changed),
    };
  }

  /**
   * Signs a user in with their directory password: the user is found (as the sync's
   * account) by SIP address, user principal name or sAMAccountName under the base DNs,
   * then the directory is asked to bind as that user. Returns the user's SIP address and
   * whether the directory has them enabled, or undefined for an unknown user or a wrong
   * password (the caller does not say which). Passwords travel only over TLS (the
   * configuration refuses sign-in otherwise), and an empty one is refused here: a simple
   * bind with no password is an anonymous bind, which would "succeed".
   */
  async authenticate(login: string, password: string): Promise<{ sipAddress: string; enabled: boolean } | undefined> {
    const typed = login.trim();
    if (password === '' || typed === '' || typed.length > 256) return undefined;
    const a = this.config.attributes;
    const value = escapeFilterValue(typed);
    const sip = escapeFilterValue(/^sip:/i.test(typed) ? typed : `sip:${typed}`);
    const account = escapeFilterValue(typed.includes('\\') ? typed.slice(typed.lastIndexOf('\\') + 1) : typed);
    const who = `(|(${a.sipAddress}=${sip})(${a.userPrincipalName}=${value})(${a.account}=${account}))`;
    const filter = `(&${this.config.userFilter.startsWith('(') ? this.config.userFilter : `(${this.config.userFilter})`}${who})`;
    const client = await this.connect();
    const found: Entry[] = [];
    try {
      for (const base of this.config.baseDns) {
        const result = await client.search(base, { scope: 'sub', filter, attributes: [a.sipAddress, a.enabled, a.accountControl], timeLimit: Math.ceil(this.config.timeoutMs / 1000) });
        found.push(...result.searchEntries);
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw unavailable(`looking the user up in the directory failed: ${(err as Error).message}`);
    } finally {
      await client.unbind().catch(() => undefined);
    }
    // Nobody, or a name that fits two people: no sign-in (never guess which one).
    if (found.length !== 1) return undefined;
    const entry = found[0]!;
    const sipAddress = text(entry, a.sipAddress);
    if (sipAddress === null) return undefined;
    try {
      const user = await this.connect(entry.dn, password);
      await user.unbind().catch(() => undefined);
    } catch (err) {
      if (err instanceof AppError && err.code === 'DIRECTORY_BIND_REFUSED') return undefined;
      throw err;
    }
    const control = Number(text(entry, a.accountControl) ?? '0');
    const enabledFlag = text(entry, a.enabled);
    return { sipAddress, enabled: (enabledFlag === null || /^(true|1)$/i.test(enabledFlag)) && (Number.isFinite(control) ? (control & 2) === 0 : true) };
  }

  /** Users, groups and OUs under every base DN (only those changed since `since`, when given). */
  async read(since: string | null = null): Promise<DirectoryRead> {
    const client = await this.connect();
    const objects: DirectoryObject[] = [];
    const problems: string[] = [];
    let highestChange: string | null = since;
    const seen = new Set<string>();
    try {
      for (const base of this.config.baseDns) {
        for (const kind of ['container', 'group', 'user'] as const) {
          const pages = client.searchPaginated(base, {
            scope: 'sub',
            filter: this.filter(kind, since),
            attributes: this.attributes(),
            explicitBufferAttributes: [this.config.attributes.id],
            paged: { pageSize: this.config.pageSize },
            timeLimit: Math.ceil(this.config.timeoutMs / 1000),
          });
          for await (const page of pages) {
            for (const entry of page.searchEntries) {
              const object = this.objectOf(kind, entry, problems);
              if (object === undefined || seen.has(object.id)) continue;
              seen.add(object.id);
              objects.push(object);
              highestChange = laterChange(highestChange, object.changed);
            }
          }
        }
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw unavailable(`reading the directory failed: ${(err as Error).message}`);
    } finally {
      await client.unbind().catch(() => undefined);
    }
    return { objects, highestChange, problems };
  }
}

/** The configured LDAP directory as a sync source (named `ldap` in links and reports). */
export function ldapSource(config: LdapConfig): { name: string; baseDns: readonly string[]; read(since: string | null): Promise<DirectoryRead> } {
  const directory = LdapDirectory.fromConfig(config);
  return { name: 'ldap', baseDns: config.baseDns, read: (since) => directory.read(since) };
}

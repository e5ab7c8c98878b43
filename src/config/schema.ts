/**
 * The one typed configuration of Stoa: defaults → config file → STOA_* environment →
 * command-line options, validated before anything starts. A bad configuration is
 * reported with every problem at once.
 */
import { isIP } from 'node:net';
import os from 'node:os';
import { z } from 'zod';
import { NODE_NAME, NODE_NAME_RULE } from '../domain/nodes.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const count = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/**
 * What one client may consume (D9). Every value has a default that suits a production
 * server; docs/operations.md ("Limits") lists each with its effect. A load test that
 * plays thousands of users from one address raises the per-address and per-user ones.
 */
export const limitsSchema = z
  .object({
    /** Largest JSON body of an API request (the admin CLI route takes adminCliBodyBytes). */
    bodyBytes: count(1024, 64 * 2 ** 20, 2 ** 20),
    adminCliBodyBytes: count(1024, 256 * 2 ** 20, 2 * 2 ** 20),
    /** Time to receive a request's headers. */
    headersTimeoutMs: count(1000, 600_000, 10_000),
    /** Time to receive a whole request, headers and body (uploads included). */
    requestTimeoutMs: count(1000, 3_600_000, 300_000),
    /** A connection with no traffic for this long is closed (a stalled body, an idle keep-alive). */
    idleTimeoutMs: count(1000, 3_600_000, 30_000),
    /** Open HTTP and WebSocket connections from one address (a proxy or NAT counts once). */
    connectionsPerAddress: count(1, 1_000_000, 1000),
    /** Open WebSocket connections of one user (tabs, devices, bots). */
    wsConnectionsPerUser: count(1, 100_000, 20),
    /** Largest WebSocket frame a client may send. */
    wsFrameBytes: count(1024, 16 * 2 ** 20, 512 * 1024),
    /** Commands of one WebSocket connection waiting behind the one being handled. */
    wsQueuedCommands: count(1, 10_000, 32),
    /** WebSocket commands per second of one user (all connections), and the burst above it. */
    wsCommandsPerSecond: count(1, 1_000_000, 20),
    wsCommandBurst: count(1, 1_000_000, 60),
    /** Refused commands within 10 s after which a connection that ignores the errors is closed. */
    wsRefusalsBeforeClose: count(1, 1_000_000, 100),
    /** Signed-in API requests per second of one user, and the burst above it. */
    httpRequestsPerSecond: count(1, 1_000_000, 50),
    httpRequestBurst: count(1, 1_000_000, 200),
    /** Open SIP connections from one address, and the time a new one has to sign in. */
    sipConnectionsPerAddress: count(1, 1_000_000, 200),
    sipRegisterTimeoutMs: count(1000, 3_600_000, 30_000),
    /** Failed sign-ins per user (any address) and per address (any user) within the window. */
    signInFailuresPerUser: count(1, 1_000_000, 10),
    signInFailuresPerAddress: count(1, 1_000_000, 100),
    signInWindowMs: count(1000, 86_400_000, 15 * 60_000),
  })
  .strict();

export type Limits = z.infer<typeof limitsSchema>;
export const DEFAULT_LIMITS: Limits = limitsSchema.parse({});

/**
 * The organisation's directory (D8, docs/directory.md): LDAP, Active Directory first.
 * Attribute names default to what the legacy server read from AD.
 */
export const ldapSchema = z
  .object({
    /** Directory servers, tried in order: `ldaps://dc1.contoso.com` or `ldap://` (with startTls). */
    urls: z.array(z.string().regex(/^ldaps?:\/\/[^\s/]+\/?$/, 'an ldap:// or ldaps:// URL (host and port only)')).min(1),
    /** Upgrade ldap:// with StartTLS before binding. */
    startTls: z.boolean().default(false),
    /** PEM file of the CA that signed the directory's certificate (default: the system's). */
    caFile: z.string().min(1).optional(),
    /** The account the sync reads the directory as, and the file holding its password. */
    bindDn: z.string().min(1),
    bindPasswordFile: z.string().min(1),
    /** Where users, groups and OUs are read from (one search per base). */
    baseDns: z.array(z.string().min(1)).min(1),
    userFilter: z.string().min(1).default('(&(objectClass=user)(msRTCSIP-PrimaryUserAddress=*))'),
    groupFilter: z.string().min(1).default('(objectClass=group)'),
    containerFilter: z.string().min(1).default('(objectClass=organizationalUnit)'),
    attributes: z
      .object({
        /** The stable identity: objectGUID (AD, binary), entryUUID (OpenLDAP). */
        id: z.string().min(1).default('objectGUID'),
        sipAddress: z.string().min(1).default('msRTCSIP-PrimaryUserAddress'),
        /** A boolean (TRUE/FALSE); absent means enabled. */
        enabled: z.string().min(1).default('msRTCSIP-UserEnabled'),
        /** AD's account flags: bit 2 (ACCOUNTDISABLE) disables the user too. */
        accountControl: z.string().min(1).default('userAccountControl'),
        displayName: z.string().min(1).default('displayName'),
        mail: z.string().min(1).default('mail'),
        member: z.string().min(1).default('member'),
        userPrincipalName: z.string().min(1).default('userPrincipalName'),
        account: z.string().min(1).default('sAMAccountName'),
        /** What changes on every write of an entry: uSNChanged (AD), modifyTimestamp (any LDAPv3). */
        changed: z.string().min(1).default('uSNChanged'),
      })
      .strict()
      .prefault({}),
    /** Entries per page of a paged search (AD answers at most 1,000 a page). */
    pageSize: z.coerce.number().int().min(1).max(1000).default(500),
    /** Milliseconds for a connection and for each operation. */
    timeoutMs: z.coerce.number().int().min(100).max(600_000).default(15_000),
    /** `stoa serve` syncs this often (0: only `stoa directory sync`); incremental passes, a full one every fullSyncHours. */
    syncIntervalMinutes: z.coerce.number().int().min(0).max(10_080).default(15),
    fullSyncHours: z.coerce.number().int().min(1).max(720).default(24),
    /**
     * Users the directory manages sign in with their directory password (a bind as the
     * user, found by SIP address, UPN or sAMAccountName); nothing is stored. Needs TLS.
     */
    signIn: z.boolean().default(false),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.signIn && !v.startTls && v.urls.some((u) => u.startsWith('ldap://'))) {
      ctx.addIssue({ code: 'custom', path: ['signIn'], message: 'LDAP sign-in sends passwords to the directory: use ldaps:// URLs or startTls' });
    }
  });

export type LdapConfig = z.infer<typeof ldapSchema>;

/**
 * An OpenID Connect provider users sign in with in the web client (docs/directory.md):
 * authorization code with PKCE, a confidential client. The claim named by `claim` is
 * matched to a user: an address claim (email, upn, preferred_username) to a user's SIP
 * address or e-mail.
 */
export const oidcProviderSchema = z
  .object({
    /** In URLs: /api/v1/auth/oidc/<name>/... */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and -'),
    /** On the sign-in page's button. */
    label: z.string().min(1).max(80),
    /** The issuer URL; its /.well-known/openid-configuration is read at start. */
    issuer: z.string().url(),
    clientId: z.string().min(1),
    /** A file holding the client secret (first line). */
    clientSecretFile: z.string().min(1),
    claim: z.string().min(1).default('email'),
    scopes: z.string().min(1).default('openid email profile'),
  })
  .strict();

export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;

export const configSchema = z
  .object({
    /** SQLite database (unless databaseUrl), file store and compliance output. */
    dataDir: z.string().min(1).default('./stoa-data'),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    /** `postgres://...` for a pool on PostgreSQL; empty: the embedded SQLite database. */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /**
     * `redis://...`: the pool's Redis, through which every node hears the events of the
     * others (docs/pool.md). Only with databaseUrl: SQLite runs one node.
     */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .optional(),
    /**
     * The pool's backup database (`postgres://...`): a streaming standby of databaseUrl that
     * every node switches to when an administrator sets the pool state FailedOver, after
     * promoting it (docs/pool.md, "Failover"). Only with databaseUrl.
     */
    backupDatabaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /**
     * Where uploaded files live: default `<dataDir>/files`. In a pool, one directory every
     * node mounts (the legacy file share), so a file uploaded through one node downloads
     * through any other; a store that belongs to another deployment is refused.
     */
    fileStore: z.string().min(1).optional(),
    /** The pool's FQDN, printed in identities; fixed when the deployment is created. */
    poolFqdn: z.string().min(1).optional(),
    /**
     * This node's name among the running nodes of the deployment (`stoa pool node get`);
     * default the host name. Two running nodes cannot share one.
     */
    nodeName: z
      .string()
      .regex(NODE_NAME, NODE_NAME_RULE)
      .optional(),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /**
     * Custom compliance adapter modules by name (AdapterType `module:<name>`): paths of
     * ES modules exporting `createAdapter` (docs/compliance.md). Only this file, never
     * the database, decides which code the server loads.
     */
    complianceAdapters: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'adapter names are letters, digits, - and _'), z.string().min(1)).default({}),
    /** Events per compliance batch: at most one output file (per room) per batch. */
    complianceBatchSize: z.coerce.number().int().min(1).max(100_000).default(20_000),
    /** Resource limits per connection, user and address (D9, docs/operations.md). */
    limits: limitsSchema.default(DEFAULT_LIMITS),
    /**
     * Directories outside the data dir where compliance output may be written
     * (AdapterOutputDirectory). Only this file, never a command over the network, widens it.
     */
    complianceOutputDirectories: z.array(z.string().min(1)).default([]),
    /**
     * Who may read /metrics: `token` (Authorization: Bearer <the contents of tokenFile>;
     * default file `<dataDir>/metrics-token`, made on first start), `public` (anyone who
     * reaches the port), or `off`.
     */
    metrics: z
      .object({
        access: z.enum(['token', 'public', 'off']).default('token'),
        tokenFile: z.string().min(1).optional(),
      })
      .strict()
      .default({ access: 'token' }),
    /** The organisation's directory, synced into principals (docs/directory.md). */
    directory: z
      .object({
        ldap: ldapSchema.optional(),
        /** OpenID Connect providers for the web client's sign-in page. */
        oidc: z
          .array(oidcProviderSchema)
          .max(10)
          .refine((list) => new Set(list.map((p) => p.name)).size === list.length, 'two providers share a name')
          .default([]),
      })
      .strict()
      .prefault({}),
    /**
     * The address users reach Stoa at (e.g. https://chat.contoso.com), for links that leave
     * and come back — OpenID Connect's redirect URI. Default: the address the server listens on.
     */
    publicUrl: z.string().url().regex(/^https?:\/\/[^/]+\/?$/, 'scheme and host only').optional(),
    /** Password of the first administrator account (otherwise one is generated). */
    adminPassword: z.string().optional(),
    /**
     * The SIP endpoint for legacy Group Chat clients (docs/legacy-clients.md): off unless
     * enabled; on loopback by default. Clients from `trustedNetworks` (CIDR ranges, none
     * by default) sign in without credentials; all others with NTLMv2 (`user passwd --legacy`).
     */
    sip: z
      .object({
        enabled: z.boolean().default(false),
        host: z.string().min(1).default('127.0.0.1'),
        port: z.coerce.number().int().min(0).max(65535).default(5060),
        trustedNetworks: z
          .array(z.string().refine((v) => isIP(v.split('/')[0] ?? '') !== 0 && /^[^/]+(\/\d{1,3})?$/.test(v), 'a CIDR range such as 10.0.0.0/8'))
          .default([]),
        /** SIP over TLS as well, with this certificate and key (PEM files). */
        tls: z
          .object({
            port: z.coerce.number().int().min(0).max(65535).default(5061),
            certFile: z.string().min(1),
            keyFile: z.string().min(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ enabled: false, host: '127.0.0.1', port: 5060, trustedNetworks: [] }),
  })
  .strict()
  .refine((c) => c.redisUrl === undefined || c.databaseUrl !== undefined, {
    path: ['redisUrl'],
    message: 'a pool of nodes shares one PostgreSQL database: give --database-url postgres://... with --redis-url (the embedded SQLite database runs one node, which needs no Redis)',
  })
  .refine((c) => c.backupDatabaseUrl === undefined || c.databaseUrl !== undefined, {
    path: ['backupDatabaseUrl'],
    message: 'a backup database is a standby of the PostgreSQL database: give --database-url postgres://... with --backup-database-url (the embedded SQLite database has no standby)',
  })
  .refine((c) => c.backupDatabaseUrl === undefined || c.backupDatabaseUrl !== c.databaseUrl, {
    path: ['backupDatabaseUrl'],
    message: 'the backup database must be another server than --database-url (a streaming standby of it)',
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variables and the config keys they set. */
export const ENVIRONMENT: Record<string, keyof Config> = {
  STOA_DATA_DIR: 'dataDir',
  STOA_HOST: 'host',
  STOA_PORT: 'port',
  STOA_DATABASE_URL: 'databaseUrl',
  STOA_POOL_FQDN: 'poolFqdn',
  STOA_NODE_NAME: 'nodeName',
  STOA_FILE_STORE: 'fileStore',
  STOA_REDIS_URL: 'redisUrl',
  STOA_BACKUP_DATABASE_URL: 'backupDatabaseUrl',
  STOA_LOG_LEVEL: 'logLevel',
  STOA_ADMIN_PASSWORD: 'adminPassword',
  STOA_COMPLIANCE_BATCH_SIZE: 'complianceBatchSize',
};

/** The host name when it makes a node name, else `node`. */
export function defaultNodeName(): string {
  const host = os.hostname().toLowerCase();
  return NODE_NAME.test(host) ? host : 'node';
}

export function defaultPoolFqdn(): string {
  return os.hostname().toLowerCase();
}

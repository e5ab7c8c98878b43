/**
 * The one typed configuration of Stoa: defaults → config file → STOA_* environment →
 * command-line options, validated before anything starts. A bad configuration is
 * reported with every problem at once.
 */
import { isIP } from 'node:net';
import os from 'node:os';
import { z } from 'zod';

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
    /** The pool's FQDN, printed in identities; fixed when the deployment is created. */
    poolFqdn: z.string().min(1).optional(),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /**
     * Custom compliance adapter modules by name (AdapterType `module:<name>`): paths of
     * ES modules exporting `createAdapter` (docs/compliance.md). Only this file, never
     * the database, decides which code the server loads.
     */
    complianceAdapters: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'adapter names are letters, digits, - and _'), z.string().min(1)).default({}),
    /** Events per compliance batch: at most one output file (per room) per batch. */
    complianceBatchSize: z.coerce.number().int().min(1).max(100_000).default(5000),
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
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variables and the config keys they set. */
export const ENVIRONMENT: Record<string, keyof Config> = {
  STOA_DATA_DIR: 'dataDir',
  STOA_HOST: 'host',
  STOA_PORT: 'port',
  STOA_DATABASE_URL: 'databaseUrl',
  STOA_POOL_FQDN: 'poolFqdn',
  STOA_LOG_LEVEL: 'logLevel',
  STOA_ADMIN_PASSWORD: 'adminPassword',
  STOA_COMPLIANCE_BATCH_SIZE: 'complianceBatchSize',
};

export function defaultPoolFqdn(): string {
  return os.hostname().toLowerCase();
}

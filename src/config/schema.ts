/**
 * The one typed configuration of Stoa: defaults → config file → STOA_* environment →
 * command-line options, validated before anything starts. A bad configuration is
 * reported with every problem at once.
 */
import { isIP } from 'node:net';
import os from 'node:os';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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

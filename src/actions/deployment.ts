/**
 * A deployment's first moments: the pool it belongs to, the global settings every pool
 * starts with (01 §2.5–2.8, D1), and the first administrator account.
 */
import { AppError } from '../domain/errors.js';
import { normaliseDomain } from '../domain/principals.js';
import {
  CHAT_CONFIGURATION_DEFAULTS,
  COMPLIANCE_CONFIGURATION_DEFAULTS,
  GLOBAL_POLICY_DEFAULTS,
} from '../domain/settings.js';
import { checkPasswordStrength, generatePassword, hashPassword } from '../auth/password.js';
import type { Store } from '../store/types.js';

const META = { pool: 'pool_fqdn', createdAt: 'created_at', bootstrapped: 'admin_bootstrapped' } as const;

export interface Deployment {
  poolFqdn: string;
  createdAt: number;
  /** True when this call created it. */
  created: boolean;
}

export async function readDeployment(store: Store): Promise<Omit<Deployment, 'created'> | undefined> {
  const pool = await store.meta.get(META.pool);
  if (pool === undefined) return undefined;
  return { poolFqdn: pool, createdAt: Number((await store.meta.get(META.createdAt)) ?? 0) };
}

/**
 * Opens the deployment in the store, creating it on first use. A data dir belongs to one
 * pool for good: asking for another pool FQDN later is refused rather than guessed.
 */
export async function initialiseDeployment(
  store: Store,
  options: { poolFqdn: string; now: number; newGuid: () => string },
): Promise<Deployment> {
  const poolFqdn = normaliseDomain(options.poolFqdn);
  for (let attempt = 0; ; attempt++) {
    const existing = await readDeployment(store);
    if (existing !== undefined) return { ...existing, created: false };
    try {
      await store.transaction((tx) => createDeployment(tx, poolFqdn, options));
      return { poolFqdn, createdAt: options.now, created: true };
    } catch (err) {
      // Another process created it at the same moment: read what it made.
      if (attempt > 2 || !(err instanceof AppError && err.code === 'CONFLICT')) throw err;
    }
  }
}

export function checkDeploymentPool(deployment: Pick<Deployment, 'poolFqdn'>, requested: string | undefined): void {
  if (requested === undefined) return;
  if (normaliseDomain(requested) !== deployment.poolFqdn) {
    throw new AppError(
      'DEPLOYMENT_MISMATCH',
      `this data dir holds pool ${deployment.poolFqdn}, not ${requested}; a deployment keeps its pool FQDN`,
    );
  }
}

async function createDeployment(tx: Store, poolFqdn: string, options: { now: number; newGuid: () => string }): Promise<void> {
  const now = options.now;
  await tx.meta.set(META.pool, poolFqdn);
  await tx.meta.set(META.createdAt, String(now));
  await tx.policies.insert({ identityKey: 'global', scope: 'global', name: '', ...GLOBAL_POLICY_DEFAULTS, updatedAt: now });
  await tx.configurations.insert({ identityKey: 'global', scope: 'global', name: '', settings: CHAT_CONFIGURATION_DEFAULTS, updatedAt: now });
  await tx.complianceConfigurations.insert({
    identityKey: 'global',
    scope: 'global',
    name: '',
    settings: COMPLIANCE_CONFIGURATION_DEFAULTS,
    updatedAt: now,
  });
  // Every pool has an endpoint from the start (01 §2.8); administrators add friendlier ones.
  await tx.endpoints.insert({
    guid: options.newGuid(),
    sipUri: `sip:persistentchat@${poolFqdn}`,
    displayName: 'Persistent Chat',
    poolFqdn,
    createdAt: now,
  });
}

export interface BootstrapResult {
  sipUri: string;
  /** Present when this call created the account. */
  password?: string;
  generated: boolean;
}

/**
 * The first start of a server creates an administrator account so a new install can be
 * used at once: `sip:admin@<pool>` with STOA_ADMIN_PASSWORD or a generated password.
 * It happens once per deployment; afterwards administrators are managed with the CLI.
 */
export async function bootstrapAdministrator(
  store: Store,
  options: { poolFqdn: string; password?: string; now: number; newGuid: () => string },
): Promise<BootstrapResult | undefined> {
  if (options.password !== undefined) checkPasswordStrength(options.password);
  const password = options.password ?? generatePassword();
  const hash = await hashPassword(password);
  return store.transaction(async (tx) => {
    if ((await tx.meta.get(META.bootstrapped)) !== undefined) return undefined;
    await tx.meta.set(META.bootstrapped, String(options.now));
    if ((await tx.administrators.list()).length > 0) return undefined;
    const sipUri = `sip:admin@${options.poolFqdn}`;
    if ((await tx.principals.getByKey(sipUri)) !== undefined) return undefined;
    const user = await tx.principals.insert({
      guid: options.newGuid(),
      kind: 'user',
      key: sipUri,
      name: sipUri,
      displayName: 'Administrator',
      email: null,
      dn: null,
      dnKey: null,
      domain: options.poolFqdn,
      site: null,
      status: 'active',
      federated: false,
      policyId: null,
      passwordHash: hash,
      createdAt: options.now,
    });
    await tx.administrators.add(user.id);
    // The archive starts with the account everything else was done by (as the local
    // administrator's changes, with no actor).
    await tx.compliance.capture([
      {
        type: 'CHANGE',
        at: options.now,
        actorId: null,
        actorUri: null,
        roomId: null,
        roomUri: null,
        messageId: null,
        content: `create administrator ${sipUri}`,
        details: JSON.stringify({ action: 'create', kind: 'administrator', identity: sipUri, notes: ['the first administrator, made at the first start'] }),
      },
    ]);
    return { sipUri, password, generated: options.password === undefined };
  });
}

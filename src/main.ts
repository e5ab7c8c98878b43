/**
 * The composition root: the only place concrete parts (database, event bus, HTTP server)
 * are chosen and wired together. The CLI and `stoa serve` both start here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Config, LdapConfig } from './config/schema.js';
import type { LdapDirectory } from './directory/ldap.js';
import { defaultNodeName, defaultPoolFqdn } from './config/schema.js';
import { claimNodeName } from './actions/nodes.js';
import { prepareDataDir } from './config/data-dir.js';
import { openSqliteStore, SQLITE_FILE_NAME } from './store/sqlite.js';
import type { CommandRunner } from './http/admin-routes.js';
import type { Store } from './store/types.js';
import { InProcessEventBus } from './events/in-process-bus.js';
import type { EventBus } from './events/bus.js';
import type { DomainEvent } from './events/types.js';
import { decodeEvents, OutboxRelay } from './events/outbox.js';
import { makeServices, type Services } from './actions/context.js';
import { bootstrapAdministrator, checkDeploymentPool, initialiseDeployment, type BootstrapResult, type Deployment } from './actions/deployment.js';
import { VERSION } from './version.js';
import { DirectoryBlobStore } from './files/blob-store.js';
import type { Gateway } from './realtime/gateway.js';
import type { SipGateway } from './sip/gateway.js';
import { ComplianceWorker, type WorkerOptions } from './compliance/worker.js';
import { LoginThrottle } from './auth/throttle.js';
import { PoolLoginThrottle, PoolRateShare } from './auth/pool-limits.js';
import type { RateLimiter } from './auth/rate-limit.js';
import type { Redis } from 'ioredis';
import type { PostgresTarget } from './store/postgres.js';
import type { DatabaseRole, FailoverWatch } from './store/failover.js';
import { isAppError } from './domain/errors.js';

export interface Runtime {
  config: Config;
  dataDir: string;
  services: Services;
  deployment: Deployment;
  /** The compliance worker (started by `stoa serve`; run on demand by `stoa compliance run`). */
  compliance: ComplianceWorker;
  /** A node on PostgreSQL without Redis: relays the events CLI commands leave in the outbox. */
  relay?: OutboxRelay;
  /**
   * With a backup database: which of the pool's databases this process uses, and (a
   * serving node) the watch that switches it when the pool state changes (store/failover.ts).
   */
  failover?: { using(): DatabaseRole; watch?: FailoverWatch };
  /** A node of a pool: its Redis connection and this deployment's keys there. */
  poolRedis?: { client: Redis; prefix: string };
  /** A per-user rate limit of this node, shared with the pool's other nodes when there is a pool (auth/pool-limits.ts). */
  shareRate(name: 'http' | 'ws', limiter: RateLimiter): void;
  close(): Promise<void>;
}

/** Every write goes through an action's transaction (runWrite): a stray one fails loudly. */
const WRITES_IN_TRANSACTIONS = { refuseWritesOutsideTransactions: true };

/** A store on the pool's primary or backup database, and which one (a process with a backup database). */
interface OpenedStore {
  store: Store;
  failover?: { target: PostgresTarget; using: DatabaseRole };
}

export async function openStore(config: Config, dataDir: string, options: Pick<RuntimeOptions, 'onStatement' | 'onCheckpointError' | 'relaxedCommits'> = {}): Promise<Store> {
  return (await openDeploymentStore(config, dataDir, options)).store;
}

async function openDeploymentStore(config: Config, dataDir: string, options: Pick<RuntimeOptions, 'onStatement' | 'onCheckpointError' | 'relaxedCommits'> = {}): Promise<OpenedStore> {
  const { onStatement, onCheckpointError, relaxedCommits } = options;
  const watch = onStatement === undefined ? WRITES_IN_TRANSACTIONS : { ...WRITES_IN_TRANSACTIONS, onStatement };
  // PostgreSQL, the HTTP server and the logger load only when used: CLI commands on the
  // embedded database start noticeably faster without them.
  if (config.databaseUrl !== undefined) {
    const [{ openPostgresStore, PostgresTarget }, failover] = await Promise.all([import('./store/postgres.js'), import('./store/failover.js')]);
    if (config.backupDatabaseUrl === undefined) return { store: await openPostgresStore(config.databaseUrl, undefined, watch) };
    // With a backup database: the one the pool state names (store/failover.ts).
    const [primary, backup] = await failover.probeBoth(config.databaseUrl, config.backupDatabaseUrl);
    failover.checkSameDeployment(primary, backup);
    const chosen = failover.chooseDatabase(primary, backup);
    const target = new PostgresTarget(chosen.url);
    return { store: await openPostgresStore(target, undefined, watch), failover: { target, using: chosen.role } };
  }
  return {
    store: await openSqliteStore(path.join(dataDir, SQLITE_FILE_NAME), watch, {
      ...(onCheckpointError === undefined ? {} : { backgroundCheckpoints: { onError: onCheckpointError } }),
      ...(relaxedCommits === true ? { relaxedCommits } : {}),
    }),
  };
}

/**
 * Opens the deployment the configuration names (creating it on first use) with the
 * in-process event bus.
 */
/**
 * Directory sign-in (docs/directory.md): the LDAP client loads, and the password file is
 * read, when someone first signs in (CLI commands start without them).
 */
function directorySignIn(ldap: LdapConfig): NonNullable<Services['directoryAuth']> {
  let directory: Promise<LdapDirectory> | undefined;
  return {
    source: 'ldap',
    async authenticate(login, password) {
      directory ??= import('./directory/ldap.js').then((m) => m.LdapDirectory.fromConfig(ldap));
      try {
        return await (await directory).authenticate(login, password);
      } catch (err) {
        // A password file that could not be read is read again next time (it may be fixed).
        if (isAppError(err) && err.code === 'INVALID_CONFIG') directory = undefined;
        throw err;
      }
    },
  };
}

/**
 * How this process hears and is heard by the others of its deployment (docs/pool.md):
 * - a node with a Redis URL publishes through the pool's stream, its writes' events kept
 *   in the outbox until Redis has them (RedisEventBus);
 * - a node on PostgreSQL without Redis keeps its events in process and relays those that
 *   CLI commands left in the outbox;
 * - a CLI command on PostgreSQL leaves its events in the outbox for the serving nodes;
 * - on SQLite (one node; CLI commands reach it through its control file) nothing is kept.
 */
async function poolEvents(
  config: Config,
  store: Store,
  deployment: Deployment,
  instanceId: string,
  options: RuntimeOptions,
): Promise<{ bus: EventBus; outbox?: { published: boolean }; relay?: OutboxRelay; redis?: { client: Redis; prefix: string } }> {
  const onPostgres = store.dialect === 'postgres';
  if (options.role === 'node' && config.redisUrl !== undefined) {
    const { RedisEventBus } = await import('./events/redis-bus.js');
    const prefix = `stoa:${deployment.poolFqdn}:${deployment.createdAt}:`;
    const bus = await RedisEventBus.connect({
      url: config.redisUrl,
      stream: `${prefix}events`,
      origin: instanceId,
      store,
      ...(options.onBusError === undefined ? {} : { onHandlerError: options.onBusError }),
      log: options.poolLog ?? (() => {}),
    });
    return { bus, outbox: { published: true }, redis: { client: bus.client, prefix } };
  }
  const bus = new InProcessEventBus(options.onBusError);
  if (onPostgres && options.role === 'command') return { bus, outbox: { published: false } };
  if (onPostgres && options.role === 'node') {
    const relay = new OutboxRelay(
      store,
      async (rows) => {
        for (const row of rows) {
          let events: DomainEvent[];
          try {
            events = decodeEvents(row.events);
          } catch (err) {
            options.poolLog?.('error', 'an outbox row is not events: dropped', { err, outboxId: row.id });
            continue;
          }
          await bus.publish(events);
        }
      },
      (err) => options.poolLog?.('warn', 'relaying the outbox failed: the next round tries again', { err }),
    );
    relay.start();
    return { bus, relay };
  }
  return { bus };
}

/**
 * A serving node with a backup database follows the pool state: when it names the other
 * database, the store's connections go there, and everything this node holds from the
 * old one (caches, live connections' rights and sessions) is checked again, as after
 * missed events.
 */
async function followPoolState(config: Config, failover: NonNullable<OpenedStore['failover']>, bus: EventBus, log: NonNullable<RuntimeOptions['poolLog']>): Promise<FailoverWatch> {
  const { FailoverWatch } = await import('./store/failover.js');
  const urls = { primary: config.databaseUrl as string, backup: config.backupDatabaseUrl as string };
  const watch = new FailoverWatch(urls, failover.using, async (to) => {
    failover.target.switchTo(to.url);
    await bus.announce([{ type: 'events.lost' }]);
  }, log);
  watch.start();
  return watch;
}

export interface RuntimeOptions {
  /**
   * What this process is to the others of its deployment: a serving node, a CLI command
   * (on PostgreSQL its writes' events go through the outbox), or neither (tests, benches).
   */
  role?: 'node' | 'command';
  /** A serving node's name (the active-server list names nodes). */
  nodeName?: string;
  /** Where a node's event bus reports trouble with the pool (Redis, the outbox). */
  poolLog?: (level: 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;
  onBusError?: (err: unknown) => void;
  compliance?: Pick<WorkerOptions, 'log'>;
  /** Sees every SQL statement (the tests that count statements per request). */
  onStatement?: (sql: string) => void;
  /**
   * Set by a serving node: the embedded database's log is checkpointed by a worker thread
   * (store/checkpointer.ts), which reports its failure here (the writer then checkpoints
   * itself again); so do the bulk loads of the CLI (`data import`, `migrate legacy`).
   * Other CLI commands checkpoint inline.
   */
  onCheckpointError?: (err: unknown) => void;
  /**
   * The CLI's bulk loads that a second run brings to the same result (`data import`,
   * `migrate legacy`): on SQLite their commits do not wait for the disk, and the load makes
   * them durable at its end (Store.sync, before it reports).
   */
  relaxedCommits?: boolean;
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const dataDir = prepareDataDir(config.dataDir);
  const { store, failover } = await openDeploymentStore(config, dataDir, options);
  let pool: Awaited<ReturnType<typeof poolEvents>> | undefined;
  let watch: FailoverWatch | undefined;
  try {
    const deployment = await initialiseDeployment(store, {
      poolFqdn: config.poolFqdn ?? defaultPoolFqdn(),
      now: Date.now(),
      newGuid: randomUUID,
    });
    checkDeploymentPool(deployment, config.poolFqdn);
    const instanceId = randomUUID();
    pool = await poolEvents(config, store, deployment, instanceId, options);
    const { relay, redis } = pool;
    // Every node of a pool mounts the same file store (fileStore); one node's default is in its data dir.
    const blobs = DirectoryBlobStore.open(config.fileStore === undefined ? path.join(dataDir, FILES_DIR) : path.resolve(config.fileStore), deployment);
    const limits = config.limits;
    const throttling = { maxFailures: limits.signInFailuresPerUser, maxAddressFailures: limits.signInFailuresPerAddress, windowMs: limits.signInWindowMs };
    const poolLog = options.poolLog ?? (() => {});
    const shares: PoolRateShare[] = [];
    const bus = pool.bus;
    const services = makeServices({
      store,
      bus,
      instanceId,
      ...(options.nodeName === undefined ? {} : { nodeName: options.nodeName }),
      ...(pool.outbox === undefined ? {} : { outbox: pool.outbox }),
      poolFqdn: deployment.poolFqdn,
      blobs,
      throttle: redis === undefined ? new LoginThrottle(throttling) : new PoolLoginThrottle(redis.client, redis.prefix, throttling, poolLog),
      paths: { dataDir, outputDirectories: config.complianceOutputDirectories.map((d) => path.resolve(d)) },
      ...(config.directory.ldap?.signIn === true ? { directoryAuth: directorySignIn(config.directory.ldap) } : {}),
    });
    const compliance = new ComplianceWorker(services, { dataDir, modules: config.complianceAdapters, batchSize: config.complianceBatchSize, ...options.compliance });
    watch = failover === undefined || options.role !== 'node' ? undefined : await followPoolState(config, failover, bus, poolLog);
    const using = failover === undefined ? undefined : failover.using;
    return {
      config,
      dataDir,
      services,
      deployment,
      compliance,
      ...(relay === undefined ? {} : { relay }),
      ...(redis === undefined ? {} : { poolRedis: redis }),
      ...(using === undefined ? {} : { failover: { using: () => watch?.using ?? using, ...(watch === undefined ? {} : { watch }) } }),
      shareRate(name, limiter) {
        if (redis === undefined) return;
        const share = new PoolRateShare(redis.client, `${redis.prefix}rate:${name}:`, limiter, poolLog);
        share.start();
        shares.push(share);
      },
      async close() {
        for (const share of shares.splice(0)) await share.stop();
        await watch?.stop();
        await relay?.stop();
        await bus.close();
        await store.close();
      },
    };
  } catch (err) {
    // Nothing of a runtime that failed to open is left running (the relay's timer, Redis).
    await watch?.stop();
    await pool?.relay?.stop();
    await pool?.bus.close();
    await store.close();
    throw err;
  }
}

export interface RunningServer {
  url: string;
  runtime: Runtime;
  gateway: Gateway;
  /** Where the legacy clients' SIP endpoint listens, when enabled (tlsPort with TLS). */
  sip?: { host: string; port: number; tlsPort?: number };
  close(): Promise<void>;
}

export const FILES_DIR = 'files';
const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;
/** Where a running server tells CLIs on the same data dir how to reach it (0600). */
export const CONTROL_FILE = 'server.json';

export interface ControlInfo {
  url: string;
  pid: number;
  secret: string;
}

function writeControlFile(dataDir: string, info: ControlInfo): string {
  const file = path.join(dataDir, CONTROL_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(info), { mode: 0o600 });
  fs.renameSync(temp, file);
  return file;
}

/** Removes the control file unless another server has since replaced it. */
function removeControlFile(file: string, secret: string): void {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as ControlInfo;
    if (info.secret === secret) fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

/** The running server on this data dir, if its control file names a live process. */
export function readControlFile(dataDir: string): ControlInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(dataDir, CONTROL_FILE), 'utf8')) as ControlInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/**
 * `stoa serve`: opens the deployment, creates the first administrator on a first start,
 * and listens. Prints where it runs and how to administer it.
 */
export async function startServer(
  config: Config,
  print: (text: string) => void = (t) => process.stdout.write(`${t}\n`),
  options: Pick<RuntimeOptions, 'onStatement'> & {
    /** How forwarded command lines run in this server (the CLI gives its own; main.ts does not import the CLI). */
    commandRunner?: (runtime: Runtime) => CommandRunner;
  } = {},
): Promise<RunningServer> {
  const [{ pino }, { buildHttpServer }, { Gateway }, { Metrics }, { purgeExpired }] = await Promise.all([
    import('pino'),
    import('./http/server.js'),
    import('./realtime/gateway.js'),
    import('./http/metrics.js'),
    import('./actions/files.js'),
  ]);
  const logger = pino({ level: config.logLevel, base: { service: 'stoa' } });
  // A node's name is unique among the running nodes of the deployment (checked below, before anything is written).
  const nodeName = config.nodeName ?? defaultNodeName();
  const runtime = await openRuntime(config, {
    role: 'node',
    nodeName,
    poolLog: (level, message, extra) => logger[level](extra ?? {}, message),
    onBusError: (err) => logger.error({ err }, 'event handler failed'),
    compliance: { log: (level, message, extra) => logger[level](extra ?? {}, message) },
    onCheckpointError: (err) => logger.warn({ err }, 'WAL checkpoints in the background failed: the writer checkpoints itself again'),
    ...(options.onStatement === undefined ? {} : { onStatement: options.onStatement }),
  });
  let gateway: InstanceType<typeof Gateway> | undefined;
  let sip: SipGateway | undefined;
  let sipAddress: { host: string; port: number; tlsPort?: number } | undefined;
  try {
    await claimNodeName(runtime.services, { name: nodeName, version: VERSION, pooled: runtime.poolRedis !== undefined });
    const admin = await bootstrapAdministrator(runtime.services.store, {
      poolFqdn: runtime.deployment.poolFqdn,
      ...(config.adminPassword === undefined ? {} : { password: config.adminPassword }),
      now: Date.now(),
      newGuid: randomUUID,
    });
    const passwordFile = writeInitialPassword(runtime.dataDir, admin);
    const metrics = new Metrics();
    gateway = new Gateway(runtime.services, logger, metrics, config.limits);
    runtime.shareRate('ws', gateway.rate);
    if (runtime.poolRedis !== undefined) {
      const { PoolRoster } = await import('./realtime/pool-roster.js');
      const log = (level: 'warn' | 'error', message: string, extra?: Record<string, unknown>) => logger[level](extra ?? {}, message);
      await gateway.usePool(new PoolRoster(runtime.poolRedis.client, runtime.poolRedis.prefix, runtime.services.instanceId, log));
    }
    const controlSecret = randomBytes(32).toString('base64url');
    let listening = '';
    const app = await buildHttpServer(runtime, logger, { gateway, metrics, controlSecret, ...(options.commandRunner === undefined ? {} : { runCommand: options.commandRunner(runtime) }), limits: config.limits, metricsToken: metricsToken(config, runtime.dataDir), publicUrl: () => config.publicUrl ?? listening });
    gateway.attach(app.server);
    await app.listen({ host: config.host, port: config.port });
    // A listener's own errors (accept failing at the file limit, say) are logged; they
    // never reach the process. Each connection's errors are handled where it is served.
    app.server.on('error', (err) => logger.error({ err }, 'HTTP listener error'));
    if (config.sip.enabled) {
      const { SipGateway } = await import('./sip/gateway.js');
      sip = new SipGateway(runtime.services, gateway, logger, { ...config.sip, connectionsPerAddress: config.limits.sipConnectionsPerAddress, registerTimeoutMs: config.limits.sipRegisterTimeoutMs }, metrics);
      sipAddress = await sip.listen();
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    listening = url;
    const controlFile = writeControlFile(runtime.dataDir, { url, pid: process.pid, secret: controlSecret });
    print(bannerLines(url, nodeName, runtime, admin, passwordFile).join('\n'));
    if (sipAddress !== undefined) {
      print(`Legacy Group Chat clients (SIP over TCP): ${sipAddress.host}:${sipAddress.port}${sipAddress.tlsPort === undefined ? '' : `, TLS: ${sipAddress.host}:${sipAddress.tlsPort}`}`);
    }
    const running = gateway;
    // Housekeeping: expired sessions and file tokens, uploads never posted within a day.
    const housekeeping = setInterval(() => {
      const now = Date.now();
      // Expired sessions and file tokens, and uploads never posted, in one transaction.
      void purgeExpired(runtime.services, now).catch((err: unknown) => logger.warn({ err }, 'housekeeping failed'));
    }, HOUSEKEEPING_INTERVAL_MS);
    housekeeping.unref();
    // The word index of search follows the messages in the background.
    runtime.services.words.start((err) => logger.error({ err }, 'indexing messages for search failed'));
    // Compliance: heartbeat (this node in `stoa pool node get`), RunInterval timer; a
    // settings change is looked at at once.
    runtime.compliance.describeNode({ name: nodeName, version: VERSION, address: url, connections: () => running.connections });
    runtime.compliance.start();
    const unsubscribeCompliance = runtime.services.bus.subscribe((event) => {
      if (event.type === 'compliance_configuration.changed') void runtime.compliance.tick().catch((err: unknown) => logger.error({ err }, 'compliance run failed'));
    });
    // The directory sync (docs/directory.md), one node of a pool at a time.
    const ldap = config.directory.ldap;
    let directorySync: { stop(): Promise<void> } | undefined;
    if (ldap !== undefined && ldap.syncIntervalMinutes > 0) {
      const [{ DirectorySyncScheduler }, { ldapSource }] = await Promise.all([import('./directory/scheduler.js'), import('./directory/ldap.js')]);
      const scheduler = new DirectorySyncScheduler(runtime.services, ldap, () => ldapSource(ldap), (level, message, extra) => logger[level](extra ?? {}, message));
      scheduler.start();
      directorySync = scheduler;
    }
    return {
      url,
      runtime,
      gateway: running,
      ...(sipAddress === undefined ? {} : { sip: sipAddress }),
      async close() {
        clearInterval(housekeeping);
        removeControlFile(controlFile, controlSecret);
        unsubscribeCompliance();
        await directorySync?.stop();
        await sip?.close();
        await running.close();
        await runtime.services.words.stop();
        await runtime.compliance.stop();
        await app.close();
        await runtime.close();
      },
    };
  } catch (err) {
    await sip?.close();
    await gateway?.close();
    // A node that claimed its name and then failed to start frees it.
    await runtime.services.store.transaction((tx) => tx.compliance.removeInstance(runtime.services.instanceId)).catch(() => undefined);
    await runtime.close();
    throw err;
  }
}

/** The default file of the /metrics bearer token (owner-only, made on first start). */
export const METRICS_TOKEN_FILE = 'metrics-token';

/**
 * Who may read /metrics (config `metrics`): undefined for anyone, null for no one,
 * else the bearer token a scraper presents. The default token file is made on first use.
 */
function metricsToken(config: Config, dataDir: string): string | null | undefined {
  if (config.metrics.access === 'public') return undefined;
  if (config.metrics.access === 'off') return null;
  const file = config.metrics.tokenFile ?? path.join(dataDir, METRICS_TOKEN_FILE);
  if (config.metrics.tokenFile === undefined && !fs.existsSync(file)) fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  let token: string;
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`metrics.tokenFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (token.length < 16) throw new Error(`metrics.tokenFile: ${file} must hold a token of at least 16 characters`);
  return token;
}

/** The password file is written before the server listens: the banner only reports it. */
function writeInitialPassword(dataDir: string, admin: BootstrapResult | undefined): string | undefined {
  if (admin?.password === undefined || !admin.generated) return undefined;
  const file = path.join(dataDir, INITIAL_PASSWORD_FILE);
  fs.writeFileSync(file, `${admin.sipUri}\n${admin.password}\n`, { mode: 0o600 });
  return file;
}

/** What an operator needs after `npm start`, printed in one piece. */
function bannerLines(url: string, nodeName: string, runtime: Runtime, admin: BootstrapResult | undefined, passwordFile: string | undefined): string[] {
  const target = runtime.config.databaseUrl === undefined ? ` --data-dir ${runtime.dataDir}` : ' --database-url <the same URL>';
  const lines = [
    `Stoa ${VERSION} is running at ${url} (pool ${runtime.deployment.poolFqdn}, node ${nodeName}, data in ${runtime.dataDir})`,
    `  web client: ${url}/  (sign in with a SIP address and password)`,
    `  health: ${url}/healthz`,
  ];
  const metrics = runtime.config.metrics;
  if (metrics.access === 'token') lines.push(`  metrics: ${url}/metrics (Authorization: Bearer <the token in ${metrics.tokenFile ?? path.join(runtime.dataDir, METRICS_TOKEN_FILE)}>)`);
  else if (metrics.access === 'public') lines.push(`  metrics: ${url}/metrics (public)`);
  if (admin !== undefined && passwordFile !== undefined) {
    lines.push(`  first administrator: ${admin.sipUri}  password: ${admin.password}`);
    lines.push(`  (also written to ${passwordFile}; change it with: ./bin/stoa${target} user passwd ${admin.sipUri})`);
  } else if (admin !== undefined) {
    lines.push(`  first administrator: ${admin.sipUri} (password from STOA_ADMIN_PASSWORD)`);
  }
  lines.push(`  administer with the CLI: ./bin/stoa${target} <noun> <verb> ... (./bin/stoa --help; README "First steps")`);
  return lines;
}

export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

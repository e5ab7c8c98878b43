import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { capabilities, type Dialect } from '../dialect.js';
import type { NewComplianceEvent, Store } from '../types.js';
import { metaStore } from './meta.js';
import { principalStore } from './principals.js';
import { categoryStore } from './categories.js';
import { roomStore } from './rooms.js';
import { nodeNameStore } from './node-names.js';
import { outboxStore } from './outbox.js';
import { addinStore } from './addins.js';
import { policyStore } from './policies.js';
import { complianceConfigurationStore, configurationStore } from './configurations.js';
import { endpointStore } from './endpoints.js';
import { administratorStore } from './administrators.js';
import { messageStore } from './messages.js';
import { wordIndexStore } from './words.js';
import { sessionStore } from './sessions.js';
import { followStore } from './follows.js';
import { invitationStore } from './invitations.js';
import { notificationStore } from './notifications.js';
import { keywordAlertStore, topicFeedStore } from './subscriptions.js';
import { fileStore } from './files.js';
import { complianceStore } from './compliance.js';
import { archiveStore } from './archive.js';
import { translateDbError } from '../db-errors.js';
import type { Executor, RunMany } from './common.js';
import type { SqliteReadLog } from '../read-log.js';

/** How a dialect commits the compliance record of reads (Store.recordReads). */
export interface ReadRecordCommits {
  append(events: readonly NewComplianceEvent[]): Promise<void>;
  /** Before the store's connections close. */
  close(): Promise<void>;
}

/** The one Store implementation, over a connection pool or bound to a transaction. */
export class KyselyStore implements Store {
  readonly meta;
  readonly principals;
  readonly categories;
  readonly rooms;
  readonly nodeNames;
  readonly outbox;
  readonly addins;
  readonly policies;
  readonly configurations;
  readonly complianceConfigurations;
  readonly endpoints;
  readonly administrators;
  readonly messages;
  readonly words;
  readonly sessions;
  readonly follows;
  readonly invitations;
  readonly notifications;
  readonly keywordAlerts;
  readonly topicFeeds;
  readonly files;
  readonly compliance;
  readonly archive;

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly inTransaction = false,
    /** The dialect's relaxed commit of read records (Store.recordReads); the root store only. */
    private readonly records?: ReadRecordCommits,
    /** SQLite: rows run one by one through one prepared statement, handed to the stores of its transactions. */
    private readonly runMany?: RunMany,
    /** SQLite: the log of read records, handed to the stores of its transactions (a claim moves it). */
    private readonly readLog?: SqliteReadLog,
    /** SQLite with relaxed commits: makes them durable (Store.sync); the root store only. */
    private readonly syncCommits?: () => Promise<void>,
  ) {
    const ex: Executor = {
      db,
      dialect,
      can: capabilities(dialect),
      ...(inTransaction && runMany !== undefined ? { runMany } : {}),
      ...(readLog === undefined ? {} : { readLog }),
    };
    this.meta = metaStore(ex);
    this.principals = principalStore(ex);
    this.categories = categoryStore(ex);
    this.rooms = roomStore(ex);
    this.nodeNames = nodeNameStore(ex);
    this.outbox = outboxStore(ex);
    this.addins = addinStore(ex);
    this.policies = policyStore(ex);
    this.configurations = configurationStore(ex);
    this.complianceConfigurations = complianceConfigurationStore(ex);
    this.endpoints = endpointStore(ex);
    this.administrators = administratorStore(ex);
    this.messages = messageStore(ex);
    this.words = wordIndexStore(ex);
    this.sessions = sessionStore(ex);
    this.follows = followStore(ex);
    this.invitations = invitationStore(ex);
    this.notifications = notificationStore(ex);
    this.keywordAlerts = keywordAlertStore(ex);
    this.topicFeeds = topicFeedStore(ex);
    this.files = fileStore(ex);
    this.compliance = complianceStore(ex);
    this.archive = archiveStore(ex);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    try {
      return await this.db.transaction().execute(async (trx) => fn(new KyselyStore(trx, this.dialect, true, undefined, this.runMany, this.readLog)));
    } catch (err) {
      throw translateDbError(err);
    }
  }

  async recordReads(events: readonly NewComplianceEvent[]): Promise<void> {
    if (this.records === undefined) throw new Error('read records are committed by the root store, outside a transaction');
    if (events.length === 0) return;
    try {
      await this.records.append(events);
    } catch (err) {
      throw translateDbError(err);
    }
  }

  async sync(): Promise<void> {
    if (this.inTransaction) throw new Error('commits are made durable by the root store, outside a transaction');
    await this.syncCommits?.();
  }

  async close(): Promise<void> {
    if (this.inTransaction) return;
    await this.records?.close();
    await this.db.destroy();
  }
}

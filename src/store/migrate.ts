import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './dialect.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-chat.js';
import * as m0003 from './migrations/0003-compliance.js';
import * as m0004 from './migrations/0004-legacy-secrets.js';
import * as m0005 from './migrations/0005-directory-links.js';
import * as m0006 from './migrations/0006-word-index.js';
import * as m0007 from './migrations/0007-word-index-postgres.js';
import * as m0008 from './migrations/0008-nodes.js';
import * as m0009 from './migrations/0009-event-outbox.js';
import * as m0010 from './migrations/0010-trigram-indexer.js';
import * as m0011 from './migrations/0011-compliance-ranges.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the migrator works on the untyped schema */
type Step = { up(db: Kysely<any>, dialect: Dialect): Promise<void> };

/** Migrations in order; names never change once released. */
const STEPS: Record<string, Step> = {
  '0001-initial': m0001,
  '0002-chat': m0002,
  '0003-compliance': m0003,
  '0004-legacy-secrets': m0004,
  '0005-directory-links': m0005,
  '0006-word-index': m0006,
  '0007-word-index-postgres': m0007,
  '0008-nodes': m0008,
  '0009-event-outbox': m0009,
  '0010-trigram-indexer': m0010,
  '0011-compliance-ranges': m0011,
};

class InCodeProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}

  getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, step] of Object.entries(STEPS)) {
      out[name] = { up: (db) => step.up(db, this.dialect) };
    }
    return Promise.resolve(out);
  }
}

export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new InCodeProvider(dialect),
    migrationTableName: 'stoa_migrations',
    migrationLockTableName: 'stoa_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error');
    const reason = error instanceof Error ? error.message : JSON.stringify(error);
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
}

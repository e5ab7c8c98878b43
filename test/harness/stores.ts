/** Real stores for tests: a fresh SQLite file, or a fresh PostgreSQL database from the template. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/types.js';
import type { Dialect } from '../../src/store/dialect.js';
import type { StatementWatch } from '../../src/store/statement-guard.js';

export function tempDir(prefix = 'stoa-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function sqliteStore(watch?: StatementWatch): Promise<Store> {
  return openSqliteStore(path.join(tempDir(), 'stoa.db'), watch);
}

export function postgresEnabled(): boolean {
  return inject('postgresTemplateUrl') !== null;
}

/** A new database per call, copied from the migrated template (fast: no migrations run). */
export async function postgresDatabaseUrl(): Promise<string> {
  const adminUrl = inject('postgresAdminUrl');
  if (adminUrl === null) throw new Error('PostgreSQL is not available in this test run');
  const name = `t_${randomUUID().replace(/-/g, '')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE stoa_template`);
  } finally {
    await admin.end();
  }
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

export async function postgresStore(watch?: StatementWatch): Promise<Store> {
  return openPostgresStore(await postgresDatabaseUrl(), 4, watch);
}

export interface StoreKind {
  dialect: Dialect;
  enabled: () => boolean;
  /** A fresh store; `watch` sees its statements (counts, writes outside transactions refused). */
  open: (watch?: StatementWatch) => Promise<Store>;
}

export const STORE_KINDS: StoreKind[] = [
  { dialect: 'sqlite', enabled: () => true, open: sqliteStore },
  { dialect: 'postgres', enabled: postgresEnabled, open: postgresStore },
];

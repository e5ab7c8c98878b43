/**
 * Starts the real servers the tests need once per run. Under STOA_TEST_REQUIRE_ALL=1
 * (CI) a missing dependency fails the run; locally its tests skip with a loud message.
 */
import type { TestProject } from 'vitest/node';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { postgresAvailable, startPostgres, type PostgresServer } from './postgres-server.js';
import { openPostgresStore } from '../../src/store/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplateUrl: string | null;
    postgresAdminUrl: string | null;
  }
}

export const TEMPLATE_DATABASE = 'stoa_template';

let server: PostgresServer | undefined;

/** Command-line tools the compliance tests run (Debian packages). */
const TOOLS = [
  ['xmllint', 'libxml2-utils'],
  ['xsltproc', 'xsltproc'],
] as const;

function checkTools(required: boolean): void {
  for (const [tool, pkg] of TOOLS) {
    if (spawnSync(tool, ['--version']).error === undefined) continue;
    if (required) throw new Error(`STOA_TEST_REQUIRE_ALL=1 but ${tool} is not installed (apt-get install -y ${pkg})`);
    console.warn(`\n*** ${tool} not found: the tests that need it are SKIPPED (apt-get install -y ${pkg}) ***\n`);
  }
}

export async function setup(project: TestProject): Promise<void> {
  const required = process.env.STOA_TEST_REQUIRE_ALL === '1';
  checkTools(required);
  if (postgresAvailable() === undefined) {
    if (required) throw new Error('STOA_TEST_REQUIRE_ALL=1 but PostgreSQL is not installed (apt-get install -y postgresql)');
    console.warn('\n*** PostgreSQL not found: the PostgreSQL conformance tests are SKIPPED (apt-get install -y postgresql) ***\n');
    project.provide('postgresTemplateUrl', null);
    project.provide('postgresAdminUrl', null);
    return;
  }
  server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const store = await openPostgresStore(server.url(TEMPLATE_DATABASE), 1);
  await store.close();
  project.provide('postgresTemplateUrl', server.url(TEMPLATE_DATABASE));
  project.provide('postgresAdminUrl', server.url('postgres'));
}

export function teardown(): void {
  server?.stop();
}

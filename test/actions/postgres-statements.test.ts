/**
 * PostgreSQL parses and plans a hot statement once per connection (a named prepared
 * statement) rather than on every call — except pattern matches (LIKE/ILIKE), which are
 * planned with their pattern each time so the trigram indexes are used.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../harness/stores.js';
import type { KyselyStore } from '../../src/store/kysely/store.js';
import type { Store } from '../../src/store/types.js';

const postgres = STORE_KINDS.find((k) => k.dialect === 'postgres')!;

describe.skipIf(!postgres.enabled())('PostgreSQL prepared statements', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('are prepared once per connection by name, and pattern matches are not', async () => {
    store = await postgres.open();
    const names = await store.transaction(async (tx) => {
      // One connection for the whole transaction: what it prepared is visible here.
      await tx.principals.getManyByIds([1, 2, 3]);
      await tx.principals.getManyByIds([4]);
      await tx.messages.search({ rooms: {}, terms: ['quarterly'], limit: 1 });
      const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute((tx as KyselyStore).db);
      return rows;
    });
    const principals = names.filter((r) => r.statement.includes('from "principals"'));
    // Both calls, whatever the list length, share one statement.
    expect(principals).toHaveLength(1);
    expect(principals[0]!.name).toMatch(/^stoa_/);
    expect(names.filter((r) => /\bilike\b/i.test(r.statement))).toEqual([]);
    expect(names.some((r) => r.statement.includes('from "messages"'))).toBe(false);
  });
});

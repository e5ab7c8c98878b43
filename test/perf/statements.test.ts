/**
 * What one request costs the database, through the real server: the SQL statements a hot
 * call runs (history page, post, join, part, roster poll, search, the people picker), counted by the store's
 * driver. A change that adds a query per member, per message or per request fails here,
 * not in a benchmark (docs/benchmarks.md has the throughput these counts buy).
 *
 * The room has many members (users and a group), so a statement per member would show.
 * The compliance record of a read is written by the group commit, shared by every read in
 * its batch: it is counted separately (one transaction per batch, whatever its size).
 */
import { expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useServer } from '../harness/server.js';
import { buildCategory, buildDomain, buildGroup, buildRoom, unique } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkGroupMembership } from '../../src/actions/principals.js';

const MEMBERS = 40;
const PICKER_CEILING = 4;

/**
 * The batches that only write the compliance record of reads (Store.recordReads): exactly
 * begin, the records (one prepared insert each), commit on SQLite (in the log of read records, a file of its own:
 * store/read-log.ts); one INSERT ... FROM unnest on PostgreSQL (a statement on a
 * connection of its own). The readers' SIP addresses come from the node's cache.
 */
function split(statements: string[]): { request: string[]; recordBatches: number } {
  const request: string[] = [];
  let recordBatches = 0;
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i] as string;
    if (s === 'begin' && /^insert into read_records /.test(statements[i + 1] ?? '')) {
      // One prepared insert per record (they go one by one through it), then the commit.
      let end = i + 1;
      while (/^insert into read_records /.test(statements[end] ?? '')) end++;
      expect(statements[end]).toBe('commit');
      recordBatches++;
      i = end;
      continue;
    }
    if (/^insert into "compliance_events" .* from unnest\(/s.test(s)) {
      recordBatches++;
      continue;
    }
    request.push(s);
  }
  return { request, recordBatches };
}

describeEachStore('statements per hot call', (kind) => {
  const t = useServer(kind);

  it('stay few and independent of the room size', async () => {
    const domain = unique('d') + '.example';
    await buildDomain(t.services, domain);
    const group = await buildGroup(t.services);
    const category = await buildCategory(t.services, { allowed: [domain, group.key] });
    const users = await Promise.all(Array.from({ length: 4 }, () => t.user({ domain })));
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    await checkGroupMembership(t.services, SYSTEM_ACTOR, group.key, alice.key, 'add');
    const others = await Promise.all(Array.from({ length: MEMBERS }, () => t.user({ domain })));
    const room = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [group.key, bob.key, ...others.map((u) => u.key)] });
    for (let i = 0; i < 60; i++) await bob.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `message ${i} about the quarterly numbers` });
    const ws = await alice.ws();
    const counts: Record<string, { request: number; recordBatches: number; sql: string[] }> = {};
    // Steady state: the first call of a user fills the node's caches (facts, categories,
    // authors, configuration, the subscription index); the second is measured.
    const measure = async (name: string, fn: () => Promise<unknown>, undo?: () => Promise<unknown>) => {
      await fn();
      await undo?.();
      const { request, recordBatches } = split(await t.statements(fn));
      counts[name] = { request: request.length, recordBatches, sql: request };
      await undo?.();
    };

    await measure('history', async () => expect((await alice.api.get(`/api/v1/rooms/${room.guid}/messages?limit=50`)).status).toBe(200));
    await measure('post', async () => expect((await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'numbers are in' })).status).toBe(201));
    const join = () => ws.ok({ type: 'join', room: room.guid });
    const part = () => ws.ok({ type: 'part', room: room.guid });
    await measure('join', join, part);
    await join();
    await measure('part', part, join);
    await measure('roster', async () => ws.ok({ type: 'participants', room: room.guid }));
    await measure('search', async () => expect((await alice.api.get(`/api/v1/search?q=quarterly`)).status).toBe(200));
    // The people picker over many matches, within the category's scope: no query per principal.
    await measure('picker', async () => expect((await alice.api.get(`/api/v1/principals?q=${domain}&category=${encodeURIComponent(category.name)}&limit=25`)).body).toHaveLength(25));
    ws.close();

    const summary = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, `${v.request}+${v.recordBatches} batch`]));
    console.log(`statements per call [${kind.dialect}]: ${JSON.stringify(summary)}`);
    const show = (name: string) => `${name}:\n  ${counts[name]?.sql.join('\n  ')}`;
    if (process.env.STOA_SHOW_SQL === '1') for (const name of Object.keys(counts)) console.log(show(name));
    // From a warm node: the session, the reader's room and the newest messages are in memory (0 today; 1 of slack).
    expect(counts.history?.request, show('history')).toBeLessThanOrEqual(1);
    expect(counts.history?.recordBatches).toBe(1);
    expect(counts.post?.request, show('post')).toBeLessThanOrEqual(7);
    // The JOIN and PART records are writes of their own (begin, the participant, the record, commit);
    // a join also answers the user's invitations to the room (one DELETE, whatever their number).
    expect(counts.join?.request, show('join')).toBeLessThanOrEqual(7);
    expect(counts.part?.request, show('part')).toBeLessThanOrEqual(5);
    expect(counts.roster?.request, show('roster')).toBeLessThanOrEqual(2);
    expect(counts.search?.request, show('search')).toBeLessThanOrEqual(4);
    expect(counts.search?.recordBatches).toBe(1);
    expect(counts.picker?.request, show('picker')).toBeLessThanOrEqual(PICKER_CEILING);
  });
});

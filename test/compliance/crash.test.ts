/**
 * Exactly once across crashes (D2): `stoa compliance run` is killed with SIGKILL at a
 * random moment of writing, 20 times; a second run finishes the work, and every event is
 * found in the output exactly once — in XML (one file per room) and in JSON Lines — the
 * records of reads too, which each claim moves out of their log on the way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { beforeAll, expect, it } from 'vitest';
import { assertBuilt, STOA } from '../harness/cli.js';
import { tempDir } from '../harness/stores.js';
import { listOutput, readJsonLines, readStoaEvents, readXmlMessages } from '../harness/compliance-output.js';
import { openRuntime } from '../../src/main.js';
import { configSchema } from '../../src/config/schema.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { buildCategory, buildRoom, buildUser } from '../factories.js';
import { complianceConfigurations } from '../../src/actions/compliance-configurations.js';
import type { NewComplianceEvent } from '../../src/store/types.js';

const TRIALS = 20;
const EVENTS = 12_000;
const ROOMS = 24;
const BATCH = '150';

beforeAll(() => assertBuilt());

interface Seed {
  dir: string;
  /** Legacy-type events by type, and the unique contents of CHAT/BACKCHAT ones. */
  joins: number;
  parts: number;
  texts: Set<string>;
  changes: number;
  /** Every event captured. */
  total: number;
}

/** A data dir with EVENTS captured events over ROOMS rooms; copied for every trial. */
async function seed(adapterType: 'Xml' | 'JsonLines'): Promise<Seed> {
  const dir = path.join(tempDir('stoa-crash-'), 'data');
  const runtime = await openRuntime(configSchema.parse({ dataDir: dir, poolFqdn: 'pc.contoso.com' }));
  const s = runtime.services;
  try {
    await complianceConfigurations.update(s, SYSTEM_ACTOR, 'global', { adapterType, oneChatRoomPerOutputFile: adapterType === 'Xml' });
    const users = [];
    for (let i = 0; i < 4; i++) users.push(await buildUser(s));
    const cat = await buildCategory(s, { allowed: users.map((u) => u.key) });
    const rooms = [];
    for (let i = 0; i < ROOMS; i++) rooms.push(await buildRoom(s, cat.name));
    const types = ['JOIN', 'CHAT', 'CHAT', 'BACKCHAT', 'PART', 'CHANGE'] as const;
    const events: NewComplianceEvent[] = [];
    const out: Seed = { dir, joins: 0, parts: 0, texts: new Set(), changes: 0, total: 0 };
    for (let i = 0; i < EVENTS; i++) {
      const type = types[i % types.length] as (typeof types)[number];
      const user = users[i % users.length] as (typeof users)[number];
      const room = rooms[(i * 7) % ROOMS] as (typeof rooms)[number];
      const text = type === 'CHAT' || type === 'BACKCHAT' ? `${type.toLowerCase()} ${i} «${'x'.repeat(i % 50)}»` : type === 'CHANGE' ? `update room ${i}` : '';
      if (type === 'JOIN') out.joins++;
      if (type === 'PART') out.parts++;
      if (type === 'CHANGE') out.changes++;
      if (text !== '' && type !== 'CHANGE') out.texts.add(text);
      events.push({
        type,
        at: 1_790_000_000_000 + i,
        actorId: user.id,
        actorUri: user.key,
        roomId: type === 'CHANGE' ? null : room.id,
        roomUri: type === 'CHANGE' ? null : `ma-chan://pc.contoso.com/${room.guid}`,
        messageId: type === 'CHAT' ? i : null,
        content: text,
        details: null,
      });
    }
    // BACKCHAT events are records of reads: on SQLite they wait in the log of read records
    // (store/read-log.ts), and the killed runs' claims move them into the events as they go.
    await s.store.transaction((tx) => tx.compliance.capture(events.filter((e) => e.type !== 'BACKCHAT')));
    const reads = events.filter((e) => e.type === 'BACKCHAT');
    for (let i = 0; i < reads.length; i += 500) await s.store.recordReads(reads.slice(i, i + 500));
    // Count what the setup itself captured (CHANGE events of the users, category, rooms).
    out.total = (await s.store.compliance.pending()).events;
    out.changes += out.total - EVENTS;
    return out;
  } finally {
    await runtime.close();
  }
}

function complianceRun(dir: string, killAfterMs?: number): Promise<{ code: number | null; signal: string | null; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [STOA, '--data-dir', dir, 'compliance', 'run'], {
    env: { ...process.env, STOA_COMPLIANCE_BATCH_SIZE: BATCH },
    // stdout is not read: 'ignore', or a full pipe would block the child's writes.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal === null) reject(new Error(`compliance run exited ${code}: ${err}`));
      else resolve({ code, signal, ms: Date.now() - started });
    });
  });
}

/** Every seeded event exactly once in the output directory. */
function checkExactlyOnce(seed: Seed, out: string, adapter: 'Xml' | 'JsonLines'): void {
  const files = listOutput(out);
  expect(files.filter((f) => path.basename(f).startsWith('.')), 'no temporary files are left visible').toEqual([]);
  if (adapter === 'JsonLines') {
    const lines = readJsonLines(files);
    const ids = lines.map((l) => l.id as number);
    expect(new Set(ids).size, 'no event twice').toBe(ids.length);
    expect(ids.length, 'every event').toBe(seed.total);
    return;
  }
  const messages = readXmlMessages(files);
  const texts = messages.filter((m) => m.type === 'CHAT' || m.type === 'BACKCHAT').map((m) => m.content);
  expect(texts.length, 'no message twice').toBe(new Set(texts).size);
  expect(new Set(texts)).toEqual(seed.texts);
  expect(messages.filter((m) => m.type === 'JOIN')).toHaveLength(seed.joins);
  expect(messages.filter((m) => m.type === 'PART')).toHaveLength(seed.parts);
  const changes = readStoaEvents(files).map((e) => e.id);
  expect(new Set(changes).size).toBe(changes.length);
  expect(changes).toHaveLength(seed.changes);
}

it(`writes every event exactly once when the writer is killed at random points (${TRIALS} trials)`, { timeout: 600_000 }, async () => {
  const seeds = { Xml: await seed('Xml'), JsonLines: await seed('JsonLines') };
  // How long an uninterrupted run takes: kills are spread over that span.
  const calibrate = path.join(tempDir('stoa-crash-'), 'data');
  fs.cpSync(seeds.Xml.dir, calibrate, { recursive: true });
  const full = await complianceRun(calibrate);
  checkExactlyOnce(seeds.Xml, path.join(calibrate, 'compliance'), 'Xml');
  let interrupted = 0;
  let midOutput = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const adapter = trial % 2 === 0 ? 'Xml' : 'JsonLines';
    const dir = path.join(tempDir('stoa-crash-'), 'data');
    fs.cpSync(seeds[adapter].dir, dir, { recursive: true });
    // Stratified: one random point in each twentieth of the run, so early and late kills both happen.
    const span = Math.max(1, 0.75 * full.ms - 200);
    const killAt = Math.floor(200 + ((trial + Math.random()) / TRIALS) * span);
    const first = await complianceRun(dir, killAt);
    if (first.signal === 'SIGKILL') interrupted++;
    const out = path.join(dir, 'compliance');
    if (listOutput(out).length > 0 && first.signal === 'SIGKILL') midOutput++;
    await complianceRun(dir);
    checkExactlyOnce(seeds[adapter], out, adapter);
  }
  console.log(`compliance crash test: a full run takes ${full.ms} ms; ${interrupted}/${TRIALS} runs killed, ${midOutput} of them after output had begun; every event exactly once after the re-run`);
  expect(interrupted).toBeGreaterThanOrEqual(TRIALS / 2);
  expect(midOutput).toBeGreaterThanOrEqual(5);
});

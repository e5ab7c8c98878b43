/**
 * `npm run bench -- compliance [--size N] [--smoke] [--no-record]`
 *
 * 1. Adapter throughput: N captured events (default 100,000; a realistic mix over 50 rooms
 *    and 200 users) written by the compliance worker — read from the database in pages,
 *    translated, written atomically, and the batch completed (events deleted) — for the
 *    XML adapter (one file, and one file per room), JSON Lines, and XML through an XSLT
 *    stylesheet (xsltproc), with WAL checkpoints in a worker thread as on a serving node.
 *    Events per second and the process's peak RSS.
 * 2. The cost of capture on posting: messages posted through the action layer on the
 *    embedded SQLite database (synchronous=FULL), with capture and with the capture insert
 *    switched off by a wrapper around the store (the product has no switch), in
 *    alternating rounds so drift hits both alike.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SYSTEM_ACTOR, type Services } from '../src/actions/context.js';
import { checkPostMessage } from '../src/actions/messages.js';
import { complianceConfigurations } from '../src/actions/compliance-configurations.js';
import { channelUri } from '../src/domain/compliance.js';
import { XSLTPROC } from '../src/compliance/xslt.js';
import type { ComplianceConfiguration } from '../src/domain/settings.js';
import type { NewComplianceEvent, Store } from '../src/store/types.js';
import { buildCategory, buildDomain, buildRoom, buildUser } from '../test/factories.js';
import { POOL, ROOT, describeMachine, elapsed, fmt, machine, open, quantile, recordRow, sentence, withPeakRss, type Options } from './lib.js';

const ROOMS = 50;
const USERS = 200;

function tempData(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-')), 'data');
}



/** A data dir with `count` captured events (plus the CHANGE events of building it). */
async function seed(count: number): Promise<{ dir: string; events: number }> {
  const dir = tempData();
  const runtime = await open(dir);
  const s = runtime.services;
  try {
    await buildDomain(s, 'contoso.com');
    const users = [];
    for (let i = 0; i < USERS; i++) users.push(await buildUser(s, { domain: 'contoso.com' }));
    const category = await buildCategory(s, { allowed: ['contoso.com'], fileUpload: true });
    const rooms = [];
    for (let i = 0; i < ROOMS; i++) rooms.push(await buildRoom(s, category.name));
    const start = Date.now() - count;
    let chunk: NewComplianceEvent[] = [];
    for (let i = 0; i < count; i++) {
      const user = users[(i * 31) % USERS] as (typeof users)[number];
      const room = rooms[(i * 17) % ROOMS] as (typeof rooms)[number];
      const roll = i % 100;
      const type = roll < 80 ? 'CHAT' : roll < 88 ? 'BACKCHAT' : roll < 93 ? 'JOIN' : roll < 98 ? 'PART' : roll < 99 ? 'FILEUPLOAD' : 'FILEDOWNLOAD';
      const details =
        type === 'CHAT'
          ? { chatId: i }
          : type === 'BACKCHAT'
            ? { how: 'join', messageIds: [i - 3, i - 2, i - 1], chatIds: [i - 3, i - 2, i - 1] }
            : type === 'PART'
              ? { reason: 'disconnected' }
              : type.startsWith('FILE')
                ? { fileId: `f${i}`, name: 'report.pdf', contentType: 'application/pdf', sizeBytes: 1000 + i, sha256: 'ab'.repeat(32) }
                : null;
      chunk.push({
        type,
        at: start + i,
        actorId: user.id,
        actorUri: user.key,
        roomId: room.id,
        roomUri: channelUri(POOL, room.guid),
        messageId: type === 'CHAT' ? i : null,
        content: type === 'CHAT' ? sentence(i) : type === 'BACKCHAT' ? 'join: 3 message(s)' : type.startsWith('FILE') ? `f${i}.pdf` : '',
        details: details === null ? null : JSON.stringify(details),
      });
      if (chunk.length === 5000) {
        const rows = chunk;
        await s.store.transaction((tx) => tx.compliance.capture(rows));
        chunk = [];
      }
    }
    const rest = chunk;
    if (rest.length > 0) await s.store.transaction((tx) => tx.compliance.capture(rest));
    return { dir, events: (await s.store.compliance.pending()).events };
  } finally {
    await runtime.close();
  }
}

interface AdapterResult {
  variant: string;
  events: number;
  seconds: number;
  files: number;
  megabytes: number;
  peakRssMiB: number;
}

async function adapterRun(seeded: { dir: string; events: number }, variant: string, settings: Partial<ComplianceConfiguration>): Promise<AdapterResult> {
  const dir = tempData();
  fs.cpSync(seeded.dir, dir, { recursive: true });
  // As the worker runs in `stoa serve` (and `stoa compliance run`): WAL checkpoints in a worker thread.
  const runtime = await open(dir, undefined, { bulk: 'serve' });
  try {
    await complianceConfigurations.update(runtime.services, SYSTEM_ACTOR, 'global', settings);
    const started = process.hrtime.bigint();
    const { result: report, peakRssMiB } = await withPeakRss(() => runtime.compliance.run());
    const seconds = elapsed(started);
    if (report.events < seeded.events) throw new Error(`${variant}: wrote ${report.events} of ${seeded.events} events`);
    const bytes = report.files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
    return { variant, events: report.events, seconds, files: report.files.length, megabytes: bytes / 1e6, peakRssMiB };
  } finally {
    await runtime.close();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

/** The store as it would be without the capture insert (for the comparison only). */
function withoutCapture(store: Store): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'compliance') return { ...target.compliance, capture: () => Promise.resolve() };
      if (prop === 'transaction') return <T>(fn: (tx: Store) => Promise<T>) => target.transaction((tx) => fn(withoutCapture(tx)));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

async function postCost(posts: number, rounds: number): Promise<{ withCapture: number; without: number; cost: number }> {
  const dir = tempData();
  const runtime = await open(dir);
  try {
    const s = runtime.services;
    await buildDomain(s, 'contoso.com');
    const user = await buildUser(s, { domain: 'contoso.com' });
    const category = await buildCategory(s, { allowed: ['contoso.com'] });
    const room = await buildRoom(s, category.name, { privacy: 'Closed', members: [user.key] });
    const plain: Services = { ...s, store: withoutCapture(s.store) };
    const before = (await s.store.compliance.pending()).events;
    const time = { withCapture: 0, without: 0 };
    /** Each round's cost (its two variants back to back): the median is what is reported, as the machine's drift moves the rounds. */
    const costs: number[] = [];
    let n = 0;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['withCapture', 'without'] as const) : (['without', 'withCapture'] as const);
      const took = { withCapture: 0, without: 0 };
      for (const variant of order) {
        const services = variant === 'withCapture' ? s : plain;
        const started = process.hrtime.bigint();
        for (let i = 0; i < posts; i++) await checkPostMessage(services, user.actor, room.guid, { text: sentence(n++) });
        took[variant] = elapsed(started);
        time[variant] += took[variant];
      }
      costs.push(1 - took.without / took.withCapture);
    }
    const captured = (await s.store.compliance.pending()).events - before;
    if (captured !== posts * rounds) throw new Error(`expected ${posts * rounds} CHAT events captured, found ${captured}`);
    return { withCapture: (posts * rounds) / time.withCapture, without: (posts * rounds) / time.without, cost: quantile(Float64Array.from(costs).sort(), 0.5) };
  } finally {
    await runtime.close();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

export async function complianceBench(options: Options): Promise<void> {
  const m = machine();
  const size = options.size ?? (options.smoke ? 2_000 : 100_000);
  console.log(`compliance bench: ${fmt(size)} events; ${describeMachine(m)}; commit ${m.commit}`);
  const started = process.hrtime.bigint();
  const seeded = await seed(size);
  console.log(`seeded ${fmt(seeded.events)} events in ${fmt(elapsed(started), 1)} s`);

  const variants: [string, Partial<ComplianceConfiguration>][] = [
    ['Xml', { adapterType: 'Xml' }],
    ['Xml, one file per room, room and user details', { adapterType: 'Xml', oneChatRoomPerOutputFile: true, addChatRoomDetails: true, addUserDetails: true }],
    ['JsonLines', { adapterType: 'JsonLines', createFileAttachmentsManifest: true }],
    ['Xml + XSLT (xsltproc, 01 §5.5 FileDump)', { adapterType: 'Xml', customConfiguration: fs.readFileSync(path.join(ROOT, 'test/fixtures/compliance/filedump.xsl'), 'utf8') }],
  ];
  const results: AdapterResult[] = [];
  for (const [variant, settings] of variants) {
    if (settings.customConfiguration !== undefined && spawnSync(XSLTPROC, ['--version']).status !== 0) {
      console.log(`  ${variant.padEnd(50)} skipped: ${XSLTPROC} is not installed (apt-get install -y xsltproc)`);
      continue;
    }
    const r = await adapterRun(seeded, variant, settings);
    results.push(r);
    console.log(
      `  ${variant.padEnd(50)} ${fmt(r.events / r.seconds).padStart(9)} events/s  (${fmt(r.seconds, 2)} s, ${r.files} file(s), ${fmt(r.megabytes, 1)} MB, peak RSS ${r.peakRssMiB} MiB)`,
    );
  }
  fs.rmSync(path.dirname(seeded.dir), { recursive: true, force: true });

  const posts = options.smoke ? 20 : 250;
  const rounds = options.smoke ? 2 : 16;
  const cost = await postCost(posts, rounds);
  const overhead = cost.cost;
  console.log(
    `  posts (SQLite, synchronous=FULL): ${fmt(cost.withCapture)}/s with capture, ${fmt(cost.without)}/s without: capture costs ${fmt(overhead * 100, 1)} % (median of ${rounds} rounds of ${fmt(posts)} posts each)`,
  );

  if (!options.record) return;
  for (const r of results) {
    recordRow('compliance-adapters', [m.date, m.commit, describeMachine(m), r.variant, fmt(r.events), fmt(r.events / r.seconds), String(r.files), fmt(r.megabytes, 1), String(r.peakRssMiB), `\`${options.command}\``]);
  }
  recordRow('compliance-capture', [m.date, m.commit, describeMachine(m), fmt(posts * rounds), fmt(cost.withCapture), fmt(cost.without), `${fmt(overhead * 100, 1)} %`, `\`${options.command}\``]);
  console.log('recorded in docs/benchmarks.md');
}

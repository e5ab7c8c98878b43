/**
 * `npm run bench -- capacity-model [--size N] [--smoke] [--no-record]`
 *
 * The legacy server's published load model (spec 01 §8.3), scaled to N users online on one
 * node (default 15,000 — what the connections scenario shows a node holds, kept under the
 * 20,000 open files a process may have here), on a `stoa serve` child (embedded SQLite):
 *
 * - Rooms in the model's proportion to users (33,077 rooms for 80,000 concurrent users):
 *   small rooms of 30 members, medium of 150, large of 16,000 (or N, when N is smaller),
 *   so that every user is a member of 12 small, 2 medium and 2 large rooms, as in the
 *   model. 1 % of small and medium rooms and half the large ones are auditoriums, 3 %,
 *   3 % and half are Open (the others Closed, with member lists).
 * - Every user online on a WebSocket with 2.25 rooms open on average (the model's visible
 *   rooms per user).
 * - For 60 s, at the model's rates per 20,000 users scaled to N: 74 messages/s (its
 *   busiest planning model: 50/500/100 messages a day per small/medium/large room, so
 *   three quarters into small rooms), 10 joins/s (a user closes one of its rooms and opens
 *   another), and the roster of each open room polled every 5 minutes (25 participants
 *   per poll in the model: 112 polls/s at 15,000 users).
 *
 * Reported: p50/p99 of the post round trip (sent → the server's reply), delivery (sent →
 * arrival at every other member with the room open), join and roster poll, and CPU of
 * both sides. Presence changes of the model belong to the SIP registrar, not to the chat
 * server, and are not part of it.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { buildCategory, buildDomain, buildRoom } from '../test/factories.js';
import { cpuMeter, cpuSeconds, elapsed, fmt, open, quantile, recordResult, scratchDir, seedTokenUsers, serveChild, stopChild, wsUrlOf, type Options } from './lib.js';

/** The model's figures (spec 01 §8.3). */
const MODEL = {
  concurrentUsers: 80_000,
  rooms: { small: 32_000, medium: 1_067, large: 10 },
  size: { small: 30, medium: 150, large: 16_000 },
  auditorium: { small: 0.01, medium: 0.01, large: 0.5 },
  open: { small: 0.03, medium: 0.03, large: 0.5 },
  /** Per 20,000 users (one server of the pool). */
  perServer: { users: 20_000, messagesPerSecond: 74, joinsPerSecond: 10 },
  messagesPerRoomPerDay: { small: 50, medium: 500, large: 100 },
  visibleRoomsPerUser: 2.25,
  rosterPollSeconds: 300,
} as const;

type Kind = 'small' | 'medium' | 'large';
const KINDS: readonly Kind[] = ['small', 'medium', 'large'];

interface PlannedRoom {
  kind: Kind;
  /** Member user indexes (empty list = every user, for Open large rooms too). */
  members: number[];
  open: boolean;
  auditorium: boolean;
  /** Users who have the room open (kept up to date as users move). */
  openers: number[];
  /** An auditorium's presenter: the first user to have it open, if anyone does. */
  presenter?: number;
}

/** Rooms, memberships and who has what open — computed before anything is created; with each user's small rooms (where its moves go). */
export function plan(users: number): { rooms: PlannedRoom[]; smallRoomsOf: number[][] } {
  const rooms: PlannedRoom[] = [];
  for (const kind of KINDS) {
    const count = Math.max(1, Math.round((MODEL.rooms[kind] * users) / MODEL.concurrentUsers));
    const size = Math.min(MODEL.size[kind], users);
    for (let i = 0; i < count; i++) {
      // Consecutive blocks, wrapping: every user ends up in (count × size / users) rooms of the kind.
      const members = Array.from({ length: size }, (_, k) => (i * size + k) % users);
      rooms.push({ kind, members, open: (i + 1) % Math.round(1 / MODEL.open[kind]) === 0, auditorium: (i + 1) % Math.round(1 / MODEL.auditorium[kind]) === 0, openers: [] });
    }
  }
  // Rooms each user belongs to, by kind; everyone opens a small room and a medium or large
  // one, and every fourth user a second small one: 2.25 on average, spread over the rooms.
  const memberOf = Array.from({ length: users }, () => ({ small: [] as number[], medium: [] as number[], large: [] as number[] }));
  rooms.forEach((room, r) => room.members.forEach((u) => memberOf[u]![room.kind].push(r)));
  const nth = (list: number[], i: number) => list[i % list.length];
  for (let u = 0; u < users; u++) {
    const mine = memberOf[u]!;
    const picks = [nth(mine.small, u), u % 2 === 0 ? nth(mine.medium, u) : nth(mine.large, u)];
    if (u % 4 === 0) picks.push(nth(mine.small, u + Math.floor(mine.small.length / 2)));
    for (const r of picks) if (r !== undefined && !rooms[r]!.openers.includes(u)) rooms[r]!.openers.push(u);
  }
  for (const room of rooms) if (room.auditorium) room.presenter = room.openers[0];
  return { rooms, smallRoomsOf: memberOf.map((m) => m.small) };
}

interface Client {
  ws: WebSocket;
  /** Indexes of the rooms it has open. */
  open: Set<number>;
  pending: Map<number, (ok: boolean, text: string) => void>;
}

type Samples = { post: number[]; delivery: number[]; join: number[]; roster: number[]; errors: number };
const stats = (): Samples => ({ post: [], delivery: [], join: [], roster: [], errors: 0 });

/** What a generator process needs: written by the bench to a file in its scratch dir. */
interface Setup {
  users: number;
  url: string;
  tokens: string[];
  guids: string[];
}

/** Messages between the bench and its generator processes (over the IPC channel). */
type ToGenerator = { run: 'warm-up' | 'measure'; seconds: number };
type FromGenerator = { online: number; opened: number } | { ran: 'warm-up' } | { ran: 'measure'; samples: Samples } | { failed: string };

/** Users per load-generator process: each holds one socket per user, and a process may have at most 20,000 open files. */
const USERS_PER_GENERATOR = 10_000;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between the generator processes of one machine. */
const now = () => performance.timeOrigin + performance.now();

export async function capacityBench(options: Options): Promise<void> {
  const users = options.smoke ? 300 : (options.size ?? 15_000);
  const seconds = options.smoke ? 3 : 60;
  const scale = users / MODEL.perServer.users;
  const { rooms } = plan(users);
  const dir = path.join(scratchDir('capacity'), 'data');
  const t0 = process.hrtime.bigint();
  console.log(`capacity-model: seeding ${fmt(users)} users and ${fmt(rooms.length)} rooms (${KINDS.map((k) => `${rooms.filter((r) => r.kind === k).length} ${k}`).join(', ')})…`);
  const runtime = await open(dir);
  const tokens: string[] = [];
  const guids: string[] = [];
  try {
    const s = runtime.services;
    await buildDomain(s, 'contoso.com');
    const seeded = await seedTokenUsers(s, users, 'user');
    const keys = seeded.map((u) => u.key);
    tokens.push(...seeded.map((u) => u.token));
    const category = await buildCategory(s, { allowed: ['contoso.com'] });
    for (const room of rooms) {
      const built = await buildRoom(s, category.name, {
        privacy: room.open ? 'Open' : 'Closed',
        type: room.auditorium ? 'Auditorium' : 'Normal',
        ...(room.open ? {} : { members: room.members.map((u) => keys[u]!) }),
        ...(room.presenter === undefined ? {} : { presenters: [keys[room.presenter]!] }),
      });
      guids.push(built.guid);
    }
  } finally {
    await runtime.close();
  }
  console.log(`capacity-model: seeded in ${fmt(elapsed(t0))} s`);

  const { child, url } = await serveChild(dir);
  const setupFile = path.join(path.dirname(dir), 'generators.json');
  fs.writeFileSync(setupFile, JSON.stringify({ users, url, tokens, guids } satisfies Setup));
  // The load comes from processes of their own, each holding the sockets of its share of the users.
  const count = Math.max(1, Math.ceil(users / USERS_PER_GENERATOR));
  const generators = Array.from({ length: count }, (_, index) => startGenerator(setupFile, index, count));
  try {
    const online = await Promise.all(generators.map((g) => g.next()));
    const opened = online.reduce((sum, m) => sum + ('opened' in m ? m.opened : 0), 0);
    console.log(`capacity-model: ${fmt(users)} users online with ${fmt(opened)} rooms open (${fmt(opened / users, 2)} per user) at ${url}, from ${count} load-generator process${count > 1 ? 'es' : ''}`);
    // A short warm-up (JIT, page cache), then the measured run, every generator at once.
    for (const g of generators) g.send({ run: 'warm-up', seconds: options.smoke ? 1 : 5 });
    await Promise.all(generators.map((g) => g.next()));
    const cpu = cpuMeter(child.pid!);
    const generatorCpu0 = generators.map((g) => cpuSeconds(g.pid));
    for (const g of generators) g.send({ run: 'measure', seconds });
    const results = await Promise.all(generators.map((g) => g.next()));
    const { seconds: took, serverCpu } = cpu();
    const benchCpu = (generators.reduce((sum, g, i) => sum + cpuSeconds(g.pid) - generatorCpu0[i]!, 0) / took) * 100;
    const m = stats();
    for (const r of results) {
      if (!('samples' in r)) throw new Error(`capacity-model: a load generator answered ${JSON.stringify(r)}`);
      for (const k of ['post', 'delivery', 'join', 'roster'] as const) for (const x of r.samples[k]) m[k].push(x);
      m.errors += r.samples.errors;
    }
    const rate = ratesFor(users, scale);
    const summary = (samples: number[]) => {
      const sorted = Float64Array.from(samples).sort();
      return `${fmt(quantile(sorted, 0.5), 1)} / ${fmt(quantile(sorted, 0.99), 1)} ms`;
    };
    console.log(`capacity-model: ${fmt(users)} users, ${fmt(rate.post, 1)} posts/s, ${fmt(rate.join, 1)} joins/s, ${fmt(rate.roster, 1)} roster polls/s for ${seconds} s`);
    console.log(`  post round trip p50 / p99: ${summary(m.post)} (${fmt(m.post.length)} posts)`);
    console.log(`  delivery p50 / p99: ${summary(m.delivery)} (${fmt(m.delivery.length)} deliveries)`);
    console.log(`  join p50 / p99: ${summary(m.join)} (${fmt(m.join.length)} joins)`);
    console.log(`  roster poll p50 / p99: ${summary(m.roster)} (${fmt(m.roster.length)} polls)`);
    console.log(`  refused: ${m.errors}; CPU server ${fmt(serverCpu)} %, load generator ${fmt(benchCpu)} %`);
    if (m.errors > 0) throw new Error(`capacity-model: ${m.errors} requests were refused`);
    if (options.record) {
      recordResult(
        'capacity-model',
        [
          fmt(users),
          fmt(rooms.length),
          `${fmt(rate.post, 1)} / ${fmt(rate.join, 1)} / ${fmt(rate.roster, 1)}`,
          summary(m.post),
          summary(m.delivery),
          summary(m.join),
          summary(m.roster),
          `${fmt(serverCpu)} % / ${fmt(benchCpu)} %`,
        ],
        options,
      );
      console.log('recorded in docs/benchmarks.md');
    }
  } finally {
    for (const g of generators) g.kill();
    await stopChild(child);
  }
}

/** The model's rates for N users. */
function ratesFor(users: number, scale: number) {
  return {
    post: MODEL.perServer.messagesPerSecond * scale,
    join: MODEL.perServer.joinsPerSecond * scale,
    roster: (users * MODEL.visibleRoomsPerUser) / MODEL.rosterPollSeconds,
  };
}

/** A load-generator process: this file started again with `generator`, talking over IPC. */
function startGenerator(setupFile: string, index: number, count: number) {
  const child = fork(fileURLToPath(import.meta.url), ['generator', setupFile, String(index), String(count)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: FromGenerator[] = [];
  const waiting: ((m: FromGenerator) => void)[] = [];
  const deliver = (m: FromGenerator) => {
    const w = waiting.shift();
    if (w === undefined) inbox.push(m);
    else w(m);
  };
  child.on('message', (m: FromGenerator) => deliver(m));
  child.on('error', (err) => deliver({ failed: `load generator ${index} failed: ${err.message}` }));
  child.on('exit', (code) => deliver({ failed: `load generator ${index} exited (${code})` }));
  return {
    pid: child.pid!,
    send: (m: ToGenerator) => child.send(m),
    next: async (): Promise<FromGenerator> => {
      const m = inbox.shift() ?? (await new Promise<FromGenerator>((resolve) => waiting.push(resolve)));
      if ('failed' in m) throw new Error(`capacity-model: ${m.failed}`);
      return m;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * One load generator: the users u with u % count === index — their sockets, their rooms
 * open, and their share of the model's posts, moves and roster polls. Deliveries of every
 * post to its users are timed from the send time the post carries.
 */
async function generator(setupFile: string, index: number, count: number): Promise<void> {
  const setup = JSON.parse(fs.readFileSync(setupFile, 'utf8')) as Setup;
  const { users, tokens, guids } = setup;
  const mine = (u: number) => u % count === index;
  const scale = users / MODEL.perServer.users;
  const { rooms, smallRoomsOf } = plan(users);
  // This process knows only its own users as openers (and presenters).
  for (const room of rooms) {
    room.openers = room.openers.filter(mine);
    if (room.presenter !== undefined && !mine(room.presenter)) room.presenter = undefined;
  }
  const ownUsers = Array.from({ length: users }, (_, u) => u).filter(mine);
  const wsUrl = wsUrlOf(setup.url);
  const clients = new Map<number, Client>();
  let measuring = stats();
  let requestId = 0;
  const request = (c: Client, frame: Record<string, unknown>): Promise<{ ok: boolean; ms: number }> => {
    const id = ++requestId;
    const started = performance.now();
    return new Promise((resolve) => {
      c.pending.set(id, (ok) => resolve({ ok, ms: performance.now() - started }));
      c.ws.send(JSON.stringify({ ...frame, id }));
    });
  };
  const connect = (u: number) =>
    new Promise<Client>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${tokens[u]}` }, perMessageDeflate: false });
      const client: Client = { ws, open: new Set(), pending: new Map() };
      ws.once('error', reject);
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith('{"type":"ready"')) return resolve(client);
        if (text.startsWith('{"type":"reply"')) {
          const id = /"id":(\d+)/.exec(text)?.[1];
          const done = id === undefined ? undefined : client.pending.get(Number(id));
          if (done !== undefined) {
            client.pending.delete(Number(id));
            done(text.includes('"ok":true'), text);
          }
          return;
        }
        if (!text.startsWith('{"type":"message"')) return;
        // "model <sent at, ms since the epoch>": sent by this or another generator.
        const at = text.indexOf('"text":"model ');
        if (at < 0) return;
        const sent = Number.parseFloat(text.slice(at + 14, at + 34));
        if (Number.isFinite(sent)) measuring.delivery.push(now() - sent);
      });
    });
  // Everyone online, then the rooms opened (batches keep the generator's burst bounded).
  for (let i = 0; i < ownUsers.length; i += 100) {
    const batch = ownUsers.slice(i, i + 100);
    const connected = await Promise.all(batch.map(connect));
    batch.forEach((u, k) => clients.set(u, connected[k]!));
  }
  const opens = rooms.flatMap((room, r) => room.openers.map((u) => ({ u, r })));
  for (let i = 0; i < opens.length; i += 200) {
    await Promise.all(
      opens.slice(i, i + 200).map(async ({ u, r }) => {
        const c = clients.get(u)!;
        if (!(await request(c, { type: 'join', room: guids[r]! })).ok) throw new Error(`user${u} could not open room ${guids[r]}`);
        c.open.add(r);
      }),
    );
  }
  process.send!({ online: ownUsers.length, opened: opens.length } satisfies FromGenerator);

  // The load: three independent Poisson-like streams at this process's share of the model's rates.
  const all = ratesFor(users, scale);
  const rate = { post: all.post / count, join: all.join / count, roster: all.roster / count };
  const perDay = (k: Kind) => rooms.filter((r) => r.kind === k).length * MODEL.messagesPerRoomPerDay[k];
  const share = KINDS.map((k) => perDay(k) / KINDS.reduce((sum, kk) => sum + perDay(kk), 0));
  let seed = 42 + index;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  // Rooms someone can post in: open by a member, and in an auditorium by its presenter.
  const postable = (r: PlannedRoom) => (r.auditorium ? r.presenter !== undefined && r.openers.includes(r.presenter) : r.openers.length > 0);
  const ofKind = Object.fromEntries(KINDS.map((k) => [k, rooms.flatMap((r, i) => (r.kind === k ? [i] : []))])) as Record<Kind, number[]>;
  const pickRoom = (kind: Kind) => {
    const of = ofKind[kind].filter((i) => postable(rooms[i]!));
    return of[Math.floor(random() * of.length)];
  };
  const inFlight: Promise<unknown>[] = [];
  const post = () => {
    const x = random();
    const kind: Kind = x < share[0]! ? 'small' : x < share[0]! + share[1]! ? 'medium' : 'large';
    const r = pickRoom(kind);
    if (r === undefined) return;
    const room = rooms[r]!;
    // In an auditorium the presenter posts; elsewhere any member with the room open.
    const u = room.presenter ?? room.openers[Math.floor(random() * room.openers.length)]!;
    const c = clients.get(u)!;
    const target = measuring;
    inFlight.push(request(c, { type: 'post', room: guids[r]!, text: `model ${now().toFixed(3)}` }).then(({ ok, ms }) => (ok ? target.post.push(ms) : target.errors++)));
  };
  const move = () => {
    const u = ownUsers[Math.floor(random() * ownUsers.length)]!;
    const c = clients.get(u)!;
    const smalls = smallRoomsOf[u]!.filter((r) => !c.open.has(r));
    // A presenter stays in its auditorium (its posts there go on).
    const leaving = [...c.open].find((r) => rooms[r]!.presenter !== u);
    const to = smalls[Math.floor(random() * smalls.length)];
    if (to === undefined || leaving === undefined) return;
    const target = measuring;
    c.open.delete(leaving);
    const left = rooms[leaving]!;
    left.openers.splice(left.openers.indexOf(u), 1);
    inFlight.push(
      request(c, { type: 'part', room: guids[leaving]! }).then(async () => {
        const { ok, ms } = await request(c, { type: 'join', room: guids[to]! });
        if (!ok) return target.errors++;
        c.open.add(to);
        rooms[to]!.openers.push(u);
        target.join.push(ms);
      }),
    );
  };
  const poll = () => {
    const c = clients.get(ownUsers[Math.floor(random() * ownUsers.length)]!)!;
    const room = [...c.open][Math.floor(random() * c.open.size)];
    if (room === undefined) return;
    const target = measuring;
    inFlight.push(request(c, { type: 'participants', room: guids[room]! }).then(({ ok, ms }) => (ok ? target.roster.push(ms) : target.errors++)));
  };
  const run = async (duration: number) => {
    const started = performance.now();
    const next = { post: started, join: started, roster: started };
    const actions = { post, join: move, roster: poll };
    while (performance.now() - started < duration * 1000) {
      const t = performance.now();
      for (const k of ['post', 'join', 'roster'] as const) {
        while (next[k] <= t) {
          actions[k]();
          next[k] += (-Math.log(1 - random()) * 1000) / rate[k];
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inFlight.splice(0));
    await new Promise((r) => setTimeout(r, 500)); // the last deliveries
  };
  process.on('message', (m: ToGenerator) => {
    void (async () => {
      if (m.run === 'measure') measuring = stats();
      await run(m.seconds);
      process.send!(m.run === 'measure' ? ({ ran: 'measure', samples: measuring } satisfies FromGenerator) : ({ ran: 'warm-up' } satisfies FromGenerator));
    })().catch((err: unknown) => {
      process.send!({ failed: String(err) } satisfies FromGenerator);
    });
  });
}

if (process.argv[2] === 'generator') {
  const [setupFile, index, count] = process.argv.slice(3);
  generator(setupFile!, Number(index), Number(count)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

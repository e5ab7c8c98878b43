/**
 * `npm run bench -- fanout [--size N] [--smoke] [--no-record]`
 *
 * One room with N joined members (default 1,000), P of them posting over their
 * WebSockets; the post rate rises step by step (×1.5) until the p99 delivery latency
 * passes 100 ms. For each step: messages/s posted, deliveries/s (messages × members),
 * p50/p99/max latency from the post leaving its poster to its arrival at each member, and
 * the CPU used by the server and by this load generator — both on the same machine,
 * competing for its cores.
 *
 * The same load, in the same run, goes to Stoa (a `stoa serve` child on embedded SQLite,
 * members with API tokens) and to Prosody and ejabberd from Debian's packages (a MUC room
 * of the same size, anonymous XMPP sessions over WebSocket — see bench/xmpp.ts); the
 * summary gives Stoa's sustained rate as a ratio of each peer's.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { cpuMeter, scratchDir, fmt, open, quantile, recordResult, seedOpenRoom, serveChild, stopChild, wsUrlOf, type Options } from './lib.js';
import { groupchat, installedPeers, joinRoom, xmppSession, type XmppPeer } from './xmpp.js';

export const POSTERS = 10;
/** At low rates a step still posts this many messages, so its p99 is not the latency of one or two messages. */
const MIN_STEP_MESSAGES = 12;
export const P99_LIMIT_MS = 100;
const MARK = 'fanout ';

export interface Step {
  rate: number;
  posted: number;
  delivered: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  serverCpu: number;
  benchCpu: number;
}

/** One server under load: its members joined, the first POSTERS of them able to post. */
export interface Side {
  label: string;
  pid: number;
  /** Starts measuring the CPU of what serves (default: the process `pid`). */
  meter?: () => () => { serverCpu: number; benchCpu: number };
  members: { post(seq: number): void }[];
  close(): Promise<void>;
}

/** Reads the sequence number after the mark; only that is read of a frame (parsing every frame would make this process the bottleneck). */
function sequenceAt(text: string, at: number): number {
  return Number.parseInt(text.slice(at + MARK.length, at + MARK.length + 12), 10);
}

/** A member of the room on a Stoa node: joined over its WebSocket, each message's sequence number handed to `deliver`. */
export function stoaMember(wsUrl: string, token: string, room: string, deliver: (seq: number) => void): Promise<WebSocket> {
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    ws.once('error', reject);
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith('{"type":"ready"')) return ws.send(JSON.stringify({ type: 'join', room, id: 'join' }));
      if (text.includes('"id":"join"')) return resolve(ws);
      if (!text.startsWith('{"type":"message"')) return;
      const at = text.indexOf(`"text":"${MARK}`);
      if (at >= 0) deliver(sequenceAt(text, at + 8));
    });
  });
}

/** A member's post of message `seq`. */
export const stoaPost = (ws: WebSocket, room: string) => (seq: number) => ws.send(`{"type":"post","room":"${room}","text":"${MARK}${seq}","id":${seq}}`);

async function stoaSide(members: number, deliver: (seq: number) => void): Promise<Side> {
  const dir = path.join(scratchDir('fanout'), 'data');
  const runtime = await open(dir);
  const { room, users } = await seedOpenRoom(runtime.services, 'Fan-out', members, 'member').finally(() => runtime.close());
  const { child, url } = await serveChild(dir);
  const wsUrl = wsUrlOf(url);
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < users.length; i += 50) sockets.push(...(await Promise.all(users.slice(i, i + 50).map((u) => stoaMember(wsUrl, u.token, room, deliver)))));
  } catch (err) {
    for (const ws of sockets) ws.terminate();
    await stopChild(child);
    throw err;
  }
  return {
    label: 'Stoa (SQLite)',
    pid: child.pid!,
    members: sockets.map((ws) => ({ post: stoaPost(ws, room) })),
    async close() {
      for (const ws of sockets) ws.terminate();
      await stopChild(child);
    },
  };
}

async function xmppSide(peer: XmppPeer, members: number, deliver: (seq: number) => void): Promise<Side> {
  const server = await peer.start(scratchDir(`fanout-${peer.package}`));
  const room = 'fanout';
  const sockets: WebSocket[] = [];
  const onFrame = (text: string) => {
    if (!text.startsWith('<message')) return;
    const at = text.indexOf(`<body>${MARK}`);
    if (at >= 0) deliver(sequenceAt(text, at + 6));
  };
  try {
    // Joins in small batches: every join is announced to all occupants already in.
    for (let i = 0; i < members; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, members - i) }, async (_, k) => {
          const session = await xmppSession(server, onFrame);
          sockets.push(session.ws);
          await joinRoom(server, session, room, `member${i + k}`);
        }),
      );
    }
  } catch (err) {
    for (const ws of sockets) ws.terminate();
    await server.stop();
    throw err;
  }
  return {
    label: server.name,
    pid: server.pid,
    members: sockets.map((ws) => ({ post: (seq: number) => ws.send(groupchat(server, room, `${MARK}${seq}`)) })),
    async close() {
      for (const ws of sockets) ws.terminate();
      await server.stop();
    },
  };
}

/**
 * Raises the post rate step by step until the p99 passes the limit or deliveries fall
 * behind. A step over the limit is run once more before the climb ends, so one stall (a
 * garbage collection, a scheduler hiccup on the shared cores) does not decide the result.
 */
export async function climb(open: (deliver: (seq: number) => void) => Promise<Side>, options: Options): Promise<{ label: string; steps: Step[] }> {
  const stepSeconds = options.smoke ? 1 : 4;
  const maxSteps = options.smoke ? 2 : 16;
  const firstRate = options.smoke ? 10 : 1;
  // Sent time of each message, by its sequence number; latencies of the current step.
  const sentAt = new Map<number, number>();
  let latencies: number[] = [];
  let delivered = 0;
  const side = await open((seq) => {
    const sent = sentAt.get(seq);
    if (sent === undefined) return;
    latencies.push(performance.now() - sent);
    delivered++;
  });
  console.log(`fanout: ${side.label}: ${fmt(side.members.length)} members joined; ${POSTERS} of them post`);
  const steps: Step[] = [];
  try {
    const posters = side.members.slice(0, Math.min(POSTERS, side.members.length));
    let seq = 0;
    for (let n = 0, retried = false; n < maxSteps; ) {
      const rate = firstRate * 1.5 ** n;
      latencies = [];
      delivered = 0;
      const total = Math.max(options.smoke ? 1 : MIN_STEP_MESSAGES, Math.round(rate * stepSeconds));
      const cpu = side.meter?.() ?? cpuMeter(side.pid);
      const t0 = performance.now();
      for (let k = 0; k < total; k++) {
        const wait = t0 + (k * 1000) / rate - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const id = ++seq;
        sentAt.set(id, performance.now());
        posters[k % posters.length]!.post(id);
      }
      // Deliveries still in flight: wait until all arrived, or a second without progress.
      const expected = total * side.members.length;
      for (let last = delivered, since = performance.now(); delivered < expected && performance.now() - since < 1000; ) {
        await new Promise((r) => setTimeout(r, 20));
        if (delivered !== last) [last, since] = [delivered, performance.now()];
      }
      const { serverCpu, benchCpu } = cpu();
      const sorted = Float64Array.from(latencies).sort();
      const step: Step = {
        rate,
        posted: total,
        delivered,
        expected,
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        max: sorted[sorted.length - 1] ?? NaN,
        serverCpu,
        benchCpu,
      };
      steps.push(step);
      console.log(
        `  ${fmt(step.rate, 1)} msg/s → ${fmt(delivered / (total / rate))} deliveries/s (${fmt(delivered)} of ${fmt(expected)}), latency p50 ${fmt(step.p50, 1)} ms, p99 ${fmt(step.p99, 1)} ms, max ${fmt(step.max, 1)} ms; CPU server ${fmt(step.serverCpu)} %, load generator ${fmt(step.benchCpu)} %`,
      );
      sentAt.clear();
      if (holds(step)) [n, retried] = [n + 1, false];
      else if (retried || options.smoke) break;
      else retried = true;
    }
  } finally {
    await side.close();
  }
  return { label: side.label, steps };
}

const holds = (s: Step): boolean => s.p99 <= P99_LIMIT_MS && s.delivered === s.expected;

/** The highest step within the limit, and the one that passed it. */
export function outcome(steps: Step[]): { best?: Step; over?: Step } {
  const within = steps.filter(holds);
  const last = steps[steps.length - 1];
  return { best: within[within.length - 1], over: last !== undefined && !holds(last) ? last : undefined };
}

/** A climb's cells of a results row: members, posters, rate, deliveries, latencies, CPU (as `cpu` gives it), the step over. */
export function climbCells(members: number, best: Step | undefined, over: Step | undefined, cpu: (best: Step) => string): string[] {
  return [
    fmt(members),
    String(POSTERS),
    best === undefined ? '—' : fmt(best.rate, 1),
    best === undefined ? '—' : fmt(best.rate * members),
    best === undefined ? '—' : `${fmt(best.p50, 1)} / ${fmt(best.p99, 1)} / ${fmt(best.max, 1)} ms`,
    best === undefined ? '—' : cpu(best),
    over === undefined ? '—' : `${fmt(over.rate, 1)} msg/s: p99 ${fmt(over.p99, 1)} ms${over.delivered < over.expected ? `, ${fmt(over.expected - over.delivered)} not delivered` : ''}`,
  ];
}

/** "3.4×"; with no step within the limit on one side, a bound ("≥ 10×") or "—". */
function ratio(stoa: Step | undefined, peer: Step | undefined, peerFirstRate: number): string {
  if (stoa === undefined) return '—';
  if (peer === undefined) return `> ${fmt(stoa.rate / peerFirstRate, 1)}×`;
  return `${fmt(stoa.rate / peer.rate, 1)}×`;
}

export async function fanoutBench(options: Options): Promise<void> {
  const members = options.smoke ? 20 : (options.size ?? 1000);
  const results: { label: string; steps: Step[]; peer?: XmppPeer }[] = [];
  results.push(await climb((deliver) => stoaSide(members, deliver), options));
  for (const peer of installedPeers('fanout')) results.push({ ...(await climb((deliver) => xmppSide(peer, members, deliver), options)), peer });
  const stoa = outcome(results[0]!.steps).best;
  for (const r of results) {
    const { best } = outcome(r.steps);
    const summary = best === undefined ? `even ${fmt(r.steps[0]!.rate, 1)} msg/s had a p99 above ${P99_LIMIT_MS} ms` : `up to ${fmt(best.rate, 1)} msg/s (${fmt(best.rate * members)} deliveries/s) with p99 ≤ ${P99_LIMIT_MS} ms`;
    const versus = r.peer === undefined ? '' : `; Stoa / ${r.peer.name} ${ratio(stoa, best, r.steps[0]!.rate)}`;
    console.log(`fanout: ${r.label}: ${summary}${versus}`);
  }
  if (!options.record) return;
  for (const r of results) {
    const { best, over } = outcome(r.steps);
    recordResult(
      'fanout',
      [r.label, ...climbCells(members, best, over, (b) => `${fmt(b.serverCpu)} % / ${fmt(b.benchCpu)} %`), r.peer === undefined ? '—' : ratio(stoa, best, r.steps[0]!.rate)],
      options,
    );
  }
  console.log('recorded in docs/benchmarks.md');
}

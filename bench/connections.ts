/**
 * `npm run bench -- connections [--size N] [--smoke] [--no-record]`
 *
 * N idle, signed-in users on one node (default 15,000): each opens a WebSocket, signs in
 * and then does nothing. The server's resident set is read (VmRSS) before the first and
 * after the last connection, once the process has settled; the difference divided by N
 * is the memory one idle connected user costs, and from it the number of users the node
 * holds within 1.5 GiB is projected. Connection setup rate and CPU of both sides are
 * given too.
 *
 * The same N go, in the same run, to Prosody and ejabberd (anonymous XMPP sessions over
 * WebSocket, bound, initial presence sent — see bench/xmpp.ts), and the summary gives
 * Stoa's memory per user as a ratio of each peer's.
 *
 * Each server is measured from a load generator process of its own (a fresh child): run
 * third from the process that had just opened and closed 30,000 connections, ejabberd
 * stopped taking new sessions at about 6,000, while from a fresh process it takes 15,000
 * in 15 s.
 *
 * N is bounded by open files: on the machines these figures come from, every process may
 * hold 20,000 descriptors (hard limit, not raisable without privileges), and the server
 * holds one socket per user — the default stays below it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { buildDomain } from '../test/factories.js';
import { childEntry, cpuMeter, fmt, open, recordResult, runChild, scratchDir, seedTokenUsers, serveChild, stopChild, wsUrlOf, type Options } from './lib.js';
import { ejabberd, installedPeers, prosody, xmppSession, type XmppPeer } from './xmpp.js';

const BUDGET_BYTES = 1.5 * 2 ** 30;
const BATCH = 100;
const SELF = fileURLToPath(import.meta.url);

interface Outcome {
  label: string;
  peer?: XmppPeer;
  /** Why the server took fewer than N sessions, if it did. */
  stopped?: string;
  connections: number;
  baselineMiB: number;
  finalMiB: number;
  /** Bytes of resident memory per idle user. */
  perUser: number;
  /** Users within 1.5 GiB, projected from the baseline and the cost per user. */
  within: number;
  perSecond: number;
  serverCpu: number;
  benchCpu: number;
}

/** The resident set of a process, from /proc, in bytes. */
function rss(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (line === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) * 1024;
}

/** Waits until the RSS stops moving (a GC or a lazy allocation can lag the last connection), at most 10 s. */
async function settledRss(pid: number): Promise<number> {
  let last = rss(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = rss(pid);
    if (Math.abs(now - last) < 256 * 1024) return now;
    last = now;
  }
  return last;
}

/** Opens `count` connections with `connect(i)`, BATCH at a time; measures what it costs the server. */
async function measure(label: string, pid: number, count: number, connect: (i: number) => Promise<WebSocket>, sockets: WebSocket[]): Promise<Omit<Outcome, 'peer'>> {
  const baseline = await settledRss(pid);
  const cpu = cpuMeter(pid);
  // A server that stops taking sessions is part of the result: measured at what it reached.
  let stopped: string | undefined;
  for (let i = 0; i < count && stopped === undefined; i += BATCH) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => connect(i + k)));
    for (const r of batch) {
      if (r.status === 'fulfilled') sockets.push(r.value);
      else stopped ??= String((r.reason as Error).message ?? r.reason).split('\n')[0];
    }
  }
  const { seconds, serverCpu, benchCpu } = cpu();
  const final = await settledRss(pid);
  const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  if (stopped === undefined && open !== count) stopped = `only ${open} of ${count} connections stayed open`;
  if (open === 0) throw new Error(`${label}: no connection was taken: ${stopped}`);
  const perUser = (final - baseline) / open;
  return {
    label,
    ...(stopped === undefined ? {} : { stopped }),
    connections: open,
    baselineMiB: baseline / 2 ** 20,
    finalMiB: final / 2 ** 20,
    perUser,
    within: perUser > 0 ? Math.floor((BUDGET_BYTES - baseline) / perUser) : Infinity,
    perSecond: open / seconds,
    serverCpu,
    benchCpu,
  };
}

async function stoa(count: number): Promise<Omit<Outcome, 'peer'>> {
  const dir = path.join(scratchDir('connections'), 'data');
  const runtime = await open(dir);
  let tokens: string[];
  try {
    await buildDomain(runtime.services, 'contoso.com');
    tokens = (await seedTokenUsers(runtime.services, count, 'idle')).map((u) => u.token);
  } finally {
    await runtime.close();
  }
  const { child, url } = await serveChild(dir);
  const wsUrl = wsUrlOf(url);
  const sockets: WebSocket[] = [];
  const connect = (i: number) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${tokens[i]}` }, perMessageDeflate: false });
      ws.once('error', reject);
      ws.once('message', (data: Buffer) => (data.toString().startsWith('{"type":"ready"') ? resolve(ws) : reject(new Error(`not ready: ${data.toString()}`))));
    });
  try {
    return await measure('Stoa (SQLite)', child.pid!, count, connect, sockets);
  } finally {
    for (const ws of sockets) ws.terminate();
    await stopChild(child);
  }
}

async function xmpp(peer: XmppPeer, count: number): Promise<Omit<Outcome, 'peer'>> {
  const server = await peer.start(scratchDir(`connections-${peer.package}`));
  const sockets: WebSocket[] = [];
  const connect = async () => {
    const { ws } = await xmppSession(server);
    ws.send('<presence xmlns="jabber:client"/>');
    return ws;
  };
  try {
    return await measure(server.name, server.pid, count, connect, sockets);
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.stop();
  }
}

const kB = (bytes: number): string => fmt(bytes / 1000, 1);
/** Users within the budget; at a small size RSS may not grow at all (Infinity, which JSON from the child turns into null). */
const users = (within: number | null): string => (within === null || !Number.isFinite(within) ? '∞' : fmt(within));

export async function connectionsBench(options: Options): Promise<void> {
  const count = options.smoke ? 200 : (options.size ?? 15_000);
  console.log(`connections: ${fmt(count)} idle signed-in users on each server…`);
  const results: Outcome[] = [runChild<Omit<Outcome, 'peer'>>(SELF, ['Stoa', String(count)])];
  for (const peer of installedPeers('connections')) results.push({ ...runChild<Omit<Outcome, 'peer'>>(SELF, [peer.name, String(count)]), peer });
  const stoaPerUser = results[0]!.perUser;
  for (const r of results) {
    const versus = r.peer === undefined ? '' : `; Stoa / ${r.peer.name} ${fmt(stoaPerUser / r.perUser, 2)}×`;
    console.log(
      `connections: ${r.label}: ${fmt(r.connections)} users${r.stopped === undefined ? '' : ` (stopped taking sessions: ${r.stopped})`}, RSS ${fmt(r.baselineMiB)} → ${fmt(r.finalMiB)} MiB, ${kB(r.perUser)} kB per user, ~${users(r.within)} users within 1.5 GiB; ${fmt(r.perSecond)} connections/s, CPU server ${fmt(r.serverCpu)} %, load generator ${fmt(r.benchCpu)} %${versus}`,
    );
  }
  if (!options.record) return;
  for (const r of results) {
    recordResult(
      'connections',
      [
        r.label,
        r.stopped === undefined ? fmt(r.connections) : `${fmt(r.connections)} of ${fmt(count)}: then ${r.stopped}`,
        `${fmt(r.baselineMiB)} → ${fmt(r.finalMiB)}`,
        kB(r.perUser),
        users(r.within),
        fmt(r.perSecond),
        `${fmt(r.serverCpu)} % / ${fmt(r.benchCpu)} %`,
        r.peer === undefined ? '—' : `${fmt(stoaPerUser / r.perUser, 2)}×`,
      ],
      options,
    );
  }
  console.log('recorded in docs/benchmarks.md');
}

// One server's measurement, in a load generator process of its own (see above).
childEntry(async (server, count) => {
  const n = Number(count);
  if (server === 'Stoa') return stoa(n);
  const peer = [prosody, ejabberd].find((p) => p.name === server);
  if (peer === undefined) throw new Error(`unknown server ${server}`);
  return xmpp(peer, n);
});

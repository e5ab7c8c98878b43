/**
 * `npm run bench -- fanout [--size N] [--smoke] [--no-record]`
 *
 * One room with N joined members (default 1,000) on a `stoa serve` of its own (embedded
 * SQLite, a child process), P of them posting over their WebSockets; the post rate rises
 * step by step (×1.5) until the p99 delivery latency passes 100 ms. For each step:
 * messages/s posted, deliveries/s (messages × members), p50/p99/max latency from the post
 * leaving its poster to its arrival at each member, and the CPU used by the server and by
 * this load generator — both on the same machine, competing for its cores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { cpuSeconds, fmt, open, quantile, recordResult, seedOpenRoom, serveChild, stopChild, type Options } from './lib.js';

const POSTERS = 10;
const P99_LIMIT_MS = 100;

interface Step {
  rate: number;
  posted: number;
  delivered: number;
  expected: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  serverCpu: number;
  benchCpu: number;
}

/** A data dir with a domain, N users with API tokens, and one Open room. */
async function seed(dir: string, members: number): Promise<{ room: string; tokens: string[] }> {
  const runtime = await open(dir);
  try {
    const { room, users } = await seedOpenRoom(runtime.services, 'Fan-out', members, 'member');
    return { room, tokens: users.map((u) => u.token) };
  } finally {
    await runtime.close();
  }
}

export async function fanoutBench(options: Options): Promise<void> {
  const members = options.smoke ? 20 : (options.size ?? 1000);
  const stepSeconds = options.smoke ? 1 : 4;
  const maxSteps = options.smoke ? 2 : 14;
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-fanout-')), 'data');
  console.log(`fanout: seeding ${fmt(members)} members with API tokens…`);
  const { room, tokens } = await seed(dir, members);
  const { child, url } = await serveChild(dir);
  const sockets: WebSocket[] = [];
  try {
    const wsUrl = `${url.replace(/^http/, 'ws')}/api/v1/ws`;
    // Sent time of each message, by its sequence number; latencies of the current step.
    const sentAt = new Map<number, number>();
    let latencies: number[] = [];
    let delivered = 0;
    const connect = (token: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
        ws.once('error', reject);
        ws.on('message', (data: Buffer) => {
          const text = data.toString();
          if (text.startsWith('{"type":"ready"')) return ws.send(JSON.stringify({ type: 'join', room, id: 'join' }));
          if (text.includes('"id":"join"')) return resolve(ws);
          // Only the sequence number is read: parsing every frame would make this process the bottleneck.
          const at = text.indexOf('"text":"fanout ');
          if (at < 0 || !text.startsWith('{"type":"message"')) return;
          const seq = Number.parseInt(text.slice(at + 15, text.indexOf('"', at + 15)), 10);
          const sent = sentAt.get(seq);
          if (sent !== undefined) {
            latencies.push(performance.now() - sent);
            delivered++;
          }
        });
      });
    for (let i = 0; i < tokens.length; i += 50) sockets.push(...(await Promise.all(tokens.slice(i, i + 50).map(connect))));
    console.log(`fanout: ${fmt(sockets.length)} members joined at ${url}; ${POSTERS} of them post`);
    const posters = sockets.slice(0, Math.min(POSTERS, sockets.length));

    let seq = 0;
    const steps: Step[] = [];
    for (let rate = 10, n = 0; n < maxSteps; n++, rate = Math.round(rate * 1.5)) {
      latencies = [];
      delivered = 0;
      const total = Math.round(rate * stepSeconds);
      const cpu0 = [cpuSeconds(child.pid!), process.cpuUsage()] as const;
      const t0 = performance.now();
      for (let k = 0; k < total; k++) {
        const due = t0 + (k * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const id = ++seq;
        sentAt.set(id, performance.now());
        posters[k % posters.length]!.send(`{"type":"post","room":"${room}","text":"fanout ${id}","id":${id}}`);
      }
      // Deliveries still in flight: wait until all arrived, or a second without progress.
      const expected = total * sockets.length;
      for (let last = delivered, since = performance.now(); delivered < expected && performance.now() - since < 1000; ) {
        await new Promise((r) => setTimeout(r, 20));
        if (delivered !== last) [last, since] = [delivered, performance.now()];
      }
      const seconds = (performance.now() - t0) / 1000;
      const serverCpu = (cpuSeconds(child.pid!) - cpu0[0]) / seconds;
      const used = process.cpuUsage(cpu0[1]);
      const sorted = Float64Array.from(latencies).sort();
      const step: Step = {
        rate,
        posted: total,
        delivered,
        expected,
        seconds,
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        max: sorted[sorted.length - 1] ?? NaN,
        serverCpu: serverCpu * 100,
        benchCpu: ((used.user + used.system) / 1e6 / seconds) * 100,
      };
      steps.push(step);
      console.log(
        `  ${fmt(step.rate, 1)} msg/s → ${fmt(delivered / (total / rate))} deliveries/s (${fmt(delivered)} of ${fmt(expected)}), latency p50 ${fmt(step.p50, 1)} ms, p99 ${fmt(step.p99, 1)} ms, max ${fmt(step.max, 1)} ms; CPU server ${fmt(step.serverCpu)} %, load generator ${fmt(step.benchCpu)} %`,
      );
      for (const k of [...sentAt.keys()]) if (k <= seq) sentAt.delete(k);
      if (step.p99 > P99_LIMIT_MS || delivered < expected) break;
    }
    const within = steps.filter((s) => s.p99 <= P99_LIMIT_MS && s.delivered === s.expected);
    const best = within[within.length - 1];
    if (best === undefined) console.log(`fanout: even ${fmt(steps[0]!.rate, 1)} msg/s had a p99 above ${P99_LIMIT_MS} ms`);
    else console.log(`fanout: up to ${fmt(best.rate, 1)} msg/s (${fmt(best.rate * members)} deliveries/s) with p99 ≤ ${P99_LIMIT_MS} ms`);
    if (options.record && best !== undefined) {
      const over = steps.find((s) => s.p99 > P99_LIMIT_MS || s.delivered < s.expected);
      recordResult(
        'fanout',
        [
          'Stoa (SQLite)',
          fmt(members),
          String(POSTERS),
          fmt(best.rate, 1),
          fmt(best.rate * members),
          `${fmt(best.p50, 1)} / ${fmt(best.p99, 1)} / ${fmt(best.max, 1)} ms`,
          `${fmt(best.serverCpu)} % / ${fmt(best.benchCpu)} %`,
          over === undefined ? '—' : `${fmt(over.rate, 1)} msg/s: p99 ${fmt(over.p99, 1)} ms`,
        ],
        options,
      );
      console.log('recorded in docs/benchmarks.md');
    }
  } finally {
    for (const ws of sockets) ws.terminate();
    await stopChild(child);
  }
}

/**
 * `npx tsx bench/profile.ts FILE.cpuprofile [--top N]`: the functions with the most self
 * time in a V8 CPU profile (written by `--cpu-prof`, e.g. through STOA_BENCH_NODE_ARGS),
 * as docs/benchmarks.md gives them per scenario. Idle time is left out of the shares;
 * garbage collection and the program's native work are counted like functions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './lib.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/** Self time per function (by name and place), busiest first; `share` is of the non-idle time. */
export function selfTimes(profile: Profile): SelfTime[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (node === undefined || node.callFrame.functionName === '(idle)') return;
    busy += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : `${path.relative(ROOT, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}`;
    const key = `${functionName}@${where}`;
    const entry = totals.get(key) ?? { name: functionName === '' ? '(anonymous)' : functionName, where, us: 0 };
    entry.us += us;
    totals.set(key, entry);
  });
  return [...totals.values()].sort((a, b) => b.us - a.us).map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, share: busy === 0 ? 0 : e.us / busy }));
}

/** "name (place) 12.3 %, ..." for the top n. */
export function summarise(file: string, n = 5): string {
  const top = selfTimes(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile).slice(0, n);
  return top.map((t) => `${t.name}${t.where === '' ? '' : ` (${t.where})`} ${(t.share * 100).toFixed(1)} %`).join(', ');
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  const at = process.argv.indexOf('--top');
  if (file === undefined) {
    console.error('usage: npx tsx bench/profile.ts FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  const n = at > 0 ? Number(process.argv[at + 1]) : 5;
  for (const t of selfTimes(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile).slice(0, n)) {
    console.log(`${(t.share * 100).toFixed(1).padStart(5)} %  ${t.ms.toFixed(0).padStart(8)} ms  ${t.name}${t.where === '' ? '' : `  ${t.where}`}`);
  }
}

/**
 * `npm run bench -- <scenario> [--size N] [--smoke] [--no-record]`: runs one benchmark,
 * prints its summary and appends its rows to docs/benchmarks.md.
 */
import { complianceBench } from './compliance.js';
import { archiveBench } from './archive.js';
import { migrateBench } from './migrate.js';
import { fanoutBench } from './fanout.js';
import { historyBench } from './history.js';
import { parseOptions, type Options } from './lib.js';

const SCENARIOS: Record<string, { about: string; run: (options: Options) => Promise<void> }> = {
  compliance: { about: 'compliance adapter throughput (events/s) and the cost of capture on posting', run: complianceBench },
  archive: { about: 'stoa data export and import of N messages (default 1,000,000): time and peak RSS', run: archiveBench },
  fanout: { about: 'one room of N joined members (default 1,000), 10 posters, rising post rate: delivery latency p50/p99/max until p99 > 100 ms', run: fanoutBench },
  history: { about: 'the latest 50 of a room of N messages (default 1,000,000), 50 concurrent HTTP clients for 10 s: requests/s and latency', run: historyBench },
  migrate: { about: 'stoa migrate legacy of a generated dump of N messages (default 1,000,000): time and peak RSS', run: migrateBench },
};

function usage(): string {
  return ['usage: npm run bench -- <scenario> [--size N] [--smoke] [--no-record]', '', ...Object.entries(SCENARIOS).map(([name, s]) => `  ${name.padEnd(14)} ${s.about}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const scenario = name === undefined ? undefined : SCENARIOS[name];
  if (scenario === undefined) {
    console.error(name === undefined || name === '--help' ? usage() : `unknown scenario '${name}'\n\n${usage()}`);
    return name === '--help' ? 0 : 2;
  }
  let options: Options;
  try {
    options = parseOptions(rest, name as string);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage()}`);
    return 2;
  }
  await scenario.run(options);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

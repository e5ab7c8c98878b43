/**
 * `npm run bench -- <scenario> [--size N] [--store sqlite|postgres] [--data DIR] [--smoke] [--no-record]`: runs one benchmark,
 * prints its summary and appends its rows to docs/benchmarks.md.
 */
import { archiveBench } from './archive.js';
import { capacityBench } from './capacity.js';
import { complianceBench } from './compliance.js';
import { connectionsBench } from './connections.js';
import { directorySyncBench } from './directory-sync.js';
import { fanoutBench } from './fanout.js';
import { poolFanoutBench } from './pool-fanout.js';
import { poolFailoverBench } from './pool-failover.js';
import { historyBench } from './history.js';
import { importLoadBench } from './import-load.js';
import { parseOptions, type Options } from './lib.js';
import { migrateBench } from './migrate.js';
import { searchBench } from './search.js';

const SCENARIOS: Record<string, { about: string; run: (options: Options) => Promise<void> }> = {
  archive: { about: 'stoa data export and import of N messages (default 1,000,000): time and peak RSS', run: archiveBench },
  'capacity-model': { about: 'the legacy load model (rooms of 30/150/16,000, 74 posts/s, 10 joins/s, roster polls per 20,000 users) scaled to N users online (default 15,000): p50/p99 of each', run: capacityBench },
  compliance: { about: 'compliance adapter throughput (events/s) and the cost of capture on posting', run: complianceBench },
  connections: { about: 'N idle signed-in users (default 15,000) on Stoa, Prosody and ejabberd: RSS per user, users within 1.5 GiB', run: connectionsBench },
  'directory-sync': { about: 'stoa directory sync of N users (default 50,000) in N/10 groups from a real slapd: the first full pass, then an incremental one after 1 % changed (time, peak RSS)', run: directorySyncBench },
  fanout: { about: 'one room of N joined members (default 1,000), 10 posters, rising post rate, on Stoa, Prosody and ejabberd: delivery latency p50/p99/max until p99 > 100 ms', run: fanoutBench },
  'pool-failover': {
    about: 'N clients (default 300) of a 3-node pool behind HAProxy: back and posting after a node is killed, and after the primary database is lost and the pool fails over to its promoted standby',
    run: poolFailoverBench,
  },
  'pool-fanout': { about: 'one room of N members (default 1,000) on a pool (PostgreSQL + Redis): all on one node vs spread over three, same climb as fanout: the cost of the cross-node hop', run: poolFanoutBench },
  history: { about: 'the latest 50 of a room of N messages (default 1,000,000), 50 concurrent HTTP clients for 10 s, on SQLite and on PostgreSQL: requests/s and latency', run: historyBench },
  import: { about: 'both ways in at N messages (default 1,000,000): stoa migrate legacy (as migrate), then stoa data export + import (as archive)', run: importBench },
  'import-load': { about: 'history reads of 10 clients on a serving node (SQLite), idle and while N messages (default 1,000,000) are imported into it: p50/p99 and the import rate', run: importLoadBench },
  migrate: { about: 'stoa migrate legacy of a generated dump of N messages (default 1,000,000): time and peak RSS', run: migrateBench },
  search: { about: 'ACL-filtered full-text search over N messages (default 10,000,000; --store postgres: 1,000,000 on PostgreSQL) in 1,000 rooms, 10 concurrent clients for 10 s: latency per query kind', run: searchBench },
};

/** `import`: both ways in — the legacy migration, then a Stoa archive's export and import (each records its own rows). */
async function importBench(options: Options): Promise<void> {
  await migrateBench(options);
  await archiveBench(options);
}

function usage(): string {
  return ['usage: npm run bench -- <scenario> [--size N] [--store sqlite|postgres] [--data DIR] [--smoke] [--no-record]', '', ...Object.entries(SCENARIOS).map(([name, s]) => `  ${name.padEnd(14)} ${s.about}`)].join('\n');
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

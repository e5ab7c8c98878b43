/**
 * HAProxy (Debian's `haproxy`) in front of test nodes, from the configuration shipped in
 * docs/examples/haproxy.cfg with only its addresses replaced: the test runs what an
 * operator installs. Under STOA_TEST_REQUIRE_ALL=1 a missing haproxy fails the tests
 * that need it; locally they skip with a loud message.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './postgres-server.js';
import { ROOT } from './cli.js';
import { tempDir } from './stores.js';

export const EXAMPLE = path.join(ROOT, 'docs', 'examples', 'haproxy.cfg');

let warned = false;

export function haproxyEnabled(): boolean {
  if (spawnSync('haproxy', ['-v']).error === undefined) return true;
  if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error('STOA_TEST_REQUIRE_ALL=1 but haproxy is not installed (apt-get install -y haproxy)');
  if (!warned) console.warn('\n*** haproxy not found: the load-balancer tests are SKIPPED (apt-get install -y haproxy) ***\n');
  warned = true;
  return false;
}

export interface Haproxy {
  url: string;
  stop(): Promise<void>;
}

/** The shipped configuration, listening on 127.0.0.1:port, in front of these nodes. */
export function configFor(port: number, nodes: readonly { name: string; port: number }[]): string {
  const shipped = fs.readFileSync(EXAMPLE, 'utf8');
  const lines = shipped.split('\n');
  const servers = lines.filter((l) => /^\s+server\s/.test(l));
  if (servers.length === 0 || !shipped.includes('bind 0.0.0.0:80')) throw new Error('docs/examples/haproxy.cfg no longer has the bind and server lines this test replaces');
  const out: string[] = [];
  for (const line of lines) {
    if (line === servers[0]) out.push(...nodes.map((n) => `    server ${n.name} 127.0.0.1:${n.port} check`));
    else if (!servers.includes(line)) out.push(line.replace('bind 0.0.0.0:80', `bind 127.0.0.1:${port}`));
  }
  return out.join('\n');
}

export async function startHaproxy(nodes: readonly { name: string; port: number }[]): Promise<Haproxy> {
  const port = await freePort();
  const file = path.join(tempDir('stoa-haproxy-'), 'haproxy.cfg');
  fs.writeFileSync(file, configFor(port, nodes));
  const check = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c refused the configuration:\n${check.stdout}${check.stderr}`);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited:\n${out}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not answer within 15 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

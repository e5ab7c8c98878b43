/** `stoa serve` as `npm start` runs it: health endpoint, first administrator, config errors. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllServers, serve, stop } from '../harness/serve-process.js';
import { assertBuilt, runStoa } from '../harness/cli.js';
import { postgresDatabaseUrl, postgresEnabled, tempDir } from '../harness/stores.js';
import { redisEnabled, startRedis } from '../harness/redis-server.js';
import { ok } from './shared.js';

beforeAll(() => assertBuilt());
afterEach(() => killAllServers());

describe('stoa serve', () => {
  it('answers /healthz, creates the first administrator once, and shares the data dir with the CLI', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const server = await serve(['--data-dir', dataDir, '--pool-fqdn', 'pc.contoso.com']);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', pool: 'pc.contoso.com', version: expect.any(String) as unknown });
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');

    const printed = /first administrator: (sip:admin@pc\.contoso\.com)\s+password: (\S+)/.exec(server.output());
    expect(printed).not.toBeNull();
    const file = path.join(dataDir, 'initial-admin-password');
    expect(fs.readFileSync(file, 'utf8')).toBe(`${printed?.[1]}\n${printed?.[2]}\n`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(server.output()).toMatch(/administer with the CLI: \.\/bin\/stoa --data-dir /);
    // The web client is served at /, and the administrator signs in with the printed password.
    expect(server.output()).toContain(`web client: ${server.url}/`);
    const page = await fetch(`${server.url}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await page.text()).toContain('<div id="app">');
    const signedIn = await fetch(`${server.url}/api/v1/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: printed?.[1], password: printed?.[2] }) });
    expect(signedIn.status).toBe(200);

    // The CLI works on the same data dir while the server runs.
    const admins = ok(await runStoa(['--data-dir', dataDir, '--json', 'admin', 'get'])).json<{ key: string; hasPassword: boolean }[]>();
    expect(admins).toEqual([expect.objectContaining({ key: 'sip:admin@pc.contoso.com', hasPassword: true })]);
    expect(await stop(server)).toBe(0);

    const again = await serve(['--data-dir', dataDir]);
    expect(again.output()).not.toMatch(/first administrator/);
    expect(await stop(again)).toBe(0);
  });

  it('takes the first password from STOA_ADMIN_PASSWORD and writes no file', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const server = await serve(['--data-dir', dataDir], { STOA_ADMIN_PASSWORD: 'chosen by the operator' });
    expect(server.output()).toMatch(/first administrator: sip:admin@\S+ \(password from STOA_ADMIN_PASSWORD\)/);
    expect(fs.existsSync(path.join(dataDir, 'initial-admin-password'))).toBe(false);
    await stop(server);
  });

  it('logs one structured line per request, by route: tokens in URLs never reach the log', async () => {
    const server = await serve(['--data-dir', path.join(tempDir(), 'data'), '--log-level', 'info']);
    const token = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
    await fetch(`${server.url}/api/v1/files/download/${token.slice(0, 43)}`);
    await fetch(`${server.url}/healthz`);
    await stop(server);
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; route?: string; status?: number });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', route: '/api/v1/files/download/:token', status: 404 }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', route: '/healthz', status: 200 }));
    expect(server.output()).not.toContain(token.slice(0, 43));
  });

  it('refuses a bad configuration, naming every problem', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'stoa.json');
    fs.writeFileSync(config, JSON.stringify({ port: 70000, colour: 'blue' }));
    const r = await runStoa(['--config', config, 'serve', '--data-dir', path.join(dir, 'data')], { env: { STOA_DATABASE_URL: 'mysql://x' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid configuration/);
    expect(r.stderr).toMatch(/unknown setting\(s\): colour/);
    const second = await runStoa(['serve', '--data-dir', path.join(dir, 'data'), '--port', '70000'], { env: { STOA_DATABASE_URL: 'mysql://x' } });
    expect(second.stderr).toMatch(/port: .*65535/);
    expect(second.stderr).toMatch(/databaseUrl: must be a postgres/);
  });

  it('names its node: listed by `pool node get`, refused to a second process while it runs', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const server = await serve(['--data-dir', dataDir, '--node-name', 'alpha']);
    expect(server.output()).toMatch(/is running at \S+ \(pool \S+, node alpha, data in /);
    const nodes = ok(await runStoa(['--data-dir', dataDir, '--json', 'pool', 'node', 'get'])).json<{ name: string; state: string; address: string; pid: number }[]>();
    expect(nodes).toEqual([expect.objectContaining({ name: 'alpha', state: 'Running', address: server.url })]);
    expect(ok(await runStoa(['--data-dir', dataDir, 'pool', 'node', 'get', 'alpha'])).stdout).toMatch(/^Name\s+: alpha\nState\s+: Running\n/);
    const unknown = await runStoa(['--data-dir', dataDir, 'pool', 'node', 'get', 'gamma']);
    expect([unknown.code, unknown.stderr]).toEqual([1, "stoa: no running node is named 'gamma' (stoa pool node get lists them) [NODE_NOT_FOUND]\n"]);
    // The same name (in any case) from another process while alpha runs: refused, alpha unharmed.
    const twin = await runStoa(['serve', '--data-dir', dataDir, '--port', '0'], { env: { STOA_NODE_NAME: 'ALPHA' } });
    expect(twin.code).toBe(1);
    expect(twin.stderr).toMatch(/the node name 'ALPHA' is in use by a running node \(host \S+, pid \d+, .*--node-name \(or STOA_NODE_NAME\) \[NAME_TAKEN\]/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const bad = await runStoa(['serve', '--data-dir', dataDir, '--node-name', 'two words']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/nodeName: a node name is 1-63 letters, digits/)]);
    // A node that stops leaves the list.
    expect(await stop(server)).toBe(0);
    expect(ok(await runStoa(['--data-dir', dataDir, 'pool', 'node', 'get'])).stdout).toBe('no node is running (stoa serve starts one)\n');
  });

  it.skipIf(!postgresEnabled() || !redisEnabled())('lists every node on one PostgreSQL database', async () => {
    const url = await postgresDatabaseUrl();
    const redis = await startRedis();
    const pooled = ['--redis-url', redis.url];
    const alpha = await serve(['--data-dir', path.join(tempDir(), 'a'), '--database-url', url, '--node-name', 'alpha', ...pooled]);
    // A second node without the pool's Redis would not hear alpha: refused.
    const deaf = await runStoa(['serve', '--data-dir', path.join(tempDir(), 'e'), '--database-url', url, '--port', '0', '--node-name', 'beta']);
    expect([deaf.code, deaf.stderr]).toEqual([1, expect.stringMatching(/another node \(alpha on \S+\) runs on this database: the nodes of a pool hear each other through Redis\. Start every node with --redis-url .*\[POOL_UNAVAILABLE\]/)]);
    const beta = await serve(['--data-dir', path.join(tempDir(), 'b'), '--database-url', url, ...pooled], { STOA_NODE_NAME: 'beta' });
    const nodes = ok(await runStoa(['--database-url', url, '--data-dir', path.join(tempDir(), 'c'), '--json', 'pool', 'node', 'get'])).json<{ name: string; state: string; address: string }[]>();
    expect(nodes.map((n) => [n.name, n.state, n.address])).toEqual([
      ['alpha', 'Running', alpha.url],
      ['beta', 'Running', beta.url],
    ]);
    const twin = await runStoa(['serve', '--data-dir', path.join(tempDir(), 'd'), '--database-url', url, '--port', '0', '--node-name', 'beta', ...pooled]);
    expect([twin.code, twin.stderr]).toEqual([1, expect.stringMatching(/'beta' is in use by a running node .*\[NAME_TAKEN\]/)]);
    // Two processes started under one name at the same moment: one runs, the other is refused.
    const twins = await Promise.allSettled([1, 2].map((i) => serve(['--data-dir', path.join(tempDir(), `t${i}`), '--database-url', url, '--node-name', 'gamma', ...pooled])));
    expect(twins.map((t) => t.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = twins.find((t) => t.status === 'rejected') as PromiseRejectedResult;
    expect(String(refused.reason)).toMatch(/'gamma' is in use by a running node .*\[NAME_TAKEN\]/);
    const gamma = (twins.find((t) => t.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<typeof serve>>>).value;
    const code = await stop(gamma);
    expect(code, gamma.output()).toBe(0);
    expect(await stop(beta)).toBe(0);
    expect(ok(await runStoa(['--database-url', url, '--data-dir', path.join(tempDir(), 'c'), '--json', 'pool', 'node', 'get'])).json<{ name: string }[]>().map((n) => n.name)).toEqual(['alpha']);
    expect(await stop(alpha)).toBe(0);
    await redis.stop();
  });

  it.skipIf(!postgresEnabled())('runs on PostgreSQL with --database-url, and so does the CLI', async () => {
    const url = await postgresDatabaseUrl();
    const dataDir = path.join(tempDir(), 'data');
    const server = await serve(['--data-dir', dataDir, '--database-url', url, '--pool-fqdn', 'pg.contoso.com']);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(server.output()).toMatch(/administer with the CLI: \.\/bin\/stoa --database-url <the same URL> /);
    ok(await runStoa(['--database-url', url, '--data-dir', dataDir, 'category', 'new', '--name', 'OnPostgres']));
    expect(ok(await runStoa(['--database-url', url, '--data-dir', dataDir, '--json', 'category', 'get'])).json<{ identity: string }[]>()).toEqual([
      expect.objectContaining({ identity: 'pg.contoso.com\\OnPostgres' }),
    ]);
    await stop(server);
  });
});

/** Output forms, exit codes and deployment handling of the real binary. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliFor, runStoa } from '../harness/cli.js';
import { tempDir } from '../harness/stores.js';
import { engineering, ok, refused } from './shared.js';

beforeAll(async () => {
  assertBuilt();
  await engineering.build();
});

it('says once that it created a deployment, and creates it owner-only', async () => {
  const fresh = cliFor();
  const first = ok(await fresh.run(['category', 'get']));
  expect(first.stderr).toMatch(/created a new deployment in .* \(pool pc\.contoso\.com\)/);
  expect(first.stdout).toBe('');
  expect(fs.statSync(fresh.dataDir).mode & 0o777).toBe(0o700);
  expect(fs.statSync(path.join(fresh.dataDir, 'stoa.db')).mode & 0o077).toBe(0);
  expect(fs.statSync(path.join(fresh.dataDir, 'stoa-reads.db')).mode & 0o077).toBe(0);
  expect(ok(await fresh.run(['category', 'get'])).stderr).toBe('');
});

it('prints one JSON document with --json, lists as arrays', async () => {
  const cli = engineering.copy();
  const rooms = ok(await cli.run(['--json', 'room', 'get'])).json<Record<string, unknown>[]>();
  expect(rooms).toEqual([expect.objectContaining({ identity: 'pc.contoso.com\\Dev', privacy: 'Closed', members: ['sip:ana@contoso.com'] })]);
  expect(ok(await cli.run(['room', 'get', 'pc.contoso.com\\Dev', '--json'])).json<unknown[]>()).toHaveLength(1);
  const created = ok(await cli.run(['--json', 'addin', 'new', '--name', 'Wiki', '--url', 'https://wiki'])).json();
  expect(created).toMatchObject({ identity: 'pc.contoso.com\\Wiki', url: 'https://wiki' });
});

it('prints readable tables and Name : Value listings', async () => {
  const cli = engineering.copy();
  ok(await cli.run(['room', 'new', '--name', 'Ops', '--category', 'Engineering', '--privacy', 'open']));
  const table = ok(await cli.run(['room', 'get'])).stdout;
  expect(table.split('\n')[0]).toMatch(/^Identity\s+Category\s+Privacy\s+Type\s+Disabled/);
  expect(table).toMatch(/pc\.contoso\.com\\Ops\s+Engineering\s+Open\s+Normal\s+false/);
  const listing = ok(await cli.run(['room', 'get', 'Dev'])).stdout;
  expect(listing).toMatch(/^Identity\s+: pc\.contoso\.com\\Dev$/m);
  expect(listing).toMatch(/^Members\s+: sip:ana@contoso\.com$/m);
});

describe('exit codes', () => {
  it('2 for command lines it cannot understand', async () => {
    const cli = engineering.copy();
    const lines = [
      ['room', 'new', '--name', 'X'],
      ['room', 'new', '--name', 'X', '--category', 'Engineering', '--privacy', 'Hidden'],
      ['room', 'set', 'Dev', '--invitations', 'True'],
      ['room', 'get', '--bogus'],
      ['rooms', 'get'],
      ['room', 'get', '--result-size', 'ten'],
      ['room', 'set', 'Dev', '--members', 'sip:ana@contoso.com', '--add-member', 'sip:ben@contoso.com'],
      ['room', 'set', 'Dev', '--disabled', 'maybe'],
      ['room', 'get', 'Dev', '--privacy', 'Open'],
      [],
    ];
    const codes = await Promise.all(lines.map(async (args) => ({ args, code: (await cli.run(args)).code })));
    expect(codes).toEqual(lines.map((args) => ({ args, code: 2 })));
  });

  it('1 with one line for refused operations, and a JSON error under --json', async () => {
    const cli = engineering.copy();
    refused(await cli.run(['room', 'get', 'Nope']), 'ROOM_NOT_FOUND', /no room named 'Nope'/);
    const r = await cli.run(['--json', 'room', 'get', 'Nope']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'ROOM_NOT_FOUND', message: "there is no room named 'Nope'" } });
  });

  it('0 for help and version', async () => {
    expect((await runStoa(['--version'])).code).toBe(0);
    expect((await runStoa(['room', 'new', '--help'])).stdout).toMatch(/--what-if/);
  });
});

it('refuses a data dir that other users can write', async () => {
  const dir = path.join(tempDir(), 'shared');
  fs.mkdirSync(dir, { mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  refused(await runStoa(['--data-dir', dir, 'category', 'get']), 'DATA_DIR', /can be written by other users.*chmod go-w/);
});

it('keeps a deployment on the pool it was created for', async () => {
  const cli = engineering.copy();
  refused(await runStoa(['--data-dir', cli.dataDir, '--pool-fqdn', 'other.contoso.com', 'room', 'get']), 'DEPLOYMENT_MISMATCH');
  expect(ok(await runStoa(['--data-dir', cli.dataDir, '--json', 'room', 'get'])).json<{ identity: string }[]>()[0]?.identity).toBe('pc.contoso.com\\Dev');
});

it('lets several first commands create one deployment together', async () => {
  const fresh = cliFor();
  const results = await Promise.all(
    Array.from({ length: 5 }, (_, i) => fresh.run(['principal', 'add', `sip:first${i}@contoso.com`, '--kind', 'user'])),
  );
  expect(results.map((r) => [r.code, r.stderr.replace(/stoa: created a new deployment.*\n/, '')])).toEqual(Array.from({ length: 5 }, () => [0, '']));
  expect(results.filter((r) => r.stderr.includes('created a new deployment'))).toHaveLength(1);
  expect(ok(await fresh.run(['--json', 'principal', 'get', '--kind', 'user'])).json<unknown[]>()).toHaveLength(5);
});

it('serialises concurrent administrators on one data dir', async () => {
  const cli = engineering.copy();
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => cli.run(['room', 'new', '--name', `Parallel ${i}`, '--category', 'Engineering'])));
  expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
  expect(ok(await cli.run(['--json', 'room', 'get', '--filter', 'Parallel*'])).json<unknown[]>()).toHaveLength(6);
});

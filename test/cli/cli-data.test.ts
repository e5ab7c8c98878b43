/** `stoa data export|import` through the real binary: options, exit codes, reports. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliFor } from '../harness/cli.js';
import { tempDir } from '../harness/stores.js';
import { engineering, ok, refused } from './shared.js';

beforeAll(async () => {
  assertBuilt();
  await engineering.build();
});

describe('stoa data', () => {
  it('exports, then imports into a new deployment with a what-if first, HTML and JSON reports', async () => {
    const source = engineering.copy();
    const dir = tempDir('stoa-cli-data-');
    const zip = path.join(dir, 'pool.zip');
    const exported = ok(await source.run(['data', 'export', '--file', zip, '--no-progress']));
    expect(exported.stdout).toMatch(/^exported All to .*pool\.zip\n/);
    expect(exported.stdout).toMatch(/ {2}rooms: \d+/);
    expect((fs.statSync(zip).mode & 0o777).toString(8)).toBe('600');

    const target = cliFor(path.join(tempDir('stoa-cli-'), 'data'));
    const report = path.join(dir, 'what-if.html');
    const whatIf = ok(await target.run(['data', 'import', '--file', zip, '--what-if', '--report', report]));
    expect(whatIf.stdout).toMatch(/^what-if: nothing was changed/);
    expect(fs.readFileSync(report, 'utf8')).toContain('What-if run: nothing was changed.');
    const json = JSON.parse(fs.readFileSync(`${report}.json`, 'utf8')) as { outcome: string; counts: Record<string, { created: number }> };
    expect(json.outcome).toBe('what-if');
    expect(json.counts.rooms!.created).toBeGreaterThan(0);
    refused(await target.run(['room', 'get', 'Dev']), 'ROOM_NOT_FOUND');

    const done = ok(await target.run(['--json', 'data', 'import', '--file', zip, '--on-conflict', 'fail']));
    expect(done.json<{ outcome: string }>().outcome).toBe('completed');
    expect(ok(await target.run(['--json', 'room', 'get', 'Dev'])).json<{ name: string }[]>()[0]?.name).toBe('Dev');
  });

  it('refuses bad options and bad archives with the usual exit codes', async () => {
    const cli = engineering.copy();
    const dir = tempDir('stoa-cli-data-');
    expect((await cli.run(['data', 'export'])).code).toBe(2);
    expect((await cli.run(['data', 'export', '--file', path.join(dir, 'x.zip'), '--level', 'Everything'])).code).toBe(2);
    expect((await cli.run(['data', 'import', '--file', path.join(dir, 'x.zip'), '--on-conflict', 'merge'])).code).toBe(2);
    refused(await cli.run(['data', 'export', '--file', path.join(dir, 'x.zip'), '--scope', 'Nope']), 'CATEGORY_NOT_FOUND');
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.writeFileSync(path.join(dir, 'not.zip'), 'hello');
    refused(await cli.run(['data', 'import', '--file', path.join(dir, 'not.zip')]), 'ARCHIVE_INVALID');
    // A refused import (here: a conflict under fail) exits 1 and says so.
    ok(await cli.run(['data', 'export', '--file', path.join(dir, 'self.zip')]));
    ok(await cli.run(['room', 'set', 'Dev', '--description', 'changed after the export']));
    const r = await cli.run(['data', 'import', '--file', path.join(dir, 'self.zip'), '--on-conflict', 'fail']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^refused: nothing was changed/);
    expect(r.stdout).toMatch(/conflict/);
  });
});

/**
 * docs/examples/first-deployment.sh, as CI runs it: it must build the whole deployment
 * without a refused command, and the result must grant what it means to grant.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { assertBuilt, ROOT, runStoa } from '../harness/cli.js';
import { tempDir } from '../harness/stores.js';
import { ok } from './shared.js';
import { openRuntime } from '../../src/main.js';
import { loadConfig } from '../../src/config/load.js';
import { listRooms } from '../../src/actions/room-queries.js';
import type { RoomView } from '../../src/actions/views.js';

const run = promisify(execFile);
const dataDir = path.join(tempDir('stoa-example-'), 'data');

beforeAll(async () => {
  assertBuilt();
  await run(path.join(ROOT, 'docs/examples/first-deployment.sh'), [], { env: { ...process.env, STOA_DATA_DIR: dataDir }, timeout: 120_000 });
}, 150_000);

it('builds rooms of every privacy and type with their roles', async () => {
  const rooms = ok(await runStoa(['--data-dir', dataDir, '--json', 'room', 'get'])).json<RoomView[]>();
  const kinds = new Set(rooms.map((r) => `${r.privacy}/${r.type}`));
  for (const privacy of ['Open', 'Closed', 'Secret']) for (const type of ['Normal', 'Auditorium']) expect(kinds).toContain(`${privacy}/${type}`);
  expect(rooms.find((r) => r.name === 'Release Notes')).toMatchObject({
    presenters: ['CN=Release Managers,OU=Engineering,DC=contoso,DC=com'],
    managers: ['sip:ana@contoso.com'],
  });
  expect(rooms.find((r) => r.name === 'Release Train')?.addin).toBe('Build Dashboard');
});

it('grants what the script means to grant', async () => {
  const runtime = await openRuntime(loadConfig({ env: {}, overrides: { dataDir } }));
  try {
    const { services } = runtime;
    const user = async (key: string) => {
      const p = await services.store.principals.getByKey(key);
      return { kind: 'user' as const, principalId: p?.id ?? -1 };
    };
    const visible = async (key: string) => (await listRooms(services, await user(key))).map((r) => r.name).sort();
    // Ana: engineer, member of the secret bridge.
    expect(await visible('sip:ana@contoso.com')).toEqual(['Engineering Lobby', 'Incident Bridge', 'Release Notes', 'Release Train', 'Town Hall']);
    // Chen: a contractor (denied in Engineering), in Oslo (site policy off) but granted the pilot policy.
    expect(await visible('sip:chen@contoso.com')).toEqual(['Town Hall']);
    // Dana: an administrator through the Chat Admins group sees every room.
    expect(await visible('sip:dana@contoso.com')).toHaveLength(6);
  } finally {
    await runtime.close();
  }
});

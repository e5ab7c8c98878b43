/**
 * The file store of a pool: every node mounts one directory (`fileStore`, the legacy file
 * share), so a file uploaded through one node downloads through any other; a store that
 * belongs to another deployment is refused at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../harness/server.js';
import { postgresEnabled, tempDir } from '../harness/stores.js';
import { redisEnabled, startRedis, type RedisServer } from '../harness/redis-server.js';
import { buildCategory, buildDomain, buildRoom, unique } from '../factories.js';
import { OWNER_FILE } from '../../src/files/blob-store.js';

describe.skipIf(!postgresEnabled() || !redisEnabled())('the file store of a pool [postgres, redis]', () => {
  const servers: TestServer[] = [];
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const s of servers.reverse()) await s.close();
    await redis?.stop();
  });

  it('serves a file uploaded through one node from another, and refuses another deployment’s store', async () => {
    const share = path.join(tempDir('stoa-share-'), 'files');
    const a = await startTestServer({ dialect: 'postgres' }, { nodeName: 'a', fileStore: share, redisUrl: redis.url });
    servers.push(a);
    const domain = `${unique('d')}.example`;
    await buildDomain(a.services, domain);
    const category = await buildCategory(a.services, { allowed: [domain], fileUpload: true });
    const [alice, bob] = [await a.user({ domain }), await a.user({ domain })];
    const room = await buildRoom(a.services, category.name, { privacy: 'Closed', members: [alice.key, bob.key] });

    // Uploaded and posted through node a.
    const data = randomBytes(200_000);
    const ticket = await alice.api.post(`/api/v1/rooms/${room.guid}/files`, { name: 'plan.pdf', size: data.length });
    const uploaded = await fetch(`${a.url}${ticket.body.url}`, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
    expect(uploaded.status).toBe(201);
    const file = (await uploaded.json()) as { id: string; sha256: string };
    expect((await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'the plan', fileId: file.id })).status).toBe(201);
    // In the shared directory, not in the node's data dir.
    expect(fs.existsSync(path.join(share, file.id.slice(0, 2), file.id))).toBe(true);
    expect(fs.existsSync(path.join(a.dataDir, 'files', file.id.slice(0, 2), file.id))).toBe(false);
    expect(fs.statSync(share).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(path.join(share, OWNER_FILE), 'utf8'))).toEqual({ poolFqdn: a.server.runtime.deployment.poolFqdn, createdAt: a.server.runtime.deployment.createdAt });

    // Node b: the same database, its own data dir, the same share.
    const databaseUrl = a.server.runtime.config.databaseUrl;
    // Without the pool's Redis it would not hear a's events: refused while a runs.
    await expect(startTestServer({ dialect: 'postgres' }, { nodeName: 'b', fileStore: share, databaseUrl })).rejects.toMatchObject({ code: 'POOL_UNAVAILABLE', message: expect.stringMatching(/^another node \(a on .*\) runs on this database: the nodes of a pool hear each other through Redis/) });
    const b = await startTestServer({ dialect: 'postgres' }, { nodeName: 'b', fileStore: share, databaseUrl, redisUrl: redis.url });
    servers.push(b);
    const bobOnB = await b.signIn(bob.key);
    const download = await bobOnB.api.post(`/api/v1/files/${file.id}/download`);
    expect(download.status).toBe(201);
    const got = await fetch(`${b.url}${download.body.url}`);
    expect(got.status).toBe(200);
    const bytes = Buffer.from(await got.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);

    // A node of another deployment (its own database) pointed at this share: refused, share untouched.
    const other = startTestServer({ dialect: 'postgres' }, { nodeName: 'c', fileStore: share });
    await expect(other).rejects.toThrow(/the file store .* belongs to another deployment \(pool .*\), not to this one/);
    await expect(other).rejects.toMatchObject({ code: 'DEPLOYMENT_MISMATCH' });
    expect(fs.readdirSync(share).sort()).toEqual([file.id.slice(0, 2), OWNER_FILE].sort());
  });
});

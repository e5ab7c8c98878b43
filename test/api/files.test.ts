/** Files in rooms: tokens, limits, streaming, checksums, permissions on disk. */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useServer } from '../harness/server.js';
import { buildCategory, buildDomain, buildRoom, unique } from '../factories.js';
import { configurations } from '../../src/actions/configurations.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';

describeEachStore('files', (kind) => {
  const t = useServer(kind);

  async function world(fileUpload = true) {
    const domain = `${unique('d')}.example`;
    await buildDomain(t.services, domain);
    const category = await buildCategory(t.services, { allowed: [domain], fileUpload });
    const [alice, bob, outsider] = await Promise.all([t.user({ domain }), t.user({ domain }), t.user({ domain })]);
    const room = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [alice.key, bob.key] });
    return { alice, bob, outsider, room };
  }

  const put = (url: string, body: Buffer) => fetch(`${t.url}${url}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });

  it('uploads with a one-time token, links the file from a message, and downloads it intact', async () => {
    const { alice, bob, outsider, room } = await world();
    const data = randomBytes(300_000);
    const ticket = await alice.api.post(`/api/v1/rooms/${room.guid}/files`, { name: 'report ü.pdf', size: data.length, contentType: 'application/pdf' });
    expect(ticket.status).toBe(201);
    expect(Date.parse(ticket.body.expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);
    const uploaded = await put(ticket.body.url, data);
    expect(uploaded.status).toBe(201);
    const file = (await uploaded.json()) as { id: string; sha256: string; size: number };
    expect(file).toMatchObject({ size: data.length, sha256: createHash('sha256').update(data).digest('hex'), name: 'report ü.pdf' });
    expect((await put(ticket.body.url, data)).status).toBe(404);

    const stored = path.join(t.dataDir, 'files', file.id.slice(0, 2), file.id);
    expect(fs.statSync(stored).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(t.dataDir, 'files')).mode & 0o777).toBe(0o700);

    const message = await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'see attached', fileId: file.id });
    expect(message.body.file).toMatchObject({ id: file.id, sha256: file.sha256 });
    expect((await bob.api.get(`/api/v1/search?q=${encodeURIComponent('see attached has:file')}`)).body.messages).toHaveLength(1);

    const download = await bob.api.post(`/api/v1/files/${file.id}/download`);
    expect(download.status).toBe(201);
    const got = await fetch(`${t.url}${download.body.url}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toContain("filename*=UTF-8''report%20%C3%BC.pdf");
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);

    expect((await outsider.api.post(`/api/v1/files/${file.id}/download`)).body.error.code).toBe('FILE_NOT_FOUND');
    // Someone else's upload cannot be posted as your own.
    expect((await bob.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'mine', fileId: file.id })).body.error.code).toBe('FILE_NOT_FOUND');
  });

  async function upload(u: { api: { post: (p: string, b?: unknown) => Promise<{ body: any }> } }, roomGuid: string, data = randomBytes(10)) {
    const ticket = await u.api.post(`/api/v1/rooms/${roomGuid}/files`, { name: 'x.bin', size: data.length });
    return (await (await put(ticket.body.url, data)).json()) as { id: string };
  }
  const onDisk = (id: string) => fs.existsSync(path.join(t.dataDir, 'files', id.slice(0, 2), id));

  it('expires download tokens after 30 minutes', async () => {
    const { alice, room } = await world();
    const file = await upload(alice, room.guid);
    const ticket = await alice.api.post(`/api/v1/files/${file.id}/download`);
    const realClock = t.services.clock;
    t.services.clock = () => realClock() + 31 * 60_000;
    try {
      expect((await fetch(`${t.url}${ticket.body.url}`)).status).toBe(404);
    } finally {
      t.services.clock = realClock;
    }
    expect((await fetch(`${t.url}${ticket.body.url}`)).status).toBe(200);
  });

  it('deletes files with their messages, their room, or when never posted within a day', async () => {
    const { alice, room } = await world();
    const posted = await upload(alice, room.guid);
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'with file', fileId: posted.id });
    const { checkRemoveMessages } = await import('../../src/actions/content.js');
    const { checkRemoveRoom } = await import('../../src/actions/rooms.js');
    const { purgeExpired } = await import('../../src/actions/files.js');
    expect(onDisk(posted.id)).toBe(true);
    await checkRemoveMessages(t.services, SYSTEM_ACTOR, room.name, { remove: true, filter: 'with file' });
    expect(onDisk(posted.id)).toBe(false);
    expect(await t.services.store.files.getByGuid(posted.id)).toBeUndefined();

    const abandoned = await upload(alice, room.guid);
    const kept = await upload(alice, room.guid);
    await alice.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'kept', fileId: kept.id });
    expect(await purgeExpired(t.services, Date.now())).toBe(0);
    expect(await purgeExpired(t.services, Date.now() + 25 * 3600_000)).toBeGreaterThanOrEqual(1);
    expect(onDisk(abandoned.id)).toBe(false);
    expect(onDisk(kept.id)).toBe(true);

    await checkRemoveRoom(t.services, SYSTEM_ACTOR, room.name);
    expect(onDisk(kept.id)).toBe(false);
  });

  it('refuses uploads where the category does not allow them, and above MaxFileSizeKB', async () => {
    const closed = await world(false);
    expect((await closed.alice.api.post(`/api/v1/rooms/${closed.room.guid}/files`, { name: 'a.txt', size: 10 })).body.error.code).toBe('UPLOADS_DISABLED');
    const { alice, room, outsider } = await world();
    expect((await outsider.api.post(`/api/v1/rooms/${room.guid}/files`, { name: 'a.txt', size: 10 })).status).toBe(403);
    expect((await alice.api.post(`/api/v1/rooms/${room.guid}/files`, { name: '../etc/passwd', size: 10 })).body.error.code).toBe('INVALID_NAME');
    expect((await alice.api.post(`/api/v1/rooms/${room.guid}/files`, { name: 'big.bin', size: 20000 * 1024 + 1 })).body.error.code).toBe('FILE_TOO_LARGE');
    const big = await upload(alice, room.guid, randomBytes(2048));
    await configurations.update(t.services, SYSTEM_ACTOR, 'global', { maxFileSizeKB: 1 });
    try {
      expect((await alice.api.post(`/api/v1/rooms/${room.guid}/files`, { name: 'b.bin', size: 1025 })).body.error.code).toBe('FILE_TOO_LARGE');
      expect((await alice.api.post(`/api/v1/files/${big.id}/download`)).body.error.code).toBe('FILE_TOO_LARGE');
    } finally {
      await configurations.update(t.services, SYSTEM_ACTOR, 'global', { maxFileSizeKB: 20000 });
    }
  });

  it('stops an upload that sends more than it announced and keeps nothing', async () => {
    const { alice, room } = await world();
    const ticket = await alice.api.post(`/api/v1/rooms/${room.guid}/files`, { name: 'liar.bin', size: 1000 });
    const files = () =>
      fs.readdirSync(path.join(t.dataDir, 'files'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    const before = files().length;
    const response = await put(ticket.body.url, randomBytes(5000)).catch(() => undefined);
    if (response !== undefined) expect(response.status).toBe(413);
    // The client may see the connection cut before the server has cleaned up: wait for it.
    for (let i = 0; i < 50 && files().length !== before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(files().filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(files()).toHaveLength(before);
    const short = await alice.api.post(`/api/v1/rooms/${room.guid}/files`, { name: 'short.bin', size: 1000 });
    expect((await put(short.body.url, randomBytes(10))).status).toBe(400);
  });
});

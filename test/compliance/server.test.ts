/**
 * Compliance capture through a running server: what real clients do over WebSocket and
 * HTTP (join, post, history, search, file upload and download, leave, being removed,
 * disconnecting) reaches the output of the server's own worker, in order, with the
 * actor, room and reason of each activity.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useServer } from '../harness/server.js';
import { listOutput, nextMillisecond, readJsonLines } from '../harness/compliance-output.js';
import { buildCategory, buildDomain, buildRoom, unique } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkUpdateRoom } from '../../src/actions/rooms.js';
import { complianceConfigurations } from '../../src/actions/compliance-configurations.js';
import { channelUri } from '../../src/domain/compliance.js';
import { POOL } from '../harness/services.js';

describeEachStore('compliance through the server', (kind) => {
  const t = useServer(kind);

  it('captures joins, posts, reads, file transfers and every way of leaving', async () => {
    await complianceConfigurations.update(t.services, SYSTEM_ACTOR, 'global', { adapterType: 'JsonLines', createFileAttachmentsManifest: true });
    const domain = `${unique('d')}.example`;
    await buildDomain(t.services, domain);
    const category = await buildCategory(t.services, { allowed: [domain], fileUpload: true });
    const [alice, bob, carol] = await Promise.all([t.user({ domain }), t.user({ domain }), t.user({ domain })]);
    const room = await buildRoom(t.services, category.name, { privacy: 'Closed', members: [alice.key, bob.key, carol.key] });
    const [wa, wb, wc] = await Promise.all([alice.ws(), bob.ws(), carol.ws()]);

    await wa.ok({ type: 'join', room: room.guid }); // an empty backchat: nothing read, no BACKCHAT
    const posted = await wa.ok({ type: 'post', room: room.guid, text: 'quarterly numbers «ready»' });
    await wb.ok({ type: 'join', room: room.guid });
    await wb.ok({ type: 'join', room: room.guid }); // joined already: the backchat again, no second JOIN
    await nextMillisecond();
    await wc.ok({ type: 'join', room: room.guid });
    expect((await bob.api.get(`/api/v1/rooms/${room.guid}/messages?limit=10`)).status).toBe(200);
    expect((await carol.api.get('/api/v1/search?q=quarterly')).body.messages).toHaveLength(1);

    await nextMillisecond();
    const data = randomBytes(2048);
    const ticket = await bob.api.post(`/api/v1/rooms/${room.guid}/files`, { name: 'numbers.xlsx', size: data.length });
    const file = (await (await fetch(`${t.url}${ticket.body.url}`, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } })).json()) as { id: string; sha256: string };
    const download = await alice.api.post(`/api/v1/files/${file.id}/download`);
    expect((await fetch(`${t.url}${download.body.url}`)).status).toBe(200);

    await nextMillisecond();
    await wb.ok({ type: 'part', room: room.guid });
    await checkUpdateRoom(t.services, SYSTEM_ACTOR, room.name, { members: { mode: 'edit', add: [], remove: [carol.key] } });
    await wc.waitFor((f) => f.type === 'room.kicked');
    wa.close();
    wb.close();
    wc.close();
    // The server sees the disconnects a moment after the clients close.
    for (let i = 0; i < 250 && t.server.gateway.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.server.gateway.connections).toBe(0);
    await t.settle();

    const report = await t.server.runtime.compliance.run();
    expect(report.ran).toBe(true);
    const uri = channelUri(POOL, room.guid);
    const inRoom = readJsonLines(listOutput(path.join(t.dataDir, 'compliance'))).filter((e) => e.room?.uri === uri);
    const who = (e: { actor: { uri: string } | null }) => e.actor?.uri;
    expect(inRoom.map((e) => [e.type, who(e)])).toEqual([
      ['JOIN', alice.key],
      ['CHAT', alice.key],
      ['JOIN', bob.key],
      ['BACKCHAT', bob.key],
      ['BACKCHAT', bob.key],
      ['JOIN', carol.key],
      ['BACKCHAT', carol.key],
      ['BACKCHAT', bob.key],
      ['BACKCHAT', carol.key],
      ['FILEUPLOAD', bob.key],
      ['FILEDOWNLOAD', alice.key],
      ['PART', bob.key],
      ['PART', carol.key],
      ['PART', alice.key],
    ]);
    const chat = inRoom.find((e) => e.type === 'CHAT');
    expect(chat).toMatchObject({ content: 'quarterly numbers «ready»', messageId: posted.message.chatId });
    // Each BACKCHAT names what was read and how.
    expect(inRoom.filter((e) => e.type === 'BACKCHAT').map((e) => [e.details.how, e.details.chatIds])).toEqual([
      ['join', [posted.message.chatId]],
      ['join', [posted.message.chatId]],
      ['join', [posted.message.chatId]],
      ['history', [posted.message.chatId]],
      ['search', [posted.message.chatId]],
    ]);
    expect(inRoom.filter((e) => e.type === 'PART').map((e) => e.details.reason)).toEqual(['left', 'kicked: you may no longer be in this room', 'disconnected']);
    expect(inRoom.find((e) => e.type === 'FILEDOWNLOAD').details).toMatchObject({ fileId: file.id, name: 'numbers.xlsx', sha256: file.sha256, sizeBytes: data.length });
    // The search itself is one SEARCH event without a room, by the user who searched.
    const searches = readJsonLines(listOutput(path.join(t.dataDir, 'compliance'))).filter((e) => e.type === 'SEARCH' && who(e) === carol.key);
    expect(searches).toHaveLength(1);
    const attach = listOutput(path.join(t.dataDir, 'compliance')).filter((f) => f.endsWith('.ATTACH'));
    expect(readJsonLines(attach, '.ATTACH').map((l) => [l.direction, l.user, l.fileId])).toEqual([
      ['upload', bob.key, file.id],
      ['download', alice.key, file.id],
    ]);
  });

  it('gives a join that finishes after its connection dropped its PART, and leaves no ghost in the room', async () => {
    const domain = `${unique('d')}.example`;
    await buildDomain(t.services, domain);
    const category = await buildCategory(t.services, { allowed: [domain] });
    const [dana, eve] = await Promise.all([t.user({ domain }), t.user({ domain })]);
    const room = await buildRoom(t.services, category.name, { privacy: 'Open' });
    const we = await eve.ws();
    await we.ok({ type: 'join', room: room.guid });
    for (let i = 0; i < 5; i++) {
      const wd = await dana.ws();
      wd.ws.send(JSON.stringify({ type: 'join', room: room.guid, id: 1 }));
      wd.ws.terminate(); // gone while the server is still joining
    }
    for (let i = 0; i < 250 && t.server.gateway.connections > 1; i++) await new Promise((r) => setTimeout(r, 20));
    await t.settle();
    expect((await eve.api.get(`/api/v1/rooms/${room.guid}/participants`)).body.participants.map((p: { sipUri: string }) => p.sipUri)).toEqual([eve.key]);
    we.close();
    for (let i = 0; i < 250 && t.server.gateway.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await t.settle();
    await t.server.runtime.compliance.run();
    const uri = channelUri(POOL, room.guid);
    const danaEvents = readJsonLines(listOutput(path.join(t.dataDir, 'compliance'))).filter((e) => e.room?.uri === uri && e.actor?.uri === dana.key);
    const joins = danaEvents.filter((e) => e.type === 'JOIN').length;
    expect(danaEvents.filter((e) => e.type === 'PART')).toHaveLength(joins);
  });
});


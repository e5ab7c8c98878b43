/**
 * The real SIPE client (Debian pidgin-sipe, through test/sip/sipe/harness.c) against
 * `stoa serve` with its SIP endpoint: sign-in, the room list (a Secret room of others not in
 * it), join with the backchat, a WebSocket post arriving in SIPE and a SIPE post arriving
 * at the WebSocket client (spec 03, issue "Legacy clients") — from a trusted network, and
 * with NTLMv2 and every message signed; a wrong password is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestServer, type TestServer } from '../harness/server.js';
import { sipeHarness, SipeClient } from '../harness/sipe.js';
import { buildCategory, buildDomain, buildRoom, buildUser } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkSetPassword } from '../../src/actions/principals.js';
import { channelUri } from '../../src/domain/compliance.js';
import { POOL } from '../harness/services.js';

const harness = sipeHarness();

const LEGACY_PASSWORD = 'correct horse battery staple';

describe.skipIf(harness === undefined)('the real SIPE client', () => {
  describe.each([
    { mode: 'from a trusted network', trustedNetworks: ['127.0.0.1/32'], ntlm: false },
    { mode: 'with NTLMv2 and signed messages', trustedNetworks: [], ntlm: true },
  ])('$mode', ({ trustedNetworks, ntlm }) => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ dialect: 'sqlite' }, { sip: { enabled: true, port: 0, trustedNetworks } });
    });
    afterAll(() => server?.close());

    it('signs in, lists rooms (privacy respected), joins with the backchat, and chats both ways with a WebSocket client', async () => {
      const s = server.services;
      await buildDomain(s, 'contoso.com');
      const alice = await buildUser(s, { domain: 'contoso.com' });
      const bob = await buildUser(s, { domain: 'contoso.com' });
      await checkSetPassword(s, SYSTEM_ACTOR, bob.key, PASSWORD);
      if (ntlm) await checkSetPassword(s, SYSTEM_ACTOR, alice.key, LEGACY_PASSWORD, { legacy: true });
      const category = await buildCategory(s, { allowed: ['contoso.com'] });
      const team = await buildRoom(s, category.name, { name: 'Team room', privacy: 'Closed', members: [alice.key, bob.key], description: 'where the team talks' });
      await buildRoom(s, category.name, { name: 'Lobby', privacy: 'Open' });
      await buildRoom(s, category.name, { name: 'Bob only', privacy: 'Secret', members: [bob.key] });

      const ws = await (await server.signIn(bob.key)).ws();
      await ws.ok({ type: 'join', room: team.guid });
      await ws.ok({ type: 'post', room: team.guid, text: 'earlier, before SIPE came' });

      const sipe = SipeClient.start(harness!, server.server.sip!.port, alice.key, ntlm ? LEGACY_PASSWORD : undefined);
      try {
        await sipe.waitLine(/^signed-on$/);
        // SIPE's room list is empty until its group chat dialog is up: wait for the server to see it.
        const principalId = (await s.store.principals.getByKey(alice.key))!.id;
        for (let i = 0; i < 300 && server.server.gateway.registry.ofPrincipal(principalId).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
        // A list asked for while the chat dialog is still being set up comes back empty: ask again.
        let rooms: string[] = [];
        for (let attempt = 0; attempt < 5 && rooms.length === 0; attempt++) {
          if (attempt > 0) await new Promise((r) => setTimeout(r, 500));
          const from = sipe.lines.length;
          sipe.send('list');
          await sipe.waitLine(/^list-done$/, 15_000, from);
          rooms = sipe.lines.slice(from).filter((l) => l.startsWith('room ')).map((l) => l.slice(5));
        }
        expect(rooms).toEqual(expect.arrayContaining(['Team room', 'Lobby']));
        expect(rooms).not.toContain('Bob only');

        const before = sipe.lines.length;
        sipe.send(`join ${channelUri(POOL, team.guid)}`);
        await sipe.waitLine(/^joined /, 15_000, before);
        await sipe.waitLine(/^msg .*\tearlier, before SIPE came$/, 15_000, before);
        await ws.waitFor((f) => f.type === 'participant.joined' && f.user.sipUri === alice.key);

        await ws.ok({ type: 'post', room: team.guid, text: 'live from the web client' });
        const line = await sipe.waitLine(/\tlive from the web client$/);
        expect(line).toContain(bob.key.replace(/^sip:/, ''));

        sipe.send('post hello from SIPE');
        const got = await ws.waitFor((f) => f.type === 'message' && f.message.text === 'hello from SIPE');
        expect(got.message.author).toBe(alice.key);
        // SIPE checks every signature the server sends and drops the session on a bad one.
        expect(sipe.lines.filter((l) => l.startsWith('error '))).toEqual([]);
      } finally {
        await sipe.quit();
        ws.close();
      }
    }, 60_000);
  });

  describe('refusals with NTLMv2', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ dialect: 'sqlite' }, { sip: { enabled: true, port: 0, trustedNetworks: [] } });
    });
    afterAll(() => server?.close());

    it('refuses a wrong password, and a user whose legacy sign-in is off', async () => {
      const s = server.services;
      await buildDomain(s, 'fabrikam.com');
      const carol = await buildUser(s, { domain: 'fabrikam.com' });
      const dave = await buildUser(s, { domain: 'fabrikam.com' });
      await checkSetPassword(s, SYSTEM_ACTOR, carol.key, LEGACY_PASSWORD, { legacy: true });
      await checkSetPassword(s, SYSTEM_ACTOR, dave.key, LEGACY_PASSWORD);
      for (const [user, password] of [
        [carol.key, 'not the password'],
        [dave.key, LEGACY_PASSWORD],
      ] as const) {
        const sipe = SipeClient.start(harness!, server.server.sip!.port, user, password);
        try {
          const error = await sipe.waitLine(/^(error|signed-on)/);
          // SIPE shows the 403's Warning text to its user.
          expect(error).toBe('error You have been rejected by the server: the user name or password is wrong');
          const principalId = (await s.store.principals.getByKey(user))!.id;
          expect(server.server.gateway.registry.ofPrincipal(principalId)).toEqual([]);
        } finally {
          await sipe.quit();
        }
      }
    }, 60_000);
  });
});

/** Sign-in, sessions, API tokens, throttling and being cut off. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServer, PASSWORD } from '../harness/server.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkSetPassword, checkUpdatePrincipal } from '../../src/actions/principals.js';
import { checkCreatePolicy, checkGrantPolicy } from '../../src/actions/policies.js';
import { buildUser } from '../factories.js';
import { throttled } from '../../src/actions/auth.js';

describe('authentication', () => {
  const t = useServer({ dialect: 'sqlite' });

  it('signs in with the password and answers the same for a wrong password and an unknown user', async () => {
    const user = await t.user();
    const me = await user.api.get('/api/v1/me');
    expect(me.body).toEqual({ sipUri: user.key, displayName: null, administrator: false });
    const wrong = await t.anonymous.post('/api/v1/auth/sign-in', { user: user.key, password: 'not the password' });
    const unknown = await t.anonymous.post('/api/v1/auth/sign-in', { user: 'sip:nobody@contoso.com', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect((await t.anonymous.get('/api/v1/me')).body.error.code).toBe('UNAUTHENTICATED');
  });

  it('throttles repeated failures for a user name, even with the right password', async () => {
    const user = await t.user();
    for (let i = 0; i < 10; i++) expect((await t.anonymous.post('/api/v1/auth/sign-in', { user: user.key, password: `bad-${i}` })).status).toBe(401);
    const blocked = await t.anonymous.post('/api/v1/auth/sign-in', { user: user.key, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same budget for a legacy client's NTLM sign-in over SIP (its gateway signs in
    // through `throttled`), from another address and spelling the name another way.
    let attempted = false;
    await expect(
      throttled(t.services, ` SIP:${user.key.slice(4).toUpperCase()}`, { address: '10.1.2.3' }, async () => {
        attempted = true;
        return 'signed in';
      }),
    ).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    expect(attempted).toBe(false);
  });

  it('ends the session on sign-out and closes its WebSocket', async () => {
    const user = await t.user();
    const ws = await user.ws();
    expect((await user.api.post('/api/v1/auth/sign-out')).status).toBe(204);
    expect((await ws.waitClosed()).code).toBe(4404);
    expect((await user.api.get('/api/v1/me')).status).toBe(401);
  });

  it('signs the user out everywhere when the password changes', async () => {
    const user = await t.user();
    const ws = await user.ws();
    await checkSetPassword(t.services, SYSTEM_ACTOR, user.key, 'another password 2');
    expect((await ws.waitClosed()).code).toBe(4404);
    expect((await user.api.get('/api/v1/me')).status).toBe(401);
  });

  it('issues long-lived API tokens that work like sessions and can be revoked', async () => {
    const user = await t.user();
    const created = await user.api.post('/api/v1/me/tokens', { name: 'build bot' });
    expect(created.status).toBe(201);
    const { Api } = await import('../harness/server.js');
    const bot = new Api(t.url, created.body.token);
    expect((await bot.get('/api/v1/me')).body.sipUri).toBe(user.key);
    const list = await user.api.get('/api/v1/me/tokens');
    expect(list.body).toEqual([expect.objectContaining({ id: created.body.info.id, name: 'build bot', expiresAt: null })]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect((await user.api.delete(`/api/v1/me/tokens/${created.body.info.id}`)).status).toBe(204);
    expect((await bot.get('/api/v1/me')).status).toBe(401);
    expect((await user.api.delete(`/api/v1/me/tokens/${created.body.info.id}`)).status).toBe(404);
  });

  it('cuts a user off at once when their policy is switched off or their account disabled', async () => {
    const user = await t.user();
    const other = await t.user();
    const [ws, ws2] = await Promise.all([user.ws(), other.ws()]);
    await checkCreatePolicy(t.services, SYSTEM_ACTOR, 'NoChat', { enablePersistentChat: false });
    await checkGrantPolicy(t.services, SYSTEM_ACTOR, user.key, 'NoChat');
    expect((await ws.waitClosed()).code).toBe(4403);
    expect((await user.api.get('/api/v1/rooms')).body.error.code).toBe('SERVICE_DISABLED');
    const refused = await t.anonymous.post('/api/v1/auth/sign-in', { user: user.key, password: PASSWORD });
    expect(refused.body.error.code).toBe('SERVICE_DISABLED');
    await checkUpdatePrincipal(t.services, SYSTEM_ACTOR, other.key, { enabled: false });
    expect((await ws2.waitClosed()).code).toBe(4403);
  });

  it('refuses users without a password', async () => {
    const user = await buildUser(t.services);
    const r = await t.anonymous.post('/api/v1/auth/sign-in', { user: user.key, password: 'anything at all' });
    expect(r.status).toBe(401);
  });

  it('serves the OpenAPI description, metrics and secure headers', async () => {
    const openapi = await t.anonymous.get('/api/v1/openapi.json');
    expect(openapi.body.openapi).toBe('3.0.3');
    for (const path of ['/api/v1/auth/sign-in', '/api/v1/rooms', '/api/v1/rooms/{roomId}/messages', '/api/v1/search', '/api/v1/files/download/{token}']) {
      expect(Object.keys(openapi.body.paths)).toContain(path);
    }
    expect(openapi.body.components.schemas.Message.properties).toHaveProperty('chatId');
    // Metrics are not for anyone who reaches the port: the token of the owner-only token file.
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    const token = fs.readFileSync(path.join(t.dataDir, 'metrics-token'), 'utf8').trim();
    expect(fs.statSync(path.join(t.dataDir, 'metrics-token')).mode & 0o077).toBe(0);
    const metrics = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(await metrics.text()).toContain('stoa_http_request_duration_seconds');
    expect(openapi.headers.get('x-content-type-options')).toBe('nosniff');
    expect(openapi.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

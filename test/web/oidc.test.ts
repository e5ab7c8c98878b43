/**
 * OpenID Connect sign-in end to end (issue 20): a real provider (`oidc-provider`) on
 * loopback, Stoa configured with it, and Debian's Chromium going through the sign-in page,
 * the provider's login and consent, and back — signed in. A state that is not the
 * browser's and a claim no user has are refused with the reason on the sign-in page.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Provider from 'oidc-provider';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, ensureWebBuilt, launchChromium, newContext, SHOTS } from '../harness/browser.js';
import { startTestServer, type TestServer } from '../harness/server.js';
import { freePort } from '../harness/postgres-server.js';
import { tempDir } from '../harness/stores.js';
import { buildUser } from '../factories.js';

const available = chromiumAvailable();

describe.skipIf(!available)('OpenID Connect sign-in in Chromium', () => {
  let issuer: http.Server;
  let server: TestServer;
  let browser: Browser;
  let stoaPort: number;
  let issuerUrl: string;

  beforeAll(async () => {
    ensureWebBuilt();
    fs.mkdirSync(SHOTS, { recursive: true });
    const idpPort = await freePort();
    stoaPort = await freePort();
    issuerUrl = `http://127.0.0.1:${idpPort}`;
    const provider = new Provider(issuerUrl, {
      clients: [{ client_id: 'stoa', client_secret: 'stoa-client-secret', redirect_uris: [`http://127.0.0.1:${stoaPort}/api/v1/auth/oidc/test-idp/callback`], response_types: ['code'], grant_types: ['authorization_code'] }],
      // Whoever logs in at the provider's (development) login form gets their login as e-mail.
      findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: id }) }),
      claims: { openid: ['sub'], email: ['email'] },
      pkce: { required: () => true },
      cookies: { keys: ['test-cookie-key'] },
    });
    const handle = provider.callback();
    issuer = http.createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => issuer.listen(idpPort, '127.0.0.1', resolve));
    const secretFile = path.join(tempDir(), 'client-secret');
    fs.writeFileSync(secretFile, 'stoa-client-secret\n');
    server = await startTestServer(
      { dialect: 'sqlite' },
      { port: stoaPort, directory: { oidc: [{ name: 'test-idp', label: 'Sign in with Test IdP', issuer: issuerUrl, clientId: 'stoa', clientSecretFile: secretFile }] } },
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((r) => issuer?.close(r));
  });

  async function throughProvider(login: string) {
    const c = await newContext(browser);
    await c.page.goto(server.url);
    await c.page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await c.page.locator('input[name=login]').fill(login);
    await c.page.locator('input[name=password]').fill('anything');
    await c.page.getByRole('button', { name: 'Sign-in' }).click();
    await c.page.getByRole('button', { name: 'Continue' }).click();
    return c;
  }

  it('signs a user in through the provider, the e-mail claim matched to the user', async () => {
    const user = await buildUser(server.services, { name: 'olivia', domain: 'contoso.com' });
    const c = await throughProvider('olivia@contoso.com');
    await c.page.getByTestId('me').waitFor();
    await expect(c.page.getByTestId('me').innerText()).resolves.toContain('olivia');
    // The one-time code is gone from the address bar, and cannot be used again.
    expect(new URL(c.page.url()).search).toBe('');
    expect(user.key).toBe('sip:olivia@contoso.com');
    expect(c.problems).toEqual([]);
    await c.context.close();
  });

  it('refuses a claim no user has, and an answer whose state is not this browser\'s', async () => {
    const c = await throughProvider('stranger@elsewhere.example');
    await expect(c.page.getByRole('alert').innerText()).resolves.toMatch(/no Stoa user has the email stranger@elsewhere\.example/);
    await c.page.screenshot({ path: path.join(SHOTS, 'oidc-unmapped.png') });
    await c.context.close();
    // A callback this browser did not start (no state cookie, a made-up state): refused, nothing signed in.
    const d = await newContext(browser);
    await d.page.goto(`${server.url}/api/v1/auth/oidc/test-idp/callback?code=forged&state=forged-state`);
    await expect(d.page.getByRole('alert').innerText()).resolves.toMatch(/this sign-in was not started in this browser \(the state does not match\)/);
    const exchanged = await fetch(`${server.url}/api/v1/auth/oidc/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'not-a-code' }) });
    expect(exchanged.status).toBe(400);
    await d.context.close();
  });

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    await buildUser(server.services, { name: 'nina', domain: 'contoso.com' });
    const c = await newContext(browser);
    // The authorization request leaves Stoa with its nonce; the provider is asked for another one.
    await c.page.route(`${server.url}/api/v1/auth/oidc/test-idp/start`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const headers = response.headers();
      const location = new URL(headers.location!);
      location.searchParams.set('nonce', 'a-nonce-stoa-never-sent');
      await route.fulfill({ status: 302, headers: { ...headers, location: location.href } });
    });
    await c.page.goto(server.url);
    await c.page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await c.page.locator('input[name=login]').fill('nina@contoso.com');
    await c.page.locator('input[name=password]').fill('anything');
    await c.page.getByRole('button', { name: 'Sign-in' }).click();
    await c.page.getByRole('button', { name: 'Continue' }).click();
    await expect(c.page.getByRole('alert').innerText()).resolves.toMatch(/^the sign-in through test-idp could not be completed \(unexpected JWT claim value encountered\)$/);
    expect(await c.page.getByTestId('me').count()).toBe(0);
    await c.context.close();
  });

  it('answers hostile requests to its routes with a redirect or a 4xx, never a 5xx', async () => {
    const get = (p: string) => fetch(`${server.url}${p}`, { redirect: 'manual' });
    for (const p of [
      '/api/v1/auth/oidc/no-such-idp/start',
      '/api/v1/auth/oidc/no-such-idp/callback?code=x&state=y',
      `/api/v1/auth/oidc/test-idp/callback?state=${'s'.repeat(5000)}`,
      '/api/v1/auth/oidc/test-idp/callback?error=access_denied',
      '/api/v1/auth/oidc/test-idp/callback?code=%00&state=%ff%fe',
      `/api/v1/auth/oidc/${'x'.repeat(100)}/start`,
    ]) {
      const r = await get(p);
      expect(r.status, p).toBeLessThan(500);
      if (r.status === 302) expect(r.headers.get('location'), p).toMatch(/^\/\?signin-error=/);
    }
    for (const body of ['{}', '{"code": 5}', '{"code": ""}', `{"code": "${'c'.repeat(200)}"}`, '{"code": "x", "extra": 1}', 'not json']) {
      const r = await fetch(`${server.url}/api/v1/auth/oidc/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(r.status, body).toBe(400);
    }
    // Many starts keep a bounded number of pending sign-ins (the oldest go first).
    for (let i = 0; i < 50; i++) expect((await get('/api/v1/auth/oidc/test-idp/start')).status).toBe(302);
  });
});

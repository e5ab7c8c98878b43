/**
 * Debian's Chromium driven by playwright-core (no downloaded browsers). Without
 * /usr/bin/chromium the browser tests skip loudly — and fail under
 * STOA_TEST_REQUIRE_ALL=1 (CI installs it). The web client must be built (dist/web):
 * `npm test` builds it first; a targeted run builds it here when it is missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './cli.js';
import { WEB_ROOT } from '../../src/http/web-routes.js';
import { PASSWORD, startTestServer, type TestServer } from './server.js';
import { buildDomain, buildUser } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkSetPassword } from '../../src/actions/principals.js';

const EXECUTABLE = '/usr/bin/chromium';

/** Whether the browser tests can run here (said loudly when not). */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(EXECUTABLE)) return true;
  const message = `browser tests need Debian's Chromium at ${EXECUTABLE} (apt-get install -y chromium)`;
  if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error(`STOA_TEST_REQUIRE_ALL=1 but ${message}`);
  console.warn(`\n*** ${message}: they are SKIPPED ***\n`);
  return false;
}

/** Builds the web client when dist/web has no page yet (a targeted run before `npm run build`). */
export function ensureWebBuilt(): void {
  if (fs.existsSync(path.join(WEB_ROOT, 'index.html'))) return;
  const built = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`vite build web failed: ${built.stderr}`);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/** A browser context whose page errors and CSP violations are collected (a test asserts there are none). */
export async function newContext(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
  options: { locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // Failed requests are judged below, by URL: an API refusal the page shows is expected.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console error: ${msg.text()}`);
  });
  page.on('response', (response) => {
    const api = new URL(response.url()).pathname.startsWith('/api/');
    if (response.status() >= 500 || (response.status() >= 400 && !api)) problems.push(`${response.status()} for ${response.url()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, page, problems };
}

/** Signs in through the form. */
export async function signInPage(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('SIP address').fill(user.replace(/^sip:/, ''));
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('me').waitFor();
}

/** Where the tests save screenshots: STOA_SCREENSHOTS (`npm run screenshots`: docs/screenshots), else a temp dir. */
export const SHOTS = process.env.STOA_SCREENSHOTS === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-shots-')) : path.resolve(ROOT, process.env.STOA_SCREENSHOTS);

/**
 * For one describe block: the built web client, a server on SQLite with the contoso.com
 * domain, and a Chromium; `user(name)` makes a user with the test password.
 */
export function useWebServer() {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    ensureWebBuilt();
    fs.mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({ dialect: 'sqlite' });
    await buildDomain(server.services, 'contoso.com');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get server(): TestServer {
      return server!;
    },
    get browser(): Browser {
      return browser!;
    },
    async user(name: string) {
      const u = await buildUser(server!.services, { name, domain: 'contoso.com' });
      await checkSetPassword(server!.services, SYSTEM_ACTOR, u.key, PASSWORD);
      return u;
    },
    shot: (name: string) => path.join(SHOTS, name),
  };
}

/**
 * The web client in Firefox (Debian's firefox-esr, driven over WebDriver BiDi by
 * puppeteer-core: playwright-core can only drive its own Firefox build, which cannot be
 * downloaded here). The same client as in Chromium: sign-in, live chat between two users,
 * an alert, hostile text inert; live unread counts and the tab title, grouped posts, a
 * search result opened at its message, the people picker, French; the creator of a Secret
 * room let in, invitations cleared, mentions by name, the phone drawer, the administration
 * pages — and nothing the page did wrong in the console.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { PASSWORD, startTestServer, type TestServer } from '../harness/server.js';
import { ensureWebBuilt, SHOTS } from '../harness/browser.js';
import { buildAdmin, buildCategory, buildDomain, buildRoom, buildUser } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkSetPassword, checkUpdatePrincipal } from '../../src/actions/principals.js';

const FIREFOX = '/usr/bin/firefox-esr';

function firefoxAvailable(): boolean {
  if (fs.existsSync(FIREFOX)) return true;
  const message = `the Firefox test needs Debian's Firefox at ${FIREFOX} (apt-get install -y firefox-esr)`;
  if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error(`STOA_TEST_REQUIRE_ALL=1 but ${message}`);
  console.warn(`\n*** ${message}: it is SKIPPED ***\n`);
  return false;
}

const available = firefoxAvailable();

describe.skipIf(!available)('the web client in Firefox', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    ensureWebBuilt();
    fs.mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({ dialect: 'sqlite' });
    await buildDomain(server.services, 'contoso.com');
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      userDataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-firefox-')),
      timeout: 60_000,
      protocolTimeout: 60_000,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const open = async (user: string) => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console error: ${msg.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 500 || (r.status() >= 400 && !new URL(r.url()).pathname.startsWith('/api/'))) problems.push(`${r.status()} for ${r.url()}`);
    });
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(server.url);
    await page.waitForSelector('input[name=user]');
    await page.type('input[name=user]', user.replace(/^sip:/, ''));
    await page.type('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=me]');
    return { context, page, problems };
  };
  const messages = (page: Page) => page.$$eval('[data-testid=message] .text', (els) => els.map((e) => e.textContent ?? ''));
  const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('signs in, chats live between two users, marks alerts and renders hostile text inert', async () => {
    const users = [];
    for (const name of ['olga', 'pete']) {
      const u = await buildUser(server.services, { name, domain: 'contoso.com' });
      await checkSetPassword(server.services, SYSTEM_ACTOR, u.key, PASSWORD);
      users.push(u);
    }
    const [olga, pete] = users as [(typeof users)[0], (typeof users)[0]];
    const category = await buildCategory(server.services, { name: 'Foxes', allowed: ['contoso.com'] });
    const room = await buildRoom(server.services, category.name, { name: 'Den', privacy: 'Open' });
    const o = await open(olga.key);
    const p = await open(pete.key);
    for (const page of [o.page, p.page]) {
      await page.goto(`${server.url}/#/room/${room.guid}`);
      await page.waitForSelector('[data-testid=room-name]');
    }
    await until(() => o.page.$eval('[data-testid=roster]', (e) => e.textContent ?? ''), (t) => t.includes('pete'), "pete in olga's roster");

    await o.page.type('textarea[aria-label=Message]', 'hello from Firefox');
    await o.page.keyboard.press('Enter');
    await until(() => messages(p.page), (m) => m.includes('hello from Firefox'), 'the message at pete');

    await p.page.click('input[type=checkbox]');
    const hostile = '<img src=x onerror="window.__xss=1"> <script>window.__xss=1</script>';
    await p.page.type('textarea[aria-label=Message]', hostile);
    await p.page.click('button[type=submit]');
    await until(() => messages(o.page), (m) => m.includes(hostile), 'the alert at olga');
    expect(await o.page.$$eval('li.message.alert .text', (els) => els.map((e) => e.textContent))).toEqual([hostile]);
    expect(await o.page.$$eval('main img, main script', (els) => els.length)).toBe(0);
    expect(await o.page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await o.page.screenshot({ path: path.join(SHOTS, 'firefox.png') });
    expect([...o.problems, ...p.problems]).toEqual([]);
    await o.context.close();
    await p.context.close();
  });

  it('keeps unread counts live, groups posts, opens a search result at its message, picks people and speaks French', async () => {
    const users = [];
    for (const name of ['quinn', 'rita']) {
      const u = await buildUser(server.services, { name, domain: 'contoso.com' });
      await checkSetPassword(server.services, SYSTEM_ACTOR, u.key, PASSWORD);
      users.push(u);
    }
    const [quinn, rita] = users as [(typeof users)[0], (typeof users)[0]];
    const category = await buildCategory(server.services, { name: 'Burrows', allowed: ['contoso.com'], creators: [quinn.key] });
    const room = await buildRoom(server.services, category.name, { name: 'Sett', privacy: 'Open', members: [quinn.key], managers: [quinn.key] });
    const ritaApi = (await server.signIn(rita.key)).api;
    expect((await ritaApi.put(`/api/v1/rooms/${room.guid}/follow`)).status).toBe(200);
    const q = await open(quinn.key);
    const r = await open(rita.key);
    await r.page.waitForSelector('[data-testid=followed] a');

    // Two posts in a row: one group on Quinn's screen; Rita, elsewhere, sees the count and the title move.
    await q.page.goto(`${server.url}/#/room/${room.guid}`);
    await q.page.waitForSelector('textarea[aria-label=Message]');
    for (const text of ['the badger is back', 'and it brought friends']) {
      await q.page.type('textarea[aria-label=Message]', text);
      await q.page.keyboard.press('Enter');
      await until(() => messages(q.page), (m) => m.includes(text), `"${text}" posted`);
    }
    expect(await q.page.$$eval('li.message', (els) => els.map((e) => e.classList.contains('continues')))).toEqual([false, true]);
    await until(() => r.page.$eval('[data-testid=followed] .badge', (e) => e.textContent ?? ''), (t) => t === '2', "Rita's unread count");
    await until(() => r.page.title(), (t) => t === '(2) Stoa', "Rita's tab title");

    // A search result opens the room at its message.
    await r.page.type('input[aria-label="Search messages"]', 'badger');
    await r.page.keyboard.press('Enter');
    await r.page.waitForSelector('[data-testid=results] a.in-room');
    await r.page.click('[data-testid=results] a.in-room');
    await until(() => r.page.$$eval('li.message.target', (els) => els.map((e) => e.textContent ?? '')), (t) => t.length === 1 && t[0]!.includes('the badger is back'), 'the result marked in its room');

    // The people picker, from the keyboard: Rita added as a member.
    await q.page.goto(`${server.url}/#/manage/${room.guid}`);
    await q.page.waitForSelector('input[aria-label="Add to Members"]');
    await q.page.type('input[aria-label="Add to Members"]', 'rita');
    await q.page.waitForSelector('[role=listbox] [role=option]');
    await q.page.keyboard.press('Enter');
    await until(() => q.page.$eval('[data-testid=picker-members]', (e) => e.textContent ?? ''), (t) => t.includes('rita@contoso.com'), 'Rita chosen');
    await q.page.click('form.settings button[type=submit]');
    await q.page.waitForSelector('p.notice');
    const roles = (await server.services.store.rooms.roles([room.id])).get(room.id)!;
    expect(roles.members).toContain(rita.id);

    // In French once chosen, after a reload too.
    await q.page.evaluate(() => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('stoa.locale', 'fr'));
    await q.page.reload();
    await q.page.waitForSelector('a[href="#/directory"]');
    expect(await q.page.$eval('a[href="#/directory"]', (e) => e.textContent)).toBe('Annuaire des salles');
    expect(await q.page.evaluate(() => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang)).toBe('fr');
    expect([...q.problems, ...r.problems]).toEqual([]);
    await q.context.close();
    await r.context.close();
  });

  it('lets a creator into the Secret room they made, clears invitations, names mentions, fits a phone and runs the administration pages', async () => {
    const users = [];
    for (const name of ['sam', 'tina']) {
      const u = await buildUser(server.services, { name, domain: 'contoso.com' });
      await checkSetPassword(server.services, SYSTEM_ACTOR, u.key, PASSWORD);
      users.push(u);
    }
    const [sam, tina] = users as [(typeof users)[0], (typeof users)[0]];
    await checkUpdatePrincipal(server.services, SYSTEM_ACTOR, tina.key, { displayName: 'Tina Turner' });
    await buildCategory(server.services, { name: 'Hollows', allowed: ['contoso.com'], creators: [sam.key], invitations: true });
    const s = await open(sam.key);
    const t = await open(tina.key);

    // The creator makes a Secret room in the form and goes straight in.
    await s.page.goto(`${server.url}/#/manage/new`);
    await s.page.waitForSelector('input[name=name]');
    await s.page.type('input[name=name]', 'Hollow');
    await s.page.click('input[name=privacy][value=Secret]');
    await s.page.click('form.settings button[type=submit]');
    await until(() => s.page.$$eval('h1', (els) => els.map((e) => e.textContent ?? '')), (h) => h.includes('Settings of Hollow'), 'the new room settings');
    const room = (await server.services.store.rooms.list({})).find((r) => r.name === 'Hollow')!;
    expect(room.privacy).toBe('Secret');
    await s.page.goto(`${server.url}/#/room/${room.guid}`);
    await s.page.waitForSelector('textarea[aria-label=Message]');

    // Tina, made a member, is invited; visiting the room clears the invitation.
    const samApi = (await server.signIn(sam.key)).api;
    expect((await samApi.call('PATCH', `/api/v1/rooms/${room.guid}`, { members: { add: [tina.key] } })).status).toBe(200);
    await t.page.waitForSelector('[data-testid=invitations] a');
    await t.page.click('[data-testid=invitations] a');
    await t.page.waitForSelector('textarea[aria-label=Message]');
    await until(() => t.page.$$('[data-testid=invitations] a'), (a) => a.length === 0, 'the invitation cleared');
    await t.page.waitForSelector('[data-testid=mine] a');

    // A mention reads as the person's name, marked for them.
    await s.page.type('textarea[aria-label=Message]', `@${tina.key.slice(4)} the hollow is ready`);
    await s.page.keyboard.press('Escape');
    await s.page.keyboard.press('Enter');
    await until(() => t.page.$$eval('.mention.me', (els) => els.map((e) => e.textContent ?? '')), (m) => m.includes('@Tina Turner'), 'the mention at Tina');

    // On a phone the room takes the screen and the room list is a drawer.
    await t.page.setViewport({ width: 390, height: 844 });
    await until(() => t.page.$eval('#rooms-drawer', (e) => (globalThis as unknown as { getComputedStyle(e: unknown): { visibility: string } }).getComputedStyle(e).visibility), (v) => v === 'hidden', 'the drawer closed');
    await t.page.click('button[aria-controls=rooms-drawer]');
    await until(() => t.page.$eval('#rooms-drawer', (e) => (globalThis as unknown as { getComputedStyle(e: unknown): { visibility: string } }).getComputedStyle(e).visibility), (v) => v === 'visible', 'the drawer open');
    expect(await t.page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // An administrator creates a user in the browser.
    const admin = await buildAdmin(server.services);
    await checkSetPassword(server.services, SYSTEM_ACTOR, admin.key, PASSWORD);
    const a = await open(admin.key);
    await a.page.goto(`${server.url}/#/admin/users`);
    await a.page.waitForSelector('input[name=address]');
    await a.page.type('input[name=address]', 'uma@contoso.com');
    await a.page.type('input[name=displayName]', 'Uma Thurman');
    await a.page.click('button::-p-text(Create user)');
    await a.page.waitForSelector('p.notice');
    expect((await server.services.store.principals.getByKey('sip:uma@contoso.com'))?.displayName).toBe('Uma Thurman');
    expect([...s.problems, ...t.problems, ...a.problems]).toEqual([]);
    for (const c of [s, t, a]) await c.context.close();
  });
});


/**
 * The web client in Debian's Chromium against a real `stoa serve` (issue "Web client"): two
 * users chatting live in two browser contexts, a Secret room that never shows for others,
 * an auditorium that refuses a non-presenter in the UI, and hostile text rendered inert.
 * Screenshots of the main screens are taken on the way (STOA_SCREENSHOTS=<dir> keeps them:
 * `npm run screenshots` refreshes docs/screenshots).
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD } from '../harness/server.js';
import { chromiumAvailable, newContext, signInPage, useWebServer } from '../harness/browser.js';
import { buildCategory, buildRoom } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { configurations } from '../../src/actions/configurations.js';
import { checkUpdatePrincipal } from '../../src/actions/principals.js';
import { checkUpdateRoom } from '../../src/actions/rooms.js';

const available = chromiumAvailable();

/** Payloads that would run script or inject markup if anything rendered text as HTML. */
const XSS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=1</script>',
  '"><svg onload="window.__xss=1">',
  '<a href="javascript:window.__xss=1">click</a>',
  'javascript:window.__xss=1',
  '<iframe src="javascript:window.__xss=1"></iframe>',
  '{{constructor.constructor("window.__xss=1")()}}',
  '<style>body{display:none}</style>',
];

describe.skipIf(!available)('the web client in Chromium', () => {
  const web = useWebServer();
  const user = (name: string) => web.user(name);

  const openRoom = async (page: Page, name: string) => {
    await page.getByRole('searchbox', { name: 'Find a room' }).fill(name);
    await page.getByRole('searchbox', { name: 'Find a room' }).press('Enter');
    await page.getByTestId('directory').getByRole('link', { name, exact: true }).click();
    await expect.poll(() => page.getByTestId('room-name').textContent()).toBe(name);
  };

  it('lets two users chat live in two browser contexts: plain, alert and story messages, roster, history', async () => {
    const { server, browser } = web;
    const alice = await user('alice');
    const bob = await user('bob');
    const category = await buildCategory(server.services, { name: 'Engineering', allowed: ['contoso.com'] });
    const room = await buildRoom(server.services, category.name, { name: 'Team room', privacy: 'Closed', members: [alice.key, bob.key], description: 'where the team talks; see https://example.com/wiki' });
    // Earlier history, more than one page, to scroll back into.
    const earlier = await server.signIn(bob.key);
    for (let i = 1; i <= 60; i++) expect((await earlier.api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `earlier message ${i}` })).status).toBe(201);

    const a = await newContext(browser);
    const b = await newContext(browser);
    await signInPage(a.page, server.url, alice.key, PASSWORD);
    await a.page.screenshot({ path: web.shot('home.png') });
    await signInPage(b.page, server.url, bob.key, PASSWORD);
    await openRoom(a.page, 'Team room');
    await openRoom(b.page, 'Team room');
    await expect.poll(() => a.page.getByTestId('roster').textContent()).toContain('bob');

    // The backchat shows the latest messages; scrolling up brings the earlier ones.
    await expect.poll(() => a.page.getByTestId('messages').textContent()).toContain('earlier message 60');
    expect(await a.page.getByTestId('messages').textContent()).not.toContain('earlier message 1\u00a0');
    await a.page.getByRole('button', { name: 'Earlier messages' }).click();
    await expect.poll(async () => (await a.page.getByTestId('message').allTextContents()).some((t) => t.endsWith('earlier message 5'))).toBe(true);

    // Alice types and presses Enter: Bob sees it at once.
    const box = a.page.getByRole('combobox', { name: 'Message' });
    await box.fill('hello Bob, from the browser');
    await box.press('Enter');
    await expect.poll(() => b.page.getByTestId('messages').textContent()).toContain('hello Bob, from the browser');
    await expect.poll(() => box.inputValue()).toBe('');
    // Bob's run of sixty posts reads as one group under one byline; Alice's post starts her own.
    await expect.poll(() => a.page.locator('li.message:not(.continues)').count()).toBe(2);
    expect(await a.page.locator('li.message.continues').count()).toBe(59);
    expect(await a.page.locator('li.message.continues .author').count()).toBe(0);
    expect(await a.page.locator('li.message', { hasText: 'hello Bob, from the browser' }).getAttribute('class')).not.toContain('continues');

    // Bob sends an alert and a story; Alice sees them marked as such.
    await b.page.getByRole('checkbox', { name: 'Alert' }).check();
    await b.page.getByRole('combobox', { name: 'Message' }).fill('the build is broken');
    await b.page.getByRole('button', { name: 'Send' }).click();
    await b.page.getByRole('checkbox', { name: 'Story' }).check();
    await b.page.getByRole('textbox', { name: 'Story title' }).fill('Release notes');
    await b.page.getByRole('combobox', { name: 'Message' }).fill('Line one\nLine two');
    await b.page.getByRole('button', { name: 'Send' }).click();
    const alert = a.page.locator('li.message.alert', { hasText: 'the build is broken' });
    await alert.waitFor();
    expect(await alert.getByText('Alert', { exact: true }).count()).toBe(1);
    const story = a.page.locator('li.message.story');
    await story.waitFor();
    expect(await story.getByRole('heading').textContent()).toBe('Release notes');
    expect(await story.locator('.text').textContent()).toBe('Line one\nLine two');
    // The description's link is clickable, opening elsewhere without access to this page.
    const link = a.page.getByTestId('room-description').getByRole('link');
    expect([await link.getAttribute('href'), await link.getAttribute('rel'), await link.getAttribute('target')]).toEqual(['https://example.com/wiki', 'noopener noreferrer nofollow', '_blank']);
    // Bob's view stayed at the newest messages (Alice's is up in the history she scrolled to).
    await b.page.locator('li.message.story').waitFor();
    await b.page.screenshot({ path: web.shot('room.png') });

    // Following puts the room in the sidebar.
    await a.page.getByRole('button', { name: 'Follow' }).click();
    await a.page.getByTestId('followed').getByRole('link', { name: /Team room/ }).waitFor();

    // Bob leaves: Alice's roster drops him.
    await b.context.close();
    await expect.poll(() => a.page.getByTestId('roster').textContent()).not.toContain('bob');
    expect(a.problems).toEqual([]);
    expect(b.problems).toEqual([]);
    await a.context.close();
  });

  it('never shows a Secret room to a non-member, and refuses a non-presenter in an auditorium', async () => {
    const { server, browser } = web;
    const carol = await user('carol');
    const dave = await user('dave');
    const category = await buildCategory(server.services, { name: 'Town hall', allowed: ['contoso.com'] });
    const secret = await buildRoom(server.services, category.name, { name: 'Secret plans', privacy: 'Secret', members: [dave.key] });
    await buildRoom(server.services, category.name, { name: 'All hands', privacy: 'Open', type: 'Auditorium', presenters: [dave.key] });
    await buildRoom(server.services, category.name, { name: 'Open lobby', privacy: 'Open' });

    const c = await newContext(browser);
    await signInPage(c.page, server.url, carol.key, PASSWORD);
    await c.page.goto(`${server.url}/#/directory`);
    const listing = c.page.getByTestId('directory');
    await listing.getByRole('link', { name: 'Open lobby' }).waitFor();
    expect(await c.page.locator('main').textContent()).not.toContain('Secret plans');
    await c.page.screenshot({ path: web.shot('directory.png') });
    await c.page.getByRole('searchbox', { name: 'Find a room' }).fill('Secret');
    await c.page.getByRole('searchbox', { name: 'Find a room' }).press('Enter');
    await c.page.getByText('No room name contains “Secret”.').waitFor();
    // Its address does not help either: it answers like a room that does not exist.
    await c.page.goto(`${server.url}/#/room/${secret.guid}`);
    await c.page.getByRole('alert').waitFor();
    expect(await c.page.getByRole('alert').textContent()).toMatch(/not found|no room/i);

    await c.page.goto(`${server.url}/#/directory`);
    await listing.getByRole('link', { name: 'All hands' }).click();
    expect(await c.page.getByTestId('cannot-post').textContent()).toBe('This is an auditorium room: only its presenters post here.');
    expect(await c.page.getByRole('combobox', { name: 'Message' }).count()).toBe(0);
    expect(c.problems).toEqual([]);
    await c.context.close();

    // The member sees it.
    const d = await newContext(browser);
    await signInPage(d.page, server.url, dave.key, PASSWORD);
    await openRoom(d.page, 'Secret plans');
    await d.context.close();
  });

  it('renders hostile messages, room names and descriptions as inert text', async () => {
    const { server, browser } = web;
    const erin = await user('erin');
    // A display name is text from the directory: hostile too.
    await checkUpdatePrincipal(server.services, SYSTEM_ACTOR, erin.key, { displayName: '<img src=x onerror="window.__xss=1">Erin' });
    const category = await buildCategory(server.services, { name: 'Hostile', allowed: ['contoso.com'] });
    const room = await buildRoom(server.services, category.name, { name: '<img src=x onerror="window.__xss=1">', privacy: 'Open', description: '<script>window.__xss=1</script> "><svg onload="window.__xss=1">' });
    const api = (await server.signIn(erin.key)).api;
    for (const text of XSS) expect((await api.post(`/api/v1/rooms/${room.guid}/messages`, { text })).status).toBe(201);
    expect((await api.post(`/api/v1/rooms/${room.guid}/messages`, { text: XSS.join(' | '), story: { title: '<img src=x onerror="window.__xss=1">' } })).status).toBe(201);

    const e = await newContext(browser);
    await signInPage(e.page, server.url, erin.key, PASSWORD);
    await e.page.goto(`${server.url}/#/directory?q=${encodeURIComponent('<img')}`);
    await e.page.getByTestId('directory').getByRole('link', { name: room.name, exact: true }).click();
    await expect.poll(() => e.page.getByTestId('message').count()).toBe(XSS.length + 1);
    const texts = await e.page.locator('li.message .text').allTextContents();
    expect(texts.slice(0, XSS.length)).toEqual(XSS);
    expect(await e.page.getByTestId('room-name').textContent()).toBe(room.name);
    expect(await e.page.getByTestId('room-description').textContent()).toBe('<script>window.__xss=1</script> "><svg onload="window.__xss=1">');
    expect(await e.page.locator('li.message.story h3').textContent()).toBe('<img src=x onerror="window.__xss=1">');
    expect(await e.page.locator('li.message .author').first().textContent()).toBe('<img src=x onerror="window.__xss=1">Erin');
    expect(await e.page.getByTestId('me').textContent()).toBe('<img src=x onerror="window.__xss=1">Erin');
    // No element came out of the text, no link with a script scheme, nothing ran.
    expect(await e.page.locator('main img, main script, main svg, main iframe, main style').count()).toBe(0);
    const hrefs = await Promise.all((await e.page.locator('main a').all()).map(async (l) => (await l.getAttribute('href')) ?? ''));
    expect(hrefs.filter((h) => !/^(#|https?:|mailto:)/.test(h))).toEqual([]);
    expect(await e.page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(e.problems).toEqual([]);
    await e.context.close();
  });

  it('fits a phone-width screen: nothing wider than the screen, the room and its composer reachable', async () => {
    const { server, browser } = web;
    const kim = await user('kim');
    const category = await buildCategory(server.services, { name: 'Mobile', allowed: ['contoso.com'] });
    const room = await buildRoom(server.services, category.name, { name: 'On the go', privacy: 'Open', description: 'a room with a rather long description that has to wrap on a narrow screen instead of overflowing it' });
    const api = (await server.signIn(kim.key)).api;
    await api.post(`/api/v1/rooms/${room.guid}/messages`, { text: `a long word: ${'x'.repeat(300)}` });
    const phone = await newContext(browser, { width: 390, height: 844 });
    await signInPage(phone.page, server.url, kim.key, PASSWORD);
    await phone.page.goto(`${server.url}/#/room/${room.guid}`);
    await phone.page.getByTestId('message').first().waitFor();
    const box = phone.page.getByRole('combobox', { name: 'Message' });
    await box.fill('typed on a phone');
    await box.press('Enter');
    await expect.poll(() => phone.page.getByTestId('messages').textContent()).toContain('typed on a phone');
    expect(await phone.page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.page.screenshot({ path: web.shot('phone.png') });
    // The room takes the screen; the room list is a drawer, opened by "Rooms" and closed by going somewhere.
    const drawer = phone.page.getByRole('navigation', { name: 'Rooms' });
    expect(await drawer.isVisible()).toBe(false);
    expect((await phone.page.getByTestId('messages').boundingBox())!.width).toBeGreaterThan(330);
    await phone.page.getByRole('button', { name: 'Rooms' }).click();
    await expect.poll(() => drawer.isVisible()).toBe(true);
    expect(await phone.page.getByRole('button', { name: 'Rooms' }).getAttribute('aria-expanded')).toBe('true');
    await phone.page.waitForTimeout(300); // the drawer's slide (0.15 s) is over
    await phone.page.screenshot({ path: web.shot('phone-rooms.png') });
    const directory = drawer.getByRole('link', { name: 'Room directory' });
    expect(await directory.isVisible()).toBe(true);
    await directory.click();
    await phone.page.getByRole('heading', { name: 'Room directory' }).waitFor();
    await expect.poll(() => drawer.isVisible()).toBe(false);
    // Escape closes it too; the home page points to it, not to a "left" a phone has not got.
    await phone.page.getByRole('button', { name: 'Rooms' }).click();
    await expect.poll(() => drawer.isVisible()).toBe(true);
    await phone.page.keyboard.press('Escape');
    await expect.poll(() => drawer.isVisible()).toBe(false);
    await phone.page.goto(`${server.url}/#/`);
    await phone.page.getByText('Pick a room under Rooms').waitFor();
    expect(await phone.page.getByText('Pick a room on the left').isVisible()).toBe(false);
    // Signing out ends the session on the server too, and a reload stays signed out.
    const token = await phone.page.evaluate(() => (JSON.parse((globalThis as any).localStorage.getItem('stoa.session')) as { token: string }).token);
    await phone.page.getByRole('button', { name: 'Sign out' }).click();
    await phone.page.getByLabel('SIP address').waitFor();
    await phone.page.reload();
    await phone.page.getByLabel('SIP address').waitFor();
    expect((await fetch(`${server.url}/api/v1/rooms/mine`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect(phone.problems).toEqual([]);
    await phone.context.close();
  });

  it('opens a search result at its message, marked, with the history around it, and goes back to the newest', async () => {
    const { server, browser } = web;
    const quinn = await user('quinn');
    const category = await buildCategory(server.services, { name: 'Archive', allowed: ['contoso.com'] });
    const room = await buildRoom(server.services, category.name, { name: 'Long room', privacy: 'Open' });
    const api = (await server.signIn(quinn.key)).api;
    for (let i = 1; i <= 120; i++) expect((await api.post(`/api/v1/rooms/${room.guid}/messages`, { text: i === 37 ? 'needle 37 haystack' : `straw ${i}` })).status).toBe(201);
    const q = await newContext(browser);
    await signInPage(q.page, server.url, quinn.key, PASSWORD);
    await q.page.goto(`${server.url}/#/search?q=haystack`);
    await q.page.getByRole('link', { name: 'in Long room' }).click();
    // The message, marked and in view, with what came before and after it; not the newest.
    const target = q.page.locator('.message.target');
    await target.getByText('needle 37 haystack').waitFor();
    expect(await target.isVisible()).toBe(true);
    const list = q.page.getByTestId('messages');
    await list.getByText('straw 36', { exact: true }).waitFor();
    await list.getByText('straw 38', { exact: true }).waitFor();
    expect(await list.getByText('straw 120', { exact: true }).count()).toBe(0);
    await q.page.screenshot({ path: web.shot('search-result-in-room.png') });
    // A post meanwhile does not land after the gap; back to the newest shows it.
    expect((await api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'straw 121' })).status).toBe(201);
    await q.page.getByRole('link', { name: 'Back to the newest' }).click();
    await list.getByText('straw 121', { exact: true }).waitFor();
    expect(await q.page.locator('.message.target').count()).toBe(0);
    expect(await q.page.getByRole('link', { name: 'Back to the newest' }).count()).toBe(0);
    expect(q.problems).toEqual([]);
    await q.context.close();
  });

  it('empties the room on screen of a user removed from it: no history, no roster, no composer', async () => {
    const { server, browser } = web;
    const olga = await user('olga');
    const pete = await user('pete');
    const category = await buildCategory(server.services, { name: 'Board', allowed: ['contoso.com'] });
    const room = await buildRoom(server.services, category.name, { name: 'Board room', privacy: 'Closed', members: [olga.key, pete.key] });
    expect((await (await server.signIn(pete.key)).api.post(`/api/v1/rooms/${room.guid}/messages`, { text: 'the minutes' })).status).toBe(201);
    const o = await newContext(browser);
    await signInPage(o.page, server.url, olga.key, PASSWORD);
    await o.page.goto(`${server.url}/#/room/${room.guid}`);
    await o.page.getByTestId('messages').getByText('the minutes').waitFor();
    await expect.poll(() => o.page.getByTestId('roster').textContent()).toContain('olga');
    await checkUpdateRoom(server.services, SYSTEM_ACTOR, room.name, { members: { mode: 'edit', add: [], remove: [olga.key] } });
    await o.page.getByText('You are no longer in this room').waitFor();
    await expect.poll(() => o.page.getByTestId('messages').getByText('the minutes').count()).toBe(0);
    expect(await o.page.getByTestId('roster').count()).toBe(0);
    expect(await o.page.getByRole('combobox', { name: 'Message' }).count()).toBe(0);
    expect(await o.page.getByTestId('empty-room').count()).toBe(0);
    expect(o.problems).toEqual([]);
    await o.context.close();
  });

  it('lists invitations and followed rooms with unread counts, and hides the roster of a large room', async () => {
    const { server, browser } = web;
    const mia = await user('mia');
    const noah = await user('noah');
    const category = await buildCategory(server.services, { name: 'Teams', allowed: ['contoso.com'], invitations: true });
    const m = await newContext(browser);
    await signInPage(m.page, server.url, mia.key, PASSWORD);
    // Made a member of a room whose category invites: the invitation shows at once.
    const room = await buildRoom(server.services, category.name, { name: 'Standup', privacy: 'Closed', members: [mia.key, noah.key] });
    // Listed once: under its invitation, not again under My rooms.
    await m.page.getByTestId('invitations').getByRole('link', { name: 'Standup' }).waitFor();
    expect(await m.page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name: 'Standup' }).count()).toBe(1);
    await m.page.getByTestId('invitations').getByRole('link', { name: 'Standup' }).click();
    // Going in answers it: the invitation leaves the list (and stays gone after a reload), the room is under My rooms.
    await m.page.getByTestId('mine').getByRole('link', { name: 'Standup' }).waitFor();
    expect(await m.page.getByTestId('invitations').count()).toBe(0);
    await m.page.reload();
    await m.page.getByTestId('mine').getByRole('link', { name: 'Standup' }).waitFor();
    expect(await m.page.getByTestId('invitations').count()).toBe(0);
    await m.page.getByRole('button', { name: 'Follow' }).click();
    await m.page.getByTestId('followed').getByRole('link', { name: 'Standup' }).waitFor();
    await m.page.getByRole('link', { name: 'Room directory' }).click();
    // The directory finds as you type (no Enter), and the address follows.
    const find = m.page.getByRole('searchbox', { name: 'Room name contains' });
    await find.pressSequentially('zzz-none');
    await m.page.getByText('No room name contains “zzz-none”.').waitFor();
    expect(m.page.url()).toContain('#/directory?q=zzz-none');
    await find.fill('Stand');
    await m.page.getByTestId('directory').getByRole('link', { name: 'Standup' }).waitFor();
    const noahApi = (await server.signIn(noah.key)).api;
    for (const text of ['one', 'two', 'three']) expect((await noahApi.post(`/api/v1/rooms/${room.guid}/messages`, { text })).status).toBe(201);
    // Live, without a reload or a poll (the client has none): the badge and the tab's title
    // count them. The wait is generous: a CI machine under full load once took over 5 s.
    const followed = m.page.getByTestId('followed').getByRole('link', { name: /Standup/ });
    await followed.getByLabel('3 unread').waitFor({ timeout: 15_000 });
    // The title follows the badge a render later (CI once saw '(2) Stoa' here, read between the two).
    await expect.poll(() => m.page.title()).toBe('(3) Stoa');
    // Reading the room moves the read mark: the count goes, from the title too.
    await followed.click();
    await m.page.getByTestId('messages').getByText('three').waitFor();
    await expect.poll(() => followed.locator('.badge').count()).toBe(0);
    await expect.poll(() => m.page.title()).toBe('Stoa');

    // Above ParticipantUpdateLimit the roster is not sent: the page says so.
    await configurations.create(server.services, SYSTEM_ACTOR, `service:${server.services.poolFqdn}`, { participantUpdateLimit: 1 });
    try {
      const ws = await (await server.signIn(noah.key)).ws();
      await ws.ok({ type: 'join', room: room.guid });
      await m.page.reload();
      await m.page.getByText('A large room (2 here): the list of participants is not shown.').waitFor();
      ws.close();
    } finally {
      await configurations.remove(server.services, SYSTEM_ACTOR, `service:${server.services.poolFqdn}`);
    }
    expect(m.problems).toEqual([]);
    await m.context.close();
  });

  it('serves the page under a strict Content-Security-Policy and only the built files', async () => {
    const { server } = web;
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    expect(html).not.toMatch(/<script>(?!<\/script>)|<style>| on[a-z]+=/);
    const asset = await fetch(`${server.url}${script}`);
    expect([asset.status, asset.headers.get('content-type'), asset.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    for (const bad of ['/assets/nothing.js', '/assets/..%2f..%2fpackage.json', '/assets/../../package.json', '/index.html.map']) expect((await fetch(`${server.url}${bad}`)).status).toBe(404);
    // Sent compressed to browsers that take it, and the first load stays small: every script
    // the page loads, as the browser receives it, within 150 kB.
    const wire = (path: string, accept: string) =>
      new Promise<{ encoding: string | undefined; bytes: number; vary: string | undefined }>((resolve, reject) => {
        http
          .get(`${server.url}${path}`, { headers: { 'accept-encoding': accept } }, (res) => {
            let bytes = 0;
            res.on('data', (chunk: Buffer) => (bytes += chunk.length));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes, vary: res.headers.vary }));
          })
          .on('error', reject);
      });
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    let firstLoad = 0;
    for (const js of scripts) {
      const sent = await wire(js, 'gzip, deflate, br');
      expect(sent.encoding).toBe('br');
      firstLoad += sent.bytes;
    }
    expect(firstLoad).toBeGreaterThan(1000);
    expect(firstLoad).toBeLessThanOrEqual(150 * 1024);
    const plain = await wire(script, 'identity');
    expect([plain.encoding, plain.vary]).toEqual([undefined, 'accept-encoding']);
    expect(plain.bytes).toBeGreaterThan(firstLoad);
    expect((await wire(script, 'br;q=0, gzip')).encoding).toBe('gzip');
    expect((await wire('/', 'gzip')).encoding).toBe('gzip');
    expect((await wire(script, 'x'.repeat(4000))).encoding).toBeUndefined();

    // The API keeps its own, stricter policy.
    expect((await fetch(`${server.url}/healthz`)).headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});

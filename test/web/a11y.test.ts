/**
 * Accessibility and small screens (issue "Web client"): axe-core, run inside Debian's
 * Chromium, finds no serious or critical violation (colour contrast AA included) on any page
 * of the client, at desktop width and at 360 px, where nothing is wider than the screen; and
 * a user signs in, opens a room, posts, searches and opens a result with the keyboard alone,
 * every stop on the way showing where the focus is.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD } from '../harness/server.js';
import { chromiumAvailable, newContext, signInPage, useWebServer } from '../harness/browser.js';
import { buildAdmin, buildCategory, buildRoom } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkSetPassword, checkUpdatePrincipal } from '../../src/actions/principals.js';
import { TABS } from '../../web/src/admin-tabs.js';

const available = chromiumAvailable();
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The serious and critical violations axe finds on the page as it is now. */
export async function axeProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      resultTypes: ['violations'],
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

const scrollWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);

/** What has the focus: its role-ish tag, its accessible text, and whether an outline shows it. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { activeElement: any } }).document;
    const el = doc.activeElement;
    if (el === null || el.tagName === 'BODY') return null;
    const style = (globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string; boxShadow: string } }).getComputedStyle(el);
    const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    const text = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
    return { tag: el.tagName.toLowerCase() as string, text: text as string, visible };
  });

/** Presses Tab until the focus is on what `wanted` accepts; every stop passed must show its focus. */
async function tabTo(page: Page, wanted: (f: { tag: string; text: string }) => boolean, max = 80): Promise<void> {
  const unseen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f === null) continue;
    if (!f.visible) unseen.push(`${f.tag} "${f.text.slice(0, 40)}"`);
    if (wanted(f)) {
      expect(unseen).toEqual([]);
      return;
    }
  }
  throw new Error(`the focus never reached what was wanted in ${max} presses of Tab`);
}

describe.skipIf(!available)('accessibility and small screens in Chromium', () => {
  const web = useWebServer();

  it('has no serious or critical axe violation on any page, at desktop width and at 360 px, where nothing overflows', async () => {
    const { server, browser } = web;
    const admin = await buildAdmin(server.services);
    await checkSetPassword(server.services, SYSTEM_ACTOR, admin.key, PASSWORD);
    await checkUpdatePrincipal(server.services, SYSTEM_ACTOR, admin.key, { displayName: 'Ada Admin' });
    const category = await buildCategory(server.services, { name: 'Access', allowed: ['contoso.com'], creators: [admin.key], invitations: true, fileUpload: true });
    const room = await buildRoom(server.services, category.name, { name: 'Accessible room', privacy: 'Open', description: 'plans and https://example.com/notes', managers: [admin.key] });
    const api = (await server.signIn(admin.key)).api;
    for (const body of [{ text: 'hello @ada, the plan is ready' }, { text: 'a second line from me' }, { text: 'the build is broken', alert: true }, { text: 'one\ntwo', story: { title: 'Notes' } }]) {
      expect((await api.post(`/api/v1/rooms/${room.guid}/messages`, body)).status).toBe(201);
    }
    const pages: [string, string][] = [
      ['#/', 'Welcome to Stoa'],
      [`#/room/${room.guid}`, 'Accessible room'],
      ['#/directory?q=Access', 'Room directory'],
      ['#/search?q=plan', 'Search messages'],
      ['#/alerts', 'Alerts'],
      ['#/manage', 'Manage rooms'],
      ['#/manage/new', 'Create a room'],
      [`#/manage/${room.guid}`, 'Settings of Accessible room'],
      ...TABS.map(([tab]) => [`#/admin/${tab}`, 'Administration'] as [string, string]),
    ];
    const found: string[] = [];
    for (const width of [1280, 360]) {
      const c = await newContext(browser, { width, height: 800 });
      await c.page.goto(server.url);
      await c.page.getByLabel('SIP address').waitFor();
      for (const problem of await axeProblems(c.page)) found.push(`${width}px sign-in: ${problem}`);
      if ((await scrollWidth(c.page)) > width) found.push(`${width}px sign-in: wider than the screen (${await scrollWidth(c.page)} px)`);
      await signInPage(c.page, server.url, admin.key, PASSWORD);
      for (const [hash, heading] of pages) {
        await c.page.goto(`${server.url}/${hash}`);
        await c.page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        // What the page loads is on screen (lists, tables, forms) before it is judged.
        await c.page.waitForLoadState('networkidle');
        for (const problem of await axeProblems(c.page)) found.push(`${width}px ${hash}: ${problem}`);
        const wide = await scrollWidth(c.page);
        if (wide > width) found.push(`${width}px ${hash}: wider than the screen (${wide} px)`);
      }
      expect(c.problems.filter((p) => !p.includes("frame-ancestors 'none'"))).toEqual([]);
      if (width === 360) {
        // The check itself sees what it must: faint text and an image without words (styled
        // through the CSSOM: the page's CSP refuses style attributes).
        await c.page.evaluate(() => {
          const doc = (globalThis as unknown as { document: any }).document;
          const p = doc.createElement('p');
          p.textContent = 'faint words';
          p.style.color = '#c8c8c8';
          p.style.background = '#ffffff';
          const img = doc.createElement('img');
          img.src = '/favicon.svg';
          doc.querySelector('main').append(p, img);
        });
        expect((await axeProblems(c.page)).map((p) => p.split(' ')[0])).toEqual(expect.arrayContaining(['color-contrast', 'image-alt']));
      }
      await c.context.close();
    }
    expect(found).toEqual([]);
  });

  it('lets a user sign in, open a room, post, search and open a result with the keyboard alone, the focus always visible', async () => {
    const { server, browser } = web;
    const ken = await web.user('ken');
    const category = await buildCategory(server.services, { name: 'Keys', allowed: ['contoso.com'] });
    const room = await buildRoom(server.services, category.name, { name: 'Keyboard room', privacy: 'Open' });
    const api = (await server.signIn(ken.key)).api;
    for (let i = 1; i <= 40; i++) await api.post(`/api/v1/rooms/${room.guid}/messages`, { text: i === 3 ? 'the tangerine report' : `filler ${i}` });
    const k = await newContext(browser);
    const page = k.page;
    await page.goto(server.url);
    // Sign in: the address field has the focus; Tab to the password, Enter.
    await page.getByLabel('SIP address').waitFor();
    expect((await focused(page))?.tag).toBe('input');
    await page.keyboard.type(ken.key.slice(4));
    await tabTo(page, (f) => f.tag === 'input');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByTestId('me').waitFor();
    // Find the room from the top bar, open it from the directory.
    await tabTo(page, (f) => f.tag === 'input' && f.text === 'Find a room');
    await page.keyboard.type('Keyboard');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Room directory' }).waitFor();
    await tabTo(page, (f) => f.tag === 'a' && f.text === 'Keyboard room');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('room-name').textContent()).toBe('Keyboard room');
    // The message box has the focus: type, Enter posts.
    await expect.poll(async () => (await focused(page))?.text).toBe('Message');
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('messages').textContent()).toContain('typed without a mouse');
    // Search, and open the result at its message.
    await page.keyboard.press('Shift+Tab');
    await tabTo(page, (f) => f.tag === 'input' && f.text === 'Search messages');
    await page.keyboard.type('tangerine');
    await page.keyboard.press('Enter');
    await page.getByTestId('results').getByText('the tangerine report').waitFor();
    await tabTo(page, (f) => f.tag === 'a' && f.text === 'in Keyboard room');
    await page.keyboard.press('Enter');
    await page.locator('li.message.target', { hasText: 'the tangerine report' }).waitFor();
    expect(k.problems).toEqual([]);
    await k.context.close();
  });
});

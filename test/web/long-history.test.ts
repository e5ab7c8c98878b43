/**
 * A room with 10,000 messages in Debian's Chromium (issue "Web client"): scrolling back
 * through 2,000 of them loads page after page while only the messages near the viewport are
 * in the page (a windowed list), in order, none twice, and the way back to the newest works.
 * The frames over 50 ms while scrolling are counted and printed — the figure recorded in
 * docs/benchmarks.md ("Web client: scrolling a long history"); performance is measured here,
 * not asserted.
 */
import { describe, expect, it } from 'vitest';
import { PASSWORD } from '../harness/server.js';
import { chromiumAvailable, newContext, signInPage, useWebServer } from '../harness/browser.js';
import { buildCategory, buildRoom } from '../factories.js';
import type { ImportedMessage } from '../../src/store/types.js';

const available = chromiumAvailable();

describe.skipIf(!available)('a long history in Chromium', () => {
  const web = useWebServer();

  it('scrolls back through 2,000 of 10,000 messages with only a window of them in the page', async () => {
    const { server, browser } = web;
    const [ana, bo, cy] = await Promise.all([web.user('ana'), web.user('bo'), web.user('cy')]);
    const category = await buildCategory(server.services, { name: 'History', allowed: ['contoso.com'] });
    const room = await buildRoom(server.services, category.name, { name: 'Ten thousand', privacy: 'Open' });
    const authors = [ana.id, bo.id, cy.id];
    const start = Date.now() - 10_000 * 60_000;
    const rows: ImportedMessage[] = [];
    for (let chatId = 1; chatId <= 10_000; chatId++) {
      // Runs of one author (grouped on screen), lines of varied length, now and then several lines.
      const text = `message ${chatId}: ${'lorem ipsum dolor '.repeat(1 + (chatId % 7))}${chatId % 11 === 0 ? '\nand a second line\nand a third' : ''}`;
      rows.push({ chatId, authorId: authors[Math.floor(chatId / 4) % 3]!, postedAt: start + chatId * 60_000, postedAtTicks: 0, content: text, rtf: null, isAlert: false, storyTitle: null, fileId: null, inHistory: true, replacedAt: null });
    }
    await server.services.store.transaction((tx) => tx.archive.insertMessages(room.id, rows));

    const c = await newContext(browser);
    await signInPage(c.page, server.url, ana.key, PASSWORD);
    await c.page.goto(`${server.url}/#/room/${room.guid}`);
    await c.page.locator('li.message', { hasText: 'message 10000:' }).waitFor();

    // Scroll up 250 px a frame, pages loading as the top comes near, until 2,000 messages are
    // loaded and their top reached; every frame's duration is kept.
    const run = await c.page.evaluate(async () => {
      const doc = (globalThis as unknown as { document: any }).document;
      const raf = (cb: (t: number) => void) => (globalThis as unknown as { requestAnimationFrame(cb: (t: number) => void): void }).requestAnimationFrame(cb);
      const el = doc.querySelector('[data-testid="messages"]');
      const frames: number[] = [];
      let most = 0;
      const began = performance.now();
      await new Promise<void>((resolve) => {
        let last = performance.now();
        const tick = (now: number) => {
          frames.push(now - last);
          last = now;
          most = Math.max(most, el.querySelectorAll('li.message').length);
          el.scrollTop = Math.max(0, el.scrollTop - 250);
          if ((Number(el.dataset.count) >= 2_000 && el.scrollTop === 0) || now - began > 120_000) resolve();
          else raf(tick);
        };
        raf(tick);
      });
      return { frames, most, loaded: Number(el.dataset.count), ms: performance.now() - began };
    });
    const long = run.frames.filter((f) => f > 50);
    const sorted = [...run.frames].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
    console.log(
      `long history: scrolled back through ${run.loaded} messages in ${(run.ms / 1000).toFixed(1)} s: ${run.frames.length} frames, ` +
        `${long.length} over 50 ms (${((100 * long.length) / run.frames.length).toFixed(1)} %), frame p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms; ` +
        `at most ${run.most} messages in the page`,
    );
    expect(run.loaded).toBeGreaterThanOrEqual(2_000);
    // Windowed: far fewer messages in the page than loaded.
    expect(run.most).toBeLessThan(400);
    // Near the top of what is loaded (a page that came in moved the view down by its height,
    // as it should): those in the page are consecutive, in order, none twice, and from the
    // loaded ones.
    const shown = async () => (await c.page.locator('li.message').allTextContents()).map((t) => Number(/message (\d+):/.exec(t)![1]));
    const top = await shown();
    const oldest = 10_001 - Number(await c.page.getByTestId('messages').getAttribute('data-count'));
    expect(top[0]).toBeGreaterThanOrEqual(oldest);
    expect(top[0]).toBeLessThan(oldest + 200);
    expect(top).toEqual(Array.from({ length: top.length }, (_, i) => top[0]! + i));
    // Half-way down, the same holds.
    await c.page.evaluate(() => {
      const el = (globalThis as unknown as { document: any }).document.querySelector('[data-testid="messages"]');
      el.scrollTop = el.scrollHeight / 2;
    });
    await expect.poll(async () => (await shown())[0]! > top[0]! + 500).toBe(true);
    const middle = await shown();
    expect(middle).toEqual(Array.from({ length: middle.length }, (_, i) => middle[0]! + i));
    // And the bottom is the newest again.
    await c.page.evaluate(() => {
      const el = (globalThis as unknown as { document: any }).document.querySelector('[data-testid="messages"]');
      el.scrollTop = el.scrollHeight;
    });
    await expect.poll(async () => (await shown()).at(-1)).toBe(10_000);
    expect(c.problems).toEqual([]);
    await c.context.close();
  });
});

/**
 * The web client in French (issue "Web client"): a browser whose language is French gets
 * every page in French — sign-in, rooms, the directory, search, alerts, room management and
 * every administration page — with no English left: no text equal to an English catalog
 * entry, and no common English word anywhere on the page (text, labels, placeholders,
 * titles; what users wrote is left out). The language can be switched, and the choice stays.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD } from '../harness/server.js';
import { chromiumAvailable, newContext, useWebServer } from '../harness/browser.js';
import { buildAdmin, buildCategory, buildRoom } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkSetPassword, checkUpdatePrincipal } from '../../src/actions/principals.js';
import { TABS } from '../../web/src/admin-tabs.js';
import { en } from '../../web/src/locales/en.js';
import { fr } from '../../web/src/locales/fr.js';

const available = chromiumAvailable();

/** Words that only English uses (none of them is French). */
const ENGLISH = new Set(
  'the and you your room rooms search settings sign create save members none find with of to in no yet new follow following send story people nobody remove edit cancel name category privacy open closed secret managers presenters earlier newest back here loading nothing more results add keyword keywords feed feeds users user password enabled disabled policy policies compliance endpoint endpoints nodes node active state write every connected connecting manage directory welcome pick or browse attach file'.split(' '),
);
/** English catalog entries that French says otherwise (without placeholders): none may show. */
const ENGLISH_ENTRIES = new Set<string>(Object.entries(en).filter(([key, text]) => !text.includes('{') && fr[key as keyof typeof fr] !== text).map(([, text]) => text));

/** Every piece of text the page shows or reads out, but what users wrote. */
const pageTexts = (page: Page) =>
  page.evaluate(() => {
    const doc = (globalThis as unknown as { document: any }).document;
    const out: string[] = [];
    const skip = '.message .text, .message .author, .story-title, .room-name, .description, [data-testid="me"], [data-testid="roster"], .chip, .suggestions, [data-testid="users"] td:first-child, [data-testid="nodes"] td:first-child, [data-testid="categories"] td, [data-testid="endpoints"], [data-testid="policies"] strong, [data-testid="addins"] strong, h1[data-testid="room-name"], .category > h2, .mentions';
    const walker = doc.createTreeWalker(doc.body, 4 /* NodeFilter.SHOW_TEXT */);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const el = node.parentElement;
      if (el === null || el.closest('script, style, option[lang]') !== null || el.closest(skip) !== null) continue;
      const text = node.textContent.trim();
      if (text !== '') out.push(text);
    }
    for (const el of doc.querySelectorAll('[aria-label], [placeholder], [title]')) {
      if (el.closest(skip) !== null) continue;
      for (const name of ['aria-label', 'placeholder', 'title']) {
        const value = el.getAttribute(name);
        if (value !== null && value.trim() !== '') out.push(value.trim());
      }
    }
    return out;
  });

function english(texts: readonly string[]): string[] {
  const found: string[] = [];
  for (const text of texts) {
    if (ENGLISH_ENTRIES.has(text)) {
      found.push(`untranslated: "${text}"`);
      continue;
    }
    // Operators (room:NAME), addresses, paths and numbers are the same in every language.
    const words = text.split(/\s+/).filter((w) => !/[:@/\\.\d_=]/.test(w) || /^[A-Za-zÀ-ÿ’']+[.,;:!?)]*$/.test(w));
    for (const word of words) {
      const bare = word.replace(/^[("«“]+|[)"»”.,;:!?…]+$/g, '').toLowerCase();
      if (ENGLISH.has(bare)) found.push(`English word "${bare}" in "${text}"`);
    }
  }
  return found;
}

describe.skipIf(!available)('the web client in French', () => {
  const web = useWebServer();

  it('shows every page in French to a French browser, with nothing left in English, and switches language', async () => {
    const { server, browser } = web;
    const admin = await buildAdmin(server.services);
    await checkSetPassword(server.services, SYSTEM_ACTOR, admin.key, PASSWORD);
    await checkUpdatePrincipal(server.services, SYSTEM_ACTOR, admin.key, { displayName: 'Adèle Martin' });
    const category = await buildCategory(server.services, { name: 'Équipe', allowed: ['contoso.com'], creators: [admin.key], invitations: true, fileUpload: true });
    const room = await buildRoom(server.services, category.name, { name: 'Salle de projet', privacy: 'Open', description: 'nos projets', managers: [admin.key] });
    const api = (await server.signIn(admin.key)).api;
    for (const body of [{ text: 'bonjour à tous, le plan est prêt' }, { text: 'le build est cassé', alert: true }, { text: 'un\ndeux', story: { title: 'Notes' } }]) {
      expect((await api.post(`/api/v1/rooms/${room.guid}/messages`, body)).status).toBe(201);
    }
    await api.post('/api/v1/keywords', { keyword: 'budget' });
    await api.post('/api/v1/feeds', { name: 'Projets', query: 'plan' });

    const c = await newContext(browser, { width: 1280, height: 800 }, { locale: 'fr-FR' });
    const page = c.page;
    const found: string[] = [];
    await page.goto(server.url);
    await page.getByLabel('Adresse SIP ou nom d’utilisateur').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { document: any }).document.documentElement.lang)).toBe('fr');
    for (const problem of english(await pageTexts(page))) found.push(`sign-in: ${problem}`);
    await page.getByLabel('Adresse SIP ou nom d’utilisateur').fill(admin.key.slice(4));
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByTestId('me').waitFor();

    const pages: [string, string][] = [
      ['#/', 'Bienvenue dans Stoa'],
      [`#/room/${room.guid}`, 'Salle de projet'],
      ['#/directory?q=projet', 'Annuaire des salles'],
      ['#/search?q=plan', 'Rechercher dans les messages'],
      ['#/alerts', 'Mentions, alertes sur mots clés et flux thématiques'],
      ['#/manage', 'Gérer les salles'],
      ['#/manage/new', 'Créer une salle'],
      [`#/manage/${room.guid}`, 'Paramètres de Salle de projet'],
      ...TABS.map(([tab]) => [`#/admin/${tab}`, 'Administration'] as [string, string]),
    ];
    for (const [hash, heading] of pages) {
      await page.goto(`${server.url}/${hash}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      for (const problem of english(await pageTexts(page))) found.push(`${hash}: ${problem}`);
    }
    expect(found).toEqual([]);
    // The check finds English when there is some: a catalog entry, a common word; not the
    // search operators, addresses or French.
    expect(english(['Create a room', 'voir the plan', 'room:Finance from:ana@contoso.com', 'Créer une salle'])).toEqual([
      'untranslated: "Create a room"',
      'English word "the" in "voir the plan"',
    ]);
    await page.goto(`${server.url}/#/admin/users`);
    await page.getByRole('heading', { name: 'Nouvel utilisateur' }).waitFor();
    expect((await pageTexts(page)).length).toBeGreaterThan(40);
    // Counts, times and the room's privacy in French.
    await page.goto(`${server.url}/#/room/${room.guid}`);
    await page.getByText('Ouverte', { exact: true }).waitFor();
    await page.locator('li.message.alert').getByText('Alerte', { exact: true }).waitFor();
    await page.screenshot({ path: web.shot('room-fr.png') });

    // Switched to English from the list, and the choice stays after a reload.
    await page.getByRole('combobox', { name: 'Langue' }).selectOption('en');
    await page.getByRole('link', { name: 'Room directory' }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'Room directory' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { document: any }).document.documentElement.lang)).toBe('en');
    expect(c.problems.filter((p) => !p.includes("frame-ancestors 'none'"))).toEqual([]);
    await c.context.close();
  });
});

/**
 * The web client's room management, topic feeds, @mentions and files in Debian's Chromium
 * (issue "Web client"): a creator creates a room and its manager edits it with the API's
 * rules and messages; a topic feed fires live; a mention is completed from the keyboard;
 * a file is uploaded and downloaded through the page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PASSWORD } from '../harness/server.js';
import { chromiumAvailable, newContext, signInPage, useWebServer } from '../harness/browser.js';
import { buildAdmin, buildCategory } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkAddPrincipal, checkSetPassword, checkUpdatePrincipal } from '../../src/actions/principals.js';
import { checkCreateRoom } from '../../src/actions/rooms.js';

const available = chromiumAvailable();

describe.skipIf(!available)('room management, feeds and files in the web client', () => {
  const web = useWebServer();
  const user = (name: string) => web.user(name);

  it('lets a creator create a room and its managers edit it, with the same rules and messages as the API', async () => {
    const { server, browser } = web;
    const frank = await user('frank');
    const grace = await user('grace');
    await checkUpdatePrincipal(server.services, SYSTEM_ACTOR, grace.key, { displayName: 'Grace Hopper' });
    await checkAddPrincipal(server.services, SYSTEM_ACTOR, { key: 'sip:olga@fabrikam.com', kind: 'user', displayName: 'Olga Graceful' });
    await buildCategory(server.services, { name: 'Projects', allowed: ['contoso.com'], creators: [frank.key] });
    await buildCategory(server.services, { name: 'Elsewhere', allowed: ['contoso.com'], creators: [grace.key] });
    const f = await newContext(browser);
    await signInPage(f.page, server.url, frank.key, PASSWORD);
    await f.page.getByRole('link', { name: 'Manage rooms' }).click();
    await f.page.getByRole('link', { name: 'Create a room' }).click();
    await f.page.getByLabel('Name', { exact: true }).fill('Planning');
    await f.page.getByLabel('Description', { exact: true }).fill('what we do next');
    await f.page.getByLabel('Secret', { exact: true }).check();
    // The creator is a member of the new room to begin with; Grace is added with the people
    // picker, from the keyboard: only people the category's scope covers are offered.
    expect(await f.page.getByTestId('picker-members').getByRole('listitem').allTextContents()).toEqual([expect.stringContaining(frank.key)]);
    const addMember = f.page.getByRole('combobox', { name: 'Add to Members' });
    await addMember.pressSequentially('grace');
    await f.page.getByRole('option', { name: /Grace Hopper/ }).waitFor();
    expect(await f.page.getByRole('listbox').getByRole('option').allTextContents()).toEqual([expect.stringContaining(grace.key)]);
    await addMember.press('Enter');
    await f.page.getByTestId('picker-members').getByText('Grace Hopper').waitFor();
    expect(await addMember.inputValue()).toBe('');
    await f.page.screenshot({ path: web.shot('create-room.png') });
    await f.page.getByRole('button', { name: 'Create' }).click();
    await f.page.getByRole('heading', { name: 'Settings of Planning' }).waitFor();
    const room = (await server.services.store.rooms.list({})).find((r) => r.name === 'Planning')!;
    expect([room.privacy, room.description]).toEqual(['Secret', 'what we do next']);
    // Its creator enters the Secret room they made, and finds it under "My rooms".
    await f.page.getByRole('link', { name: 'Open the room' }).click();
    await f.page.getByRole('combobox', { name: 'Message' }).waitFor();
    // An empty room says so, and the cursor is in its message box.
    await f.page.getByTestId('empty-room').getByText('No messages yet: yours will be the first.').waitFor();
    const focused = () => f.page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null } | null } }).document.activeElement?.getAttribute('aria-label'));
    await expect.poll(focused).toBe('Message');
    await f.page.getByTestId('mine').getByRole('link', { name: 'Planning' }).waitFor();
    await f.page.getByRole('link', { name: 'Settings', exact: true }).click();
    await f.page.getByRole('heading', { name: 'Settings of Planning' }).waitFor();

    // Category and add-in are choices, not free text: the categories Frank may create in.
    await expect.poll(() => f.page.getByLabel('Category', { exact: true }).locator('option').allTextContents()).toEqual(['Projects']);
    expect(await f.page.getByLabel('Add-in', { exact: true }).locator('option').allTextContents()).toEqual(['None']);
    // Someone outside the category's scope is not offered; typed in anyway, the refusal is
    // in plain words (no command-line advice), as is a name the directory does not know.
    const addMember2 = f.page.getByRole('combobox', { name: 'Add to Members' });
    await addMember2.pressSequentially('olga');
    await f.page.getByText('Nobody in the directory matches "olga" within this category.').waitFor();
    await addMember2.fill('olga@fabrikam.com');
    await addMember2.press('Enter');
    await f.page.getByRole('button', { name: 'Save' }).click();
    expect(await f.page.getByTestId('settings-error').textContent()).toBe(
      "sip:olga@fabrikam.com cannot be given a role here: the room's category is not open to them. Pick someone the category covers, or ask an administrator to widen it.",
    );
    await f.page.getByRole('button', { name: 'Remove olga@fabrikam.com from Members' }).click();
    await addMember2.fill('carla');
    await addMember2.press('Enter');
    await f.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => f.page.getByTestId('settings-error').textContent()).toMatch(/^Stoa's directory has nobody called carla\. Pick people from the suggestions/);
    await f.page.getByRole('button', { name: 'Remove carla from Members' }).click();
    // Making Grace a manager works, and is all that changes.
    const addManager = f.page.getByRole('combobox', { name: 'Add to Managers' });
    await addManager.pressSequentially('hopper');
    await f.page.getByRole('option', { name: /Grace Hopper/ }).click();
    await f.page.getByRole('button', { name: 'Save' }).click();
    await f.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await server.services.store.rooms.roles([room.id])).get(room.id)!.managers.length).toBe(2);

    // Grace, now a manager, finds it under "Manage rooms" and opens it up.
    const g = await newContext(browser);
    await signInPage(g.page, server.url, grace.key, PASSWORD);
    await g.page.getByRole('link', { name: 'Manage rooms' }).click();
    // Each managed room links to its settings (its name) and to the room itself.
    await g.page.getByTestId('managed').getByRole('link', { name: 'Go to the room Planning' }).waitFor();
    await g.page.getByTestId('managed').getByRole('link', { name: 'Settings of Planning' }).click();
    // Grace may move it into the category she creates in.
    await expect.poll(() => g.page.getByLabel('Category', { exact: true }).locator('option').allTextContents()).toEqual(['Projects', 'Elsewhere']);
    await g.page.getByLabel('Open', { exact: true }).check();
    await g.page.getByRole('button', { name: 'Save' }).click();
    await g.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await server.services.store.rooms.getById(room.id))!.privacy).toBe('Open');
    await g.page.getByRole('heading', { name: 'Settings of Planning' }).scrollIntoViewIfNeeded();
    await g.page.screenshot({ path: web.shot('room-settings.png') });
    // Changes reach others live: Frank, in the room, sees Grace's new name; Heidi, made a
    // member (no invitation), finds the room under "My rooms" without reloading.
    const h = await newContext(browser);
    await signInPage(h.page, server.url, (await user('heidi')).key, PASSWORD);
    await f.page.goto(`${server.url}/#/room/${room.guid}`);
    await f.page.getByTestId('room-name').waitFor();
    await f.page.getByTestId('mine').getByRole('link', { name: 'Planning' }).waitFor();
    let listReads = 0;
    f.page.on('request', (r) => void (r.url().includes('/api/v1/rooms/mine') && listReads++));
    await g.page.getByLabel('Name', { exact: true }).fill('Planning 2027');
    const addHeidi = g.page.getByRole('combobox', { name: 'Add to Members' });
    await addHeidi.pressSequentially('heidi');
    await g.page.getByRole('option', { name: /heidi/ }).click();
    await g.page.getByRole('button', { name: 'Save' }).click();
    await g.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await expect.poll(() => f.page.getByTestId('room-name').textContent()).toBe('Planning 2027');
    // Renamed in Frank's room list in place: the news goes to everyone in the room at once, and
    // does not send them all back to the server for their lists.
    await f.page.getByTestId('mine').getByRole('link', { name: 'Planning 2027' }).waitFor();
    expect(listReads).toBe(0);
    await h.page.getByTestId('mine').getByRole('link', { name: 'Planning 2027' }).waitFor();
    // Someone who may not create rooms is told so.
    await h.page.goto(`${server.url}/#/manage/new`);
    await h.page.getByText('You may not create rooms').waitFor();
    for (const c of [f, g, h]) expect(c.problems).toEqual([]);
    await Promise.all([f, g, h].map((c) => c.context.close()));
  });

  it('fires a topic feed live, completes an @mention from the keyboard, and uploads and downloads a file', async () => {
    const { server, browser } = web;
    const ivan = await user('ivan');
    const judy = await user('judy');
    await checkUpdatePrincipal(server.services, SYSTEM_ACTOR, judy.key, { displayName: 'Judy Garland' });
    const category = await buildCategory(server.services, { name: 'Files', allowed: ['contoso.com'], fileUpload: true });
    const room = (await checkCreateRoom(server.services, SYSTEM_ACTOR, { name: 'Budget room', category: category.name, privacy: 'Open' })).result;

    const j = await newContext(browser);
    await signInPage(j.page, server.url, judy.key, PASSWORD);
    await j.page.getByTestId('alerts-link').click();
    await j.page.getByLabel('Feed name').fill('Budget news');
    await j.page.getByLabel('Feed query').fill('budget room:"Budget room"');
    await j.page.getByRole('button', { name: 'Add feed' }).click();
    await j.page.getByTestId('feeds').getByRole('link', { name: 'Budget news' }).waitFor();
    await j.page.goto(`${server.url}/#/room/${room.guid}`);
    await j.page.getByTestId('room-name').waitFor();

    const i = await newContext(browser);
    await signInPage(i.page, server.url, ivan.key, PASSWORD);
    await i.page.goto(`${server.url}/#/room/${room.guid}`);
    await i.page.getByTestId('room-name').waitFor();
    await expect.poll(() => i.page.getByTestId('roster').textContent()).toContain('Judy Garland');
    const box = i.page.getByRole('combobox', { name: 'Message' });
    await box.fill('the budget is approved, ');
    await box.pressSequentially('@ju');
    await i.page.getByRole('option', { name: /judy/ }).waitFor();
    await box.press('Enter');
    expect(await box.inputValue()).toBe(`the budget is approved, @${judy.key.slice(4)} `);
    await box.press('Enter');

    // The mention shows Judy's name (her address on hover); for Judy it is marked as hers.
    const shown = i.page.getByTestId('messages').getByTestId('mention');
    await expect.poll(() => shown.textContent()).toBe('@Judy Garland');
    expect([await shown.getAttribute('title'), await shown.getAttribute('class')]).toEqual([judy.key.slice(4), 'mention']);
    await expect.poll(() => j.page.getByTestId('messages').getByTestId('mention').getAttribute('class')).toBe('mention me');

    // Judy is told twice: a mention and a feed hit, counted beside "Alerts" while she reads the room.
    await expect.poll(() => j.page.getByTestId('alerts-link').textContent()).toBe('Alerts2');
    await j.page.getByTestId('alerts-link').click();
    const listed = j.page.getByTestId('notifications');
    await expect.poll(() => listed.textContent()).toContain('Topic feed');
    expect(await listed.textContent()).toContain('Mention');
    await j.page.screenshot({ path: web.shot('alerts.png') });

    // A file: attached, sent, listed; downloaded by Judy with the same bytes.
    const bytes = Buffer.from(`quarterly figures ${'0123456789'.repeat(5000)}`);
    await i.page.getByLabel('Attach a file').setInputFiles({ name: 'figures.csv', mimeType: 'text/csv', buffer: bytes });
    await i.page.getByText('Attached: figures.csv').waitFor();
    await i.page.getByRole('button', { name: 'Send' }).click();
    await i.page.getByTestId('download').filter({ hasText: 'figures.csv' }).waitFor();
    // Sent without words, it shows its name once: as the file.
    expect(await i.page.getByTestId('messages').getByText('figures.csv').count()).toBe(1);
    await j.page.goto(`${server.url}/#/room/${room.guid}`);
    const link = j.page.getByTestId('download').filter({ hasText: 'figures.csv' });
    await link.waitFor();
    const [download] = await Promise.all([j.page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('figures.csv');
    const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-dl-')), 'figures.csv');
    await download.saveAs(saved);
    expect(fs.readFileSync(saved).equals(bytes)).toBe(true);

    // Search finds it, the terms highlighted.
    await j.page.getByRole('searchbox', { name: 'Search messages' }).fill('approved');
    await j.page.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
    await expect.poll(() => j.page.getByTestId('results').locator('mark').allTextContents()).toEqual(['approved']);
    await j.page.screenshot({ path: web.shot('search.png') });
    for (const c of [i, j]) expect(c.problems).toEqual([]);
    await Promise.all([i, j].map((c) => c.context.close()));
  });

  it('lets an administrator manage categories, add-ins, policies and configuration with the CLI\'s rules, and shows a room\'s add-in sandboxed', async () => {
    const { server, browser } = web;
    const admin = await buildAdmin(server.services);
    await checkSetPassword(server.services, SYSTEM_ACTOR, admin.key, PASSWORD);
    const lee = await user('lee');
    const a = await newContext(browser);
    await signInPage(a.page, server.url, admin.key, PASSWORD);
    await a.page.getByRole('link', { name: 'Administration' }).click();
    await a.page.getByRole('link', { name: 'Categories' }).click();

    // A category: created with its scope, then changed.
    await a.page.getByLabel('Name', { exact: true }).last().fill('Support');
    const allowed = a.page.getByRole('combobox', { name: /^Add to Allowed members/ }).last();
    await allowed.pressSequentially('contoso');
    await a.page.getByRole('option', { name: 'contoso.com domain' }).click();
    await a.page.getByRole('button', { name: 'Create category' }).click();
    await a.page.getByRole('status').filter({ hasText: 'Category Support created.' }).waitFor();
    const row = a.page.getByTestId('categories').getByRole('row', { name: /Support/ });
    await row.getByRole('button', { name: 'Edit' }).click();
    await a.page.getByRole('checkbox', { name: 'File upload' }).first().check();
    await a.page.getByRole('button', { name: 'Save category' }).click();
    await a.page.getByRole('status').filter({ hasText: 'Category Support saved.' }).waitFor();
    const support = (await server.services.store.categories.list()).find((c) => c.name === 'Support')!;
    expect(support.fileUpload).toBe(true);
    // A refusal comes back in the CLI's words: a denied member also allowed.
    await row.getByRole('button', { name: 'Edit' }).click();
    await a.page.getByRole('combobox', { name: /^Add to Denied members/ }).first().fill('contoso.com');
    await a.page.getByRole('combobox', { name: /^Add to Denied members/ }).first().press('Enter');
    await a.page.getByRole('button', { name: 'Save category' }).click();
    await a.page.getByTestId('admin-error').waitFor();
    expect(await a.page.getByTestId('admin-error').textContent()).toMatch(/^a principal is either allowed or denied/);

    // An add-in, a bad URL refused; then a room with it shows the add-in in a sandboxed frame.
    await a.page.getByRole('link', { name: 'Add-ins' }).click();
    await a.page.getByLabel('Add-in name').fill('Runbook');
    await a.page.getByLabel('Add-in URL').fill('javascript:alert(1)');
    await a.page.getByRole('button', { name: 'Create add-in' }).click();
    await a.page.getByTestId('admin-error').waitFor();
    await a.page.getByLabel('Add-in URL').fill(`${server.url}/healthz`);
    await a.page.getByRole('button', { name: 'Create add-in' }).click();
    await a.page.getByTestId('addins').getByText('Runbook').waitFor();
    const room = (await checkCreateRoom(server.services, SYSTEM_ACTOR, { name: 'Support desk', category: 'Support', privacy: 'Open', addin: 'Runbook' })).result;

    // An administrator manages every room: all are under "Manage rooms", each with its
    // settings, and the room itself links to them.
    await a.page.getByRole('link', { name: 'Manage rooms' }).click();
    await a.page.getByRole('heading', { name: 'Every room (you are an administrator)' }).waitFor();
    await a.page.getByLabel('Filter rooms by name').fill('desk');
    await a.page.getByTestId('managed').getByRole('link', { name: 'Settings of Support desk' }).click();
    await a.page.getByRole('heading', { name: 'Settings of Support desk' }).waitFor();
    expect(await a.page.getByLabel('Add-in', { exact: true }).inputValue()).toBe('Runbook');
    await a.page.getByRole('link', { name: 'Open the room' }).click();
    await a.page.getByRole('link', { name: 'Settings', exact: true }).waitFor();
    await a.page.getByRole('link', { name: 'Administration' }).click();

    // A policy and the configuration.
    await a.page.getByRole('link', { name: 'Policies' }).click();
    await a.page.getByLabel('New policy identity').fill('tag:Pilot');
    await a.page.getByRole('button', { name: 'Create policy' }).click();
    await a.page.getByTestId('policies').getByText('Tag:Pilot').waitFor();
    await a.page.getByRole('link', { name: 'Configuration' }).click();
    await a.page.getByLabel(/^Backchat messages/).fill('501');
    await a.page.getByRole('button', { name: 'Save configuration' }).click();
    expect(await a.page.getByTestId('admin-error').textContent()).toMatch(/1 to 500/);
    await a.page.getByLabel(/^Backchat messages/).fill('50');
    await a.page.getByRole('button', { name: 'Save configuration' }).click();
    await a.page.getByRole('status').filter({ hasText: 'saved' }).waitFor();

    // Users: created with a password, given the policy, made administrator, disabled.
    await a.page.getByRole('link', { name: 'Users' }).click();
    await a.page.getByLabel('SIP address').fill('zoe@contoso.com');
    await a.page.getByLabel('Display name').fill('Zoe Kim');
    await a.page.getByLabel(/^Password/).fill('a-long-password');
    await a.page.getByRole('button', { name: 'Create user' }).click();
    await a.page.getByRole('status').filter({ hasText: 'User sip:zoe@contoso.com created, with a password.' }).waitFor();
    expect((await server.anonymous.post('/api/v1/auth/sign-in', { user: 'sip:zoe@contoso.com', password: 'a-long-password' })).status).toBe(200);
    await a.page.getByLabel('Find users').fill('zoe');
    const zoe = a.page.getByTestId('users').getByRole('row', { name: /Zoe Kim/ });
    await zoe.waitFor();
    await expect.poll(() => a.page.getByTestId('users').getByRole('row').count()).toBe(2);
    await zoe.getByRole('button', { name: 'Make administrator' }).click();
    await zoe.getByText('administrator', { exact: true }).waitFor();
    await zoe.getByRole('button', { name: 'Set password' }).click();
    await zoe.getByLabel('New password for Zoe Kim').fill('short');
    await zoe.getByRole('button', { name: 'Set', exact: true }).click();
    await zoe.getByLabel('New password for Zoe Kim').fill('another-long-password');
    await zoe.getByRole('button', { name: 'Set', exact: true }).click();
    await a.page.getByRole('status').filter({ hasText: 'The password of Zoe Kim is set' }).waitFor();
    expect((await server.anonymous.post('/api/v1/auth/sign-in', { user: 'sip:zoe@contoso.com', password: 'another-long-password' })).status).toBe(200);
    // Pilot is a new policy, so disabled: Zoe's sign-in is refused from now on.
    await zoe.getByLabel('Policy of Zoe Kim').selectOption('Pilot');
    await a.page.getByRole('status').filter({ hasText: 'Zoe Kim now has policy Pilot.' }).waitFor();
    expect((await server.anonymous.post('/api/v1/auth/sign-in', { user: 'sip:zoe@contoso.com', password: 'another-long-password' })).status).toBe(403);
    await zoe.getByRole('button', { name: 'Disable' }).click();
    await zoe.getByText('Disabled').waitFor();
    const zoeRecord = (await server.services.store.principals.getByKey('sip:zoe@contoso.com'))!;
    expect([zoeRecord.status, zoeRecord.displayName, zoeRecord.policyId !== null]).toEqual(['disabled', 'Zoe Kim', true]);
    expect((await server.services.store.administrators.list()).length).toBeGreaterThanOrEqual(2);

    // Compliance output, endpoints, and the pool.
    await a.page.getByRole('link', { name: 'Compliance' }).click();
    await a.page.getByLabel(/^Run interval/).fill('2h');
    await a.page.getByLabel('Output', { exact: true }).selectOption('JsonLines');
    await a.page.getByRole('checkbox', { name: 'Add user details' }).check();
    await a.page.getByRole('button', { name: 'Save compliance configuration' }).click();
    await a.page.getByRole('status').filter({ hasText: 'Compliance configuration Global saved.' }).waitFor();
    const [compliance] = await server.services.store.complianceConfigurations.list();
    expect([compliance!.settings.adapterType, compliance!.settings.runIntervalSeconds, compliance!.settings.addUserDetails]).toEqual(['JsonLines', 7200, true]);
    await a.page.getByLabel(/^Run interval/).fill('10s');
    await a.page.getByRole('button', { name: 'Save compliance configuration' }).click();
    await a.page.getByTestId('admin-error').waitFor();
    await a.page.getByRole('link', { name: 'Endpoints' }).click();
    await a.page.getByLabel('Endpoint SIP address').fill('sip:chat@contoso.com');
    await a.page.getByLabel('Endpoint display name').fill('Chat');
    await a.page.getByRole('button', { name: 'Create endpoint' }).click();
    await a.page.getByTestId('endpoints').getByText('sip:chat@contoso.com').waitFor();
    await a.page.getByRole('link', { name: 'Pool' }).click();
    await a.page.getByTestId('pool-state').getByText(/has no backup database to fail over to/).waitFor();
    // This node is listed, running and (no active-server list) active.
    await a.page.getByTestId('nodes').getByRole('row', { name: /Running/ }).getByRole('button', { name: 'Make inactive' }).waitFor();

    await a.page.screenshot({ path: web.shot('admin.png') });
    // The test's add-in (/healthz) refuses to be framed: the browser says so, rightly.
    expect(a.problems.filter((p) => !p.includes("frame-ancestors 'none'"))).toEqual([]);
    await a.context.close();

    const l = await newContext(browser);
    await signInPage(l.page, server.url, lee.key, PASSWORD);
    expect(await l.page.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    await l.page.goto(`${server.url}/#/room/${room.guid}`);
    const frame = l.page.getByTestId('addin');
    await frame.waitFor();
    expect([await frame.getAttribute('src'), await frame.getAttribute('sandbox'), await frame.getAttribute('referrerpolicy')]).toEqual([`${server.url}/healthz`, 'allow-scripts allow-forms allow-popups', 'no-referrer']);
    await l.page.goto(`${server.url}/#/admin`);
    await l.page.getByText('These pages are for administrators.').waitFor();
    await l.context.close();
  });
});

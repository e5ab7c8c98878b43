/**
 * The migration report as an administrator reads it, in Debian's Chromium at 1280×800
 * (issue 19): for a completed, a refused and an unreadable run, the headline counts
 * truly, the blocking problems come first and are visible without scrolling, and a long
 * path wraps instead of pushing the fix off-screen. `npm run screenshots` keeps the three
 * pages in docs/screenshots.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SHOTS, chromiumAvailable, launchChromium, newContext } from '../harness/browser.js';
import { openArchiveDeployment } from '../harness/archive.js';
import { sqliteStore, tempDir } from '../harness/stores.js';
import type { TestDeployment } from '../harness/services.js';
import { LegacyDumpBuilder } from '../harness/legacy-dump.js';
import { bcpOut } from '../harness/dump-tools.js';
import { buildCategory, buildRoom } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { AppError } from '../../src/domain/errors.js';
import { migrateLegacy, type LegacyMigrationOptions, type MigrationReport } from '../../src/migration/legacy.js';
import { writeMigrationReport } from '../../src/migration/report.js';

const available = chromiumAvailable();

function deployment() {
  const b = new LegacyDumpBuilder('flat');
  const domain = b.domainPrincipal();
  b.scope(b.root, domain);
  const alice = b.user('alice', { display: 'Alice Adams' });
  b.affiliate(alice, domain);
  const eng = b.category(b.root, 'Engineering');
  const builds = b.room(eng, 'Builds');
  b.room(eng, 'Releases', { visibility: 'private' });
  for (let i = 0; i < 5; i++) b.chat(builds, alice, `build ${i} is green`);
  return b;
}

describe.skipIf(!available)('the migration report in Chromium', () => {
  let browser: Browser;
  let target: TestDeployment;
  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
  });
  beforeEach(async () => {
    target = await openArchiveDeployment(await sqliteStore());
  });
  afterEach(async () => {
    await target.close();
  });

  const migrate = (source: string, options: Omit<LegacyMigrationOptions, 'source'> = {}) => migrateLegacy(target.services, SYSTEM_ACTOR, { source, ...options });

  /** Writes the report, opens it at 1280×800 and checks what an administrator sees first. */
  async function open(report: MigrationReport, name: string): Promise<Page> {
    const file = path.join(tempDir(), `${name}.html`);
    writeMigrationReport(file, report);
    const { page, problems } = await newContext(browser);
    await page.goto(`file://${file}`);
    // Nothing wider than the window: long paths wrap.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: path.join(SHOTS, `migration-report-${name}.png`) });
    expect(problems).toEqual([]);
    return page;
  }

  /** The first blocking problem, where and fix, whole inside the first screen. */
  async function blockingVisible(page: Page, where: RegExp, fix: RegExp): Promise<void> {
    const row = page.locator('table.blocking tr').nth(1);
    await expect(row.locator('td').nth(0).innerText()).resolves.toMatch(where);
    await expect(row.locator('td').nth(1).innerText()).resolves.toMatch(fix);
    const box = (await row.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(800);
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
  }

  it('a completed run: the headline, no blocking section, the cut-over steps', async () => {
    const report = await migrate(bcpOut(deployment()));
    expect(report.outcome).toBe('completed');
    const page = await open(report, 'completed');
    await expect(page.locator('p.headline').innerText()).resolves.toMatch(/^Migrated\. 0 error\(s\), \d+ warning\(s\), \d+ conversion note\(s\)\.$/);
    expect(await page.locator('table.blocking').count()).toBe(0);
    await expect(page.getByRole('heading', { name: 'What is left to cut over' }).isVisible()).resolves.toBe(true);
  });

  it('a run the import refuses: each refusal named by its legacy file and line, with the fix, first', async () => {
    const here = await buildCategory(target.services, { name: 'Engineering', description: 'made in Stoa before the migration' });
    await buildRoom(target.services, here.name, { name: 'Builds' });
    const report = await migrate(bcpOut(deployment()), { onConflict: 'fail' });
    expect(report.outcome).toBe('refused');
    const conflicts = report.import!.findings.filter((f) => f.severity === 'conflict');
    expect(conflicts.map((f) => [f.object, f.legacy])).toEqual([
      ['Engineering', 'tblNode.dat:2 (node 2, /Engineering)'],
      ['Builds', 'tblNode.dat:3 (node 3, /Engineering/Builds)'],
    ]);
    const page = await open(report, 'refused');
    await expect(page.locator('p.headline').innerText()).resolves.toMatch(/^Refused: nothing was changed\. 0 error\(s\), 2 conflict\(s\) refused \(--on-conflict fail\)/);
    await blockingVisible(page, /^tblNode\.dat:2 \(node 2, \/Engineering\)$/, /run again with --on-conflict rename, overwrite or skip/);
    expect(await page.getByRole('heading', { name: 'Stoa objects produced' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'What is left to cut over' }).count()).toBe(0);
  });

  it('an unreadable dump in a long path: every problem first, the fix in view', async () => {
    const deep = path.join(tempDir(), 'Legacy Persistent Chat export of the EMEA trading floor pool', 'mgc database dump made with bcp on 2026-11-30', 'second attempt after the first one ran out of disk');
    const dir = bcpOut(deployment(), { dir: deep });
    fs.rmSync(path.join(dir, 'tblSiopWhiteList.dat'));
    fs.appendFileSync(path.join(dir, 'tblRoleType.dat'), 'x\tMember\t0\r\n');
    const err = (await migrate(dir).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    const report = err.details!.report as MigrationReport;
    const page = await open(report, 'unreadable');
    await expect(page.locator('p.headline').innerText()).resolves.toMatch(/^Refused: nothing was changed\. 2 error\(s\)/);
    await blockingVisible(page, /second attempt after the first one ran out of disk/, /^the dump lacks tblSiopWhiteList\.csv .* it holds: /);
    const second = page.locator('table.blocking tr').nth(2);
    await expect(second.innerText()).resolves.toMatch(/tblRoleType\.dat:6\s+rtypeID 'x' is not a whole number/);
    const box = (await second.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(800);
  });
});

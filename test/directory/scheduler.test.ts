/**
 * The periodic sync of `stoa serve` (issue 20): nodes on one database take turns through a
 * lease, a full pass comes every fullSyncHours (finding leavers), incremental ones between.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openArchiveDeployment } from '../harness/archive.js';
import { sqliteStore } from '../harness/stores.js';
import type { TestDeployment } from '../harness/services.js';
import { slapdAvailable, startLdap, type LdapServer } from '../harness/ldap-server.js';
import { ldapConfig, testDirectory } from './fixture.js';
import { ldapSource } from '../../src/directory/ldap.js';
import { DirectorySyncScheduler } from '../../src/directory/scheduler.js';
import type { LdapConfig } from '../../src/config/schema.js';

const available = slapdAvailable();

describe.skipIf(!available)('the periodic directory sync', () => {
  let ldap: LdapServer;
  let target: TestDeployment;
  let now = Date.UTC(2026, 11, 6, 8);

  beforeEach(async () => {
    ldap = await startLdap(testDirectory(240).entries);
    target = await openArchiveDeployment(await sqliteStore());
  });
  afterEach(async () => {
    await target?.close();
    await ldap?.stop();
  });

  it('runs on one node at a time, full every fullSyncHours and incremental between', async () => {
    const config = ldapConfig(ldap.url, { syncIntervalMinutes: 15, fullSyncHours: 24, attributes: { changed: 'modifyTimestamp' } as LdapConfig['attributes'] });
    const node = (instanceId: string) => {
      const services = { ...target.services, instanceId, clock: () => now };
      const logged: string[] = [];
      return { scheduler: new DirectorySyncScheduler(services, config, () => ldapSource(config), (_level, message) => logged.push(message)), logged };
    };
    const a = node('node-a');
    const b = node('node-b');
    const first = await a.scheduler.tick();
    expect(first?.mode).toBe('full');
    expect(a.logged).toEqual([expect.stringMatching(/^directory sync: full pass, \d+ change\(s\), 0 entries left out$/)]);
    // Node b waits while a's lease runs; a renews its own.
    expect(await b.scheduler.tick()).toBeUndefined();
    now += 15 * 60_000;
    expect((await a.scheduler.tick())?.mode).toBe('incremental');
    expect(await b.scheduler.tick()).toBeUndefined();
    // a stops (its lease runs out): b takes over; a full pass once a day.
    now += 17 * 60_000;
    expect((await b.scheduler.tick())?.mode).toBe('incremental');
    now += 24 * 3_600_000;
    expect((await b.scheduler.tick())?.mode).toBe('full');
    await a.scheduler.stop();
    await b.scheduler.stop();
  });

  it('a pass against a directory that is down fails for that pass (the loop logs it and tries again next interval)', async () => {
    const config = ldapConfig('ldap://127.0.0.1:1', { timeoutMs: 1000 });
    const scheduler = new DirectorySyncScheduler({ ...target.services, instanceId: 'node-c' }, config, () => ldapSource(config), () => undefined);
    await expect(scheduler.tick()).rejects.toMatchObject({ code: 'DIRECTORY_UNAVAILABLE' });
    await scheduler.stop();
  });
});

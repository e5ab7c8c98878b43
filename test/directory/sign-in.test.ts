/**
 * Signing in with directory credentials (issue 20): a bind to a real slapd over TLS as the
 * user, found by SIP address, UPN or sAMAccountName; no password stored; wrong and empty
 * passwords, unknown and disabled users refused; the throttle counts them; a directory
 * that is down is a clear error, and the local administrator still signs in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchiveDeployment } from '../harness/archive.js';
import { sqliteStore } from '../harness/stores.js';
import type { TestDeployment } from '../harness/services.js';
import { makeTestCa, slapdAvailable, startLdap, type LdapServer } from '../harness/ldap-server.js';
import { ldapConfig, testDirectory, type TestDirectory } from './fixture.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { signIn } from '../../src/actions/auth.js';
import { checkAddPrincipal, checkSetPassword } from '../../src/actions/principals.js';
import { LdapDirectory, ldapSource } from '../../src/directory/ldap.js';
import { syncDirectory } from '../../src/directory/sync.js';
import { ldapSchema, type LdapConfig } from '../../src/config/schema.js';
import type { AppError } from '../../src/domain/errors.js';
import { LoginThrottle } from '../../src/auth/throttle.js';

const available = slapdAvailable();
const FROM = { address: '192.0.2.10' };

describe.skipIf(!available)('sign-in with directory credentials', () => {
  let ldap: LdapServer;
  let dir: TestDirectory;
  let target: TestDeployment;
  let config: LdapConfig;

  beforeAll(async () => {
    dir = testDirectory(240);
    const tls = makeTestCa();
    ldap = await startLdap(dir.entries, tls);
    config = ldapConfig(ldap.ldapsUrl!, { caFile: tls.caFile, signIn: true, attributes: { changed: 'modifyTimestamp' } as LdapConfig['attributes'] });
    target = await openArchiveDeployment(await sqliteStore());
    await syncDirectory(target.services, SYSTEM_ACTOR, ldapSource(config));
    const directory = LdapDirectory.fromConfig(config);
    target.services.directoryAuth = { source: 'ldap', authenticate: (login, password) => directory.authenticate(login, password) };
    await checkAddPrincipal(target.services, SYSTEM_ACTOR, { key: 'sip:admin@contoso.test', kind: 'user' });
    await checkSetPassword(target.services, SYSTEM_ACTOR, 'sip:admin@contoso.test', 'local admin password 1!');
  });
  afterAll(async () => {
    await target?.close();
    await ldap?.stop();
  });

  const attempt = (user: string, password: string) => signIn(target.services, user, password, FROM).then((r) => r.user.sipUri, (e: unknown) => (e as AppError).code);

  it('by SIP address, user principal name or account name, over ldaps:// with the CA of the configuration', async () => {
    const u = dir.users[1]!;
    expect(await attempt(u.sip!, u.password!)).toBe(u.sip);
    expect(await attempt(u.upn, u.password!)).toBe(u.sip);
    expect(await attempt(u.sam, u.password!)).toBe(u.sip);
    expect(await attempt(`CONTOSO\\${u.sam}`, u.password!)).toBe(u.sip);
    // Nothing of the password is kept.
    expect((await target.services.store.principals.getByKey(u.sip!))!.passwordHash).toBeNull();
  });

  it('refuses a wrong or empty password, an unknown user, a disabled one, a filter in the name', async () => {
    const u = dir.users[2]!;
    expect(await attempt(u.sip!, 'wrong')).toBe('INVALID_CREDENTIALS');
    expect(await attempt(u.sip!, '')).toBe('INVALID_CREDENTIALS');
    expect(await attempt('sip:nobody@contoso.test', 'x')).toBe('INVALID_CREDENTIALS');
    expect(await attempt('*', 'x')).toBe('INVALID_CREDENTIALS');
    expect(await attempt('user*)(sAMAccountName=*', 'x')).toBe('INVALID_CREDENTIALS');
    const disabled = dir.users.find((x) => x.enabled === false && x.sip !== undefined)!;
    expect(await attempt(disabled.sip!, disabled.password!)).toBe('SERVICE_DISABLED');
  });

  it('counts failures against the throttle like any sign-in', async () => {
    const saved = target.services.throttle;
    target.services.throttle = new LoginThrottle({ maxFailures: 3, maxAddressFailures: 100, windowMs: 60_000 });
    try {
      const u = dir.users[4]!;
      for (let i = 0; i < 3; i++) expect(await attempt(u.sip!, 'wrong')).toBe('INVALID_CREDENTIALS');
      expect(await attempt(u.sip!, u.password!)).toBe('TOO_MANY_ATTEMPTS');
    } finally {
      target.services.throttle = saved;
    }
  });

  it('over ldap:// upgraded with StartTLS, and refuses a directory whose certificate the CA file does not vouch for', async () => {
    const startTls = LdapDirectory.fromConfig({ ...config, urls: [ldap.url], startTls: true });
    const u = dir.users[1]!;
    expect(await startTls.authenticate(u.sam, u.password!)).toEqual({ sipAddress: u.sip, enabled: true });
    const otherCa = makeTestCa();
    const untrusted = LdapDirectory.fromConfig({ ...config, caFile: otherCa.caFile, timeoutMs: 3000 });
    await expect(untrusted.authenticate(u.sam, u.password!)).rejects.toMatchObject({ code: 'DIRECTORY_UNAVAILABLE' });
  });

  it('refuses a configuration that would send passwords in the clear', () => {
    expect(() => ldapSchema.parse({ ...config, urls: ['ldap://127.0.0.1:389'], startTls: false })).toThrow(/LDAP sign-in sends passwords to the directory: use ldaps:\/\/ URLs or startTls/);
  });

  it('a directory that is down is a clear error; the local administrator still signs in', async () => {
    const saved = target.services.directoryAuth;
    const down = LdapDirectory.fromConfig({ ...config, urls: ['ldaps://127.0.0.1:1'], timeoutMs: 2000 });
    target.services.directoryAuth = { source: 'ldap', authenticate: (login, password) => down.authenticate(login, password) };
    try {
      expect(await attempt(dir.users[1]!.sip!, dir.users[1]!.password!)).toBe('DIRECTORY_UNAVAILABLE');
      expect(await attempt('sip:admin@contoso.test', 'local admin password 1!')).toBe('sip:admin@contoso.test');
    } finally {
      target.services.directoryAuth = saved;
    }
  });
});

/**
 * The test directory: two domains (contoso.test, fabrikam.test), OUs, 1,200 users (more
 * than one 1,000-entry page), nested groups with a cycle, users without a SIP address,
 * users disabled for chat and accounts disabled in AD.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ldapSchema, type LdapConfig } from '../../src/config/schema.js';
import { SYNC_DN, SYNC_PASSWORD, domainLdif, groupLdif, ouLdif, userLdif, type DirGroup, type DirUser } from '../harness/ldap-server.js';

export const CONTOSO = 'DC=contoso,DC=test';
export const FABRIKAM = 'DC=fabrikam,DC=test';

export interface TestDirectory {
  users: DirUser[];
  groups: DirGroup[];
  ous: string[];
  entries: string[][];
}

export function testDirectory(userCount = 1200): TestDirectory {
  if (userCount < 210) throw new Error('the test directory needs at least 210 users (its groups name users up to the 201st)');
  const ous = [`OU=Users,${CONTOSO}`, `OU=Engineering,OU=Users,${CONTOSO}`, `OU=Sales,OU=Users,${CONTOSO}`, `OU=Groups,${CONTOSO}`, `OU=Staff,${FABRIKAM}`];
  const users: DirUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const fab = i % 10 === 9;
    const ou = fab ? `OU=Staff,${FABRIKAM}` : i % 3 === 0 ? `OU=Engineering,OU=Users,${CONTOSO}` : `OU=Sales,OU=Users,${CONTOSO}`;
    const domain = fab ? 'fabrikam.test' : 'contoso.test';
    const name = `user${String(i).padStart(4, '0')}`;
    users.push({
      dn: `CN=${name},${ou}`,
      cn: name,
      sam: name,
      upn: `${name}@${domain}`,
      // Every 50th user has no SIP address (not a chat user); some are disabled for chat or in AD.
      ...(i % 50 === 49 ? {} : { sip: `sip:${name}@${domain}` }),
      enabled: i % 97 !== 5,
      disabledAccount: i % 101 === 7,
      displayName: i === 0 ? 'Ana Ärger' : `User ${i}`,
      mail: `${name}@${domain}`,
      password: `pw-${name}`,
    });
  }
  const g = (cn: string, members: string[]): DirGroup => ({ dn: `CN=${cn},OU=Groups,${CONTOSO}`, cn, members });
  const groups = [
    g('Platform', users.slice(0, 30).map((u) => u.dn)),
    g('Engineering', [`CN=Platform,OU=Groups,${CONTOSO}`, ...users.slice(30, 60).map((u) => u.dn)]),
    g('AllStaff', [`CN=Engineering,OU=Groups,${CONTOSO}`, `CN=Sales,OU=Groups,${CONTOSO}`]),
    g('Sales', users.slice(60, 90).map((u) => u.dn)),
    // A cycle, as AD allows: Ring1 ∋ Ring2 ∋ Ring1.
    g('Ring1', [`CN=Ring2,OU=Groups,${CONTOSO}`, users[100]!.dn]),
    g('Ring2', [`CN=Ring1,OU=Groups,${CONTOSO}`, users[101]!.dn]),
    // A member outside the directory's base DNs, and one that is no entry at all.
    g('Partners', [users[200]!.dn, 'CN=Ghost,OU=Nowhere,DC=elsewhere,DC=test']),
  ];
  const entries = [domainLdif(CONTOSO), domainLdif(FABRIKAM), ...ous.map(ouLdif), ...users.map(userLdif), ...groups.map(groupLdif)];
  return { users, groups, ous, entries };
}

/** The sync configuration for a test directory at `url`. */
export function ldapConfig(url: string, extra: Partial<LdapConfig> = {}): LdapConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-ldap-cfg-'));
  const passwordFile = path.join(dir, 'bind-password');
  fs.writeFileSync(passwordFile, `${SYNC_PASSWORD}\n`);
  return ldapSchema.parse({ urls: [url], bindDn: SYNC_DN, bindPasswordFile: passwordFile, baseDns: [CONTOSO, FABRIKAM], ...extra });
}

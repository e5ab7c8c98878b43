/**
 * `npm run bench -- directory-sync [--size N] [--smoke] [--no-record]`
 *
 * A directory sync from a real slapd shaped like Active Directory (test/harness/ldap-server.ts)
 * of N users (default 50,000) in N/10 groups (each with ~20 users and, one in ten, a nested
 * group), OUs and two domains, into a fresh SQLite deployment: the first (full) pass, then
 * an incremental pass after 1 % of the users changed (display name) and 1 % of the groups
 * changed members. Each pass runs in a child process of its own, so its peak RSS is its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attribute, Change, Client } from 'ldapts';
import { SYSTEM_ACTOR } from '../src/actions/context.js';
import { ldapSchema } from '../src/config/schema.js';
import { ldapSource } from '../src/directory/ldap.js';
import { syncDirectory } from '../src/directory/sync.js';
import { ADMIN_DN, ADMIN_PASSWORD, SYNC_DN, SYNC_PASSWORD, domainLdif, groupLdif, ouLdif, startLdap, userLdif } from '../test/harness/ldap-server.js';
import { childEntry, childPeakRssMiB, fmt, open, recordResult, runChild, type Options } from './lib.js';

const SELF = fileURLToPath(import.meta.url);
const BASE = 'DC=contoso,DC=test';

interface PassResult {
  mode: string;
  seconds: number;
  maxRssMiB: number;
  users: number;
  groups: number;
  changes: number;
  memberships: number;
}

async function child(dataDir: string, url: string, passwordFile: string): Promise<PassResult> {
  const runtime = await open(dataDir);
  try {
    const config = ldapSchema.parse({ urls: [url], bindDn: SYNC_DN, bindPasswordFile: passwordFile, baseDns: [BASE], pageSize: 1000, attributes: { changed: 'modifyTimestamp' } });
    const started = process.hrtime.bigint();
    const report = await syncDirectory(runtime.services, SYSTEM_ACTOR, ldapSource(config));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      mode: report.mode,
      seconds,
      maxRssMiB: childPeakRssMiB(),
      users: report.counts.users.read,
      groups: report.counts.groups.read,
      changes: report.changes.length + report.changesOmitted,
      memberships: report.memberships.added + report.memberships.removed,
    };
  } finally {
    await runtime.close();
  }
}

function directory(users: number): { entries: string[][]; userDns: string[]; groupDns: string[] } {
  const ous = Array.from({ length: 10 }, (_, i) => `OU=Dept${i},OU=Users,${BASE}`);
  const entries: string[][] = [domainLdif(BASE), ouLdif(`OU=Users,${BASE}`), ouLdif(`OU=Groups,${BASE}`), ...ous.map(ouLdif)];
  const userDns: string[] = [];
  for (let i = 0; i < users; i++) {
    const name = `u${i}`;
    const dn = `CN=${name},${ous[i % ous.length]!}`;
    userDns.push(dn);
    entries.push(userLdif({ dn, cn: name, sam: name, upn: `${name}@contoso.test`, sip: `sip:${name}@contoso.test`, enabled: true, displayName: `User ${i}`, mail: `${name}@contoso.test` }));
  }
  const groups = Math.max(1, Math.floor(users / 10));
  const groupDns = Array.from({ length: groups }, (_, g) => `CN=G${g},OU=Groups,${BASE}`);
  for (let g = 0; g < groups; g++) {
    const members = Array.from({ length: 20 }, (_, k) => userDns[(g * 7 + k * 131) % users]!);
    if (g % 10 === 0 && g + 1 < groups) members.push(groupDns[g + 1]!);
    entries.push(groupLdif({ dn: groupDns[g]!, cn: `G${g}`, members: [...new Set(members)] }));
  }
  return { entries, userDns, groupDns };
}

/** 1 % of users get a new display name, 1 % of groups lose a member and gain another. */
async function change(url: string, userDns: string[], groupDns: string[]): Promise<void> {
  const client = new Client({ url });
  await client.bind(ADMIN_DN, ADMIN_PASSWORD);
  try {
    for (let i = 0; i < userDns.length; i += 100) {
      await client.modify(userDns[i]!, [new Change({ operation: 'replace', modification: new Attribute({ type: 'displayName', values: [`Renamed ${i}`] }) })]);
    }
    for (let g = 0; g < groupDns.length; g += 100) {
      const gone = userDns[(g * 7) % userDns.length]!;
      const added = userDns[(g * 7 + 1) % userDns.length]!;
      await client.modify(groupDns[g]!, [
        new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [gone] }) }),
        new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [added] }) }),
      ]);
    }
  } finally {
    await client.unbind();
  }
}

export async function directorySyncBench(options: Options): Promise<void> {
  const users = options.size ?? (options.smoke ? 500 : 50_000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-bench-dirsync-'));
  const made = process.hrtime.bigint();
  const { entries, userDns, groupDns } = directory(users);
  const ldap = await startLdap(entries);
  try {
    console.log(`loaded a directory of ${fmt(users)} users and ${fmt(groupDns.length)} groups into slapd in ${fmt(Number(process.hrtime.bigint() - made) / 1e9, 1)} s`);
    const passwordFile = path.join(base, 'bind-password');
    fs.writeFileSync(passwordFile, `${SYNC_PASSWORD}\n`);
    const target = path.join(base, 'target');
    const first = runChild<PassResult>(SELF, [target, ldap.url, passwordFile]);
    console.log(`directory-sync: ${first.mode} pass, ${fmt(first.users)} users and ${fmt(first.groups)} groups in ${fmt(first.seconds, 1)} s (${fmt(first.users / first.seconds)} users/s), peak RSS ${first.maxRssMiB} MiB`);
    // modifyTimestamp has a second's resolution: changes made in the second of the last
    // pass's high-water mark would be read again, not missed; wait it out to measure 1 %.
    await new Promise((r) => setTimeout(r, 1100));
    await change(ldap.url, userDns, groupDns);
    const second = runChild<PassResult>(SELF, [target, ldap.url, passwordFile]);
    console.log(`directory-sync: ${second.mode} pass after 1 % changed, ${fmt(second.users)} users and ${fmt(second.groups)} groups read, ${fmt(second.changes)} changes, ${fmt(second.memberships)} membership changes in ${fmt(second.seconds, 2)} s, peak RSS ${second.maxRssMiB} MiB`);
    if (options.record) {
      recordResult('directory-sync', [fmt(users), fmt(groupDns.length), `${fmt(first.seconds, 1)} s (${fmt(first.users / first.seconds)} users/s)`, `${first.maxRssMiB} MiB`, `${fmt(second.seconds, 2)} s (${fmt(second.changes)} changes)`, `${second.maxRssMiB} MiB`], options);
    }
  } finally {
    await ldap.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

childEntry(child);

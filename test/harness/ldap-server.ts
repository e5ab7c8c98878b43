/**
 * A throwaway OpenLDAP (Debian's slapd) shaped like Active Directory, for the directory
 * tests: Microsoft's AD schema as Debian ships it (`user`, `group`, `objectGUID`,
 * `memberOf`, `userAccountControl`, `uSNChanged` ...) plus a small schema of our own for
 * what it lacks (`sAMAccountName` on users, the Lync attributes
 * `msRTCSIP-PrimaryUserAddress` and `msRTCSIP-UserEnabled`). The directory is written as
 * LDIF and loaded with slapadd before slapd starts on loopback; `sizelimit 1000` is AD's
 * page limit, so a sync that does not page sees a truncated directory.
 *
 * Without slapd the directory tests skip loudly, and fail under STOA_TEST_REQUIRE_ALL=1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './postgres-server.js';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';

export function slapdAvailable(): boolean {
  if (fs.existsSync(SLAPD) && fs.existsSync(SLAPADD)) return true;
  const message = 'directory tests need OpenLDAP (apt-get install -y slapd ldap-utils)';
  if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error(`STOA_TEST_REQUIRE_ALL=1 but ${message}`);
  console.warn(`\n*** ${message}: they are SKIPPED ***\n`);
  return false;
}

export const ADMIN_DN = 'cn=admin,dc=test';
export const ADMIN_PASSWORD = 'directory-admin-secret';
/** The account a sync reads as: an ordinary entry, so the size limit applies to it (it does not to the rootdn). */
export const SYNC_DN = 'cn=stoa-sync,dc=test';
export const SYNC_PASSWORD = 'stoa-sync-secret';

/**
 * A distinct past modifyTimestamp for each entry loaded (2020-01-01 onwards, a second
 * apart): an incremental pass from the last one seen then re-reads one entry, not all.
 */
let stamps = 0;
function stamp(): string[] {
  const t = new Date(Date.UTC(2020, 0, 1) + stamps++ * 1000).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
  return [`createTimestamp: ${t}`, `modifyTimestamp: ${t}`];
}

/** What AD's schema makes every entry carry (mstop). */
const MSTOP = ['instanceType: 4', 'nTSecurityDescriptor:: AAAA'];

const TEST_SCHEMA = `
attributetype ( 1.3.6.1.4.1.55555.1.1 NAME 'msRTCSIP-PrimaryUserAddress'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.2 NAME 'msRTCSIP-UserEnabled'
  EQUALITY booleanMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.2.1 NAME 'stoaTestAccount' AUXILIARY
  MAY ( sAMAccountName $ msRTCSIP-PrimaryUserAddress $ msRTCSIP-UserEnabled $ userPassword $ mail ) )
objectclass ( 1.3.6.1.4.1.55555.2.2 NAME 'stoaTestDomain' STRUCTURAL SUP top
  MUST ( dc ) MAY ( description ) )
`;

/** AD's objectGUID bytes of a GUID string: the first three groups little-endian. */
export function objectGuidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

/** A deterministic GUID for a name (so a test's directory is the same on every run). */
export function guidOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface DirUser {
  dn: string;
  cn: string;
  sam: string;
  upn: string;
  sip?: string;
  enabled?: boolean;
  /** userAccountControl's ACCOUNTDISABLE bit. */
  disabledAccount?: boolean;
  displayName?: string;
  mail?: string;
  password?: string;
  guid?: string;
  usn?: number;
}

export interface DirGroup {
  dn: string;
  cn: string;
  members: string[];
  guid?: string;
  usn?: number;
}

/** An LDIF attribute line, base64 when the value needs it. */
function attr(name: string, value: string | Buffer): string {
  if (Buffer.isBuffer(value)) return `${name}:: ${value.toString('base64')}`;
  return /^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value) && !value.endsWith(' ') ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

export function userLdif(u: DirUser): string[] {
  return [
    attr('dn', u.dn),
    'objectClass: user',
    'objectClass: stoaTestAccount',
    ...MSTOP,
    'objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=test',
    attr('cn', u.cn),
    attr('sn', u.cn),
    attr('sAMAccountName', u.sam),
    attr('userPrincipalName', u.upn),
    attr('objectGUID', objectGuidBytes(u.guid ?? guidOf(u.dn))),
    `userAccountControl: ${u.disabledAccount === true ? 514 : 512}`,
    `uSNChanged: ${u.usn ?? 1}`,
    ...(u.sip === undefined ? [] : [attr('msRTCSIP-PrimaryUserAddress', u.sip)]),
    ...(u.enabled === undefined ? [] : [`msRTCSIP-UserEnabled: ${u.enabled ? 'TRUE' : 'FALSE'}`]),
    ...(u.displayName === undefined ? [] : [attr('displayName', u.displayName)]),
    ...(u.mail === undefined ? [] : [attr('mail', u.mail)]),
    ...(u.password === undefined ? [] : [attr('userPassword', u.password)]),
    ...stamp(),
  ];
}

export function groupLdif(g: DirGroup): string[] {
  return [
    attr('dn', g.dn),
    'objectClass: group',
    ...MSTOP,
    'objectCategory: CN=Group,CN=Schema,CN=Configuration,DC=test',
    attr('cn', g.cn),
    'groupType: -2147483646',
    attr('objectGUID', objectGuidBytes(g.guid ?? guidOf(g.dn))),
    `uSNChanged: ${g.usn ?? 1}`,
    ...g.members.map((m) => attr('member', m)),
    ...stamp(),
  ];
}

export function ouLdif(dn: string): string[] {
  const ou = /^OU=([^,]+)/i.exec(dn)![1]!;
  // AD's OUs have an objectGUID; OpenLDAP's organizationalUnit needs extensibleObject to hold one.
  return [attr('dn', dn), 'objectClass: organizationalUnit', 'objectClass: extensibleObject', attr('ou', ou), attr('objectGUID', objectGuidBytes(guidOf(dn))), 'uSNChanged: 1', ...stamp()];
}

export function domainLdif(dn: string): string[] {
  const dc = /^DC=([^,]+)/i.exec(dn)![1]!;
  return [attr('dn', dn), 'objectClass: stoaTestDomain', attr('dc', dc)];
}

export interface LdapServer {
  url: string;
  /** ldaps:// on its own port (with `tls`). */
  ldapsUrl?: string;
  dir: string;
  stop(): Promise<void>;
}

export interface LdapTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`slapd did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts slapd with `entries` (LDIF records, each a list of lines) loaded under the
 * suffix dc=test, on loopback; with `tls`, also ldaps:// and StartTLS with that certificate.
 */
export async function startLdap(entries: string[][], tls?: LdapTls): Promise<LdapServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-ldap-'));
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(dir, 'stoa-test.schema'), TEST_SCHEMA);
  // Debian's copy of the AD schema gives sAMAccountName and userPrincipalName no equality
  // rule, so no filter could find a user by them; Active Directory matches both ignoring case.
  const msuser = fs
    .readFileSync('/etc/ldap/schema/msuser.schema', 'utf8')
    .replace(/(NAME '(?:sAMAccountName|userPrincipalName)'\s*\n)(\s*SYNTAX)/g, '$1\tEQUALITY caseIgnoreMatch\n$2');
  fs.writeFileSync(path.join(dir, 'msuser.schema'), msuser);
  const conf = [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
    `include ${path.join(dir, 'msuser.schema')}`,
    `include ${path.join(dir, 'stoa-test.schema')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `pidfile ${path.join(dir, 'slapd.pid')}`,
    `argsfile ${path.join(dir, 'slapd.args')}`,
    ...(tls === undefined ? [] : [`TLSCertificateFile ${tls.certFile}`, `TLSCertificateKeyFile ${tls.keyFile}`, `TLSCACertificateFile ${tls.caFile}`]),
    // Active Directory answers at most 1,000 entries a search: only a paged search sees them all.
    'sizelimit size.soft=1000 size.hard=1000 size.prtotal=unlimited',
    'database mdb',
    'maxsize 268435456',
    'suffix "dc=test"',
    `rootdn "${ADMIN_DN}"`,
    `rootpw ${ADMIN_PASSWORD}`,
    `directory ${data}`,
    'index objectClass eq',
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by * read',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'slapd.conf'), `${conf}\n`);
  const account = [`dn: ${SYNC_DN}`, 'objectClass: organizationalRole', 'objectClass: simpleSecurityObject', 'cn: stoa-sync', `userPassword: ${SYNC_PASSWORD}`];
  const ldif = [['dn: dc=test', 'objectClass: stoaTestDomain', 'dc: test'], account, ...entries].map((e) => e.join('\n')).join('\n\n');
  fs.writeFileSync(path.join(dir, 'data.ldif'), `${ldif}\n`);
  execFileSync(SLAPADD, ['-f', path.join(dir, 'slapd.conf'), '-l', path.join(dir, 'data.ldif'), '-q'], { stdio: 'pipe', timeout: 60_000 });
  const port = await freePort();
  const tlsPort = tls === undefined ? undefined : await freePort();
  const urls = [`ldap://127.0.0.1:${port}/`, ...(tlsPort === undefined ? [] : [`ldaps://127.0.0.1:${tlsPort}/`])];
  const child: ChildProcess = spawn(SLAPD, ['-f', path.join(dir, 'slapd.conf'), '-h', urls.join(' '), '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (err) => (stderr += `\nslapd could not be started: ${err.message}`));
  try {
    await waitForPort(port, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${stderr.slice(-2000)}`);
  }
  return {
    url: `ldap://127.0.0.1:${port}`,
    ...(tlsPort === undefined ? {} : { ldapsUrl: `ldaps://127.0.0.1:${tlsPort}` }),
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A throwaway CA and a certificate it signed for 127.0.0.1 (what a directory's ldaps://
 * presents); `caFile` is what Stoa's configuration names.
 */
export function makeTestCa(): LdapTls {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-ca-'));
  const f = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', timeout: 60_000 });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Stoa Test Root CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf')]);
  return { certFile: f('server.pem'), keyFile: f('server.key'), caFile: f('ca.pem') };
}

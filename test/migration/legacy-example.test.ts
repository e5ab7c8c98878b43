/**
 * The worked example of spec 02 §4 — the `contoso.example` deployment — migrated exactly
 * as D3 answers its gaps: separator " / ", rooms in first-level categories unprefixed,
 * `Announcements` in the root category `General`, C3 managers, C4 warning, C5 opt-out,
 * C6 federated principals, C11/C12 reports, C16 privacy, C17 auditorium and add-in.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { openArchiveDeployment, snapshot } from '../harness/archive.js';
import type { TestDeployment } from '../harness/services.js';
import { LegacyDumpBuilder } from '../harness/legacy-dump.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { migrateLegacy, type MigrationReport } from '../../src/migration/legacy.js';
import { checkCreateEndpoint } from '../../src/actions/endpoints.js';

export function contosoExample() {
  const b = new LegacyDumpBuilder('hierarchical', 'contoso.example', { invite: true, logged: true, filePost: true });
  const domain = b.domainPrincipal('contoso.example');
  const fabrikamPartners = b.federatedGroup('FabrikamPartners');
  const engineeringOu = b.folder('Engineering');
  const platformTeam = b.group('PlatformTeam');
  const partnerLiaisons = b.group('PartnerLiaisons');
  const alice = b.user('alice', { dn: 'CN=alice,OU=Engineering,DC=contoso,DC=example' });
  const dave = b.user('dave', { dn: 'CN=dave,OU=Engineering,DC=contoso,DC=example' });
  const carol = b.user('carol');
  const bob = b.federatedUser('bob@fabrikam.example');
  for (const [who, of] of [[alice, platformTeam], [alice, partnerLiaisons], [dave, platformTeam], [carol, partnerLiaisons], [alice, domain], [dave, domain], [carol, domain]] as const) b.affiliate(who, of);
  b.role(b.root, alice, 'Manager');
  b.scope(b.root, domain);
  b.scope(b.root, fabrikamPartners);

  const engineering = b.category(b.root, 'Engineering', { filePost: false });
  b.scope(engineering, engineeringOu);
  const platform = b.category(engineering, 'Platform', { invite: false });
  b.scope(platform, platformTeam);
  b.role(platform, dave, 'Manager');
  const buildStatus = b.room(platform, 'BuildStatus', { invite: true, visibility: 'private', topic: 'CI results' });
  const oncall = b.room(platform, 'Oncall', { disabled: true });
  const engGeneral = b.room(engineering, 'EngGeneral', { visibility: 'scope', filePost: true });
  const partners = b.category(b.root, 'Partners');
  b.scope(partners, partnerLiaisons);
  b.scope(partners, fabrikamPartners);
  const ticker = b.addin('TickerAddin', 'https://ticker.contoso.example/addin');
  const joint = b.room(partners, 'PublicFabrikamJoint', { auditorium: true, addin: ticker });
  b.role(joint, carol, 'Voiced');
  b.role(joint, carol, 'Member');
  b.role(joint, bob, 'Member');
  const announcements = b.room(b.root, 'Announcements');
  b.chat(buildStatus, alice, 'build 512 is green');
  b.chat(oncall, dave, 'paging nobody');
  b.chat(engGeneral, dave, 'hello engineering');
  b.chat(joint, carol, 'welcome, partners');
  b.chat(announcements, alice, 'all hands at 10');
  return { b, ids: { alice, dave, carol, bob, engineering, platform, buildStatus, oncall, engGeneral, partners, joint, announcements, ticker } };
}

const byName = <T extends { name: string }>(items: T[], name: string): T => {
  const found = items.find((i) => i.name === name);
  if (found === undefined) throw new Error(`no ${name} among ${items.map((i) => i.name).join(', ')}`);
  return found;
};

const findingsOf = (report: MigrationReport, rule: string) => report.findings.filter((f) => f.rule === rule);

describeEachStore('legacy migration: the worked example of 02 §4', (kind) => {
  let target: TestDeployment;
  beforeEach(async () => {
    target = await openArchiveDeployment(await kind.open());
  });
  afterEach(() => target.close());

  it('reproduces the example with D3 answers, and a second run changes nothing', async () => {
    const { b, ids } = contosoExample();
    const dump = b.write();
    const report = await migrateLegacy(target.services, SYSTEM_ACTOR, { source: dump });
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(report.outcome).toBe('completed');
    expect(report.shape).toBe('hierarchical');

    const snap = (await snapshot(target)) as { categories: { name: string; guid: string; allowed: string[]; denied: string[]; creators: string[]; invitations: boolean; fileUpload: boolean; chatHistory: boolean }[]; rooms: Record<string, unknown>[] & { name: string }[]; addins: { name: string; guid: string }[]; principals: { key: string; status: string; federated: boolean }[]; messages: Record<string, unknown[]> };
    const cat = (name: string) => byName(snap.categories, name);
    expect(snap.categories.map((c) => c.name).sort()).toEqual(['Engineering', 'Engineering / Platform', 'General', 'Partners']);
    expect(cat('Engineering')).toMatchObject({ allowed: ['ou=engineering,dc=contoso,dc=example'], denied: [], invitations: true, fileUpload: false, chatHistory: true, creators: ['sip:alice@contoso.example'] });
    expect(cat('Engineering / Platform')).toMatchObject({ allowed: ['cn=platformteam,ou=groups,dc=contoso,dc=example'], invitations: false, fileUpload: false, chatHistory: true, creators: ['sip:alice@contoso.example', 'sip:dave@contoso.example'] });
    expect(cat('Partners')).toMatchObject({ allowed: ['cn=partnerliaisons,ou=groups,dc=contoso,dc=example'], invitations: true, fileUpload: true, chatHistory: true });
    expect(cat('General')).toMatchObject({ allowed: ['contoso.example'], invitations: true, fileUpload: true, chatHistory: true });

    const rooms = snap.rooms as unknown as { name: string; category: string; privacy: string; type: string; invitations: string; description: string; members: string[]; managers: string[]; presenters: string[]; addin: string | null; guid: string; disabled: boolean }[];
    expect(rooms.map((r) => r.name).sort()).toEqual(['Announcements', 'EngGeneral', 'Engineering / Platform / BuildStatus', 'PublicFabrikamJoint']);
    const buildStatus = byName(rooms, 'Engineering / Platform / BuildStatus');
    expect(buildStatus).toMatchObject({ privacy: 'Secret', invitations: 'False', description: 'CI results', managers: ['sip:alice@contoso.example', 'sip:dave@contoso.example'], category: cat('Engineering / Platform').guid });
    expect(buildStatus.guid).toBe(b.nodeRow(ids.buildStatus).nodeGuid);
    expect(byName(rooms, 'EngGeneral')).toMatchObject({ privacy: 'Closed', invitations: 'Inherit', managers: ['sip:alice@contoso.example'], category: cat('Engineering').guid });
    expect(byName(rooms, 'PublicFabrikamJoint')).toMatchObject({
      type: 'Auditorium',
      privacy: 'Closed',
      presenters: ['sip:carol@contoso.example'],
      members: ['sip:bob@fabrikam.example', 'sip:carol@contoso.example'],
      managers: ['sip:alice@contoso.example'],
      addin: ids.ticker,
    });
    expect(byName(snap.addins, 'TickerAddin').guid).toBe(ids.ticker);
    expect(byName(rooms, 'Announcements')).toMatchObject({ category: cat('General').guid, privacy: 'Closed', managers: ['sip:alice@contoso.example'] });
    expect(snap.principals.find((p) => p.key === 'sip:bob@fabrikam.example')).toMatchObject({ status: 'disabled', federated: true });
    expect(Object.values(snap.messages).flat()).toHaveLength(4);

    // The report names each decision by rule, legacy id and path.
    expect(findingsOf(report, 'C4')).toEqual([expect.objectContaining({ severity: 'warning', legacyId: `node ${ids.buildStatus}`, legacyPath: '/Engineering/Platform/BuildStatus' })]);
    expect(findingsOf(report, 'C5')).toEqual([expect.objectContaining({ legacyId: `node ${ids.oncall}`, legacyPath: '/Engineering/Platform/Oncall' })]);
    expect(findingsOf(report, 'C11')).toEqual([expect.objectContaining({ severity: 'warning', legacyPath: '/Engineering/EngGeneral', message: expect.stringMatching(/file upload/) as unknown })]);
    expect(findingsOf(report, 'C12')).toEqual([expect.objectContaining({ legacyPath: '/Engineering/Platform/BuildStatus', message: expect.stringMatching(/CI results/) as unknown })]);
    expect(findingsOf(report, 'C6').map((f) => f.message).join('\n')).toMatch(/federated group .*dropped from the scope[\s\S]*federated user sip:bob@fabrikam\.example kept/);
    expect(findingsOf(report, 'C2').map((f) => f.message)).toContain("'BuildStatus' becomes 'Engineering / Platform / BuildStatus'");

    // C19 / cut-over: the report ends with the steps left, the lookup URI first.
    expect(report.cutover[0]).toContain('stoa endpoint new --sip-address sip:ocschat@contoso.example');
    await checkCreateEndpoint(target.services, SYSTEM_ACTOR, { sipAddress: 'sip:ocschat@contoso.example' });
    const again = await migrateLegacy(target.services, SYSTEM_ACTOR, { source: dump });
    expect(again.cutover[0]).toMatch(/sip:ocschat@contoso\.example is registered with Stoa already/);
    expect(again.outcome).toBe('completed');
    for (const [kind, c] of Object.entries(again.import!.counts)) expect({ kind, created: c.created, updated: c.updated }).toEqual({ kind, created: 0, updated: 0 });
    const { endpoints: _before, ...migrated } = snap as Record<string, unknown>;
    const { endpoints: _after, ...again2 } = (await snapshot(target));
    expect(again2).toEqual(migrated);
  });
});

import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { POOL, useDeployment } from '../harness/services.js';
import { expectAppError } from '../harness/expect-error.js';
import { buildCategory, buildDomain, buildRoom, buildUser } from '../factories.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkCreatePolicy, checkGrantPolicy, checkRemovePolicy, checkUpdatePolicy, listPolicies } from '../../src/actions/policies.js';
import { configurations } from '../../src/actions/configurations.js';
import { complianceConfigurations } from '../../src/actions/compliance-configurations.js';
import { checkCreateEndpoint, checkRemoveEndpoint, listEndpoints } from '../../src/actions/endpoints.js';
import { checkCreateAddin, checkUpdateAddin, listAddins } from '../../src/actions/addins.js';
import { checkAddPrincipal } from '../../src/actions/principals.js';
import { listRooms } from '../../src/actions/room-queries.js';

const XSLT = `<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><FileDump/></xsl:template>
</xsl:stylesheet>`;

describeEachStore('settings', (kind) => {
  const d = useDeployment(kind);

  describe('Persistent Chat policies', () => {
    it('a fresh install has the global policy enabled', async () => {
      expect(await listPolicies(d.services, SYSTEM_ACTOR)).toEqual([
        { identity: 'Global', scope: 'global', enablePersistentChat: true, description: '' },
      ]);
    });

    it('creates site and per-user policies only, disabled by default', async () => {
      await expectAppError(checkCreatePolicy(d.services, SYSTEM_ACTOR, 'global', {}), 'SCOPE_NOT_ALLOWED');
      expect((await checkCreatePolicy(d.services, SYSTEM_ACTOR, 'site:Redmond', {})).result).toMatchObject({ identity: 'Site:Redmond', enablePersistentChat: false });
      expect((await checkCreatePolicy(d.services, SYSTEM_ACTOR, 'Sales', { enablePersistentChat: true })).result.identity).toBe('Tag:Sales');
      await expectAppError(checkCreatePolicy(d.services, SYSTEM_ACTOR, 'tag:sales', {}), 'ALREADY_EXISTS');
      await expectAppError(checkCreatePolicy(d.services, SYSTEM_ACTOR, 'site:', {}), 'INVALID_IDENTITY');
    });

    it('resolves per-user → site → global, and the answer governs access', async () => {
      await buildDomain(d.services, 'contoso.com');
      const cat = await buildCategory(d.services, { allowed: ['contoso.com'] });
      await buildRoom(d.services, cat.name, { privacy: 'Open' });
      const user = await buildUser(d.services, { site: 'Redmond' });
      const sees = async () => (await listRooms(d.services, user.actor)).length > 0;
      expect(await sees()).toBe(true);
      await checkCreatePolicy(d.services, SYSTEM_ACTOR, 'site:Redmond', { enablePersistentChat: false });
      expect(await sees()).toBe(false);
      await checkCreatePolicy(d.services, SYSTEM_ACTOR, 'tag:Allowed', { enablePersistentChat: true });
      const granted = await checkGrantPolicy(d.services, SYSTEM_ACTOR, user.key, 'Allowed');
      expect(granted.result).toEqual({ user: user.key, policy: 'Tag:Allowed' });
      expect(await sees()).toBe(true);
      await checkGrantPolicy(d.services, SYSTEM_ACTOR, user.key, null);
      expect(await sees()).toBe(false);
      await checkRemovePolicy(d.services, SYSTEM_ACTOR, 'site:Redmond');
      expect(await sees()).toBe(true);
      await checkUpdatePolicy(d.services, SYSTEM_ACTOR, 'global', { enablePersistentChat: false });
      expect(await sees()).toBe(false);
    });

    it('grants only per-user policies, to users', async () => {
      const user = await buildUser(d.services);
      await checkCreatePolicy(d.services, SYSTEM_ACTOR, 'site:Oslo', {});
      await expectAppError(checkGrantPolicy(d.services, SYSTEM_ACTOR, user.key, 'site:Oslo'), 'SCOPE_NOT_ALLOWED');
      await expectAppError(checkGrantPolicy(d.services, SYSTEM_ACTOR, user.key, 'Missing'), 'POLICY_NOT_FOUND');
      await buildDomain(d.services, 'contoso.com');
      await checkCreatePolicy(d.services, SYSTEM_ACTOR, 'Tag1', {});
      await expectAppError(checkGrantPolicy(d.services, SYSTEM_ACTOR, 'contoso.com', 'Tag1'), 'INVALID_PRINCIPAL');
    });

    it('removing a granted per-user policy needs force; removing global resets it (§9.20)', async () => {
      const user = await buildUser(d.services);
      await checkCreatePolicy(d.services, SYSTEM_ACTOR, 'Held', { enablePersistentChat: true });
      await checkGrantPolicy(d.services, SYSTEM_ACTOR, user.key, 'Held');
      await expectAppError(checkRemovePolicy(d.services, SYSTEM_ACTOR, 'Held'), 'POLICY_IN_USE', /granted to 1 user/);
      const removed = await checkRemovePolicy(d.services, SYSTEM_ACTOR, 'Held', { force: true });
      expect(removed.changes[0]?.notes).toEqual(['unassigned from 1 user']);
      expect((await d.store.principals.getById(user.id))?.policyId).toBeNull();
      await checkUpdatePolicy(d.services, SYSTEM_ACTOR, 'global', { enablePersistentChat: false, description: 'locked' });
      const reset = await checkRemovePolicy(d.services, SYSTEM_ACTOR, 'global');
      expect(reset.result).toEqual({ identity: 'Global', scope: 'global', enablePersistentChat: true, description: '' });
      expect(reset.changes[0]?.action).toBe('reset');
    });
  });

  describe('service configuration', () => {
    it('starts with the documented defaults', async () => {
      expect(await configurations.list(d.services, SYSTEM_ACTOR)).toEqual([
        { identity: 'Global', scope: 'global', defaultChatHistory: 30, maxFileSizeKB: 20000, participantUpdateLimit: 75, roomManagementUrl: '' },
      ]);
    });

    it('checks every range and reports all problems at once', async () => {
      await expectAppError(
        configurations.update(d.services, SYSTEM_ACTOR, 'global', { defaultChatHistory: 501, maxFileSizeKB: -1, roomManagementUrl: 'ftp://x' }),
        'INVALID_INPUT',
        /DefaultChatHistory must be a whole number from 1 to 500.*MaxFileSizeKB.*RoomManagementUrl must use http or https/,
      );
      await expectAppError(configurations.update(d.services, SYSTEM_ACTOR, 'global', { defaultChatHistory: 0 }), 'INVALID_VALUE');
      const ok = await configurations.update(d.services, SYSTEM_ACTOR, 'global', { defaultChatHistory: 500, roomManagementUrl: 'https://rooms.contoso.com' });
      expect(ok.result).toMatchObject({ defaultChatHistory: 500, roomManagementUrl: 'https://rooms.contoso.com' });
    });

    it('creates site and service scopes only; the most specific applies; removing global resets', async () => {
      await expectAppError(configurations.create(d.services, SYSTEM_ACTOR, 'global', {}), 'SCOPE_NOT_ALLOWED');
      await expectAppError(configurations.create(d.services, SYSTEM_ACTOR, 'service:PersistentChatServer:other.fabrikam.com', {}), 'UNKNOWN_POOL');
      await configurations.create(d.services, SYSTEM_ACTOR, 'site:Redmond', { defaultChatHistory: 40 });
      expect((await configurations.effective(d.store, POOL, 'Redmond')).defaultChatHistory).toBe(40);
      const service = await configurations.create(d.services, SYSTEM_ACTOR, `service:PersistentChatServer:${POOL}`, { defaultChatHistory: 50 });
      expect(service.result.identity).toBe(`Service:PersistentChatServer:${POOL}`);
      expect((await configurations.effective(d.store, POOL, 'Redmond')).defaultChatHistory).toBe(50);
      await expectAppError(configurations.create(d.services, SYSTEM_ACTOR, `service:${POOL}`, {}), 'ALREADY_EXISTS');
      await configurations.remove(d.services, SYSTEM_ACTOR, `service:${POOL}`);
      await configurations.update(d.services, SYSTEM_ACTOR, 'global', { participantUpdateLimit: 10 });
      const reset = await configurations.remove(d.services, SYSTEM_ACTOR, 'global');
      expect(reset.result.participantUpdateLimit).toBe(75);
      await expectAppError(configurations.list(d.services, SYSTEM_ACTOR, 'site:Nowhere'), 'CONFIGURATION_NOT_FOUND');
    });

    it('is administrator-only', async () => {
      const user = await buildUser(d.services);
      await expectAppError(configurations.update(d.services, user.actor, 'global', { defaultChatHistory: 5 }), 'PERMISSION_DENIED');
    });
  });

  describe('compliance configuration', () => {
    it('defaults to the XML adapter every 15 minutes', async () => {
      const [global] = await complianceConfigurations.list(d.services, SYSTEM_ACTOR);
      expect(global).toMatchObject({ adapterType: 'Xml', runInterval: '00:15:00', runIntervalSeconds: 900, oneChatRoomPerOutputFile: false, createFileAttachmentsManifest: false });
    });

    it('accepts RunInterval from 1 minute to 30 days', async () => {
      await expectAppError(complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { runInterval: '00:00:59' }), 'INVALID_VALUE', /1 minute/);
      await expectAppError(complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { runInterval: '30.00:00:01' }), 'INVALID_VALUE');
      await expectAppError(complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { runInterval: 'soon' }), 'INVALID_VALUE');
      expect((await complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { runInterval: '30.00:00:00' })).result.runInterval).toBe('30.00:00:00');
      expect((await complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { runInterval: '00:01:00' })).result.runIntervalSeconds).toBe(60);
      expect((await complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { runInterval: '2h' })).result.runInterval).toBe('02:00:00');
    });

    it('knows its adapters, and checks the XSLT when it is set', async () => {
      const legacy = await complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', {
        adapterType: 'Microsoft.Rtc.Internal.Chat.Server.Compliance.XmlAdapter,compliance',
      });
      expect(legacy.result.adapterType).toBe('Xml');
      expect((await complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { adapterType: '' })).result.adapterType).toBe('');
      await expectAppError(complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { adapterType: 'Csv' }), 'INVALID_VALUE');
      await expectAppError(complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { customConfiguration: '<xsl:stylesheet' }), 'INVALID_VALUE', /not well-formed/);
      await expectAppError(complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { customConfiguration: '<a/>' }), 'INVALID_VALUE', /XSLT stylesheet/);
      const set = await complianceConfigurations.update(d.services, SYSTEM_ACTOR, 'global', { customConfiguration: XSLT, addUserDetails: true });
      expect(set.result).toMatchObject({ customConfiguration: XSLT, addUserDetails: true });
    });
  });

  describe('endpoints', () => {
    it('every pool starts with one endpoint', async () => {
      expect(await listEndpoints(d.services, SYSTEM_ACTOR)).toEqual([
        { identity: `sip:persistentchat@${POOL}`, sipAddress: `sip:persistentchat@${POOL}`, displayName: 'Persistent Chat', persistentChatPoolFqdn: POOL },
      ]);
    });

    it('adds the legacy lookup URI, and refuses bad or taken addresses', async () => {
      const made = await checkCreateEndpoint(d.services, SYSTEM_ACTOR, { sipAddress: 'sip:OCSChat@contoso.com', displayName: 'Group Chat' });
      expect(made.result.sipAddress).toBe('sip:ocschat@contoso.com');
      await expectAppError(checkCreateEndpoint(d.services, SYSTEM_ACTOR, { sipAddress: 'ocschat@contoso.com' }), 'INVALID_VALUE', /must start with 'sip:'/);
      await expectAppError(checkCreateEndpoint(d.services, SYSTEM_ACTOR, { sipAddress: 'sip:ocschat@contoso.com' }), 'ALREADY_EXISTS');
      await expectAppError(checkCreateEndpoint(d.services, SYSTEM_ACTOR, { sipAddress: 'sip:x@contoso.com', poolFqdn: 'other.pool' }), 'UNKNOWN_POOL');
      const user = await buildUser(d.services);
      await expectAppError(checkCreateEndpoint(d.services, SYSTEM_ACTOR, { sipAddress: user.key }), 'NAME_TAKEN');
      await expectAppError(checkAddPrincipal(d.services, SYSTEM_ACTOR, { key: 'sip:ocschat@contoso.com', kind: 'user' }), 'NAME_TAKEN');
      expect((await listEndpoints(d.services, SYSTEM_ACTOR, { filter: '*ocschat*' })).map((e) => e.displayName)).toEqual(['Group Chat']);
      await checkRemoveEndpoint(d.services, SYSTEM_ACTOR, 'group chat');
      await expectAppError(checkRemoveEndpoint(d.services, SYSTEM_ACTOR, 'sip:ocschat@contoso.com'), 'ENDPOINT_NOT_FOUND');
    });
  });

  describe('add-ins', () => {
    it('accepts http(s) URLs up to 255 characters and names up to 50', async () => {
      await expectAppError(checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'x', url: 'javascript:alert(1)' }), 'INVALID_URL');
      await expectAppError(checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'x', url: 'file:///etc/passwd' }), 'INVALID_URL');
      await expectAppError(checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'x', url: `https://a.com/${'p'.repeat(242)}` }), 'INVALID_URL', /255/);
      await expectAppError(checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'n'.repeat(51), url: 'https://a.com' }), 'INVALID_NAME', /limit is 50/);
      await checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'n'.repeat(50), url: `https://a.com/${'p'.repeat(241)}` });
      await checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'Board', url: 'http://board' });
      await expectAppError(checkCreateAddin(d.services, SYSTEM_ACTOR, { name: 'BOARD', url: 'http://board' }), 'NAME_TAKEN');
      const changed = await checkUpdateAddin(d.services, SYSTEM_ACTOR, `${POOL}\\Board`, { url: 'https://board/v2' });
      expect(changed.result).toMatchObject({ identity: `${POOL}\\Board`, url: 'https://board/v2' });
      const user = await buildUser(d.services);
      expect((await listAddins(d.services, user.actor)).map((a) => a.name)).toContain('Board');
      await expectAppError(checkCreateAddin(d.services, user.actor, { name: 'Mine', url: 'https://x' }), 'PERMISSION_DENIED');
    });
  });
});

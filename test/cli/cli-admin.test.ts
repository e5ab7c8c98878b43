/** Administration through the real binary: list edits, what-if, passwords, settings. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type cliFor } from '../harness/cli.js';
import { tempDir } from '../harness/stores.js';
import { engineering, ok, refused } from './shared.js';

beforeAll(async () => {
  assertBuilt();
  await engineering.build();
});

describe('stoa administration', () => {
  let cli: ReturnType<typeof cliFor>;
  beforeEach(() => {
    cli = engineering.copy();
  });

  it('edits lists with add (repeatable), remove, replace and clear', async () => {
    const members = async () => ok(await cli.run(['--json', 'room', 'get', 'Dev'])).json<{ members: string[] }[]>()[0]?.members;
    ok(await cli.run(['room', 'set', 'Dev', '--add-member', 'sip:ben@contoso.com', '--add-member', 'CN=Eng,OU=Groups,DC=contoso,DC=com']));
    expect(await members()).toEqual(['CN=Eng,OU=Groups,DC=contoso,DC=com', 'sip:ana@contoso.com', 'sip:ben@contoso.com']);
    ok(await cli.run(['room', 'set', 'Dev', '--remove-member', 'sip:ana@contoso.com']));
    expect(await members()).toEqual(['CN=Eng,OU=Groups,DC=contoso,DC=com', 'sip:ben@contoso.com']);
    ok(await cli.run(['room', 'set', 'Dev', '--members', 'sip:ana@contoso.com;CN=Eng,OU=Groups,DC=contoso,DC=com']));
    expect(await members()).toEqual(['CN=Eng,OU=Groups,DC=contoso,DC=com', 'sip:ana@contoso.com']);
    ok(await cli.run(['room', 'set', 'Dev', '--clear-members']));
    expect(await members()).toEqual([]);
  });

  it('--what-if prints what would change and changes nothing', async () => {
    const r = ok(await cli.run(['room', 'set', 'pc.contoso.com\\Dev', '--privacy', 'Secret', '--add-manager', 'sip:ben@contoso.com', '--what-if']));
    expect(r.stdout).toBe('What if: would update room pc.contoso.com\\Dev\n    privacy: Closed -> Secret\n    managers: (empty) -> sip:ben@contoso.com\n');
    expect(ok(await cli.run(['--json', 'room', 'get', 'Dev'])).json<{ privacy: string }[]>()[0]?.privacy).toBe('Closed');
    refused(await cli.run(['category', 'remove', 'Engineering', '--what-if']), 'CATEGORY_NOT_EMPTY');
    const create = ok(await cli.run(['--json', 'policy', 'new', 'site:Oslo', '--what-if'])).json<{ whatIf: boolean; changes: unknown[] }>();
    expect(create.whatIf).toBe(true);
    expect(create.changes).toHaveLength(1);
    refused(await cli.run(['policy', 'get', 'site:Oslo']), 'POLICY_NOT_FOUND');
  });

  it('takes a password on stdin and refuses a weak one', async () => {
    refused(await cli.run(['user', 'passwd', 'sip:ana@contoso.com', '--password-stdin'], { input: 'short\n' }), 'INVALID_VALUE', /at least 8/);
    ok(await cli.run(['user', 'passwd', 'sip:ana@contoso.com', '--password-stdin'], { input: 'a much better one\n' }));
    expect(ok(await cli.run(['--json', 'principal', 'get', 'sip:ana@contoso.com'])).json<{ hasPassword: boolean }[]>()[0]?.hasPassword).toBe(true);
    expect((await cli.run(['user', 'passwd', 'sip:ana@contoso.com'])).code).toBe(2);
  });

  it('turns legacy (NTLM) sign-in on with --legacy, keeps it in step, and off with --no-legacy', async () => {
    const legacy = async () => ok(await cli.run(['--json', 'principal', 'get', 'sip:ana@contoso.com'])).json<{ legacySignIn: boolean }[]>()[0]?.legacySignIn;
    const on = ok(await cli.run(['user', 'passwd', 'sip:ana@contoso.com', '--password-stdin', '--legacy'], { input: 'for the old clients too\n' }));
    expect(on.stdout).toMatch(/^LegacySignIn\s*: true$/m);
    expect(await legacy()).toBe(true);
    // A later change without the option keeps legacy sign-in, with the new password.
    expect(ok(await cli.run(['user', 'passwd', 'sip:ana@contoso.com', '--password-stdin'], { input: 'changed again later\n' })).stdout).toMatch(/^LegacySignIn\s*: true$/m);
    expect(await legacy()).toBe(true);
    const what = ok(await cli.run(['user', 'passwd', 'sip:ana@contoso.com', '--password-stdin', '--no-legacy', '--what-if'], { input: 'changed again later\n' }));
    expect(what.stdout).toBe('What if: would set password sip:ana@contoso.com\n    legacySignIn: true -> false\n    note: sessions signed out and API tokens revoked\n');
    expect(await legacy()).toBe(true);
    ok(await cli.run(['user', 'passwd', 'sip:ana@contoso.com', '--password-stdin', '--no-legacy'], { input: 'changed again later\n' }));
    expect(await legacy()).toBe(false);
  });

  it('manages policies, configuration, compliance configuration, endpoints and administrators', async () => {
    ok(await cli.run(['policy', 'new', 'tag:Pilot', '--enable-persistent-chat']));
    ok(await cli.run(['policy', 'grant', 'sip:ben@contoso.com', '--policy-name', 'Pilot']));
    expect(ok(await cli.run(['--json', 'principal', 'get', 'sip:ben@contoso.com'])).json<{ policy: string }[]>()[0]?.policy).toBe('Tag:Pilot');
    refused(await cli.run(['policy', 'remove', 'Pilot']), 'POLICY_IN_USE');
    ok(await cli.run(['policy', 'grant', 'sip:ben@contoso.com', '--unassign']));
    ok(await cli.run(['policy', 'remove', 'Pilot']));
    expect((await cli.run(['policy', 'grant', 'sip:ben@contoso.com'])).code).toBe(2);

    ok(await cli.run(['config', 'set', '--default-chat-history', '50']));
    refused(await cli.run(['config', 'set', '--default-chat-history', '501']), 'INVALID_VALUE', /1 to 500/);
    ok(await cli.run(['config', 'new', 'site:Redmond', '--participant-update-limit', '100']));
    const configs = ok(await cli.run(['--json', 'config', 'get'])).json<{ identity: string; defaultChatHistory: number }[]>();
    expect(configs.map((c) => [c.identity, c.defaultChatHistory])).toEqual([['Global', 50], ['Site:Redmond', 30]]);
    ok(await cli.run(['config', 'remove', 'global']));

    const xslt = path.join(tempDir(), 'custom.xslt');
    fs.writeFileSync(xslt, '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>');
    ok(await cli.run(['compliance-config', 'set', '--run-interval', '00:05:00', '--one-chat-room-per-output-file', '--custom-configuration-file', xslt]));
    const compliance = ok(await cli.run(['--json', 'compliance-config', 'get', 'global'])).json<Record<string, unknown>[]>()[0];
    expect(compliance).toMatchObject({ runInterval: '00:05:00', oneChatRoomPerOutputFile: true, adapterType: 'Xml' });
    refused(await cli.run(['compliance-config', 'set', '--run-interval', '31.00:00:00']), 'INVALID_VALUE');
    expect((await cli.run(['compliance-config', 'set', '--custom-configuration-file', '/nonexistent/x.xslt'])).code).toBe(2);

    ok(await cli.run(['endpoint', 'new', '--sip-address', 'sip:ocschat@contoso.com', '--display-name', 'Group Chat']));
    expect(ok(await cli.run(['--json', 'endpoint', 'get'])).json<{ sipAddress: string }[]>().map((e) => e.sipAddress)).toEqual([
      'sip:ocschat@contoso.com',
      'sip:persistentchat@pc.contoso.com',
    ]);

    ok(await cli.run(['admin', 'grant', 'CN=Eng,OU=Groups,DC=contoso,DC=com']));
    expect(ok(await cli.run(['--json', 'admin', 'get'])).json<{ key: string }[]>().map((a) => a.key)).toEqual(['CN=Eng,OU=Groups,DC=contoso,DC=com']);
    ok(await cli.run(['admin', 'revoke', 'CN=Eng,OU=Groups,DC=contoso,DC=com']));
  });

  it('writes compliance output on demand and reports where it stands', async () => {
    const before = ok(await cli.run(['--json', 'compliance', 'status'])).json<{ pendingEvents: number; adapterType: string; outputDirectory: string; lastRun: string | null }>();
    // Building the deployment was captured (CHANGE events), nothing written yet.
    expect(before.pendingEvents).toBeGreaterThan(0);
    expect(before).toMatchObject({ adapterType: 'Xml', outputDirectory: path.join(cli.dataDir, 'compliance'), lastRun: null });
    const text = ok(await cli.run(['compliance', 'status'])).stdout;
    expect(text).toMatch(new RegExp(`^PendingEvents +: ${before.pendingEvents}$`, 'm'));

    const run = ok(await cli.run(['compliance', 'run'])).stdout;
    const stoaXml = fs.readdirSync(path.join(cli.dataDir, 'compliance'));
    // Only administrative changes so far: they go to the extension file of the batch.
    expect(stoaXml).toEqual([expect.stringMatching(/^\d{8}T\d{6}Z-1\.stoa\.xml$/)]);
    expect(run).toBe(`${before.pendingEvents} event(s) in 1 batch(es), 1 file(s)\n  ${path.join(cli.dataDir, 'compliance', stoaXml[0] as string)}\n`);

    const after = ok(await cli.run(['--json', 'compliance', 'status'])).json<{ pendingEvents: number; lastRun: string | null; recentBatches: { files: string[] }[] }>();
    expect(after.pendingEvents).toBe(0);
    expect(after.lastRun).not.toBeNull();
    expect(after.recentBatches).toHaveLength(1);
    expect(fs.readdirSync(path.join(cli.dataDir, 'compliance'))).toEqual(after.recentBatches[0]?.files);
    expect(ok(await cli.run(['compliance', 'run'])).stdout).toBe('0 event(s) in 0 batch(es), 0 file(s)\n');
  });

  it('lists eligible principals with groups expanded', async () => {
    ok(await cli.run(['category', 'set', 'Engineering', '--allowed-members', 'CN=Eng,OU=Groups,DC=contoso,DC=com']));
    const eligible = ok(await cli.run(['--json', 'principal', 'eligible', '--category', 'Engineering'])).json<{ key: string }[]>();
    expect(eligible.map((p) => p.key)).toEqual(['CN=Eng,OU=Groups,DC=contoso,DC=com', 'sip:ana@contoso.com']);
    const users = ok(await cli.run(['--json', 'principal', 'eligible', '--room', 'Dev', '--filter', 'ana*'])).json<{ key: string }[]>();
    expect(users.map((p) => p.key)).toEqual(['sip:ana@contoso.com']);
  });
});

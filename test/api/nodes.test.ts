/**
 * The nodes of a deployment (`stoa pool node get`, the legacy tblServerIdentity): a
 * running server beats with its name, version, address and connections; names are unique
 * among running nodes; a node that stopped beating is listed as not responding.
 */
import os from 'node:os';
import { expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useServer } from '../harness/server.js';
import { expectAppError } from '../harness/expect-error.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkNodeName, listNodes, NODE_SILENT_MS } from '../../src/actions/nodes.js';
import { VERSION } from '../../src/version.js';
import type { ServerInstanceRecord } from '../../src/store/types.js';

describeEachStore('nodes', (kind) => {
  const t = useServer(kind, { nodeName: 'alpha' });

  const other = (fields: Partial<ServerInstanceRecord>): ServerInstanceRecord => {
    const now = t.services.clock();
    return { id: `other-${Math.random()}`, name: 'beta', host: 'chat2.contoso.com', pid: 4242, version: VERSION, address: 'http://10.0.0.2:8080', connections: 7, startedAt: now - 60_000, heartbeatAt: now, ...fields };
  };
  const beat = (node: ServerInstanceRecord) => t.services.store.transaction((tx) => tx.compliance.heartbeat(node));

  it('lists the running server with its name, version, address and connections', async () => {
    const [alice, bob] = [await t.user(), await t.user()];
    const sockets = [await alice.ws(), await bob.ws(), await bob.ws()];
    // The count is the one of the last heartbeat: beat now rather than wait for the timer.
    await t.server.runtime.compliance.tick();
    const nodes = await listNodes(t.services, SYSTEM_ACTOR);
    expect(nodes).toEqual([
      expect.objectContaining({ name: 'alpha', state: 'Running', version: VERSION, address: t.url, connections: 3, host: os.hostname(), pid: process.pid }),
    ]);
    expect(Date.parse(nodes[0]!.lastHeartbeat)).toBeGreaterThanOrEqual(Date.parse(nodes[0]!.started));
    for (const ws of sockets) ws.close();
    // Administrators only.
    await expectAppError(listNodes(t.services, { kind: 'user', principalId: alice.id }), 'PERMISSION_DENIED');
  });

  it('tells running nodes from silent ones, and finds one by name in any case', async () => {
    const beta = other({ name: 'beta' });
    const gamma = other({ name: 'gamma', heartbeatAt: t.services.clock() - NODE_SILENT_MS - 1_000, connections: 0 });
    await beat(beta);
    await beat(gamma);
    const nodes = await listNodes(t.services, SYSTEM_ACTOR);
    expect(nodes.map((n) => [n.name, n.state])).toEqual([
      ['alpha', 'Running'],
      ['beta', 'Running'],
      ['gamma', 'NotResponding'],
    ]);
    expect(await listNodes(t.services, SYSTEM_ACTOR, 'BETA')).toEqual([expect.objectContaining({ name: 'beta', address: 'http://10.0.0.2:8080', connections: 7, host: 'chat2.contoso.com' })]);
    await expectAppError(listNodes(t.services, SYSTEM_ACTOR, 'delta'), 'NODE_NOT_FOUND', /no running node is named 'delta'/);
    // Not a node name at all (control characters, escapes, too long): refused without being echoed.
    for (const bad of ['be\nta', '\u001b[31mbeta', 'x'.repeat(64), '', '../beta']) {
      await expectAppError(listNodes(t.services, SYSTEM_ACTOR, bad), 'INVALID_IDENTITY', /^a node name is 1-63 letters/);
    }
    // A later heartbeat updates what the listing shows.
    await beat({ ...beta, connections: 9, address: 'http://10.0.0.2:9090', heartbeatAt: t.services.clock() });
    expect(await listNodes(t.services, SYSTEM_ACTOR, 'beta')).toEqual([expect.objectContaining({ connections: 9, address: 'http://10.0.0.2:9090' })]);
    await t.services.store.transaction((tx) => tx.compliance.removeInstance(beta.id));
    await t.services.store.transaction((tx) => tx.compliance.removeInstance(gamma.id));
  });

  it('refuses a name a running node has, and frees the names of silent and dead nodes', async () => {
    const running = other({ name: 'delta' });
    await beat(running);
    await expectAppError(checkNodeName(t.services, 'Delta'), 'NAME_TAKEN', /'Delta' is in use by a running node \(host chat2\.contoso\.com, pid 4242/);
    // The node's own name is not taken from itself (a second process is: test/cli/serve.test.ts).
    await checkNodeName(t.services, 'alpha');
    await checkNodeName(t.services, 'epsilon');
    // Stopped beating three heartbeats ago: the name is free.
    await beat({ ...running, heartbeatAt: t.services.clock() - NODE_SILENT_MS - 1_000 });
    await checkNodeName(t.services, 'delta');
    // A process of this host that is gone (killed) frees its name at once, whatever its last beat.
    const dead = other({ name: 'zeta', host: os.hostname(), pid: 2 ** 22 + 17 });
    await beat(dead);
    await checkNodeName(t.services, 'zeta');
    for (const id of [running.id, dead.id]) await t.services.store.transaction((tx) => tx.compliance.removeInstance(id));
  });
});

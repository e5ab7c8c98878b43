/**
 * A post is acknowledged only once it is committed: kill the server with SIGKILL while
 * clients post, restart it, and every acknowledged message is there, in order. Reads are
 * recorded by group commit, and a read is answered only once its record committed: every
 * search answered before the kill is in the compliance output.
 */
import path from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { assertBuilt, cliFor, expectOk } from '../harness/cli.js';
import { killAllServers, serve } from '../harness/serve-process.js';
import { postgresDatabaseUrl, tempDir } from '../harness/stores.js';
import { Api, WsClient } from '../harness/server.js';
import { listOutput, readStoaEvents, readXmlMessages } from '../harness/compliance-output.js';

beforeAll(() => assertBuilt());
afterEach(() => killAllServers());

const PASSWORD = 'durable password 1';
const USERS = ['sip:d1@contoso.com', 'sip:d2@contoso.com', 'sip:d3@contoso.com', 'sip:d4@contoso.com'];

describeEachStore('durability', (kind) => {
  it('keeps every acknowledged post across SIGKILL, in order', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const database = kind.dialect === 'postgres' ? ['--database-url', await postgresDatabaseUrl()] : [];
    const cli = cliFor(dataDir, ['--pool-fqdn', 'pc.contoso.com', ...database]);
    expectOk(await cli.run(['principal', 'add', 'contoso.com', '--kind', 'domain']));
    for (const user of USERS) {
      expectOk(await cli.run(['principal', 'add', user, '--kind', 'user']));
      expectOk(await cli.run(['user', 'passwd', user, '--password-stdin'], { input: PASSWORD }));
    }
    expectOk(await cli.run(['category', 'new', '--name', 'Ops', '--allowed-members', 'contoso.com']));
    expectOk(await cli.run(['room', 'new', '--name', 'Durable', '--category', 'Ops', '--privacy', 'Open']));

    const args = ['--data-dir', dataDir, ...database];
    const first = await serve(args);
    const tokens = await Promise.all(USERS.map(async (user) => (await new Api(first.url).post('/api/v1/auth/sign-in', { user, password: PASSWORD })).body.token as string));
    const [room] = (await new Api(first.url, tokens[0]).get('/api/v1/rooms?q=Durable')).body;
    const acked: { text: string; chatId: number; client: number }[] = [];
    let stop = false;
    // Half the clients post over WebSocket, half over HTTP; each waits for its acknowledgement.
    const posters = tokens.map(async (token, client) => {
      const ws = client % 2 === 0 ? await WsClient.connect(first.url, token) : undefined;
      const api = new Api(first.url, token);
      for (let i = 0; !stop; i++) {
        const text = `c${client}-${i}`;
        try {
          if (ws !== undefined) {
            const reply = await ws.call({ type: 'post', room: room.id, text });
            if (reply.ok === true) acked.push({ text, chatId: reply.result.message.chatId, client });
          } else {
            const r = await api.post(`/api/v1/rooms/${room.id}/messages`, { text });
            if (r.status === 201) acked.push({ text, chatId: r.body.chatId, client });
          }
        } catch {
          return; // the server is gone: this post was never acknowledged
        }
      }
    });
    // Two readers search back to back, each search a query of its own.
    const answered: string[] = [];
    const readers = tokens.slice(0, 2).map(async (token, reader) => {
      const api = new Api(first.url, token);
      for (let i = 0; !stop; i++) {
        const q = `probe${reader}x${i}`;
        try {
          if ((await api.get(`/api/v1/search?q=${q}`)).status === 200) answered.push(q);
        } catch {
          return; // the server is gone: this search was never answered
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all([...posters, ...readers]);
    expect(answered.length).toBeGreaterThan(5);
    expect(acked.length).toBeGreaterThan(20);

    const second = await serve(args);
    const api = new Api(second.url, (await new Api(second.url).post('/api/v1/auth/sign-in', { user: USERS[0], password: PASSWORD })).body.token);
    const history: { text: string; chatId: number }[] = [];
    for (let after = 0; ; ) {
      const page = (await api.get(`/api/v1/rooms/${room.id}/messages?after=${after}&limit=200`)).body;
      history.push(...page.messages);
      if (!page.more) break;
      after = page.messages.at(-1).chatId;
    }
    console.log(`durability [${kind.dialect}]: ${acked.length} posts acknowledged before SIGKILL, ${history.length} found after restart`);
    const byChatId = new Map(history.map((m) => [m.chatId, m.text]));
    for (const a of acked) expect(byChatId.get(a.chatId)).toBe(a.text);
    // Order: chat ids strictly increase, and each client's posts appear in the order it sent them.
    expect(history.map((m) => m.chatId)).toEqual(history.map((m) => m.chatId).sort((x, y) => x - y));
    for (let client = 0; client < USERS.length; client++) {
      const seen = history.filter((m) => m.text.startsWith(`c${client}-`)).map((m) => Number(m.text.split('-')[1]));
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
    }

    // Compliance (D2): every acknowledged post is in the output exactly once. The CLI
    // asks the running server to write everything pending now.
    expectOk(await cli.run(['compliance', 'run']));
    const chats = readXmlMessages(listOutput(path.join(dataDir, 'compliance'))).filter((m) => m.type === 'CHAT');
    const counts = new Map<string, number>();
    for (const m of chats) counts.set(m.content, (counts.get(m.content) ?? 0) + 1);
    for (const a of acked) expect(counts.get(a.text), a.text).toBe(1);
    // Nothing is in the output that was not committed (everything there is in the history).
    const committed = new Set(history.map((m) => m.text));
    for (const m of chats) expect(committed.has(m.content), m.content).toBe(true);
    console.log(`durability [${kind.dialect}]: ${chats.length} CHAT events in compliance output, each acknowledged post once`);
    // Every answered search is recorded exactly once (group commit: answered after commit).
    const searches = new Map<string, number>();
    for (const e of readStoaEvents(listOutput(path.join(dataDir, 'compliance'))).filter((e) => e.type === 'SEARCH')) {
      searches.set(e.content, (searches.get(e.content) ?? 0) + 1);
    }
    for (const q of answered) expect(searches.get(q), q).toBe(1);
    console.log(`durability [${kind.dialect}]: ${answered.length} searches answered before SIGKILL, each in the compliance output once`);
  });
});

/**
 * Test-CsPersistentChatMessage: signs two users in on the running server, joins both to a
 * room they may post in, exchanges two messages over WebSocket, leaves and signs out, and
 * removes the two messages from the room again. Fails when no such room exists or a user
 * may not use the service.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { AppError } from '../domain/errors.js';
import { normaliseSipUri } from '../domain/principals.js';
import { canPost } from '../domain/permissions.js';
import { endSessions, openSystemSessions } from '../actions/auth.js';
import { loadActorFacts } from '../access/actor.js';
import { accessibleRooms } from '../access/room-sets.js';
import { loadRooms } from '../access/rooms.js';
import { nameKey } from '../domain/names.js';
import { parseIdentity } from '../domain/identity.js';
import { readControlFile } from '../main.js';
import { checkRemoveMessages } from '../actions/content.js';
import { formatIdentity } from '../domain/identity.js';
import type { CliContext } from './context.js';

export interface TestStep {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface TestResult {
  ok: boolean;
  room: string | null;
  steps: TestStep[];
}

type Frame = { type: string; id?: unknown; ok?: boolean; result?: unknown; error?: { message: string }; message?: { text: string } };

class TestClient {
  private readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse((data as Buffer).toString('utf8')) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(url: string, token: string, timeoutMs: number): Promise<TestClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
    const client = new TestClient(ws);
    await client.waitFor((f) => f.type === 'ready', timeoutMs);
    return client;
  }

  async waitFor(match: (f: Frame) => boolean, timeoutMs: number): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) throw new Error('timed out waiting for the server');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async call(command: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ ...command, id }));
    const reply = await this.waitFor((f) => f.type === 'reply' && f.id === id, timeoutMs);
    if (reply.ok !== true) throw new Error(reply.error?.message ?? 'refused');
    return reply.result;
  }

  close(): void {
    this.ws.close();
  }
}

export async function runMessageTest(
  ctx: CliContext,
  options: { sender: string; receiver: string; room?: string; timeoutMs: number },
): Promise<TestResult> {
  const { store } = ctx.services;
  const server = readControlFile(ctx.runtime.dataDir);
  if (server === undefined) throw new AppError('SERVER_NOT_RUNNING', `no server is running on ${ctx.runtime.dataDir}: start it with stoa serve`);
  const users = [];
  for (const raw of [options.sender, options.receiver]) {
    const user = await store.principals.getByKey(normaliseSipUri(raw));
    if (user === undefined || user.kind !== 'user') throw new AppError('PRINCIPAL_NOT_FOUND', `there is no user '${raw}'`);
    users.push(user);
  }
  const [sender, receiver] = users as [(typeof users)[number], (typeof users)[number]];
  const steps: TestStep[] = [];
  const step = (name: string, ok: boolean, detail?: string) => steps.push({ name, ok, ...(detail === undefined ? {} : { detail }) });

  const facts = await Promise.all(users.map((u) => loadActorFacts(store, { kind: 'user', principalId: u.id })));
  let candidates = await accessibleRooms(store, facts[0]!, 'join');
  if (options.room !== undefined) {
    const key = nameKey(parseIdentity(options.room, ctx.services.poolFqdn));
    candidates = candidates.filter((r) => r.nameKey === key);
  }
  const room = (await loadRooms(store, candidates)).find((l) => facts.every((f) => canPost(f, l.facts)));
  if (room === undefined) {
    step('find a room both users may post in', false, options.room === undefined ? 'no such room' : `neither may post in '${options.room}'`);
    return { ok: false, room: null, steps };
  }
  step('find a room both users may post in', true, room.room.name);

  const tokens = await openSystemSessions(ctx.services, ctx.actor, users.map((u) => u.id), 'message test', 10 * 60_000);
  const clients: TestClient[] = [];
  const posted: { text: string; author: string; at: number }[] = [];
  try {
    for (const [i, user] of users.entries()) {
      clients.push(await TestClient.connect(server.url, tokens[i]!, options.timeoutMs));
      step(`sign in ${user.key}`, true);
    }
    const [a, b] = clients as [TestClient, TestClient];
    for (const [i, c] of clients.entries()) {
      await c.call({ type: 'join', room: room.room.guid }, options.timeoutMs);
      step(`${users[i]!.key} joins`, true);
    }
    for (const [from, to, who] of [[a, b, sender], [b, a, receiver]] as const) {
      const text = `Stoa test message ${randomUUID()}`;
      const at = Date.now();
      await from.call({ type: 'post', room: room.room.guid, text }, options.timeoutMs);
      posted.push({ text, author: who.key, at });
      await to.waitFor((f) => f.type === 'message' && f.message?.text === text, options.timeoutMs);
      step(`message from ${who.key} delivered`, true);
    }
    for (const c of clients) await c.call({ type: 'part', room: room.room.guid }, options.timeoutMs);
    step('both leave', true);
  } catch (err) {
    step('exchange messages', false, err instanceof Error ? err.message : String(err));
  } finally {
    for (const c of clients) c.close();
    await endSessions(ctx.services, tokens);
    step('sign out', true);
    // The test's messages leave the room they were posted in (users should not find them
    // there); like any removal, the compliance record keeps both the posts and their purge.
    try {
      let removed = 0;
      for (const m of posted) {
        const outcome = await checkRemoveMessages(ctx.services, ctx.actor, formatIdentity(ctx.services.poolFqdn, room.room.name), {
          remove: true,
          userUri: m.author,
          startDate: m.at - 60_000,
          endDate: Date.now() + 60_000,
          filter: m.text,
          matchClause: 'Exact',
          caseSensitive: true,
        });
        removed += outcome.result.count;
      }
      if (posted.length > 0) step('remove the test messages', removed === posted.length, `${removed} of ${posted.length}`);
    } catch (err) {
      step('remove the test messages', false, err instanceof Error ? err.message : String(err));
    }
  }
  return { ok: steps.every((s) => s.ok), room: room.room.name, steps };
}

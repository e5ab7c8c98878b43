/**
 * Reads compliance output back for assertions: the XML of 01 §5.4 (and the .stoa.xml
 * companion), JSON Lines and .ATTACH manifests, with xmllint validation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { XMLParser } from 'fast-xml-parser';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Services } from '../../src/actions/context.js';
import type { Database } from '../../src/store/schema.js';
import type { ComplianceEventRecord } from '../../src/store/types.js';

export const hasTool = (tool: string): boolean => spawnSync(tool, ['--version']).error === undefined;

export const SCHEMAS = {
  legacy: path.resolve('docs/compliance/legacy-conversations.xsd'),
  stoa: path.resolve('docs/compliance/stoa-conversations.xsd'),
  events: path.resolve('docs/compliance/stoa-events.xsd'),
};

/** xmllint --schema on each file; returns its complaints (empty: all valid). */
export function xmllintErrors(schema: string, files: readonly string[]): string {
  if (files.length === 0) return '';
  const r = spawnSync('xmllint', ['--noout', '--schema', schema, ...files], { encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr;
}

export interface XmlMessage {
  element: 'FirstMessage' | 'Message';
  channel: string;
  islogged: string;
  type: string;
  content: string;
  id: number;
  sender: Record<string, string> | undefined;
  time: { since1970: string; string: string; long: string };
  file: string;
}

export interface StoaEvent {
  id: number;
  type: string;
  by?: string;
  actor?: Record<string, string>;
  room?: Record<string, string>;
  content: string;
  details: unknown;
  file: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
  isArray: (name) => ['Conversation', 'Message', 'Event'].includes(name),
});

export function listOutput(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
}

/** Every Message (not FirstMessage, which repeats the first) of the .xml files. */
export function readXmlMessages(files: readonly string[]): XmlMessage[] {
  const out: XmlMessage[] = [];
  for (const file of files.filter((f) => f.endsWith('.xml') && !f.endsWith('.stoa.xml'))) {
    const doc = parser.parse(fs.readFileSync(file, 'utf8')) as { Conversations: { Conversation?: Record<string, any>[] } };
    for (const conv of doc.Conversations.Conversation ?? []) {
      for (const m of (conv.Messages?.Message ?? []) as Record<string, any>[]) {
        out.push({
          element: 'Message',
          channel: conv.Channel.uri,
          islogged: conv.Channel.islogged,
          type: m.type,
          content: m.content,
          id: Number(m.id),
          sender: m.Sender,
          time: m.DateTimeUTC,
          file,
        });
      }
    }
  }
  return out;
}

export function readStoaEvents(files: readonly string[]): StoaEvent[] {
  const out: StoaEvent[] = [];
  for (const file of files.filter((f) => f.endsWith('.stoa.xml'))) {
    const doc = parser.parse(fs.readFileSync(file, 'utf8')) as { StoaEvents: { Event?: Record<string, any>[] } };
    for (const e of doc.StoaEvents.Event ?? []) {
      out.push({
        id: Number(e.id),
        type: e.type,
        by: e.by,
        actor: e.Actor,
        room: e.Room,
        content: typeof e.Content === 'string' ? e.Content : '',
        details: e.Details === undefined ? null : JSON.parse(e.Details),
        file,
      });
    }
  }
  return out;
}

export function readJsonLines(files: readonly string[], suffix = '.jsonl'): any[] {
  return files
    .filter((f) => f.endsWith(suffix))
    .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => ({ ...JSON.parse(l), file: f })));
}

/** Everything captured and not yet written, oldest first (as the output orders it). */
export async function pendingEvents(s: Services): Promise<ComplianceEventRecord[]> {
  const out: ComplianceEventRecord[] = [];
  const batch = await s.store.transaction((tx) => tx.compliance.claimBatch({ holder: 'peek', claimedAt: 0, settings: '{}' }, { events: 100_000, textUnits: 2 ** 30 }));
  if (batch === undefined) return out;
  for (let after = 0; ; ) {
    const page = await s.store.compliance.batchEvents(batch.lastEventId, after, 700);
    out.push(...page);
    if (page.length < 700) break;
    after = (page.at(-1) as ComplianceEventRecord).id;
  }
  expect(out).toHaveLength(batch.eventCount);
  expect(out[0]?.id).toBe(batch.firstEventId);
  expect(out.map((e) => e.id)).toEqual(out.map((e) => e.id).sort((a, b) => a - b));
  // Give the events back: the test only looked (a batch is its range; its events carry no mark).
  await s.store.transaction(async (tx) => {
    const { db } = tx as unknown as { db: Kysely<Database> };
    await db.deleteFrom('complianceBatches').where('id', '=', batch.id).execute();
  });
  // In the order compliance output has them: by time, then id (on SQLite a read's record
  // takes its id when the claim moves it out of its log: store/read-log.ts).
  return out.sort((a, b) => a.at - b.at || a.id - b.id);
}

/**
 * Waits for the clock to move on. Compliance output orders records by time, then id, and a
 * read's record takes its id after events captured later (store/read-log.ts): a test that
 * asserts a write's place after a read makes sure they are not stamped in one millisecond.
 */
export async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() <= now) await new Promise((resolve) => setTimeout(resolve, 1));
}

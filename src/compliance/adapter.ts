/**
 * The adapter contract (01 §5.3, D2), Stoa's form of IComplianceAdapter: the worker hands
 * an adapter one claimed batch at a time, and the adapter writes it through an
 * OutputDirectory whose files appear atomically. A batch may be handed over again after a
 * crash — with the same id, events, time and settings — so an adapter that names its
 * files from the batch (as the built-in ones do) writes every event exactly once.
 * docs/compliance.md documents this for custom adapter modules.
 */
import type { ComplianceTime } from '../domain/compliance.js';
import type { ComplianceConfiguration } from '../domain/settings.js';

export interface ComplianceUser {
  id: number;
  /** SIP URI without the `sip:` prefix, as the legacy output writes it. */
  uri: string;
  displayName: string | null;
  email: string | null;
  /** False for federated users. */
  internal: boolean;
  kind: string | null;
  distinguishedName: string | null;
  deleted: boolean;
}

export interface ComplianceRoom {
  id: number;
  /** `ma-chan://<pool>/<room id>` */
  uri: string;
  /** Null when the room no longer exists. */
  name: string | null;
  category: string | null;
  privacy: string | null;
  type: string | null;
  disabled: boolean | null;
  description: string | null;
  /** The category keeps chat history for users (the legacy `islogged`). */
  chatHistory: boolean | null;
}

export interface ComplianceEvent {
  id: number;
  type: string;
  time: ComplianceTime;
  actor: ComplianceUser | null;
  room: ComplianceRoom | null;
  messageId: number | null;
  content: string;
  details: Record<string, unknown> | null;
}

export interface ComplianceBatch {
  id: number;
  /** When the batch was claimed: the time in its file names. */
  claimedAt: number;
  eventCount: number;
  firstEventId: number;
  lastEventId: number;
  /** The events ordered by room (events without a room first), then by time, then by id. */
  events(): AsyncIterable<ComplianceEvent>;
  /** The same events in the same order, a run at a time: one await per run rather than per event. */
  runs(): AsyncIterable<readonly ComplianceEvent[]>;
}

/** Files written here appear whole or not at all (temp file, fsync, rename). */
export interface OutputDirectory {
  readonly path: string;
  create(name: string): Promise<OutputFile>;
}

export interface OutputFile {
  readonly name: string;
  /** Appends the texts in order (several small pieces cost less than one string built from them). */
  write(...texts: string[]): Promise<void>;
  /** Makes the file visible under its name; replaces a file of the same name. */
  commit(): Promise<void>;
  /** Finishes writing without publishing: the bytes stay at tempPath (for a transform). */
  seal(): Promise<void>;
  /** Drops the temporary file. */
  abort(): Promise<void>;
  /** Where the bytes are until commit (for tools such as xsltproc). */
  readonly tempPath: string;
}

export interface ComplianceAdapter {
  /** Writes the batch; rejecting keeps the batch for the next run. */
  translate(batch: ComplianceBatch, output: OutputDirectory): Promise<void>;
}

/** What a custom adapter module exports (`export function createAdapter(...)`). */
export type CreateAdapter = (settings: ComplianceConfiguration) => ComplianceAdapter | Promise<ComplianceAdapter>;

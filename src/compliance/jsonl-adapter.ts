/**
 * The JSON Lines adapter: every event of the batch — the legacy activities and Stoa's
 * extensions alike — as one JSON object per line, text kept exactly. One file per batch,
 * or one per room with OneChatRoomPerOutputFile (events without a room then go to
 * `<base>.jsonl`). `.ATTACH` as for XML.
 */
import type { ComplianceConfiguration } from '../domain/settings.js';
import type { ComplianceAdapter, ComplianceBatch, OutputDirectory } from './adapter.js';
import { attachLine, baseName, BatchFiles, FILE_EVENTS } from './files.js';

export class JsonLinesAdapter implements ComplianceAdapter {
  constructor(private readonly settings: ComplianceConfiguration) {}

  async translate(batch: ComplianceBatch, output: OutputDirectory): Promise<void> {
    const files = new BatchFiles(output);
    const base = baseName(batch);
    let current: { room: string; file: string } | undefined;
    try {
      for await (const run of batch.runs()) {
        for (const e of run) {
          if (this.settings.createFileAttachmentsManifest && FILE_EVENTS.has(e.type)) {
            await (await files.get(`${base}.ATTACH`)).write(attachLine(e));
          }
          // Per room, events without a room (administrative changes, searches) go to `<base>.pool.jsonl`.
          let file = this.settings.oneChatRoomPerOutputFile ? `${base}.pool.jsonl` : `${base}.jsonl`;
          if (this.settings.oneChatRoomPerOutputFile && e.room !== null) {
            if (current?.room !== e.room.uri) {
              if (current !== undefined) await files.commit(current.file);
              current = { room: e.room.uri, file: `${baseName(batch, e.id)}.jsonl` };
            }
            file = current.file;
          }
          await (await files.get(file)).write(`${JSON.stringify(e)}\n`);
        }
      }
      if (current !== undefined) await files.commit(current.file);
      await files.commit(`${base}.jsonl`);
      await files.commit(`${base}.pool.jsonl`);
      await files.commit(`${base}.ATTACH`);
    } catch (err) {
      await files.abortAll();
      throw err;
    }
  }
}

/**
 * Uploaded files on disk: outside any web root, under the data dir, owner-only, named by
 * the server's id for them (never a client-chosen path), written to a temporary name and
 * renamed once complete, with size and sha256 computed while streaming.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../domain/errors.js';

export interface StoredBlob {
  sizeBytes: number;
  sha256: string;
}

/** File systems that cannot enforce owner-only permissions (statfs magic numbers). */
const NO_PERMISSIONS: Record<number, string> = { 0x4d44: 'vfat/FAT', 0x2011bab0: 'exFAT' };

export class BlobStore {
  constructor(readonly root: string) {}

  /** Creates the store (0700) and refuses a file system that cannot keep it private. */
  static open(root: string): BlobStore {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    fs.chmodSync(root, 0o700);
    const kind = NO_PERMISSIONS[Number(fs.statfsSync(root).type)];
    if (kind !== undefined) {
      throw new Error(`the file store ${root} is on a ${kind} file system, which cannot enforce owner-only permissions; put the data dir on another file system`);
    }
    return new BlobStore(root);
  }

  pathOf(guid: string): string {
    if (!/^[0-9a-f-]{36}$/.test(guid)) throw new Error(`not a file id: ${guid}`);
    return path.join(this.root, guid.slice(0, 2), guid);
  }

  /**
   * Streams `input` into the store under `guid`. Refuses (and leaves nothing behind) when
   * more than `maxBytes` arrive.
   */
  async write(guid: string, input: Readable, maxBytes: number): Promise<StoredBlob> {
    const final = this.pathOf(guid);
    fs.mkdirSync(path.dirname(final), { recursive: true, mode: 0o700 });
    const temp = `${final}.${randomUUID()}.part`;
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new AppError('FILE_TOO_LARGE', `the file is larger than the ${maxBytes} bytes announced or allowed`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // Opened before streaming starts: a stream destroyed while still opening its file
    // would create it after the cleanup below had run. Late writes of a failed transfer
    // land in the unlinked file, never under a name.
    const output = fs.createWriteStream(temp, { fd: fs.openSync(temp, 'wx', 0o600) });
    try {
      await pipeline(input, meter, output);
      const check = fs.openSync(temp, 'r');
      try {
        fs.fsyncSync(check);
      } finally {
        fs.closeSync(check);
      }
      fs.renameSync(temp, final);
    } catch (err) {
      fs.rmSync(temp, { force: true });
      throw err;
    }
    return { sizeBytes: size, sha256: hash.digest('hex') };
  }

  remove(guid: string): void {
    fs.rmSync(this.pathOf(guid), { force: true });
  }

  open(guid: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(guid));
  }
}

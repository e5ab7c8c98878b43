/**
 * Where uploaded files live. DirectoryBlobStore keeps them in a directory: by default
 * `<data dir>/files`; in a pool, a directory every node mounts (`fileStore`, the legacy
 * file share), so a file uploaded through one node downloads through any other. Files
 * are outside any web root, owner-only, named by the server's id for them (never a
 * client-chosen path), written to a temporary name and renamed once complete, with size
 * and sha256 computed while streaming.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../domain/errors.js';
import { syncPath } from './sync.js';

export interface StoredBlob {
  sizeBytes: number;
  sha256: string;
}

/** File systems that cannot enforce owner-only permissions (statfs magic numbers). */
const NO_PERMISSIONS: Record<number, string> = { 0x4d44: 'vfat/FAT', 0x2011bab0: 'exFAT' };

export interface BlobStore {
  /**
   * Streams `input` into the store under `guid`. Refuses (and leaves nothing behind) when
   * more than `maxBytes` arrive.
   */
  write(guid: string, input: Readable, maxBytes: number, options?: WriteOptions): Promise<StoredBlob>;
  /** Makes durable the names of the files written with `deferNameSync` (their folders synced once each, together). */
  syncNames(): Promise<void>;
  /** Removes a file (none there: nothing to do). */
  remove(guid: string): void;
  /** Reads a file (a missing one fails the stream with ENOENT). */
  open(guid: string): Readable;
}

export interface WriteOptions {
  /**
   * The file's bytes are on disk when write returns, its name only after syncNames (a bulk
   * load of many files syncs each folder once, before the rows that refer to them commit).
   */
  deferNameSync?: boolean;
}

/** The deployment a file store belongs to (its marker file). */
export interface StoreOwner {
  poolFqdn: string;
  createdAt: number;
}

/** Names the deployment a file store belongs to, so no node of another one writes into it. */
export const OWNER_FILE = 'stoa-file-store.json';

export class DirectoryBlobStore implements BlobStore {
  /** Folders holding names written with deferNameSync, not yet synced. */
  private readonly unsynced = new Set<string>();

  constructor(readonly root: string) {}

  /**
   * Creates the store (0700), refuses a file system that cannot keep it private, and one
   * that belongs to another deployment (a pool's nodes pointed at different shares, or a
   * share reused): its marker names the deployment that first opened it.
   */
  static open(root: string, owner?: StoreOwner): DirectoryBlobStore {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    fs.chmodSync(root, 0o700);
    const kind = NO_PERMISSIONS[Number(fs.statfsSync(root).type)];
    if (kind !== undefined) {
      throw new Error(`the file store ${root} is on a ${kind} file system, which cannot enforce owner-only permissions; put it on another file system`);
    }
    if (owner !== undefined) claim(root, owner);
    return new DirectoryBlobStore(root);
  }

  pathOf(guid: string): string {
    if (!/^[0-9a-f-]{36}$/.test(guid)) throw new Error(`not a file id: ${guid}`);
    return path.join(this.root, guid.slice(0, 2), guid);
  }

  async write(guid: string, input: Readable, maxBytes: number, options: WriteOptions = {}): Promise<StoredBlob> {
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
      // The syncs run on libuv's threads: a node's event loop (every other client) does
      // not wait for the disk while a file is stored, and an import overlaps several.
      await syncPath(temp);
      await fs.promises.rename(temp, final);
    } catch (err) {
      fs.rmSync(temp, { force: true });
      throw err;
    }
    // The new name, too, is on disk before a row can refer to it.
    if (options.deferNameSync === true) this.unsynced.add(path.dirname(final));
    else await syncPath(path.dirname(final));
    return { sizeBytes: size, sha256: hash.digest('hex') };
  }

  async syncNames(): Promise<void> {
    const folders = [...this.unsynced];
    this.unsynced.clear();
    try {
      await Promise.all(folders.map(syncPath));
    } catch (err) {
      for (const folder of folders) this.unsynced.add(folder);
      throw err;
    }
  }

  remove(guid: string): void {
    fs.rmSync(this.pathOf(guid), { force: true });
  }

  open(guid: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(guid));
  }
}

/** Writes the owner marker, or checks the one there (written once, by whichever node came first). */
function claim(root: string, owner: StoreOwner): void {
  const file = path.join(root, OWNER_FILE);
  const mine = { poolFqdn: owner.poolFqdn, createdAt: owner.createdAt };
  try {
    fs.writeFileSync(file, `${JSON.stringify(mine)}\n`, { mode: 0o600, flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let theirs: Partial<StoreOwner> = {};
  try {
    theirs = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StoreOwner>;
  } catch (err) {
    throw new AppError('DEPLOYMENT_MISMATCH', `the file store ${root} has an unreadable ${OWNER_FILE} (${(err as Error).message}); check the directory, or remove the file if the store is this deployment's`);
  }
  if (theirs.poolFqdn !== mine.poolFqdn || theirs.createdAt !== mine.createdAt) {
    const when = typeof theirs.createdAt === 'number' ? new Date(theirs.createdAt).toISOString() : 'unknown';
    throw new AppError('DEPLOYMENT_MISMATCH', `the file store ${root} belongs to another deployment (pool ${String(theirs.poolFqdn)}, created ${when}), not to this one (pool ${mine.poolFqdn}, created ${new Date(mine.createdAt).toISOString()}); give every node of a pool the same fileStore, and each deployment its own`);
  }
}

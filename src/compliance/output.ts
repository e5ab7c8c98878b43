import fs from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { OutputDirectory, OutputFile } from './adapter.js';
import { syncPath } from '../files/sync.js';

const TEMP_PREFIX = '.stoa-';
const TEMP_SUFFIX = '.tmp';
/** Bytes gathered into one write to the file. */
const CHUNK = 256 * 1024;
/** What a write that only encoded into the buffer returns. */
const WRITTEN: Promise<void> = Promise.resolve();

/**
 * An output directory (created owner-only, D5). Names are plain file names; every file is
 * written to a hidden temporary file in the same directory, fsynced and renamed.
 */
export class AtomicDirectory implements OutputDirectory {
  readonly committed: string[] = [];

  private constructor(readonly path: string) {}

  static open(dir: string): AtomicDirectory {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new AtomicDirectory(dir);
  }

  /** Temporary files left by a writer that died (call only while holding the lease). */
  removeLeftovers(): number {
    let removed = 0;
    for (const name of fs.readdirSync(this.path)) {
      if (name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX)) {
        fs.rmSync(path.join(this.path, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  /**
   * Makes the renames durable: one directory fsync for all the files of a batch, before
   * the batch is marked written.
   */
  async sync(): Promise<void> {
    await syncPath(this.path);
  }

  async create(name: string): Promise<OutputFile> {
    if (name !== path.basename(name) || name.startsWith('.') || name === '') {
      throw new Error(`compliance output names are plain file names, not '${name}'`);
    }
    const temp = path.join(this.path, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${name}${TEMP_SUFFIX}`);
    return new AtomicFile(this, name, temp, await open(temp, 'w', 0o600));
  }
}

class AtomicFile implements OutputFile {
  /** UTF-8 not yet written: each write is encoded at once, and the bytes go out CHUNK at a time. */
  private readonly buffer = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  private closed = false;

  constructor(
    private readonly dir: AtomicDirectory,
    readonly name: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  write(...texts: string[]): Promise<void> {
    // One write's pieces are joined (a small string) and encoded into the buffer: joining a
    // whole chunk's pieces into one large string costs several times more once any of
    // them is outside Latin-1. Most writes only encode: they return a settled promise
    // rather than make one (an adapter writes once or twice per event).
    const text = texts.length === 1 ? (texts[0] as string) : texts.join('');
    if (this.used + text.length * 3 > CHUNK) return this.flushThenWrite(text);
    this.used += this.buffer.write(text, this.used, 'utf8');
    return WRITTEN;
  }

  private async flushThenWrite(text: string): Promise<void> {
    await this.flush();
    if (text.length * 3 > CHUNK) await this.writeAll(Buffer.from(text, 'utf8'));
    else this.used += this.buffer.write(text, this.used, 'utf8');
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeAll(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private async writeAll(bytes: Buffer): Promise<void> {
    for (let done = 0; done < bytes.length; ) done += (await this.handle.write(bytes, done, bytes.length - done)).bytesWritten;
  }

  async seal(): Promise<void> {
    await this.flush();
    if (!this.closed) await this.handle.close();
    this.closed = true;
  }

  async commit(): Promise<void> {
    await this.flush();
    if (!this.closed) {
      await this.handle.sync();
      await this.handle.close();
      this.closed = true;
    }
    await rename(this.tempPath, path.join(this.dir.path, this.name));
    this.dir.committed.push(this.name);
  }

  async abort(): Promise<void> {
    if (!this.closed) await this.handle.close();
    this.closed = true;
    await rm(this.tempPath, { force: true });
  }
}

/**
 * C8: files posted in legacy rooms live in the file repository, not in the database;
 * messages refer to them with `ma-filelink:` links. With `--files DIR` (the repository, or a
 * copy of it) each link is resolved inside DIR, the file is checksummed and carried in the
 * archive, and the message gets it as its file. The link's layout is undocumented, so a
 * link resolves by its path below DIR (any `//host/` part dropped), then by its last two
 * path segments, then by its file name when exactly one file in DIR has it. A link that
 * points outside DIR (`..`, an absolute path, a symbolic link leading out) refuses the run;
 * a file that is not there is a warning and the link stays text.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../domain/errors.js';

/** `ma-filelink:` and what follows up to white space or a quote/bracket that closes it. */
export const FILE_LINK = /ma-filelink:([^\s"'<>]+)/gi;

export interface RepositoryFile {
  /** Path below the repository, with `/`. */
  relative: string;
  absolute: string;
  name: string;
  sizeBytes: number;
  sha256: string;
}

export type Resolution = { file: RepositoryFile } | { missing: string } | { escapes: string };

const CONTENT_TYPES: Record<string, string> = {
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  htm: 'text/html',
  html: 'text/html',
  xml: 'application/xml',
  json: 'application/json',
  pdf: 'application/pdf',
  zip: 'application/zip',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

export const contentTypeOf = (name: string): string => CONTENT_TYPES[path.extname(name).slice(1).toLowerCase()] ?? 'application/octet-stream';

function digest(file: string): { sha256: string; size: number } {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.alloc(1 << 20);
  let size = 0;
  try {
    for (let n: number; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0; ) {
      hash.update(buffer.subarray(0, n));
      size += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), size };
}

export class FileRepository {
  private byName: Map<string, string[]> | undefined;
  private readonly cache = new Map<string, Resolution>();

  private constructor(readonly root: string) {}

  static open(dir: string): FileRepository {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      throw new AppError('INVALID_INPUT', `--files: no folder at ${dir}`);
    }
    if (!fs.statSync(real).isDirectory()) throw new AppError('INVALID_INPUT', `--files: ${dir} is not a folder`);
    return new FileRepository(real);
  }

  /** The path part of a link: scheme and `//host/` dropped, %-escapes and `\` undone. */
  static pathOf(link: string): string {
    let p = link.replace(/^ma-filelink:/i, '');
    try {
      p = decodeURIComponent(p);
    } catch {
      // Not %-encoded after all: taken as written.
    }
    p = p.replace(/\\/g, '/');
    if (p.startsWith('//')) p = p.replace(/^\/\/[^/]*/, '');
    return p;
  }

  /** Lists the repository once (file name → relative paths), for links that only match by name. */
  private names(): Map<string, string[]> {
    if (this.byName !== undefined) return this.byName;
    const out = new Map<string, string[]>();
    const walk = (dir: string, rel: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) walk(path.join(dir, e.name), r);
        else if (e.isFile()) out.set(e.name.toLowerCase(), [...(out.get(e.name.toLowerCase()) ?? []), r]);
      }
    };
    walk(this.root, '');
    this.byName = out;
    return out;
  }

  private inside(relative: string): Resolution | undefined {
    const candidate = path.resolve(this.root, relative);
    if (candidate !== this.root && !candidate.startsWith(`${this.root}${path.sep}`)) return { escapes: relative };
    if (!fs.existsSync(candidate)) return undefined;
    const real = fs.realpathSync(candidate);
    if (!real.startsWith(`${this.root}${path.sep}`)) return { escapes: relative };
    if (!fs.statSync(real).isFile()) return undefined;
    const { sha256, size } = digest(real);
    const rel = path.relative(this.root, real).split(path.sep).join('/');
    return { file: { relative: rel, absolute: real, name: path.basename(real), sizeBytes: size, sha256 } };
  }

  resolve(link: string): Resolution {
    const known = this.cache.get(link);
    if (known !== undefined) return known;
    const p = FileRepository.pathOf(link);
    let result: Resolution | undefined;
    if (path.isAbsolute(p) && !p.startsWith('/')) result = { escapes: p };
    const segments = p.split('/').filter((s) => s !== '' && s !== '.');
    if (result === undefined && segments.includes('..')) result = { escapes: p };
    if (result === undefined) result = this.inside(segments.join('/'));
    if (result === undefined && segments.length > 2) result = this.inside(segments.slice(-2).join('/'));
    if (result === undefined && segments.length > 0) {
      const found = this.names().get(segments[segments.length - 1]!.toLowerCase()) ?? [];
      if (found.length === 1) result = this.inside(found[0]!);
      else if (found.length > 1) result = { missing: `${p} (${found.length} files in the repository have that name)` };
    }
    result ??= { missing: p };
    this.cache.set(link, result);
    return result;
  }
}

import fs from 'node:fs';
import path from 'node:path';

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/**
 * The data dir holds the database, files and compliance output (D5): Stoa creates it
 * owner-only and refuses one that other users can write, since they could then read or
 * alter the chat store behind Stoa's back.
 */
export function prepareDataDir(dir: string): string {
  const absolute = path.resolve(dir);
  if (!fs.existsSync(absolute)) {
    fs.mkdirSync(absolute, { recursive: true, mode: 0o700 });
    fs.chmodSync(absolute, 0o700);
  }
  const stat = fs.statSync(absolute);
  if (!stat.isDirectory()) throw new DataDirError(`data dir ${absolute} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new DataDirError(`data dir ${absolute} belongs to another user (uid ${stat.uid}); run Stoa as its owner`);
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new DataDirError(
      `data dir ${absolute} can be written by other users (mode ${(stat.mode & 0o777).toString(8)}); fix it with: chmod go-w ${absolute}`,
    );
  }
  return absolute;
}

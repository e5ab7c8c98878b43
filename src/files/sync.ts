import fs from 'node:fs';

/**
 * Syncs a file, or a directory (which makes the names created or renamed in it durable),
 * by its path, on libuv's threads: the event loop does not wait for the disk.
 */
export async function syncPath(target: string): Promise<void> {
  const handle = await fs.promises.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

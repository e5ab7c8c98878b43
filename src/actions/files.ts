/**
 * Files in rooms (01 §4.7): an upload or download is authorised first and handed a
 * short-lived token (30 minutes); the transfer then streams with that token. Uploads only
 * where the category allows them and within MaxFileSizeKB; files are addressed by id.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AppError, isAppError } from '../domain/errors.js';
import { canUpload } from '../domain/permissions.js';
import { accessRoomById, loadRoomForActor } from '../access/rooms.js';
import { configurations } from './configurations.js';
import { canDownload } from '../domain/permissions.js';
import type { FileRecord, FileTokenRecord, RoomRecord } from '../store/types.js';
import { runWrite, SYSTEM_ACTOR, type Actor, type Capture, type Services, type Tx } from './context.js';
import { hashToken } from './auth.js';
import { presentFile, type FileView } from './chat-views.js';
import type { BlobStore } from '../files/blob-store.js';

export const FILE_TOKEN_LIFETIME_MS = 30 * 60_000;

/** Removes the files' bytes from disk once (and only if) the transaction commits. */
export function discardBlobs(tx: Tx, guids: readonly string[]): void {
  const store = tx.services.blobs;
  if (store === undefined || guids.length === 0) return;
  tx.afterCommit.push(() => {
    for (const guid of guids) store.remove(guid);
  });
}

/**
 * The server's housekeeping, in one transaction: expired sessions, expired file tokens,
 * and uploads never posted within a day (their blobs after commit). Returns the uploads removed.
 */
export async function purgeExpired(services: Services, now: number): Promise<number> {
  const outcome = await runWrite(services, SYSTEM_ACTOR, {}, async (tx) => {
    await tx.store.sessions.purgeExpired(now);
    await tx.store.files.purgeExpiredTokens(now);
    const stale = await tx.store.files.unattached(now - 24 * 3600_000, 500);
    if (stale.length === 0) return 0;
    const guids = await tx.store.files.deleteMany(stale.map((f) => f.id));
    discardBlobs(tx, guids);
    return guids.length;
  });
  return outcome.result;
}

export interface FileTicket {
  token: string;
  url: string;
  expiresAt: string;
}

function blobs(services: Services): BlobStore {
  if (services.blobs === undefined) throw new AppError('SERVER_NOT_RUNNING', 'files are handled by the running server');
  return services.blobs;
}

/** A random token for one transfer; only its hash is stored, with a 30-minute expiry. */
async function issueTicket(services: Services, ticket: Omit<FileTokenRecord, 'tokenHash' | 'expiresAt'>): Promise<FileTicket> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = services.clock() + FILE_TOKEN_LIFETIME_MS;
  await runWrite(services, { kind: 'user', principalId: ticket.principalId }, {}, (tx) => tx.store.files.insertToken({ ...ticket, tokenHash: hashToken(token), expiresAt }));
  return { token, url: `/api/v1/files/${ticket.direction}/${token}`, expiresAt: new Date(expiresAt).toISOString() };
}

const FILE_NAME = /^[^\p{Cc}/\\]{1,255}$/u;

export async function requestUpload(
  services: Services,
  actor: Actor,
  roomId: string,
  input: { name: string; size: number; contentType?: string },
): Promise<FileTicket> {
  if (actor.kind !== 'user') throw new AppError('PERMISSION_DENIED', 'only users upload files');
  const name = String(input.name ?? '').normalize('NFC').trim();
  if (!FILE_NAME.test(name) || name === '.' || name === '..') throw new AppError('INVALID_NAME', 'a file name is 1–255 characters without slashes or control characters');
  if (!Number.isInteger(input.size) || input.size < 0) throw new AppError('INVALID_VALUE', 'size must be the file size in bytes');
  const contentType = /^[\w.+-]+\/[\w.+-]+$/.test(input.contentType ?? '') ? (input.contentType as string) : 'application/octet-stream';
  const facts = await services.access.actorFacts(actor);
  const loaded = await accessRoomById(services.store, facts, roomId, 'post', { categories: await services.access.categorySnapshot() });
  if (!loaded.category.fileUpload) throw new AppError('UPLOADS_DISABLED', `category '${loaded.category.name}' does not allow file uploads`);
  const config = await services.access.chatConfiguration(() => configurations.effective(services.store, services.poolFqdn));
  if (!canUpload(facts, loaded.facts, input.size, config.maxFileSizeKB)) {
    throw new AppError('FILE_TOO_LARGE', `files may be at most ${config.maxFileSizeKB} KB (MaxFileSizeKB)`);
  }
  return issueTicket(services, {
    direction: 'upload',
    principalId: actor.principalId,
    roomId: loaded.room.id,
    fileId: null,
    name,
    contentType,
    sizeBytes: input.size,
  });
}

/**
 * Receives the bytes of an upload. The token is used once; the uploader's rights are
 * checked again (they may have changed in the 30 minutes). Nothing is kept on failure.
 */
export async function receiveUpload(services: Services, token: string, body: Readable): Promise<FileView> {
  const store = services.store;
  const tokenHash = hashToken(token);
  const ticket = await store.files.getToken(tokenHash);
  if (ticket === undefined || ticket.direction !== 'upload' || ticket.expiresAt <= services.clock()) {
    throw new AppError('TOKEN_NOT_FOUND', 'the upload token is unknown, used or expired');
  }
  const actor: Actor = { kind: 'user', principalId: ticket.principalId };
  // Used once: consumed before a byte is read.
  await runWrite(services, actor, {}, async (tx) => {
    if (!(await tx.store.files.deleteToken(tokenHash))) throw new AppError('TOKEN_NOT_FOUND', 'the upload token was already used');
  });
  const facts = await services.access.actorFacts(actor);
  const room = await store.rooms.getById(ticket.roomId);
  // The uploader's own role entries decide, as for every access check.
  const loaded = room === undefined ? undefined : await loadRoomForActor(store, facts, room, await services.access.categorySnapshot());
  const config = await services.access.chatConfiguration(() => configurations.effective(store, services.poolFqdn));
  const size = ticket.sizeBytes ?? 0;
  if (loaded === undefined || !canUpload(facts, loaded.facts, size, config.maxFileSizeKB)) {
    throw new AppError('PERMISSION_DENIED', 'you may no longer upload files to this room');
  }
  const guid = services.newGuid();
  const stored = await blobs(services).write(guid, body, size);
  if (stored.sizeBytes !== size) {
    blobs(services).remove(guid);
    throw new AppError('INVALID_VALUE', `the upload announced ${size} bytes but ${stored.sizeBytes} arrived`);
  }
  try {
    const outcome = await runWrite(services, actor, {}, async (tx) => {
      const file = await tx.store.files.insert({
        guid,
        roomId: ticket.roomId,
        uploaderId: ticket.principalId,
        name: ticket.name ?? 'file',
        contentType: ticket.contentType ?? 'application/octet-stream',
        sizeBytes: stored.sizeBytes,
        sha256: stored.sha256,
        createdAt: tx.now,
      });
      tx.capture(fileTransfer('FILEUPLOAD', loaded.room, file));
      return file;
    });
    return presentFile(outcome.result);
  } catch (err) {
    blobs(services).remove(guid);
    throw err;
  }
}

/** Whoever may join the room may download its files, up to MaxFileSizeKB. */
export async function requestDownload(services: Services, actor: Actor, fileId: string): Promise<FileTicket> {
  if (actor.kind !== 'user') throw new AppError('PERMISSION_DENIED', 'only users download files');
  const { file } = await readableFile(services, actor, fileId);
  // MaxFileSizeKB bounds downloads too (01 §2.6): lowering it withholds larger files.
  const { maxFileSizeKB } = await services.access.chatConfiguration(() => configurations.effective(services.store, services.poolFqdn));
  if (file.sizeBytes > maxFileSizeKB * 1024) throw new AppError('FILE_TOO_LARGE', `files may be at most ${maxFileSizeKB} KB (MaxFileSizeKB)`);
  return issueTicket(services, {
    direction: 'download',
    principalId: actor.principalId,
    roomId: file.roomId,
    fileId: file.id,
    name: null,
    contentType: null,
    sizeBytes: null,
  });
}

async function readableFile(services: Services, actor: Actor, fileId: string): Promise<{ file: FileRecord; room: RoomRecord }> {
  const notFound = new AppError('FILE_NOT_FOUND', `there is no file with id '${fileId}'`);
  const file = await services.store.files.getByGuid(fileId);
  if (file === undefined) throw notFound;
  const facts = await services.access.actorFacts(actor);
  const room = await services.store.rooms.getById(file.roomId);
  if (room === undefined) throw notFound;
  // The actor's own role entries decide their rights (one statement, whatever the room's size).
  const loaded = await accessRoomById(services.store, facts, room.guid, 'see', { categories: await services.access.categorySnapshot() }).catch((err: unknown) => {
    if (isAppError(err)) return undefined;
    throw err;
  });
  if (loaded === undefined || !canDownload(facts, loaded.facts)) throw notFound;
  return { file, room: loaded.room };
}

/** Opens a download: the token stays valid until it expires; rights are checked again. */
export async function openDownload(services: Services, token: string): Promise<{ file: FileView; stream: Readable }> {
  const ticket = await services.store.files.getToken(hashToken(token));
  if (ticket === undefined || ticket.direction !== 'download' || ticket.fileId === null || ticket.expiresAt <= services.clock()) {
    throw new AppError('TOKEN_NOT_FOUND', 'the download token is unknown or expired');
  }
  const file = await services.store.files.getById(ticket.fileId);
  if (file === undefined) throw new AppError('FILE_NOT_FOUND', 'the file no longer exists');
  const actor: Actor = { kind: 'user', principalId: ticket.principalId };
  const { room } = await readableFile(services, actor, file.guid);
  const stream = blobs(services).open(file.guid);
  try {
    // Recorded before the first byte leaves (D2: nothing delivered is missing from compliance).
    await services.reads.record(actor, [fileTransfer('FILEDOWNLOAD', room, file)]);
  } catch (err) {
    stream.destroy();
    throw err;
  }
  return { file: presentFile(file), stream };
}

/**
 * A file transfer as compliance records it: the stored name (`<id>.<extension>`, as the
 * legacy server named stored files) with the original name, size and checksum.
 */
function fileTransfer(type: 'FILEUPLOAD' | 'FILEDOWNLOAD', room: RoomRecord, file: FileRecord): Capture {
  const ext = path.extname(file.name).slice(0, 16);
  return {
    type,
    room,
    content: `${file.guid}${/^\.[\p{L}\p{N}_-]+$/u.test(ext) ? ext : ''}`,
    details: { fileId: file.guid, name: file.name, contentType: file.contentType, sizeBytes: file.sizeBytes, sha256: file.sha256 },
  };
}

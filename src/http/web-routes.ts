/**
 * The web client (web/, built by Vite into dist/web): `/` serves its page, `/assets/*` its
 * hashed scripts and styles. The file list is read once at start — nothing outside it is
 * ever served, whatever the URL says. The page gets a strict Content-Security-Policy: only
 * this server's scripts and styles, no inline code, add-ins only in sandboxed frames.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** dist/web, whether the server runs from dist/ or (tests) from src/. */
export const WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * The page's policy. Add-ins are pages of other servers that an administrator registered
 * (any http/https URL), shown in a sandboxed frame; everything else comes from here.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  'frame-src https: http:',
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

function listFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && TYPES[path.extname(entry.name)] !== undefined) files.set(`/${path.relative(root, full).split(path.sep).join('/')}`, full);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return files;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Stoa</title><p>The web client is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and reload.</p><p>The API is at <code>/api/v1</code>.</p>`;

/** Text is sent compressed (Brotli, else gzip) to browsers that take it: compressed once, at start. */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);

interface Compressed {
  br: Buffer;
  gzip: Buffer;
}

function compress(file: string): Compressed {
  const raw = fs.readFileSync(file);
  return {
    br: zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
    gzip: zlib.gzipSync(raw, { level: 9 }),
  };
}

/** The encoding to answer with: Brotli or gzip when the request accepts it (q=0 refuses). */
export function chooseEncoding(accept: string | undefined): 'br' | 'gzip' | undefined {
  if (accept === undefined) return undefined;
  const accepted = new Set(
    accept
      .toLowerCase()
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => q === undefined || !/^\s*q\s*=\s*0(\.0*)?\s*$/.test(q))
      .map(([name]) => name!.trim()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return undefined;
}

export const webRoutes: FastifyPluginAsync<{ root?: string }> = async (app, { root = WEB_ROOT }) => {
  const files = listFiles(root);
  const compressed = new Map<string, Compressed>();
  for (const file of files.values()) if (COMPRESSIBLE.has(path.extname(file))) compressed.set(file, compress(file));
  const send = (reply: FastifyReply, file: string, immutable: boolean, accept: string | undefined) => {
    reply
      .header('content-type', TYPES[path.extname(file)]!)
      .header('content-security-policy', WEB_CSP)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    const packed = compressed.get(file);
    if (packed === undefined) return reply.send(fs.createReadStream(file));
    reply.header('vary', 'accept-encoding');
    const encoding = chooseEncoding(accept);
    if (encoding === undefined) return reply.send(fs.createReadStream(file));
    return reply.header('content-encoding', encoding).send(packed[encoding]);
  };

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const index = files.get('/index.html');
    if (index === undefined) return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', "default-src 'none'").send(NOT_BUILT);
    return send(reply, index, false, request.headers['accept-encoding']);
  });
  app.get<{ Params: { '*': string } }>('/assets/*', { schema: { hide: true } }, async (request, reply) => {
    const file = files.get(`/assets/${request.params['*']}`);
    if (file === undefined) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such asset' } });
    // Vite names assets by content hash: they never change under one name.
    return send(reply, file, true, request.headers['accept-encoding']);
  });
};

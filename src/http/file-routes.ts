/** Files: ask for a 30-minute upload or download token, then stream with it. */
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../actions/context.js';
import { openDownload, receiveUpload, requestDownload, requestUpload } from '../actions/files.js';
import { actorOf, type AuthHook } from './auth-hook.js';
import { ERRORS, ref, roomParams, str } from './schemas.js';

const tokenParams = { type: 'object', properties: { token: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } }, required: ['token'] } as const;

export const fileRoutes: FastifyPluginAsync<{ services: Services; auth: AuthHook }> = async (app, { services, auth }) => {
  app.post<{ Params: { roomId: string }; Body: { name: string; size: number; contentType?: string } }>(
    '/api/v1/rooms/:roomId/files',
    {
      preHandler: auth,
      schema: {
        summary: 'Ask to upload a file to a room (category FileUpload on, size within MaxFileSizeKB)',
        tags: ['files'],
        params: roomParams,
        body: { type: 'object', properties: { name: str, size: { type: 'integer', minimum: 0 }, contentType: str }, required: ['name', 'size'], additionalProperties: false },
        response: { 201: ref('Ticket'), ...ERRORS },
      },
    },
    async (request, reply) => reply.code(201).send(await requestUpload(services, actorOf(request), request.params.roomId, request.body)),
  );

  // The bytes of an upload, whatever their content type, are streamed to the file store
  // as they arrive and never parsed or buffered: this context has no body parser but the
  // pass-through one. The token is looked up before a byte is read; an unknown one is
  // answered at once and the connection closed (server.ts, lingerClose), and the file
  // store stops at the size the ticket announced (at most MaxFileSizeKB).
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, _payload, done) => done(null));
    raw.put<{ Params: { token: string } }>(
      '/api/v1/files/upload/:token',
      {
        schema: { summary: 'Send the bytes of an upload, any content type (the token is used once)', tags: ['files'], params: tokenParams, response: { 201: ref('File'), ...ERRORS } },
      },
      async (request, reply) => reply.code(201).send(await receiveUpload(services, request.params.token, request.raw)),
    );
  });

  app.post<{ Params: { fileId: string } }>(
    '/api/v1/files/:fileId/download',
    {
      preHandler: auth,
      schema: { summary: 'Ask to download a file', tags: ['files'], params: { type: 'object', properties: { fileId: str }, required: ['fileId'] }, response: { 201: ref('Ticket'), ...ERRORS } },
    },
    async (request, reply) => reply.code(201).send(await requestDownload(services, actorOf(request), request.params.fileId)),
  );

  app.get<{ Params: { token: string } }>(
    '/api/v1/files/download/:token',
    { schema: { summary: 'Download the bytes of a file', tags: ['files'], params: tokenParams, response: { 200: { type: 'string', format: 'binary' }, ...ERRORS } } },
    async (request, reply) => {
      const { file, stream } = await openDownload(services, request.params.token);
      const ascii = file.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', file.size)
        .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`)
        .header('x-content-sha256', file.sha256)
        .send(stream);
    },
  );
};

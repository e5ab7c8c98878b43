import type {} from '@fastify/swagger';
/**
 * JSON Schemas of the API's bodies and responses. Fastify validates requests and
 * serialises responses with them (nothing else leaves the server), and the OpenAPI
 * document at /api/v1/openapi.json is generated from them.
 */
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });

export const ErrorBody = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: str, message: str, problems: { type: 'array', items: str }, principals: { type: 'array', items: str } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

export const File = {
  $id: 'File',
  type: 'object',
  properties: { id: str, name: str, contentType: str, size: int, sha256: str, uploadedAt: str },
  required: ['id', 'name', 'contentType', 'size', 'sha256', 'uploadedAt'],
} as const;

export const Message = {
  $id: 'Message',
  type: 'object',
  properties: {
    id: int,
    chatId: int,
    roomId: str,
    room: str,
    author: str,
    authorName: str,
    postedAt: str,
    text: str,
    alert: bool,
    story: nullable({ type: 'object', properties: { title: str }, required: ['title'] }),
    file: nullable({ $ref: 'File#' }),
    replaced: bool,
  },
  required: ['id', 'chatId', 'roomId', 'room', 'author', 'authorName', 'postedAt', 'text', 'alert', 'story', 'file', 'replaced'],
} as const;

const roomSummaryProperties = {
  id: str,
  name: str,
  description: str,
  category: str,
  privacy: { type: 'string', enum: ['Open', 'Closed', 'Secret'] },
  type: { type: 'string', enum: ['Normal', 'Auditorium'] },
  participants: int,
} as const;

export const RoomSummary = {
  $id: 'RoomSummary',
  type: 'object',
  properties: { ...roomSummaryProperties, unread: int, lastReadChatId: int, disabled: bool },
  required: Object.keys(roomSummaryProperties),
} as const;

export const Invitation = {
  $id: 'Invitation',
  type: 'object',
  properties: { id: int, room: { $ref: 'RoomSummary#' }, createdAt: str },
  required: ['id', 'room', 'createdAt'],
} as const;

export const Notification = {
  $id: 'Notification',
  type: 'object',
  properties: { id: int, kind: { type: 'string', enum: ['mention', 'keyword', 'feed'] }, detail: str, createdAt: str, message: { $ref: 'Message#' } },
  required: ['id', 'kind', 'detail', 'createdAt', 'message'],
} as const;

export const Ticket = {
  $id: 'Ticket',
  type: 'object',
  properties: { token: str, url: str, expiresAt: str },
  required: ['token', 'url', 'expiresAt'],
} as const;

export const ApiToken = {
  $id: 'ApiToken',
  type: 'object',
  properties: { id: str, name: str, user: str, createdAt: str, expiresAt: nullable(str), lastUsedAt: str },
  required: ['id', 'name', 'user', 'createdAt', 'expiresAt', 'lastUsedAt'],
} as const;

export const SHARED_SCHEMAS = [ErrorBody, File, Message, RoomSummary, Invitation, Notification, Ticket, ApiToken];

export const ref = (id: string) => ({ $ref: `${id}#` });
export const listOf = (id: string) => ({ type: 'array', items: ref(id) });

/** The error responses every authenticated route may give. */
export const ERRORS = {
  400: ref('Error'),
  401: ref('Error'),
  403: ref('Error'),
  404: ref('Error'),
  409: ref('Error'),
  413: ref('Error'),
  429: ref('Error'),
} as const;

export const roomParams = { type: 'object', properties: { roomId: { type: 'string', pattern: '^[!-~]{1,64}$' } }, required: ['roomId'] } as const;
export { str, int, bool, nullable };

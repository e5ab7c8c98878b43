/**
 * Room management over the API (the legacy room management web site): creators create
 * rooms in the categories they may, managers change them, administrators remove them —
 * the same actions, rules and error messages as `stoa room new|set|remove`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../actions/context.js';
import { checkCreateRoom, checkRemoveRoom, checkUpdateRoom, type RoomInput } from '../actions/rooms.js';
import { pickPrincipals, PICK_LIMIT } from '../actions/people-picker.js';
import { listAddins } from '../actions/addins.js';
import { creatableCategories, getRoomById, roomIdentityById } from '../actions/room-queries.js';
import type { RoomView } from '../actions/views.js';
import { buildListEdit, type ListEdit } from '../domain/list-edit.js';
import { actorOf, type AuthHook } from './auth-hook.js';
import { ERRORS, bool, nullable, roomParams, str } from './schemas.js';

const strings = { type: 'array', items: { type: 'string', maxLength: 1000 }, maxItems: 10_000 } as const;
const listEdit = {
  type: 'object',
  description: 'replace the list, or add and remove entries, or clear it',
  properties: { replace: strings, add: strings, remove: strings, clear: bool },
  additionalProperties: false,
} as const;

/** The properties a room is created or changed with (names as in `stoa room new|set`). */
const properties = {
  name: str,
  description: str,
  category: str,
  type: { type: 'string', enum: ['Normal', 'Auditorium'] },
  privacy: { type: 'string', enum: ['Open', 'Closed', 'Secret'] },
  invitations: { type: 'string', enum: ['Inherit', 'False'] },
  disabled: bool,
  addin: nullable(str),
} as const;

const RoomSettings = {
  type: 'object',
  properties: { id: str, identity: str, ...properties, members: strings, managers: strings, presenters: strings },
  required: ['id', 'identity', ...Object.keys(properties), 'members', 'managers', 'presenters'],
} as const;

const roleEdits = { members: { anyOf: [strings, listEdit] }, managers: { anyOf: [strings, listEdit] }, presenters: { anyOf: [strings, listEdit] } } as const;

interface ListEditBody {
  replace?: string[];
  add?: string[];
  remove?: string[];
  clear?: boolean;
}

const ROLE_LISTS = ['members', 'managers', 'presenters'] as const;
type RoleList = (typeof ROLE_LISTS)[number];

/** A room action's input as JSON: role lists as an array (replace) or an edit object. */
type RoomBody = Omit<RoomInput, RoleList> & Partial<Record<RoleList, ListEditBody | string[]>>;

function toListEdit(what: string, body: ListEditBody | string[] | undefined): ListEdit | undefined {
  if (body === undefined) return undefined;
  if (Array.isArray(body)) return { mode: 'replace', values: body };
  return buildListEdit(what, { ...(body.replace === undefined ? {} : { replace: body.replace }), add: body.add ?? [], remove: body.remove ?? [], clear: body.clear === true });
}

function toInput(body: RoomBody): RoomInput {
  const { members, managers, presenters, ...input } = body;
  const lists = { members, managers, presenters };
  const out: RoomInput = input;
  for (const key of ROLE_LISTS) {
    const edit = toListEdit(key, lists[key]);
    if (edit !== undefined) out[key] = edit;
  }
  return out;
}

const present = ({ id: _id, guid, ...rest }: RoomView) => ({ id: guid, ...rest });

export const roomManagementRoutes: FastifyPluginAsync<{ services: Services; auth: AuthHook }> = async (app, { services, auth }) => {
  app.addHook('preHandler', auth);
  const tags = ['room management'];

  app.get(
    '/api/v1/categories/creatable',
    {
      schema: {
        summary: 'Categories you may create rooms in (empty: you may not create rooms)',
        tags,
        response: {
          200: {
            type: 'array',
            items: { type: 'object', properties: { name: str, description: str, fileUpload: bool, chatHistory: bool, invitations: bool }, required: ['name', 'description', 'fileUpload', 'chatHistory', 'invitations'] },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => creatableCategories(services, actorOf(request)),
  );

  app.get<{ Querystring: { q: string; category?: string; limit?: number } }>(
    '/api/v1/principals',
    {
      schema: {
        summary: "The people picker: users, groups, OUs and domains whose address, DN, display name or e-mail contains q; with a category, only those its scope covers",
        tags,
        querystring: {
          type: 'object',
          properties: { q: { type: 'string', maxLength: 256 }, category: { type: 'string', minLength: 1, maxLength: 256 }, limit: { type: 'integer', minimum: 1, maximum: PICK_LIMIT } },
          required: ['q'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: { key: str, kind: { type: 'string', enum: ['user', 'group', 'container', 'domain'] }, displayName: nullable(str), email: nullable(str) },
              required: ['key', 'kind', 'displayName', 'email'],
            },
          },
          ...ERRORS,
        },
      },
    },
    async (request) => pickPrincipals(services, actorOf(request), request.query),
  );

  app.get(
    '/api/v1/addins',
    {
      schema: {
        summary: 'The add-ins a room may show (name and URL)',
        tags,
        response: { 200: { type: 'array', items: { type: 'object', properties: { name: str, url: str }, required: ['name', 'url'] } }, ...ERRORS },
      },
    },
    async (request) => (await listAddins(services, actorOf(request))).map((a) => ({ name: a.name, url: a.url })),
  );

  app.post<{ Body: RoomBody & { name: string; category: string } }>(
    '/api/v1/rooms',
    {
      schema: {
        summary: 'Create a room (creators of the category, administrators); you become its manager',
        tags,
        body: {
          type: 'object',
          properties: { ...properties, ...roleEdits },
          required: ['name', 'category'],
          additionalProperties: false,
        },
        response: { 201: RoomSettings, ...ERRORS },
      },
    },
    async (request, reply) => {
      const { name, category, ...rest } = request.body;
      const created = await checkCreateRoom(services, actorOf(request), { ...toInput(rest), name, category });
      return reply.code(201).send(present(created.result));
    },
  );

  app.get<{ Params: { roomId: string } }>(
    '/api/v1/rooms/:roomId/settings',
    { schema: { summary: "A room's settings and roles", tags, params: roomParams, response: { 200: RoomSettings, ...ERRORS } } },
    async (request) => present(await getRoomById(services, actorOf(request), request.params.roomId)),
  );

  app.patch<{ Params: { roomId: string }; Body: RoomBody }>(
    '/api/v1/rooms/:roomId',
    {
      schema: {
        summary: "Change a room (its managers, administrators): any property, roles as lists or edits",
        tags,
        params: roomParams,
        body: {
          type: 'object',
          properties: { ...properties, ...roleEdits },
          additionalProperties: false,
        },
        response: { 200: RoomSettings, ...ERRORS },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const identity = await roomIdentityById(services, actor, request.params.roomId);
      return present((await checkUpdateRoom(services, actor, identity, toInput(request.body))).result);
    },
  );

  app.delete<{ Params: { roomId: string } }>(
    '/api/v1/rooms/:roomId',
    { schema: { summary: 'Remove a room and its history (administrators)', tags, params: roomParams, response: { 200: RoomSettings, ...ERRORS } } },
    async (request) => {
      const actor = actorOf(request);
      const identity = await roomIdentityById(services, actor, request.params.roomId);
      return present((await checkRemoveRoom(services, actor, identity)).result);
    },
  );
};

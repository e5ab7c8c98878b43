import type { Selectable } from 'kysely';
import type { RoomsTable } from '../schema.js';
import type { RoomRecord, RoomRoleName, RoomRoles, RoomStore } from '../types.js';
import type { RoomInvitations, RoomPrivacy, RoomType } from '../../domain/rooms.js';
import { chunks, fromFlag, idIn, must, toFlag, type Executor, whole } from './common.js';
import { roomConditions } from './room-conditions.js';

function toRecord(row: Selectable<RoomsTable>): RoomRecord {
  return {
    ...row,
    type: row.type as RoomType,
    privacy: row.privacy as RoomPrivacy,
    invitations: row.invitations as RoomInvitations,
    disabled: fromFlag(row.disabled),
    lastChatId: Number(row.lastChatId),
    contentBytes: Number(row.contentBytes),
    createdAt: Number(row.createdAt),
    updatedAt: Number(row.updatedAt),
  };
}

const ROLE_KEYS: Record<RoomRoleName, keyof RoomRoles> = {
  member: 'members',
  manager: 'managers',
  presenter: 'presenters',
};

export function roomStore({ db, can, dialect }: Executor): RoomStore {
  return {
    async insert(r) {
      const row = await db
        .insertInto('rooms')
        .values({ ...r, disabled: toFlag(r.disabled), lastChatId: 0, contentBytes: 0 })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },
    async update(id, patch) {
      const { disabled, ...rest } = patch;
      const values = { ...rest, ...(disabled === undefined ? {} : { disabled: toFlag(disabled) }) };
      const row = await db.updateTable('rooms').set(values).where('id', '=', id).returningAll().executeTakeFirst();
      return toRecord(must(row, `room ${id}`));
    },
    async delete(id) {
      await db.deleteFrom('rooms').where('id', '=', id).execute();
    },
    async getById(id) {
      const row = await db.selectFrom('rooms').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async getByNameKey(nameKey) {
      const row = await db.selectFrom('rooms').selectAll().where('nameKey', '=', nameKey).executeTakeFirst();
      return row && toRecord(row);
    },
    async getByGuid(guid) {
      const row = await db.selectFrom('rooms').selectAll().where('guid', '=', guid).executeTakeFirst();
      return row && toRecord(row);
    },
    async getManyByIds(ids) {
      const out: RoomRecord[] = [];
      for (const part of whole([...new Set(ids)])) {
        out.push(...(await db.selectFrom('rooms').selectAll().where(idIn(dialect, 'rooms.id', part)).execute()).map(toRecord));
      }
      return out;
    },
    async lock(id) {
      if (can.rowLocks) {
        await db.selectFrom('rooms').select('id').where('id', '=', id).forUpdate().execute();
      }
    },
    async list(query) {
      const matching = roomConditions(query);
      if (matching === undefined) return [];
      let q = db.selectFrom('rooms').selectAll().where(matching).orderBy('nameKey');
      if (query.limit !== undefined) q = q.limit(query.limit);
      return (await q.execute()).map(toRecord);
    },
    async listIds(query, max) {
      const matching = roomConditions(query);
      if (matching === undefined) return [];
      const rows = await db.selectFrom('rooms').select('id').where(matching).orderBy('id').limit(max + 1).execute();
      return rows.map((r) => Number(r.id));
    },
    async roles(ids) {
      const out = new Map<number, RoomRoles>(ids.map((id) => [id, { members: [], managers: [], presenters: [] }]));
      for (const part of whole([...new Set(ids)])) {
        const rows = await db
          .selectFrom('roomPrincipals')
          .select(['roomId', 'role', 'principalId'])
          .where(idIn(dialect, 'roomPrincipals.roomId', part))
          .orderBy('roomId')
          .orderBy('principalId')
          .execute();
        for (const r of rows) out.get(r.roomId)?.[ROLE_KEYS[r.role as RoomRoleName]].push(r.principalId);
      }
      return out;
    },
    async rolesFor(id, principalIds) {
      const out: RoomRoles = { members: [], managers: [], presenters: [] };
      if (principalIds.length === 0) return out;
      const rows = await db
        .selectFrom('roomPrincipals')
        .select(['role', 'principalId'])
        .where('roomId', '=', id)
        .where(idIn(dialect, 'principalId', principalIds))
        .orderBy('principalId')
        .execute();
      for (const r of rows) out[ROLE_KEYS[r.role as RoomRoleName]].push(r.principalId);
      return out;
    },
    async setRoles(id, role, principalIds) {
      await db.deleteFrom('roomPrincipals').where('roomId', '=', id).where('role', '=', role).execute();
      for (const part of chunks([...new Set(principalIds)])) {
        await db.insertInto('roomPrincipals').values(part.map((principalId) => ({ roomId: id, role, principalId }))).execute();
      }
    },
    async countUsingAddin(addinId) {
      const row = await db
        .selectFrom('rooms')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('addinId', '=', addinId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async clearAddin(addinId) {
      const result = await db.updateTable('rooms').set({ addinId: null }).where('addinId', '=', addinId).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

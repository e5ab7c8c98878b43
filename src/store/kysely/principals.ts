import { sql, type Selectable } from 'kysely';
import type { PrincipalsTable } from '../schema.js';
import type { PrincipalRecord, PrincipalStore } from '../types.js';
import type { PrincipalKind, PrincipalStatus } from '../../domain/principals.js';
import { dnAncestorKeys, dnDomain, domainSuffixes } from '../../domain/principals.js';
import { chunks, containing, fromFlag, likeEscape, likePattern, must, toFlag, type Executor, idIn, keysIn, whole } from './common.js';

export function principalRecord(row: Selectable<PrincipalsTable>): PrincipalRecord {
  return {
    ...row,
    kind: row.kind as PrincipalKind,
    status: row.status as PrincipalStatus,
    federated: fromFlag(row.federated),
    createdAt: Number(row.createdAt),
    updatedAt: Number(row.updatedAt),
  };
}

export function principalStore(ex: Executor): PrincipalStore {
  const { db } = ex;

  async function getManyByIds(ids: readonly number[]): Promise<PrincipalRecord[]> {
    const out: PrincipalRecord[] = [];
    for (const part of whole([...new Set(ids)])) {
      const rows = await db.selectFrom('principals').selectAll().where(idIn(ex.dialect, 'principals.id', part)).execute();
      out.push(...rows.map(principalRecord));
    }
    return out;
  }

  async function idsByKeys(kind: PrincipalKind, keys: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const part of whole([...new Set(keys)])) {
      const rows = await db
        .selectFrom('principals')
        .select(['id', 'key'])
        .where('kind', '=', kind)
        .where('status', '!=', 'deleted')
        .where(keysIn(ex.dialect, 'principals.key', part))
        .execute();
      for (const r of rows) found.set(r.key, r.id);
    }
    return found;
  }

  /** Transitive group closure upwards: origin → every group it is (indirectly) in. */
  async function groupClosure(ids: readonly number[]): Promise<{ origin: number; gid: number }[]> {
    const out: { origin: number; gid: number }[] = [];
    for (const part of chunks(ids)) {
      const list = sql.join(part.map((id) => sql`${id}`));
      const result = await sql<{ origin: number; gid: number }>`
        WITH RECURSIVE up(origin, gid) AS (
          SELECT member_id, group_id FROM group_members WHERE member_id IN (${list})
          UNION
          SELECT up.origin, gm.group_id FROM group_members gm JOIN up ON gm.member_id = up.gid
        )
        SELECT origin, gid FROM up`.execute(db);
      out.push(...result.rows.map((r) => ({ origin: Number(r.origin), gid: Number(r.gid) })));
    }
    return out;
  }

  return {
    async insert(p) {
      const row = await db
        .insertInto('principals')
        .values({ ...p, federated: toFlag(p.federated), updatedAt: p.createdAt })
        .returningAll()
        .executeTakeFirstOrThrow();
      return principalRecord(row);
    },

    async update(id, patch, now) {
      const { federated, ...rest } = patch;
      const values = { ...rest, updatedAt: now, ...(federated === undefined ? {} : { federated: toFlag(federated) }) };
      const row = await db.updateTable('principals').set(values).where('id', '=', id).returningAll().executeTakeFirst();
      return principalRecord(must(row, `principal ${id}`));
    },

    async getById(id) {
      const row = await db.selectFrom('principals').selectAll().where('id', '=', id).executeTakeFirst();
      return row && principalRecord(row);
    },

    async getByKey(key) {
      const row = await db.selectFrom('principals').selectAll().where('key', '=', key).executeTakeFirst();
      return row && principalRecord(row);
    },

    async getByDnKey(dnKey) {
      const row = await db.selectFrom('principals').selectAll().where('dnKey', '=', dnKey).executeTakeFirst();
      return row && principalRecord(row);
    },

    getManyByIds,

    async usersByUserPart(parts) {
      if (parts.length === 0) return [];
      const rows = await db
        .selectFrom('principals')
        .selectAll()
        .where('kind', '=', 'user')
        .where('status', '=', 'active')
        .where((eb) => eb.or(parts.map((p) => eb('key', 'like', likePattern(`sip:${likeEscape(p)}@%`)))))
        .execute();
      return rows.map(principalRecord);
    },
    async getManyByKeys(keys) {
      const out: PrincipalRecord[] = [];
      for (const part of whole([...new Set(keys)])) {
        const rows = await db.selectFrom('principals').selectAll().where(keysIn(ex.dialect, 'principals.key', part)).execute();
        out.push(...rows.map(principalRecord));
      }
      return out;
    },

    async list(query) {
      let q = db.selectFrom('principals').selectAll();
      if (query.kind) q = q.where('kind', '=', query.kind);
      const statuses = query.statuses ?? ['active', 'disabled'];
      q = q.where('status', 'in', [...statuses]);
      if (query.text) {
        const pattern = containing(query.text.toLowerCase());
        q = q.where((eb) =>
          eb.or([eb('key', 'like', pattern), eb(eb.fn('lower', ['displayName']), 'like', pattern), eb(eb.fn('lower', ['email']), 'like', pattern)]),
        );
      }
      q = q.orderBy('kind').orderBy('key');
      if (query.limit !== undefined) q = q.limit(query.limit);
      return (await q.execute()).map(principalRecord);
    },

    async groupsOf(memberId) {
      const rows = await db.selectFrom('groupMembers').select('groupId').where('memberId', '=', memberId).execute();
      return rows.map((r) => r.groupId);
    },

    async groupsOfMany(memberIds) {
      const out = new Map<number, number[]>(memberIds.map((id) => [id, []]));
      for (const part of whole([...new Set(memberIds)])) {
        const rows = await db.selectFrom('groupMembers').select(['memberId', 'groupId']).where(idIn(ex.dialect, 'groupMembers.memberId', part)).orderBy('groupId').execute();
        for (const r of rows) out.get(r.memberId)?.push(r.groupId);
      }
      return out;
    },

    async membersOf(groupId) {
      const rows = await db.selectFrom('groupMembers').select('memberId').where('groupId', '=', groupId).execute();
      return rows.map((r) => r.memberId);
    },

    async addGroupMember(groupId, memberId) {
      const result = await db
        .insertInto('groupMembers')
        .values({ groupId, memberId })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async removeGroupMember(groupId, memberId) {
      const result = await db
        .deleteFrom('groupMembers')
        .where('groupId', '=', groupId)
        .where('memberId', '=', memberId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async affiliations(ids) {
      const result = new Map<number, Set<number>>(ids.map((id) => [id, new Set([id])]));
      if (ids.length === 0) return result;
      const principals = await getManyByIds(ids);
      for (const { origin, gid } of await groupClosure(principals.map((p) => p.id))) {
        result.get(origin)?.add(gid);
      }
      const containerKeys = new Map<number, string[]>();
      const domainKeys = new Map<number, string[]>();
      for (const p of principals) {
        const inDomains = [p.domain, p.dn === null ? null : dnDomain(p.dn)].filter((d): d is string => d !== null);
        if (p.dn !== null) containerKeys.set(p.id, dnAncestorKeys(p.dn));
        domainKeys.set(p.id, inDomains.flatMap(domainSuffixes));
      }
      const containers = await idsByKeys('container', [...containerKeys.values()].flat());
      const domains = await idsByKeys('domain', [...domainKeys.values()].flat());
      for (const p of principals) {
        const set = result.get(p.id) as Set<number>;
        for (const k of containerKeys.get(p.id) ?? []) {
          const id = containers.get(k);
          if (id !== undefined) set.add(id);
        }
        for (const k of domainKeys.get(p.id) ?? []) {
          const id = domains.get(k);
          if (id !== undefined) set.add(id);
        }
      }
      return result;
    },

    async expand(ids) {
      const found = new Set<number>(ids);
      const principals = await getManyByIds(ids);
      const groups = principals.filter((p) => p.kind === 'group').map((p) => p.id);
      for (const part of chunks(groups)) {
        const list = sql.join(part.map((id) => sql`${id}`));
        const result = await sql<{ mid: number }>`
          WITH RECURSIVE down(mid) AS (
            SELECT member_id FROM group_members WHERE group_id IN (${list})
            UNION
            SELECT gm.member_id FROM group_members gm JOIN down ON gm.group_id = down.mid
          )
          SELECT mid FROM down`.execute(db);
        for (const r of result.rows) found.add(Number(r.mid));
      }
      for (const p of principals) {
        if (p.kind !== 'container' && p.kind !== 'domain') continue;
        const like = likePattern;
        // Under a container: the DN ends with it. In a domain: the SIP domain is it or a
        // subdomain, or the DN ends with its DC= components.
        const dcDn = p.kind === 'domain' ? p.key.split('.').map((l) => `dc=${l}`).join(',') : '';
        const rows = await db
          .selectFrom('principals')
          .select('id')
          .where('status', '!=', 'deleted')
          .where((eb) =>
            p.kind === 'container'
              ? eb('dnKey', 'like', like(`%,${likeEscape(p.key)}`))
              : eb.or([
                  eb('domain', '=', p.key),
                  eb('domain', 'like', like(`%.${likeEscape(p.key)}`)),
                  eb('dnKey', '=', dcDn),
                  eb('dnKey', 'like', like(`%,${likeEscape(dcDn)}`)),
                ]),
          )
          .execute();
        for (const r of rows) found.add(r.id);
      }
      return found;
    },

    async removeFromAllLists(id) {
      await db.deleteFrom('groupMembers').where((eb) => eb.or([eb('groupId', '=', id), eb('memberId', '=', id)])).execute();
      await db.deleteFrom('categoryPrincipals').where('principalId', '=', id).execute();
      await db.deleteFrom('roomPrincipals').where('principalId', '=', id).execute();
      await db.deleteFrom('administrators').where('principalId', '=', id).execute();
    },

    async listsOf(id) {
      const categories = await db
        .selectFrom('categoryPrincipals')
        .innerJoin('categories', 'categories.id', 'categoryPrincipals.categoryId')
        .select(['categories.name as name', 'categoryPrincipals.list as list'])
        .where('categoryPrincipals.principalId', '=', id)
        .orderBy('categories.name')
        .orderBy('categoryPrincipals.list')
        .execute();
      const rooms = await db
        .selectFrom('roomPrincipals')
        .innerJoin('rooms', 'rooms.id', 'roomPrincipals.roomId')
        .select(['rooms.name as name', 'roomPrincipals.role as list'])
        .where('roomPrincipals.principalId', '=', id)
        .orderBy('rooms.name')
        .orderBy('roomPrincipals.role')
        .execute();
      const admin = await db.selectFrom('administrators').select('principalId').where('principalId', '=', id).executeTakeFirst();
      return [
        ...categories.map((c) => ({ on: 'category' as const, name: c.name, list: c.list })),
        ...rooms.map((r) => ({ on: 'room' as const, name: r.name, list: r.list })),
        ...(admin === undefined ? [] : [{ on: 'administrators' as const, name: 'administrators', list: 'administrators' }]),
      ];
    },

    async countAssignedPolicy(policyId) {
      const row = await db
        .selectFrom('principals')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('policyId', '=', policyId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async clearPolicy(policyId) {
      const result = await db.updateTable('principals').set({ policyId: null }).where('policyId', '=', policyId).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async legacySecrets(ids) {
      const out = new Map<number, string>();
      for (const part of whole([...new Set(ids)])) {
        const rows = await db.selectFrom('legacySecrets').select(['principalId', 'ntHash']).where(idIn(ex.dialect, 'legacySecrets.principalId', part)).execute();
        for (const r of rows) out.set(Number(r.principalId), r.ntHash);
      }
      return out;
    },

    async setLegacySecret(id, ntHash, now) {
      if (ntHash === null) {
        await db.deleteFrom('legacySecrets').where('principalId', '=', id).execute();
        return;
      }
      await db
        .insertInto('legacySecrets')
        .values({ principalId: id, ntHash, setAt: now })
        .onConflict((oc) => oc.column('principalId').doUpdateSet({ ntHash, setAt: now }))
        .execute();
    },

    async directoryLinks() {
      const rows = await db.selectFrom('directoryLinks').selectAll().execute();
      return new Map(rows.map((r) => [Number(r.principalId), { directoryId: r.directoryId, source: r.source, syncedAt: Number(r.syncedAt) }]));
    },

    async principalsByDirectoryIds(source, directoryIds) {
      const out = new Map<string, number>();
      for (const part of whole([...new Set(directoryIds)])) {
        const rows = await db.selectFrom('directoryLinks').select(['directoryId', 'principalId']).where('source', '=', source).where(keysIn(ex.dialect, 'directoryLinks.directoryId', part)).execute();
        for (const r of rows) out.set(r.directoryId, Number(r.principalId));
      }
      return out;
    },

    async directoryLinkOf(id) {
      const r = await db.selectFrom('directoryLinks').selectAll().where('principalId', '=', id).executeTakeFirst();
      return r === undefined ? undefined : { directoryId: r.directoryId, source: r.source, syncedAt: Number(r.syncedAt) };
    },

    async setDirectoryLink(id, link, now) {
      if (link === null) {
        await db.deleteFrom('directoryLinks').where('principalId', '=', id).execute();
        return;
      }
      await db
        .insertInto('directoryLinks')
        .values({ principalId: id, directoryId: link.directoryId, source: link.source, syncedAt: now })
        .onConflict((oc) => oc.column('principalId').doUpdateSet({ directoryId: link.directoryId, source: link.source, syncedAt: now }))
        .execute();
    },
  };
}

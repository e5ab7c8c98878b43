import type { Selectable } from 'kysely';
import type { CategoriesTable } from '../schema.js';
import type { CategoryLists, CategoryListName, CategoryRecord, CategoryStore } from '../types.js';
import { chunks, fromFlag, must, toFlag, type Executor, idIn, whole } from './common.js';

function toRecord(row: Selectable<CategoriesTable>): CategoryRecord {
  return {
    ...row,
    invitations: fromFlag(row.invitations),
    fileUpload: fromFlag(row.fileUpload),
    chatHistory: fromFlag(row.chatHistory),
    createdAt: Number(row.createdAt),
    updatedAt: Number(row.updatedAt),
  };
}

type FlagFields = Pick<CategoryRecord, 'invitations' | 'fileUpload' | 'chatHistory'>;

function flags<T extends Partial<FlagFields>>(values: T) {
  const { invitations, fileUpload, chatHistory, ...rest } = values;
  return {
    ...rest,
    ...(invitations === undefined ? {} : { invitations: toFlag(invitations) }),
    ...(fileUpload === undefined ? {} : { fileUpload: toFlag(fileUpload) }),
    ...(chatHistory === undefined ? {} : { chatHistory: toFlag(chatHistory) }),
  };
}

const LIST_KEYS: Record<CategoryListName, keyof CategoryLists> = {
  allowed: 'allowed',
  denied: 'denied',
  creator: 'creators',
};

export function categoryStore({ db, can, dialect }: Executor): CategoryStore {
  return {
    async insert(c) {
      const values = { ...c, invitations: toFlag(c.invitations), fileUpload: toFlag(c.fileUpload), chatHistory: toFlag(c.chatHistory) };
      return toRecord(await db.insertInto('categories').values(values).returningAll().executeTakeFirstOrThrow());
    },
    async update(id, patch) {
      const row = await db.updateTable('categories').set(flags(patch)).where('id', '=', id).returningAll().executeTakeFirst();
      return toRecord(must(row, `category ${id}`));
    },
    async delete(id) {
      await db.deleteFrom('categories').where('id', '=', id).execute();
    },
    async getById(id) {
      const row = await db.selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async getManyByIds(ids) {
      const out: CategoryRecord[] = [];
      for (const part of whole([...new Set(ids)])) {
        out.push(...(await db.selectFrom('categories').selectAll().where(idIn(dialect, 'categories.id', part)).execute()).map(toRecord));
      }
      return out;
    },
    async lock(id) {
      if (can.rowLocks) await db.selectFrom('categories').select('id').where('id', '=', id).forUpdate().execute();
    },
    async getByNameKey(nameKey) {
      const row = await db.selectFrom('categories').selectAll().where('nameKey', '=', nameKey).executeTakeFirst();
      return row && toRecord(row);
    },
    async list() {
      return (await db.selectFrom('categories').selectAll().orderBy('nameKey').execute()).map(toRecord);
    },
    async count() {
      const row = await db.selectFrom('categories').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async lists(ids) {
      const out = new Map<number, CategoryLists>(ids.map((id) => [id, { allowed: [], denied: [], creators: [] }]));
      for (const part of whole([...new Set(ids)])) {
        const rows = await db
          .selectFrom('categoryPrincipals')
          .select(['categoryId', 'list', 'principalId'])
          .where(idIn(dialect, 'categoryPrincipals.categoryId', part))
          .orderBy('categoryId')
          .orderBy('principalId')
          .execute();
        for (const r of rows) out.get(r.categoryId)?.[LIST_KEYS[r.list as CategoryListName]].push(r.principalId);
      }
      return out;
    },
    async setList(id, list, principalIds) {
      await db.deleteFrom('categoryPrincipals').where('categoryId', '=', id).where('list', '=', list).execute();
      for (const part of chunks([...new Set(principalIds)])) {
        await db
          .insertInto('categoryPrincipals')
          .values(part.map((principalId) => ({ categoryId: id, list, principalId })))
          .execute();
      }
    },
    async roomCount(id) {
      const row = await db
        .selectFrom('rooms')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('categoryId', '=', id)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

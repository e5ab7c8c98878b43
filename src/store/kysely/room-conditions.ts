/**
 * A RoomQuery as one SQL condition on `rooms`: used to list rooms, and as a subquery
 * wherever a room selection narrows something else (message search), so an actor's
 * readable rooms never travel as a list of ids however many there are.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database } from '../schema.js';
import type { RoomQuery } from '../types.js';
import { containing, toFlag } from './common.js';

type Eb = ExpressionBuilder<Database, 'rooms'>;
export type RoomCondition = (eb: Eb) => Expression<SqlBool>;

function holdsRole(eb: Eb, role: string, principalIds: readonly number[]) {
  return eb.exists(
    eb
      .selectFrom('roomPrincipals')
      .select('roomPrincipals.roomId')
      .whereRef('roomPrincipals.roomId', '=', 'rooms.id')
      .where('roomPrincipals.role', '=', role)
      .where('roomPrincipals.principalId', 'in', [...principalIds]),
  );
}

/** The condition, or undefined when the query can match no room at all. */
export function roomConditions(query: RoomQuery): RoomCondition | undefined {
  const empty = (list: readonly unknown[] | undefined) => list !== undefined && list.length === 0;
  if (empty(query.ids) || empty(query.categoryIds) || empty(query.nameKeys) || empty(query.role?.principalIds)) return undefined;
  return (eb) => {
    const all: Expression<SqlBool>[] = [];
    if (query.ids !== undefined) all.push(eb('rooms.id', 'in', [...query.ids]));
    if (query.categoryId !== undefined) all.push(eb('rooms.categoryId', '=', query.categoryId));
    if (query.categoryIds !== undefined) all.push(eb('rooms.categoryId', 'in', [...query.categoryIds]));
    if (query.nameKeys !== undefined) all.push(eb('rooms.nameKey', 'in', [...query.nameKeys]));
    if (query.privacy !== undefined) all.push(eb('rooms.privacy', '=', query.privacy));
    if (query.type !== undefined) all.push(eb('rooms.type', '=', query.type));
    if (query.disabled !== undefined) all.push(eb('rooms.disabled', '=', toFlag(query.disabled)));
    if (query.invitations !== undefined) all.push(eb('rooms.invitations', '=', query.invitations));
    if (query.addinId !== undefined) all.push(eb('rooms.addinId', '=', query.addinId));
    if (query.contentExceedsBytes !== undefined) all.push(eb('rooms.contentBytes', '>', query.contentExceedsBytes));
    const text = query.text;
    if (text !== undefined) {
      const pattern = containing(text.value.toLowerCase());
      const byName = eb('rooms.nameKey', 'like', pattern);
      all.push(text.description ? eb.or([byName, eb(eb.fn('lower', ['rooms.description']), 'like', pattern)]) : byName);
    }
    const access = query.privacyOrMember;
    if (access !== undefined) {
      const alternatives: Expression<SqlBool>[] = [];
      if (access.privacies.length > 0) alternatives.push(eb('rooms.privacy', 'in', [...access.privacies]));
      if (access.principalIds.length > 0) alternatives.push(holdsRole(eb, 'member', access.principalIds));
      all.push(alternatives.length === 0 ? sql<SqlBool>`1 = 0` : eb.or(alternatives));
    }
    if (query.role !== undefined) all.push(holdsRole(eb, query.role.role, query.role.principalIds));
    return all.length === 0 ? sql<SqlBool>`1 = 1` : eb.and(all);
  };
}

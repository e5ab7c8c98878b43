/**
 * Invitations (01 §4.6): when they are effective for a room (category on, room Inherit),
 * every user who gains membership gets one, including the first members of a new room.
 */
import type { CategoryRecord, RoomRecord } from '../store/types.js';
import { invitationsEffective } from '../domain/rooms.js';
import { hasRole, inScope } from '../domain/permissions.js';
import { loadRooms } from '../access/rooms.js';
import { loadCategoryFacts } from '../access/categories.js';
import type { Tx } from './context.js';
import { presentInvitations } from './chat-views.js';

export async function doInvite(
  tx: Tx,
  room: RoomRecord,
  category: CategoryRecord,
  membersBefore: readonly number[],
  membersAfter: readonly number[],
): Promise<void> {
  if (!invitationsEffective(room.invitations, category.invitations) || room.disabled) return;
  const added = membersAfter.filter((id) => !membersBefore.includes(id));
  if (added.length === 0) return;
  const store = tx.store;
  const [gaining, already] = await Promise.all([store.principals.expand(added), store.principals.expand(membersBefore)]);
  const candidates = [...gaining].filter((id) => !already.has(id));
  const users = (await store.principals.getManyByIds(candidates)).filter((p) => p.kind === 'user' && p.status === 'active' && !p.federated);
  const affiliations = await store.principals.affiliations(users.map((u) => u.id));
  const scope = await loadCategoryFacts(store, category);
  const invited = users.filter((u) => inScope({ id: u.id, affiliations: affiliations.get(u.id) ?? new Set([u.id]) }, scope)).map((u) => u.id);
  if (invited.length === 0) return;
  await invite(tx, room, invited);
}

async function invite(tx: Tx, room: RoomRecord, userIds: readonly number[]): Promise<void> {
  const records = await tx.store.invitations.add(userIds, room.id, tx.now);
  const views = await presentInvitations(tx.store, records, [room], (id) => tx.services.presence.participants(id));
  tx.emit({
    type: 'invitation.created',
    roomId: room.id,
    invitations: records.map((r, i) => ({ principalId: r.principalId, invitation: views[i] as (typeof views)[number] })),
  });
}

/** Who belongs to what, for the users affected by a directory change, taken before it. */
export type AffiliationSnapshot = Map<number, Set<number>>;

export async function snapshotAffiliations(tx: Tx, principalIds: readonly number[]): Promise<AffiliationSnapshot> {
  const affected = await tx.store.principals.expand(principalIds);
  const users = (await tx.store.principals.getManyByIds([...affected])).filter((p) => p.kind === 'user').map((p) => p.id);
  return tx.store.principals.affiliations(users);
}

/**
 * After a directory change (a user added to a group, a group nested in another, a user
 * provisioned into groups): users who thereby became members of rooms with effective
 * invitations get one, as if they had been added to the room.
 */
export async function doInviteGainedMembers(tx: Tx, before: AffiliationSnapshot, alsoUsers: readonly number[] = []): Promise<void> {
  const store = tx.store;
  const userIds = [...new Set([...before.keys(), ...alsoUsers])];
  if (userIds.length === 0) return;
  const after = await store.principals.affiliations(userIds);
  const gained = new Set<number>();
  for (const id of userIds) {
    const was = before.get(id) ?? new Set([id]);
    for (const a of after.get(id) ?? []) if (!was.has(a)) gained.add(a);
  }
  if (gained.size === 0) return;
  const rooms = await loadRooms(store, await store.rooms.list({ role: { role: 'member', principalIds: [...gained] }, disabled: false }));
  const users = new Map((await store.principals.getManyByIds(userIds)).map((u) => [u.id, u]));
  for (const loaded of rooms) {
    if (!invitationsEffective(loaded.room.invitations, loaded.category.invitations)) continue;
    const invited = userIds.filter((id) => {
      const user = users.get(id);
      if (user === undefined || user.status !== 'active' || user.federated) return false;
      const now = { id, affiliations: after.get(id) ?? new Set([id]) };
      const then = { id, affiliations: before.get(id) ?? new Set([id]) };
      return hasRole(now, loaded.facts, 'member') && !hasRole(then, loaded.facts, 'member');
    });
    if (invited.length > 0) await invite(tx, loaded.room, invited);
  }
}

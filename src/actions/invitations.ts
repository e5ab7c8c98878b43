/**
 * Invitations (01 §4.6): when they are effective for a room (category on, room Inherit),
 * every user who gains membership gets one, including the first members of a new room.
 */
import type { CategoryRecord, RoomRecord } from '../store/types.js';
import { invitationsEffective } from '../domain/rooms.js';
import { inScope } from '../domain/permissions.js';
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
  const records = await store.invitations.add(invited, room.id, tx.now);
  const views = await presentInvitations(store, records, [room], (id) => tx.services.presence.participants(id));
  tx.emit({
    type: 'invitation.created',
    roomId: room.id,
    invitations: records.map((r, i) => ({ principalId: r.principalId, invitation: views[i] as (typeof views)[number] })),
  });
}

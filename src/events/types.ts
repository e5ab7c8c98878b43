import type { InvitationView, MessageView, NotificationView } from '../actions/chat-views.js';

/**
 * Domain events, named `resource.verb`. They leave only after the transaction that
 * caused them commits (actions queue them on the transaction).
 */
export type DomainEvent =
  | { type: 'category.created' | 'category.updated' | 'category.removed'; categoryId: number; name: string }
  | { type: 'room.created' | 'room.updated' | 'room.removed'; roomId: number; name: string }
  | { type: 'room.disabled' | 'room.enabled'; roomId: number; name: string }
  | { type: 'room.moved'; roomId: number; name: string; fromCategoryId: number; toCategoryId: number }
  | {
      type: 'room.roles_changed';
      roomId: number;
      name: string;
      /** Principals that lost a role; live sessions re-check their access. */
      removed: number[];
      added: number[];
    }
  | { type: 'category.scope_changed'; categoryId: number; name: string }
  | { type: 'addin.created' | 'addin.updated' | 'addin.removed'; addinId: number; name: string }
  | { type: 'policy.changed'; identity: string }
  | { type: 'configuration.changed'; identity: string }
  | { type: 'compliance_configuration.changed'; identity: string }
  | { type: 'endpoint.created' | 'endpoint.removed'; sipUri: string }
  /** The pool's active-server list changed (every node reads it again). */
  | { type: 'pool.active_servers_changed' }
  | { type: 'principal.created' | 'principal.updated' | 'principal.removed'; principalId: number; key: string }
  | { type: 'directory.changed'; principalIds: number[] }
  | { type: 'administrator.granted' | 'administrator.revoked'; principalId: number }
  /** `inHistory`: kept in the room's history (false where the category has chat history off). */
  | { type: 'message.posted'; roomId: number; message: MessageView; inHistory: boolean }
  | { type: 'message.removed'; roomId: number; messageIds: number[] }
  | { type: 'message.replaced'; roomId: number; messages: MessageView[] }
  | { type: 'room.cleared'; roomId: number; through: string; removed: number }
  | { type: 'invitation.created'; roomId: number; invitations: { principalId: number; invitation: InvitationView }[] }
  /** The user went into a room they were invited to: the invitation is done with, on every device. */
  | { type: 'invitation.accepted'; roomId: number; room: string; principalId: number }
  | { type: 'notification.created'; notifications: { principalId: number; notification: NotificationView }[] }
  | { type: 'session.ended'; principalId: number; tokenHashes: string[] | 'all' }
  /**
   * This node may have missed events of the pool (Redis lost its stream): caches read
   * everything again, live sessions are checked again. Never leaves the node.
   */
  | { type: 'events.lost' }
  /** An archive or legacy import wrote (all or part of) its data: caches read everything again. */
  | { type: 'data.imported'; file: string }
  /** A user's keyword alerts or topic feeds changed (the matching index follows). */
  | { type: 'subscriptions.changed'; principalId: number; what: 'keywords' | 'feeds' }
  /** A user followed or unfollowed a room, or moved its read mark (their clients update counts). */
  /** Followed (a read mark), unfollowed (null), or read further; `room` is its guid. */
  | { type: 'follows.changed'; principalId: number; roomId: number; room: string; lastReadChatId: number | null };

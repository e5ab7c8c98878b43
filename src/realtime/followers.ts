/**
 * Which rooms the users connected to this node follow, so that a post reaches its
 * followers' clients as a `room.activity` frame (their unread counts move live, without
 * polling) — with no query per post: a user's followed rooms are read once, when their
 * first WebSocket opens, and kept up to date by `follows.changed` events.
 */
export class FollowerIndex {
  /** room → users connected here who follow it */
  private readonly byRoom = new Map<number, Set<number>>();
  /** user → the rooms they follow (present while the user has a connection here) */
  private readonly byPrincipal = new Map<number, Set<number>>();
  private readonly loading = new Map<number, Promise<void>>();

  constructor(private readonly list: (principalId: number) => Promise<readonly number[]>) {}

  /** A connection of the user opened: their followed rooms are read unless already here. */
  connected(principalId: number): Promise<void> {
    if (this.byPrincipal.has(principalId)) return Promise.resolve();
    let loading = this.loading.get(principalId);
    if (loading === undefined) {
      loading = this.list(principalId)
        .then((rooms) => {
          this.byPrincipal.set(principalId, new Set());
          for (const roomId of rooms) this.follow(principalId, roomId);
        })
        .finally(() => this.loading.delete(principalId));
      this.loading.set(principalId, loading);
    }
    return loading;
  }

  /** The user's last connection here closed. */
  disconnected(principalId: number): void {
    for (const roomId of this.byPrincipal.get(principalId) ?? []) this.drop(principalId, roomId);
    this.byPrincipal.delete(principalId);
  }

  /** A follow of a user connected here (others are read when they connect). */
  follow(principalId: number, roomId: number): void {
    const rooms = this.byPrincipal.get(principalId);
    if (rooms === undefined) return;
    rooms.add(roomId);
    let users = this.byRoom.get(roomId);
    if (users === undefined) this.byRoom.set(roomId, (users = new Set()));
    users.add(principalId);
  }

  unfollow(principalId: number, roomId: number): void {
    this.byPrincipal.get(principalId)?.delete(roomId);
    this.drop(principalId, roomId);
  }

  followersOf(roomId: number): ReadonlySet<number> | undefined {
    return this.byRoom.get(roomId);
  }

  /** Events were missed (or an import rewrote follows): every connected user's follows are read again. */
  async reload(): Promise<void> {
    const users = [...this.byPrincipal.keys()];
    for (const principalId of users) this.disconnected(principalId);
    await Promise.all(users.map((principalId) => this.connected(principalId)));
  }

  private drop(principalId: number, roomId: number): void {
    const users = this.byRoom.get(roomId);
    if (users === undefined) return;
    users.delete(principalId);
    if (users.size === 0) this.byRoom.delete(roomId);
  }
}

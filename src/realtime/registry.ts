/**
 * Who is connected and who is in which room on this node. A user counts once in a room's
 * roster however many connections (tabs, devices) they have joined with.
 */
export interface Connection {
  readonly id: number;
  readonly principalId: number;
  readonly tokenHash: string;
  readonly rooms: Set<number>;
  /** False once the socket is closing: nothing may be joined on its behalf any more. */
  readonly open: boolean;
  /**
   * Sends a frame. `bytes`, when given, is the same text already encoded as UTF-8: a
   * broadcast encodes a frame once and hands every WebSocket the same buffer.
   */
  send(frame: string, bytes?: Buffer): void;
  close(code: number, reason: string): void;
}

export class Registry {
  private readonly byPrincipal = new Map<number, Set<Connection>>();
  /** room → user → that user's joined connections */
  private readonly byRoom = new Map<number, Map<number, Set<Connection>>>();
  /** Per room, changed whenever a user enters or leaves it (roster caches compare it). */
  private readonly versions = new Map<number, number>();
  private connections = 0;
  private version = 0;

  add(conn: Connection): void {
    let set = this.byPrincipal.get(conn.principalId);
    if (set === undefined) this.byPrincipal.set(conn.principalId, (set = new Set<Connection>()));
    if (!set.has(conn)) this.connections++;
    set.add(conn);
  }

  /** Forgets the connection; returns the rooms its user left entirely. */
  remove(conn: Connection): number[] {
    if (this.byPrincipal.get(conn.principalId)?.delete(conn) === true) this.connections--;
    if (this.byPrincipal.get(conn.principalId)?.size === 0) this.byPrincipal.delete(conn.principalId);
    const left: number[] = [];
    for (const roomId of [...conn.rooms]) if (this.part(conn, roomId)) left.push(roomId);
    return left;
  }

  /** Returns true when the user was not in the room before. */
  join(conn: Connection, roomId: number): boolean {
    conn.rooms.add(roomId);
    let users = this.byRoom.get(roomId);
    if (users === undefined) this.byRoom.set(roomId, (users = new Map<number, Set<Connection>>()));
    let conns = users.get(conn.principalId);
    const fresh = conns === undefined;
    if (conns === undefined) users.set(conn.principalId, (conns = new Set<Connection>()));
    conns.add(conn);
    if (fresh) this.versions.set(roomId, ++this.version);
    return fresh;
  }

  /** Returns true when the user has no connection left in the room. */
  part(conn: Connection, roomId: number): boolean {
    conn.rooms.delete(roomId);
    const users = this.byRoom.get(roomId);
    const conns = users?.get(conn.principalId);
    if (users === undefined || conns === undefined || !conns.delete(conn)) return false;
    if (conns.size > 0) return false;
    users.delete(conn.principalId);
    if (users.size === 0) {
      this.byRoom.delete(roomId);
      this.versions.delete(roomId);
    } else this.versions.set(roomId, ++this.version);
    return true;
  }

  participants(roomId: number): number[] {
    return [...(this.byRoom.get(roomId)?.keys() ?? [])];
  }

  participantCount(roomId: number): number {
    return this.byRoom.get(roomId)?.size ?? 0;
  }

  inRoom(roomId: number): Connection[] {
    const out: Connection[] = [];
    for (const conns of this.byRoom.get(roomId)?.values() ?? []) for (const c of conns) out.push(c);
    return out;
  }

  ofPrincipal(principalId: number): Connection[] {
    return [...(this.byPrincipal.get(principalId) ?? [])];
  }

  principals(): number[] {
    return [...this.byPrincipal.keys()];
  }

  rooms(): number[] {
    return [...this.byRoom.keys()];
  }

  /** Who is in the room changes with this number (0: nobody is). */
  rosterVersion(roomId: number): number {
    return this.versions.get(roomId) ?? 0;
  }

  get connectionCount(): number {
    return this.connections;
  }
}

/**
 * An independent restatement of the reference algorithm (01 §3.8 with D1's answers),
 * written from the spec for the model-based test — deliberately not importing
 * src/domain/permissions.ts, so the two can disagree.
 */
export type Kind = 'user' | 'group' | 'container' | 'domain';

export interface RefPrincipal {
  key: string;
  kind: Kind;
  /** Users: SIP domain. */
  domain?: string;
  /** Users: DN (lower-case). Containers: their DN (lower-case). */
  dn?: string;
  /** Direct groups. */
  groups: string[];
  active: boolean;
  serviceEnabled: boolean;
  admin: boolean;
}

export interface RefCategory {
  allowed: string[];
  denied: string[];
  chatHistory: boolean;
  fileUpload: boolean;
}

export interface RefRoom {
  privacy: 'Open' | 'Closed' | 'Secret';
  type: 'Normal' | 'Auditorium';
  disabled: boolean;
  members: string[];
  managers: string[];
  presenters: string[];
  category: RefCategory;
}

export class Reference {
  constructor(private readonly principals: Map<string, RefPrincipal>) {}

  /** The principal, every group it is in (transitively), its containers and domains. */
  affiliations(key: string): Set<string> {
    const out = new Set<string>([key]);
    const p = this.principals.get(key);
    if (p === undefined) return out;
    const queue = [...p.groups];
    while (queue.length > 0) {
      const g = queue.pop() as string;
      if (out.has(g)) continue;
      out.add(g);
      queue.push(...(this.principals.get(g)?.groups ?? []));
    }
    for (const other of this.principals.values()) {
      if (other.kind === 'container' && p.dn !== undefined && p.dn.endsWith(`,${other.dn}`)) out.add(other.key);
      if (other.kind === 'domain' && p.domain !== undefined && (p.domain === other.key || p.domain.endsWith(`.${other.key}`))) out.add(other.key);
    }
    return out;
  }

  matches(key: string, list: readonly string[]): boolean {
    const aff = this.affiliations(key);
    return list.some((k) => aff.has(k));
  }

  inScope(key: string, c: RefCategory): boolean {
    return this.matches(key, c.allowed) && !this.matches(key, c.denied);
  }

  private usable(key: string): boolean {
    const p = this.principals.get(key);
    return p !== undefined && p.kind === 'user' && p.active && p.serviceEnabled;
  }

  private isAdmin(key: string): boolean {
    return this.usable(key) && (this.principals.get(key)?.admin ?? false);
  }

  private isMember(key: string, r: RefRoom): boolean {
    return this.matches(key, r.members) && this.inScope(key, r.category);
  }

  private isPresenter(key: string, r: RefRoom): boolean {
    return this.matches(key, r.presenters) && this.inScope(key, r.category);
  }

  canSee(u: string, r: RefRoom): boolean {
    if (!this.usable(u) || r.disabled) return false;
    if (this.isAdmin(u)) return true;
    return r.privacy === 'Secret' ? this.isMember(u, r) : this.inScope(u, r.category);
  }

  canJoin(u: string, r: RefRoom): boolean {
    if (!this.usable(u) || r.disabled) return false;
    if (this.isAdmin(u)) return true;
    return r.privacy === 'Open' ? this.inScope(u, r.category) : this.isMember(u, r);
  }

  /** Administrators post only where a member would (D1). */
  canPost(u: string, r: RefRoom): boolean {
    if (!this.usable(u) || r.disabled) return false;
    const admitted = r.privacy === 'Open' ? this.inScope(u, r.category) : this.isMember(u, r);
    return admitted && (r.type === 'Normal' || this.isPresenter(u, r));
  }

  canReadHistory(u: string, r: RefRoom): boolean {
    return this.canJoin(u, r) && r.category.chatHistory;
  }
}

/**
 * Scopes and roles as D3 decides them (C3, C6, C13–C15, C20): a category's effective scope
 * is its own scope entries, else its parent's; room members are the explicit ones plus
 * the inherited category member list (unless the room has its own list); managers of the
 * root and of every ancestor category manage the room; creators are the effective managers,
 * plus the effective members where members may create rooms (2013 dumps: Creator rows).
 * Every assignment is kept only for principals inside the category's scope, except
 * federated users, kept as they are; each drop is reported.
 */
import type Database from 'better-sqlite3';
import { domainSuffixes, dnAncestorKeys } from '../../../domain/principals.js';
import type { MappedPrincipal, PrincipalMapping } from './principals.js';
import type { LegacyTree, ResolvedNode } from './tree.js';
import type { MigrationFindings } from './findings.js';

export type LegacyRole = 'member' | 'manager' | 'presenter' | 'creator' | 'administrator';

/** tblRoleType.rtypeDesc → role; "Voiced" is the auditorium presenter. */
export function roleOfDescription(desc: string): LegacyRole | undefined {
  const d = desc.trim().toLowerCase();
  if (d === 'member') return 'member';
  if (d === 'manager') return 'manager';
  if (d === 'voiced' || d === 'presenter') return 'presenter';
  if (d === 'creator') return 'creator';
  if (/admin|super ?user/.test(d)) return 'administrator';
  return undefined;
}

export interface Scope {
  allowed: MappedPrincipal[];
  denied: MappedPrincipal[];
}

export class Roles {
  private readonly roleTypes = new Map<number, LegacyRole>();
  private readonly explicit = new Map<number, Map<LegacyRole, number[]>>();
  private readonly scopes = new Map<number, { allowed: number[]; denied: number[] }>();
  private readonly affiliationsOf: Database.Statement;
  /** Every group and folder a principal belongs to, directly or through nested groups. */
  private readonly closures = new Map<number, Set<number>>();
  private readonly inScopeCache = new Map<string, boolean>();

  constructor(
    private readonly db: Database.Database,
    private readonly tree: LegacyTree,
    private readonly principals: Map<number, PrincipalMapping>,
    private readonly findings: MigrationFindings,
  ) {
    for (const r of db.prepare('SELECT rtypeID, rtypeDesc FROM tblRoleType').all() as { rtypeID: number; rtypeDesc: string }[]) {
      const role = roleOfDescription(r.rtypeDesc);
      if (role !== undefined) this.roleTypes.set(r.rtypeID, role);
      else findings.add({ rule: 'input', severity: 'warning', legacyId: `role type ${r.rtypeID}`, legacyPath: '', message: `role type '${r.rtypeDesc}' is not known; its assignments are not migrated` });
    }
    for (const r of db.prepare('SELECT prinRoleNodeID AS node, prinRolePrinID AS prin, prinRoleTypeID AS type FROM tblPrincipalRole ORDER BY 1, 2').iterate() as Iterable<{ node: number; prin: number; type: number }>) {
      const role = this.roleTypes.get(r.type);
      if (role === undefined) continue;
      let byRole = this.explicit.get(r.node);
      if (byRole === undefined) this.explicit.set(r.node, (byRole = new Map<LegacyRole, number[]>()));
      let list = byRole.get(role);
      if (list === undefined) byRole.set(role, (list = []));
      list.push(r.prin);
    }
    for (const r of db.prepare('SELECT scopeNodeID AS node, scopePrinID AS prin, scopeIsDenied AS denied FROM tblScopePrincipal ORDER BY 1, 2').iterate() as Iterable<{ node: number; prin: number; denied: number | null }>) {
      let s = this.scopes.get(r.node);
      if (s === undefined) this.scopes.set(r.node, (s = { allowed: [], denied: [] }));
      (r.denied === 1 ? s.denied : s.allowed).push(r.prin);
    }
    this.affiliationsOf = db.prepare('SELECT affiliationID AS id FROM tblPrincipalAffiliations WHERE principalID = ? AND affiliationID <> principalID');
  }

  /**
   * A principal's affiliations, transitively: a user in a group inside the scope group is
   * in the scope, whether or not the dump lists the nested membership itself. Cycles in
   * the dump's rows end the walk, they do not loop it.
   */
  private affiliations(id: number): Set<number> {
    const cached = this.closures.get(id);
    if (cached !== undefined) return cached;
    const out = new Set<number>();
    const queue = [id];
    while (queue.length > 0) {
      const next = queue.pop()!;
      for (const { id: parent } of this.affiliationsOf.all(next) as { id: number }[]) {
        if (parent === id || out.has(parent)) continue;
        out.add(parent);
        const known = this.closures.get(parent);
        if (known !== undefined) known.forEach((g) => g !== id && out.add(g));
        else queue.push(parent);
      }
    }
    this.closures.set(id, out);
    return out;
  }

  /** Legacy principal ids holding a role anywhere (administrators: C18). */
  holders(role: LegacyRole): number[] {
    const out = new Set<number>();
    for (const byRole of this.explicit.values()) for (const id of byRole.get(role) ?? []) out.add(id);
    return [...out].sort((a, b) => a - b);
  }

  explicitOf(node: ResolvedNode, role: LegacyRole): number[] {
    return this.explicit.get(node.id)?.get(role) ?? [];
  }

  /** The node whose scope entries are effective for a category (itself or the nearest ancestor with some). */
  private scopeNode(category: ResolvedNode): ResolvedNode | undefined {
    for (const n of [category, ...[...category.ancestors].reverse()]) if (this.scopes.has(n.id)) return n as ResolvedNode;
    return undefined;
  }

  /** Legacy ids of the effective scope of a category, or undefined when no node up to the root has one. */
  legacyScope(category: ResolvedNode): { allowed: number[]; denied: number[] } | undefined {
    const at = this.scopeNode(category);
    return at === undefined ? undefined : this.scopes.get(at.id);
  }

  /** Effective members of a category: its own and, unless it starts a new list, its parent's. */
  categoryMembers(category: ResolvedNode): number[] {
    const out = new Set<number>();
    for (let n: ResolvedNode | undefined = category; n !== undefined; n = this.tree.parent(n)) {
      this.explicitOf(n, 'member').forEach((id) => out.add(id));
      if (this.tree.shape === 'hierarchical' && n.overrideMember) break;
    }
    return [...out];
  }

  /** Managers of a node and of every category above it (C3). */
  inheritedManagers(node: ResolvedNode): number[] {
    const out = new Set<number>();
    for (const n of [...node.ancestors, node]) this.explicitOf(n as ResolvedNode, 'manager').forEach((id) => out.add(id));
    return [...out];
  }

  /** Whether a principal falls inside a legacy scope list (itself, an affiliation at any depth, its domain or a containing folder). */
  private within(p: MappedPrincipal, list: number[]): boolean {
    const affiliations = this.affiliations(p.id);
    for (const id of list) {
      if (id === p.id) return true;
      const s = this.principals.get(id);
      const entry = s !== undefined && 'ok' in s ? s.ok : undefined;
      if (entry?.kind === 'domain' && p.domain !== null && domainSuffixes(p.domain).includes(entry.key)) return true;
      if (entry?.kind === 'container' && p.dn !== null && dnAncestorKeys(p.dn).includes(entry.key)) return true;
      if (affiliations.has(id)) return true;
    }
    return false;
  }

  inScope(p: MappedPrincipal, category: ResolvedNode, scope: { allowed: number[]; denied: number[] } | undefined): boolean {
    if (scope === undefined) return true;
    const key = `${category.id}:${p.id}`;
    let hit = this.inScopeCache.get(key);
    if (hit === undefined) {
      hit = this.within(p, scope.allowed) && !this.within(p, scope.denied);
      this.inScopeCache.set(key, hit);
    }
    return hit;
  }

  /**
   * Legacy ids → Stoa keys for one role list of a room or category: unknown and dropped
   * principals, deleted directory objects (C20) and principals outside the scope are
   * left out and reported; federated users stay (C6).
   */
  keys(ids: Iterable<number>, what: string, node: ResolvedNode, category: ResolvedNode, rule: string): string[] {
    const scope = this.legacyScope(category);
    const out: string[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const mapping = this.principals.get(id);
      if (mapping === undefined || !('ok' in mapping)) {
        this.findings.add({ rule: mapping !== undefined && mapping.federatedGroup === true ? 'C6' : 'input', severity: 'warning', node, message: `${what}: principal ${id} dropped (${mapping === undefined ? 'not in tblPrincipal' : mapping.dropped})` });
        continue;
      }
      const p = mapping.ok;
      if (seen.has(p.key)) continue;
      if (p.legacyDisabled === 2) {
        this.findings.add({ rule: 'C20', severity: 'warning', node, message: `${what}: ${p.key} dropped (its directory object was deleted)` });
        continue;
      }
      if (!p.federated && !this.inScope(p, category, scope)) {
        this.findings.add({ rule, severity: 'warning', node, message: `${what}: ${p.key} dropped (outside the scope of the category)` });
        continue;
      }
      if (p.federated) this.findings.add({ rule: 'C6', severity: 'info', node, message: `${what}: federated user ${p.key} kept, disabled (Stoa has no federation)` });
      else if (p.legacyDisabled === 1) this.findings.add({ rule: 'C20', severity: 'info', node, message: `${what}: ${p.key} kept, disabled (SIP disabled in the legacy directory)` });
      seen.add(p.key);
      out.push(p.key);
    }
    return out.sort();
  }
}

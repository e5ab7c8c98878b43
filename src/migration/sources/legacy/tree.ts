/**
 * The legacy node tree (02 §2.1–2.2): categories and rooms of one self-referencing table,
 * checked (one root, no dangling parent, no cycle, rooms only under categories) and
 * resolved — each node's effective settings after inheritance, its full legacy path.
 * Nodes are few next to messages, so the tree is held in memory.
 */
import { AppError } from '../../../domain/errors.js';
import type { Staging, DumpShape } from './staging.js';

/** Settings a node may leave NULL to inherit (02 §2.2). */
export const INHERITED = ['invite', 'logged', 'filePost', 'visibility', 'restrictChildCreate'] as const;
export type InheritedSetting = (typeof INHERITED)[number];

/** D3: what the root stands for where it leaves a setting NULL. Visibility 3 = scope. */
export const ROOT_DEFAULTS: Record<InheritedSetting, number> = { invite: 0, logged: 1, filePost: 0, visibility: 3, restrictChildCreate: 0 };

export const VISIBILITY = { private: 2, scope: 3, open: 6 } as const;
export const BEHAVIOR = { normal: 4, auditorium: 5 } as const;

export interface LegacyNode {
  id: number;
  guid: string;
  parentId: number;
  isCategory: boolean;
  name: string;
  description: string;
  topic: string | null;
  /** ChildrenMustInheritProperties. */
  inheritance: boolean;
  /** CreateNewMemberList. */
  overrideMember: boolean;
  disabled: boolean;
  behavior: number;
  addin: string | null;
  addedBy: number | null;
  addedOn: number | null;
  updatedOn: number | null;
  local: Record<InheritedSetting, number | null>;
  /** Line of tblNode.csv (for messages). */
  line: number;
}

export interface ResolvedNode extends LegacyNode {
  /** Root first, the node's parent last. */
  ancestors: LegacyNode[];
  /** `/Engineering/Platform/BuildStatus` (the root is `/`). */
  path: string;
  effective: Record<InheritedSetting, number>;
  /** Settings of its own the node loses to a category above it that locks inheritance (02 §2.2). */
  overridden: { setting: InheritedSetting; own: number; effective: number; lockedBy: LegacyNode }[];
}

const fail = (message: string) => new AppError('MIGRATION_INVALID', message);

interface NodeRow {
  nodeID: number;
  nodeGuid: string;
  parentID: number;
  nodeType: number;
  nodeName: string;
  nodeDesc: string | null;
  topic: string | null;
  inheritance: number | null;
  overrideMember: number | null;
  invite: number | null;
  logged: number | null;
  filePost: number | null;
  disabled: number | null;
  restrictChildCreate: number | null;
  behavior: number | null;
  visibility: number | null;
  siopID: string | null;
  nodeAddedBy: number | null;
  nodeAddedOn: number | null;
  nodeUpdatedOn: number | null;
  _line: number;
}

function nodeOf(r: NodeRow): LegacyNode {
  return {
    id: r.nodeID,
    guid: r.nodeGuid,
    parentId: r.parentID,
    isCategory: r.nodeType === 1,
    name: r.nodeName,
    description: r.nodeDesc ?? '',
    topic: r.topic === null || r.topic.trim() === '' ? null : r.topic,
    inheritance: r.inheritance === 1,
    overrideMember: r.overrideMember === 1,
    disabled: r.disabled === 1,
    behavior: r.behavior ?? BEHAVIOR.normal,
    addin: r.siopID,
    addedBy: r.nodeAddedBy,
    addedOn: r.nodeAddedOn,
    updatedOn: r.nodeUpdatedOn,
    local: { invite: r.invite, logged: r.logged, filePost: r.filePost, visibility: r.visibility, restrictChildCreate: r.restrictChildCreate },
    line: r._line,
  };
}

export class LegacyTree {
  private constructor(
    readonly root: ResolvedNode,
    readonly nodes: Map<number, ResolvedNode>,
    readonly shape: DumpShape,
  ) {}

  static load(staging: Staging): LegacyTree {
    const rows = staging.db.prepare('SELECT * FROM tblNode ORDER BY nodeID').all() as NodeRow[];
    const raw = new Map(rows.map((r) => [r.nodeID, nodeOf(r)]));
    const roots = [...raw.values()].filter((n) => n.parentId === n.id);
    if (roots.length !== 1) {
      throw fail(roots.length === 0 ? 'tblNode.csv: no root category (the node that is its own parent)' : `tblNode.csv: ${roots.length} root nodes (${roots.map((r) => r.id).join(', ')}); there is exactly one`);
    }
    const rootNode = roots[0]!;
    if (!rootNode.isCategory) throw fail(`tblNode.csv:${rootNode.line}: the root node ${rootNode.id} is not a category`);
    for (const n of raw.values()) {
      const parent = raw.get(n.parentId);
      if (parent === undefined) throw fail(`tblNode.csv:${n.line}: node ${n.id} (${n.name}) has parent ${n.parentId}, which is not in the dump`);
      if (!parent.isCategory) throw fail(`tblNode.csv:${n.line}: node ${n.id} (${n.name}) sits under room ${parent.id}; only categories hold nodes`);
      if (n.behavior !== BEHAVIOR.normal && n.behavior !== BEHAVIOR.auditorium) throw fail(`tblNode.csv:${n.line}: node ${n.id} has behavior ${n.behavior} (4 normal or 5 auditorium)`);
      const v = n.local.visibility;
      if (v !== null && v !== VISIBILITY.private && v !== VISIBILITY.scope && v !== VISIBILITY.open) {
        throw fail(`tblNode.csv:${n.line}: node ${n.id} has visibility ${v} (2 private, 3 scope or 6 open)`);
      }
    }
    const shape = staging.shape;
    const resolved = new Map<number, ResolvedNode>();
    // Each node once, parents first: walk up to the root (or a resolved node), refusing a cycle.
    const resolveInto = (n: LegacyNode) => {
      if (resolved.has(n.id)) return;
      const chain: LegacyNode[] = [];
      const seen = new Set<number>();
      for (let at: LegacyNode = n; ; at = raw.get(at.parentId)!) {
        if (seen.has(at.id)) throw fail(`tblNode.csv:${n.line}: the parents of node ${n.id} go round in a circle (${[...seen, at.id].join(' → ')})`);
        seen.add(at.id);
        chain.push(at);
        if (at.id === rootNode.id || resolved.has(at.parentId)) break;
      }
      for (const node of chain.reverse()) {
        resolved.set(node.id, LegacyTree.resolveOne(node, node.id === rootNode.id ? undefined : resolved.get(node.parentId), shape));
      }
    };
    for (const n of raw.values()) resolveInto(n);
    return new LegacyTree(resolved.get(rootNode.id)!, resolved, shape);
  }

  /** One node, its parent already resolved: inheritance as 02 §2.2 and D3 say. */
  private static resolveOne(n: LegacyNode, parent: ResolvedNode | undefined, shape: DumpShape): ResolvedNode {
    const ancestors = parent === undefined ? [] : [...parent.ancestors, parent];
    const path = parent === undefined ? '/' : `${parent.path === '/' ? '' : parent.path}/${n.name}`;
    const effective = { ...ROOT_DEFAULTS };
    const overridden: ResolvedNode['overridden'] = [];
    for (const key of INHERITED) {
      let value = ROOT_DEFAULTS[key];
      let lockedBy: LegacyNode | undefined;
      for (const a of [...ancestors, n]) {
        const local = a.local[key];
        if (lockedBy === undefined && local !== null) value = local;
        if (lockedBy === undefined && shape === 'hierarchical' && a.isCategory && a.inheritance) lockedBy = a;
      }
      effective[key] = value;
      const own = n.local[key];
      if (lockedBy !== undefined && lockedBy !== n && own !== null && own !== value) overridden.push({ setting: key, own, effective: value, lockedBy });
    }
    return { ...n, ancestors, path, effective, overridden };
  }

  /** The categories, parents before children. */
  categories(): ResolvedNode[] {
    return [...this.nodes.values()].filter((n) => n.isCategory).sort((a, b) => a.ancestors.length - b.ancestors.length || a.id - b.id);
  }

  rooms(): ResolvedNode[] {
    return [...this.nodes.values()].filter((n) => !n.isCategory).sort((a, b) => a.id - b.id);
  }

  parent(n: ResolvedNode): ResolvedNode | undefined {
    return n.id === this.root.id ? undefined : this.nodes.get(n.parentId);
  }
}

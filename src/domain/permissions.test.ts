/**
 * The reference algorithm (01 §3.8 with D1), rule by rule. Each row names the rule of
 * 01 §3 or 01 §9 it checks. Facts are built by hand: principal ids below, affiliation
 * sets as the store would compute them (tested against real stores elsewhere).
 */
import { describe, expect, it } from 'vitest';
import {
  canCreate,
  canDelete,
  canDownload,
  canJoin,
  canManage,
  canMove,
  canPost,
  canReadHistory,
  canSee,
  canUpload,
  canAdminister,
  inScope,
  type ActorFacts,
  type CategoryFacts,
  type RoomFacts,
} from './permissions.js';

// Directory: domain D contains everyone below; group G contains U and M; group P ⊂ G.
const D = 100;
const G = 101;
const P = 102;
const OTHER = 103; // a domain nobody below is in
const U = 1; // member of G, in D
const M = 2; // member of G, in D: used as manager
const X = 3; // in D, in no group
const ADMIN = 4; // in D, holds the administrator role
const Q = 5; // member of P (so of G), in D
const FAR = 6; // in OTHER only

const AFFILIATIONS: Record<number, number[]> = {
  [U]: [U, G, D],
  [M]: [M, G, D],
  [X]: [X, D],
  [ADMIN]: [ADMIN, D],
  [Q]: [Q, P, G, D],
  [FAR]: [FAR, OTHER],
};

function user(id: number, over: Partial<Extract<ActorFacts, { kind: 'user' }>> = {}): ActorFacts {
  return {
    kind: 'user',
    principal: { id, affiliations: new Set(AFFILIATIONS[id]) },
    isAdmin: id === ADMIN,
    serviceEnabled: true,
    active: true,
    ...over,
  };
}

const SYSTEM: ActorFacts = { kind: 'system' };

function category(over: Partial<CategoryFacts> = {}): CategoryFacts {
  return { allowed: [D], denied: [], creators: [], chatHistory: true, fileUpload: true, invitations: false, ...over };
}

function room(over: Partial<RoomFacts> = {}): RoomFacts {
  return {
    disabled: false,
    privacy: 'Closed',
    type: 'Normal',
    members: [],
    managers: [],
    presenters: [],
    category: category(),
    ...over,
  };
}

type Check = 'see' | 'join' | 'post' | 'history' | 'manage' | 'delete' | 'download';

const CHECKS: Record<Check, (a: ActorFacts, r: RoomFacts) => boolean> = {
  see: canSee,
  join: canJoin,
  post: canPost,
  history: canReadHistory,
  manage: canManage,
  delete: (a) => canDelete(a),
  download: canDownload,
};

interface Row {
  rule: string;
  actor: ActorFacts;
  room: RoomFacts;
  expect: Partial<Record<Check, boolean>>;
}

const ROWS: Row[] = [
  // §3.1 layer 1 — service access by policy
  { rule: '§3.1 policy off: nothing, even for a member', actor: user(U, { serviceEnabled: false }), room: room({ members: [U], managers: [U] }), expect: { see: false, join: false, post: false, history: false, manage: false } },
  { rule: '§3.8 policy off: admin powers gone too (D1)', actor: user(ADMIN, { serviceEnabled: false }), room: room(), expect: { see: false, join: false, manage: false, delete: false } },
  { rule: 'disabled (inactive) user: nothing', actor: user(U, { active: false }), room: room({ members: [U] }), expect: { see: false, join: false, post: false } },
  // §3.3 discoverability
  { rule: '§3.3 Open: in-scope users find it', actor: user(X), room: room({ privacy: 'Open' }), expect: { see: true } },
  { rule: '§3.3 Closed: in-scope non-members find it', actor: user(X), room: room({ privacy: 'Closed' }), expect: { see: true, join: false } },
  { rule: '§3.3 Secret: non-members do not find it', actor: user(X), room: room({ privacy: 'Secret' }), expect: { see: false, join: false } },
  { rule: '§3.3 Secret: members find it', actor: user(U), room: room({ privacy: 'Secret', members: [U] }), expect: { see: true, join: true } },
  { rule: '§3.3 Secret: members through a group find it', actor: user(U), room: room({ privacy: 'Secret', members: [G] }), expect: { see: true, join: true } },
  { rule: '§3.3 out of scope: nothing is found', actor: user(FAR), room: room({ privacy: 'Open' }), expect: { see: false, join: false } },
  { rule: '§3.7/§9.8 disabled rooms: nobody finds or joins them', actor: user(U), room: room({ disabled: true, privacy: 'Open', members: [U] }), expect: { see: false, join: false, post: false, history: false } },
  { rule: '§9.8 disabled rooms: admins cannot find or join either', actor: user(ADMIN), room: room({ disabled: true }), expect: { see: false, join: false, manage: true } },
  { rule: '§3.7 disabled rooms: managers keep managing (to re-enable)', actor: user(M), room: room({ disabled: true, managers: [M] }), expect: { see: false, manage: true } },
  // §3.2 / §9.3 scope
  { rule: '§9.3 denied beats allowed', actor: user(U), room: room({ privacy: 'Open', category: category({ allowed: [D], denied: [G] }) }), expect: { see: false, join: false } },
  { rule: '§9.3 denied beats allowed even for members', actor: user(U), room: room({ members: [U], category: category({ denied: [U] }) }), expect: { see: false, join: false, post: false } },
  { rule: '§3.2 a role outside the current scope does not count', actor: user(FAR), room: room({ members: [FAR], managers: [FAR], privacy: 'Secret' }), expect: { see: false, join: false, manage: false } },
  { rule: '§3.2 empty AllowedMembers: nobody is in scope', actor: user(U), room: room({ privacy: 'Open', members: [U], category: category({ allowed: [] }) }), expect: { see: false, join: false } },
  { rule: 'nested groups: member of a subgroup is a member', actor: user(Q), room: room({ members: [G] }), expect: { join: true, post: true } },
  // §3.4 join / post
  { rule: '§3.4 Open Normal: in-scope users join and post without membership (D1)', actor: user(X), room: room({ privacy: 'Open' }), expect: { join: true, post: true, history: true } },
  { rule: '§3.4 Closed Normal: members join and post', actor: user(U), room: room({ members: [U] }), expect: { join: true, post: true } },
  { rule: '§3.4 Closed Normal: non-members do not join', actor: user(X), room: room({ members: [U] }), expect: { join: false, post: false, history: false } },
  { rule: '§3.4 Auditorium: members read but do not post', actor: user(U), room: room({ type: 'Auditorium', members: [U] }), expect: { join: true, history: true, post: false } },
  { rule: '§3.4 Auditorium: presenters who are members post', actor: user(U), room: room({ type: 'Auditorium', members: [U], presenters: [U] }), expect: { join: true, post: true } },
  { rule: '§3.4 Open Auditorium: in-scope users read, presenters post', actor: user(X), room: room({ type: 'Auditorium', privacy: 'Open' }), expect: { join: true, post: false } },
  { rule: '§3.4 Open Auditorium: a presenter posts without membership', actor: user(U), room: room({ type: 'Auditorium', privacy: 'Open', presenters: [U] }), expect: { join: true, post: true } },
  { rule: '§9.4 presenters of a Closed room need the member role to join', actor: user(U), room: room({ type: 'Auditorium', presenters: [U] }), expect: { join: false, post: false } },
  { rule: '§9.4 managers of a Closed room need the member role to join', actor: user(M), room: room({ managers: [M] }), expect: { see: true, join: false, post: false, manage: true } },
  { rule: '§9.4 managers of a Secret room manage it, though it is not in their directory', actor: user(M), room: room({ privacy: 'Secret', managers: [M] }), expect: { see: false, join: false, manage: true } },
  // §3.5 / D1 administrators
  { rule: 'D1 admins find and read every room', actor: user(ADMIN), room: room({ privacy: 'Secret' }), expect: { see: true, join: true, history: true, manage: true, delete: true } },
  { rule: 'D1 admins post only where a member would', actor: user(ADMIN), room: room({ privacy: 'Secret' }), expect: { post: false } },
  { rule: 'D1 admins post as members', actor: user(ADMIN), room: room({ members: [ADMIN] }), expect: { post: true } },
  { rule: 'the local administrator (CLI) manages but never posts', actor: SYSTEM, room: room(), expect: { see: true, manage: true, delete: true, post: false } },
  // §9.6 managers cannot delete
  { rule: '§9.6 managers cannot delete rooms', actor: user(M), room: room({ managers: [M] }), expect: { manage: true, delete: false } },
  { rule: 'members cannot manage', actor: user(U), room: room({ members: [U] }), expect: { manage: false } },
  // §9.9 chat history
  { rule: '§9.9 chat history off: nobody reads history', actor: user(U), room: room({ members: [U], category: category({ chatHistory: false }) }), expect: { join: true, post: true, history: false } },
  { rule: '§9.9 chat history off: admins neither', actor: user(ADMIN), room: room({ category: category({ chatHistory: false }) }), expect: { history: false } },
  // files
  { rule: 'files: downloads follow joining', actor: user(U), room: room({ members: [U], category: category({ fileUpload: false }) }), expect: { download: true } },
];

describe('permission engine: rows of 01 §3 and §9', () => {
  for (const row of ROWS) {
    it(row.rule, () => {
      for (const [check, expected] of Object.entries(row.expect) as [Check, boolean][]) {
        expect({ check, answer: CHECKS[check](row.actor, row.room) }).toEqual({ check, answer: expected });
      }
    });
  }
});

describe('creating and moving rooms (§3.5, §9.5–9.6)', () => {
  const creators = category({ creators: [G] });
  it('creators in scope create', () => expect(canCreate(user(U), creators)).toBe(true));
  it('creators through a nested group create', () => expect(canCreate(user(Q), creators)).toBe(true));
  it('non-creators do not', () => expect(canCreate(user(X), creators)).toBe(false));
  it('creators out of scope do not', () => expect(canCreate(user(U), category({ creators: [G], denied: [U] }))).toBe(false));
  it('administrators create anywhere', () => expect(canCreate(user(ADMIN), category({ allowed: [] }))).toBe(true));
  it('creators with the service off do not', () => expect(canCreate(user(U, { serviceEnabled: false }), creators)).toBe(false));

  const managed = room({ managers: [M] });
  it('a manager moves into a category where they create', () => expect(canMove(user(M), managed, category({ creators: [M] }))).toBe(true));
  it('a manager does not move elsewhere (§9.6)', () => expect(canMove(user(M), managed, category())).toBe(false));
  it('a creator of the destination who does not manage the room does not move it', () =>
    expect(canMove(user(U), managed, category({ creators: [U] }))).toBe(false));
  it('administrators move anything', () => expect(canMove(user(ADMIN), room(), category())).toBe(true));
});

describe('uploads (§4.7)', () => {
  const r = room({ members: [U] });
  it('members upload within MaxFileSizeKB', () => expect(canUpload(user(U), r, 1024 * 20000, 20000)).toBe(true));
  it('one byte over the limit is refused', () => expect(canUpload(user(U), r, 1024 * 20000 + 1, 20000)).toBe(false));
  it('category FileUpload off refuses', () => expect(canUpload(user(U), room({ members: [U], category: category({ fileUpload: false }) }), 1, 20000)).toBe(false));
  it('only posters upload (auditorium members do not)', () => expect(canUpload(user(U), room({ type: 'Auditorium', members: [U] }), 1, 20000)).toBe(false));
});

describe('scope and administration', () => {
  it('scope = allowed − denied', () => {
    expect(inScope({ id: U, affiliations: new Set(AFFILIATIONS[U]) }, category({ allowed: [G], denied: [] }))).toBe(true);
    expect(inScope({ id: X, affiliations: new Set(AFFILIATIONS[X]) }, category({ allowed: [G], denied: [] }))).toBe(false);
    expect(inScope({ id: Q, affiliations: new Set(AFFILIATIONS[Q]) }, category({ allowed: [G], denied: [P] }))).toBe(false);
  });
  it('only administrators administer', () => {
    expect(canAdminister(user(ADMIN))).toBe(true);
    expect(canAdminister(SYSTEM)).toBe(true);
    expect(canAdminister(user(M))).toBe(false);
    expect(canAdminister(user(ADMIN, { active: false }))).toBe(false);
  });
});

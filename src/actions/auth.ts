/**
 * Signing in (local passwords → session tokens), long-lived API tokens for bots and
 * scripts, and turning a bearer token back into an actor. Tokens are random; only their
 * sha256 is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PrincipalRecord, SessionKind, SessionRecord } from '../store/types.js';
import { AppError, isAppError } from '../domain/errors.js';
import { subjectKey } from '../auth/throttle.js';
import { normaliseSipUri } from '../domain/principals.js';
import { verifyPassword } from '../auth/password.js';
import { loadActorFacts } from '../access/actor.js';
import { requireAdministrator } from '../access/categories.js';
import { canUseService } from '../domain/permissions.js';
import { runWrite, SYSTEM_ACTOR, type Actor, type Services, type Tx } from './context.js';

export const SESSION_LIFETIME_MS = 7 * 24 * 3600_000;
/** lastUsedAt is written at most this often per token (not on every request). */
const TOUCH_INTERVAL_MS = 60_000;

/** Sessions and tokens are written like everything else: in a transaction, events after commit. */
async function write<T>(services: Services, actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await runWrite(services, actor, {}, fn)).result;
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

function newToken(kind: SessionKind): string {
  return `stoa_${kind === 'api' ? 'api' : 'ses'}_${randomBytes(32).toString('base64url')}`;
}

export interface SignedIn {
  token: string;
  expiresAt: string;
  user: { sipUri: string; displayName: string | null; administrator: boolean };
}

/** A scrypt verification for unknown users too, so timing does not reveal who exists. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Where a sign-in comes from: its address counts against the per-address budget. */
export interface SignInFrom {
  address: string;
}

/**
 * The throttle around one sign-in attempt (D8: one budget per principal whatever the
 * method and however the name is written). `attempt` returns the principal on success
 * and throws INVALID_CREDENTIALS for a wrong secret; TOO_MANY_ATTEMPTS (with
 * `retryAfterMs`) once the account's or the address's budget is spent.
 */
export async function throttled<T>(services: Services, typed: string, from: SignInFrom, attempt: (key: string | undefined, principal: PrincipalRecord | undefined) => Promise<T>): Promise<T> {
  let key: string | undefined;
  try {
    key = normaliseSipUri(typed);
  } catch {
    key = undefined;
  }
  const principal = key === undefined ? undefined : await services.store.principals.getByKey(key);
  const subject = subjectKey(principal?.id, key, typed);
  const wait = await services.throttle.retryAfter(subject, from.address);
  if (wait > 0) {
    throw new AppError('TOO_MANY_ATTEMPTS', `too many failed sign-ins; try again in ${Math.ceil(wait / 60_000)} minute(s)`, { retryAfterMs: wait });
  }
  try {
    const result = await attempt(key, principal);
    await services.throttle.succeed(subject);
    return result;
  } catch (err) {
    if (isAppError(err) && err.code === 'INVALID_CREDENTIALS') await services.throttle.fail(subject, from.address);
    throw err;
  }
}

/**
 * Who signs in with a password: a local user by the scrypt hash Stoa keeps; with directory
 * sign-in configured, a user the directory manages (or a name only the directory knows —
 * a UPN, a sAMAccountName) by a bind to the directory as that user. A local account (the
 * first administrator) keeps signing in when the directory is down.
 */
async function passwordPrincipal(services: Services, typed: string, principal: PrincipalRecord | undefined, password: string): Promise<PrincipalRecord> {
  const bad = new AppError('INVALID_CREDENTIALS', 'the user name or password is wrong');
  const directory = services.directoryAuth;
  const managed = principal === undefined || directory === undefined ? undefined : await services.store.principals.directoryLinkOf(principal.id);
  if (directory !== undefined && (principal === undefined || managed !== undefined)) {
    const found = await directory.authenticate(typed, password);
    if (found === undefined) throw bad;
    let key: string;
    try {
      key = normaliseSipUri(found.sipAddress);
    } catch {
      throw bad;
    }
    const user = await services.store.principals.getByKey(key);
    // The directory knows the user but no sync has brought them yet: nothing to sign in as.
    if (user === undefined || user.kind !== 'user') {
      throw new AppError('SERVICE_DISABLED', `${key} is in the directory but not in Stoa yet: the next directory sync brings it`);
    }
    if (!found.enabled) throw new AppError('SERVICE_DISABLED', 'this account is disabled in the directory');
    return user;
  }
  const ok = await verifyPassword(password, principal?.passwordHash ?? DUMMY_HASH);
  if (principal === undefined || principal.kind !== 'user' || principal.passwordHash === null || !ok) throw bad;
  return principal;
}

export async function signIn(services: Services, user: string, password: string, from: SignInFrom): Promise<SignedIn> {
  return throttled(services, user, from, async (_key, found) => openSession(services, await passwordPrincipal(services, user, found, password), 'sign-in'));
}

/**
 * A session for a user whose identity was proven (a password, the directory, an OpenID
 * Connect provider): Persistent Chat must be enabled for them.
 */
export async function openSession(services: Services, principal: PrincipalRecord, name: string): Promise<SignedIn> {
  await services.activeServers.admit();
  const facts = await loadActorFacts(services.store, { kind: 'user', principalId: principal.id });
  if (!canUseService(facts)) {
    throw new AppError('SERVICE_DISABLED', 'this account may not use Persistent Chat (disabled, federated, or switched off by policy)');
  }
  const token = newToken('session');
  const now = services.clock();
  await write(services, { kind: 'user', principalId: principal.id }, (tx) =>
    tx.store.sessions.insert({
      tokenHash: hashToken(token),
      principalId: principal.id,
      kind: 'session',
      name,
      createdAt: now,
      expiresAt: now + SESSION_LIFETIME_MS,
      lastUsedAt: now,
    }),
  );
  return {
    token,
    expiresAt: new Date(now + SESSION_LIFETIME_MS).toISOString(),
    user: { sipUri: principal.key, displayName: principal.displayName, administrator: facts.kind === 'user' && facts.isAdmin },
  };
}

/** The user a legacy client names; INVALID_CREDENTIALS when there is none. */
async function legacyUser(services: Services, user: string) {
  let key: string;
  try {
    key = normaliseSipUri(user);
  } catch {
    throw new AppError('INVALID_CREDENTIALS', `'${user}' is not a SIP address`);
  }
  const principal = await services.store.principals.getByKey(key);
  if (principal === undefined || principal.kind !== 'user') throw new AppError('INVALID_CREDENTIALS', 'no such user');
  return principal;
}

/** The same checks as a password sign-in: this node is active, and Persistent Chat is enabled for the user. */
async function requireService(services: Services, principalId: number): Promise<void> {
  await services.activeServers.admit();
  if (!canUseService(await loadActorFacts(services.store, { kind: 'user', principalId }))) {
    throw new AppError('SERVICE_DISABLED', 'this account may not use Persistent Chat');
  }
}

/**
 * A legacy client signing in from a trusted network (docs/legacy-clients.md): it only names
 * its user, so the same checks as a password sign-in apply minus the password — an
 * existing user for whom Persistent Chat is enabled. The caller has checked the network.
 */
export async function signInTrusted(services: Services, user: string): Promise<{ principalId: number; sipUri: string }> {
  const principal = await legacyUser(services, user);
  await requireService(services, principal.id);
  return { principalId: principal.id, sipUri: principal.key };
}

/**
 * A legacy client signing in with NTLM: `prove` checks the client's proof against the
 * user's NT hash (set by `stoa user passwd --legacy`) and returns what the transport needs
 * from it (its session keys), or undefined when the proof is wrong. Users without an NT
 * hash, and wrong proofs, are INVALID_CREDENTIALS alike.
 */
export async function signInLegacy<T extends object>(services: Services, user: string, prove: (ntHash: Buffer) => T | undefined): Promise<{ principalId: number; sipUri: string; proven: T }> {
  const principal = await legacyUser(services, user);
  const secret = (await services.store.principals.legacySecrets([principal.id])).get(principal.id);
  const proven = secret === undefined ? undefined : prove(Buffer.from(secret, 'hex'));
  if (proven === undefined) throw new AppError('INVALID_CREDENTIALS', 'the user name or password is wrong, or legacy sign-in is off for this user');
  await requireService(services, principal.id);
  return { principalId: principal.id, sipUri: principal.key, proven };
}

export interface Authenticated {
  actor: Extract<Actor, { kind: 'user' }>;
  tokenHash: string;
  kind: SessionKind;
}

/** The actor behind a bearer token; UNAUTHENTICATED for unknown or expired tokens. */
export async function authenticate(services: Services, token: string | undefined): Promise<Authenticated> {
  if (token === undefined || token === '') throw new AppError('UNAUTHENTICATED', 'sign in first (send Authorization: Bearer <token>)');
  const tokenHash = hashToken(token);
  // Sessions are kept in the access cache; a sign-out or a revocation forgets them.
  const session = await services.access.session(tokenHash, () => services.store.sessions.get(tokenHash));
  const now = services.clock();
  if (session === undefined || (session.expiresAt !== null && session.expiresAt <= now)) {
    throw new AppError('UNAUTHENTICATED', 'the token is unknown or has expired; sign in again');
  }
  if (now - session.lastUsedAt > TOUCH_INTERVAL_MS) {
    await write(services, { kind: 'user', principalId: session.principalId }, (tx) => tx.store.sessions.touch(tokenHash, now));
    services.access.touched(tokenHash, now);
  }
  return { actor: { kind: 'user', principalId: session.principalId }, tokenHash, kind: session.kind };
}

/** The signed-in user as the client shows it. */
export async function whoAmI(services: Services, actor: Authenticated['actor']): Promise<SignedIn['user']> {
  const [user, facts] = await Promise.all([services.store.principals.getById(actor.principalId), loadActorFacts(services.store, actor)]);
  return { sipUri: user?.key ?? '', displayName: user?.displayName ?? null, administrator: facts.kind === 'user' && facts.isAdmin };
}

/** The administrator a bearer token belongs to (remote administration); others are refused. */
export async function authenticateAdministrator(services: Services, token: string | undefined): Promise<Actor> {
  const auth = await authenticate(services, token);
  requireAdministrator(await loadActorFacts(services.store, auth.actor), 'run administrative commands');
  return auth.actor;
}

/**
 * Short-lived sessions for users the local administrator acts for (the synthetic message
 * test). Returns the tokens; end them with endSessions.
 */
export async function openSystemSessions(services: Services, actor: Actor, principalIds: readonly number[], name: string, lifetimeMs: number): Promise<string[]> {
  if (actor.kind !== 'system') throw new AppError('PERMISSION_DENIED', 'only the local administrator opens sessions for other users');
  const now = services.clock();
  const tokens = principalIds.map(() => newToken('session'));
  await write(services, actor, async (tx) => {
    for (const [i, principalId] of principalIds.entries()) {
      await tx.store.sessions.insert({ tokenHash: hashToken(tokens[i] as string), principalId, kind: 'session', name, createdAt: now, expiresAt: now + lifetimeMs, lastUsedAt: now });
    }
  });
  return tokens;
}

export async function endSessions(services: Services, tokens: readonly string[]): Promise<void> {
  await write(services, SYSTEM_ACTOR, async (tx) => {
    for (const token of tokens) {
      const tokenHash = hashToken(token);
      const session = await tx.store.sessions.get(tokenHash);
      if (session === undefined) continue;
      await tx.store.sessions.delete(tokenHash);
      // Live connections close, and every node forgets the session it may hold in memory.
      tx.emit({ type: 'session.ended', principalId: session.principalId, tokenHashes: [tokenHash] });
    }
  });
}

export async function signOut(services: Services, auth: Authenticated): Promise<void> {
  await write(services, auth.actor, async (tx) => {
    await tx.store.sessions.delete(auth.tokenHash);
    tx.emit({ type: 'session.ended', principalId: auth.actor.principalId, tokenHashes: [auth.tokenHash] });
  });
}

export interface ApiTokenView {
  id: string;
  name: string;
  user: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string;
}

const TOKEN_ID_LENGTH = 16;

function presentToken(s: SessionRecord, user: string): ApiTokenView {
  return {
    id: s.tokenHash.slice(0, TOKEN_ID_LENGTH),
    name: s.name,
    user,
    createdAt: new Date(s.createdAt).toISOString(),
    expiresAt: s.expiresAt === null ? null : new Date(s.expiresAt).toISOString(),
    lastUsedAt: new Date(s.lastUsedAt).toISOString(),
  };
}

/** The user a token command is about: yourself, or anyone for administrators. */
async function tokenOwner(services: Services, actor: Actor, user: string | undefined) {
  const facts = await loadActorFacts(services.store, actor);
  const own = actor.kind === 'user' ? await services.store.principals.getById(actor.principalId) : undefined;
  const key = user === undefined ? own?.key : normaliseSipUri(user);
  if (key === undefined) throw new AppError('INVALID_INPUT', 'name the user the token is for');
  const principal = await services.store.principals.getByKey(key);
  if (principal === undefined || principal.kind !== 'user' || principal.status === 'deleted') {
    throw new AppError('PRINCIPAL_NOT_FOUND', `there is no user '${key}'`);
  }
  if (own?.id !== principal.id) requireAdministrator(facts, "manage other users' API tokens");
  return principal;
}

export async function createApiToken(
  services: Services,
  actor: Actor,
  input: { user?: string; name: string; expiresInDays?: number },
): Promise<{ token: string; info: ApiTokenView }> {
  const name = String(input.name ?? '').trim();
  if (name === '' || name.length > 100 || /\p{Cc}/u.test(name)) throw new AppError('INVALID_NAME', 'an API token needs a name of 1–100 characters without control characters');
  if (input.expiresInDays !== undefined && (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > 3650)) {
    throw new AppError('INVALID_VALUE', 'expiry must be 1–3650 days');
  }
  const principal = await tokenOwner(services, actor, input.user);
  const token = newToken('api');
  const now = services.clock();
  const record: SessionRecord = {
    tokenHash: hashToken(token),
    principalId: principal.id,
    kind: 'api',
    name,
    createdAt: now,
    expiresAt: input.expiresInDays === undefined ? null : now + input.expiresInDays * 86_400_000,
    lastUsedAt: now,
  };
  await write(services, actor, (tx) => tx.store.sessions.insert(record));
  return { token, info: presentToken(record, principal.key) };
}

export async function listApiTokens(services: Services, actor: Actor, user?: string): Promise<ApiTokenView[]> {
  const principal = await tokenOwner(services, actor, user);
  return (await services.store.sessions.list(principal.id, 'api')).map((s) => presentToken(s, principal.key));
}

export async function revokeApiToken(services: Services, actor: Actor, id: string, user?: string): Promise<void> {
  const principal = await tokenOwner(services, actor, user);
  if (!/^[0-9a-f]{16}$/.test(id)) throw new AppError('INVALID_VALUE', 'a token id is 16 hexadecimal characters (see the token list)');
  await write(services, actor, async (tx) => {
    const tokens = (await tx.store.sessions.list(principal.id, 'api')).filter((s) => s.tokenHash.startsWith(id));
    if (tokens.length === 0 || (await tx.store.sessions.deleteByPrefix(principal.id, id)) === 0) {
      throw new AppError('TOKEN_NOT_FOUND', `there is no API token ${id} for ${principal.key}`);
    }
    tx.emit({ type: 'session.ended', principalId: principal.id, tokenHashes: tokens.map((t) => t.tokenHash) });
  });
}

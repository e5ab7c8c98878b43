/**
 * OpenID Connect sign-in for the web client (D8, docs/directory.md): the authorization code
 * flow with PKCE, a state bound to the browser by a cookie and a nonce bound to the ID
 * token, through `openid-client`. The claim the configuration names (default `email`)
 * is matched to a user by SIP address or e-mail; the browser then receives a one-time
 * code it exchanges for a session token, as a password sign-in gives one.
 *
 * Everything a client can make the server keep is bounded: pending sign-ins (10 minutes,
 * at most MAX_PENDING) and one-time codes (1 minute, at most MAX_PENDING).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import * as client from 'openid-client';
import type { OidcProviderConfig } from '../config/schema.js';
import type { Services } from '../actions/context.js';
import { openSession, type SignedIn } from '../actions/auth.js';
import { AppError } from '../domain/errors.js';
import { normaliseSipUri } from '../domain/principals.js';
import type { PrincipalRecord } from '../store/types.js';

const PENDING_MS = 10 * 60_000;
const HANDOFF_MS = 60_000;
const MAX_PENDING = 10_000;

interface Pending {
  provider: string;
  verifier: string;
  nonce: string;
  expiresAt: number;
}

const failed = (message: string) => new AppError('OIDC_FAILED', message);

/** An insertion-ordered map that drops expired entries, and the oldest beyond its size. */
class Bounded<T extends { expiresAt: number }> {
  private readonly items = new Map<string, T>();
  constructor(private readonly max: number) {}

  set(key: string, value: T, now: number): void {
    for (const [k, v] of this.items) {
      if (v.expiresAt > now && this.items.size < this.max) break;
      this.items.delete(k);
    }
    this.items.set(key, value);
  }

  /** The entry, once: it is removed whatever it holds. */
  take(key: string, now: number): T | undefined {
    const value = this.items.get(key);
    this.items.delete(key);
    return value !== undefined && value.expiresAt > now ? value : undefined;
  }
}

function readSecret(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('INVALID_CONFIG', `directory.oidc clientSecretFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const secret = text.split(/\r?\n/)[0] ?? '';
  if (secret === '') throw new AppError('INVALID_CONFIG', `directory.oidc clientSecretFile: ${file} is empty`);
  return secret;
}

/** http:// issuers only on loopback (a test or a provider beside the server), never over a network. */
function loopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
}

export class OidcSignIn {
  private readonly configurations = new Map<string, Promise<client.Configuration>>();
  private readonly pending = new Bounded<Pending>(MAX_PENDING);
  private readonly handoffs = new Bounded<{ signedIn: SignedIn; expiresAt: number }>(MAX_PENDING);

  constructor(
    private readonly services: Services,
    private readonly providers: readonly OidcProviderConfig[],
    /** Where users reach this server (for the redirect URI). */
    private readonly publicUrl: () => string,
  ) {}

  list(): { name: string; label: string }[] {
    return this.providers.map((p) => ({ name: p.name, label: p.label }));
  }

  private provider(name: string): OidcProviderConfig {
    const p = this.providers.find((x) => x.name === name);
    if (p === undefined) throw failed(`no sign-in provider named '${name.slice(0, 40)}'`);
    return p;
  }

  redirectUri(name: string): string {
    return `${this.publicUrl().replace(/\/$/, '')}/api/v1/auth/oidc/${name}/callback`;
  }

  /** The provider's configuration, discovered once (again after a failure). */
  private configuration(p: OidcProviderConfig): Promise<client.Configuration> {
    let found = this.configurations.get(p.name);
    if (found === undefined) {
      const issuer = new URL(p.issuer);
      found = client
        .discovery(issuer, p.clientId, readSecret(p.clientSecretFile), undefined, loopback(issuer) && issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined)
        .catch((err: unknown) => {
          this.configurations.delete(p.name);
          throw failed(`the sign-in provider ${p.name} cannot be reached (${(err as Error).message})`);
        });
      this.configurations.set(p.name, found);
    }
    return found;
  }

  /** Where to send the browser, and the state its cookie must carry back. */
  async start(name: string): Promise<{ url: string; state: string }> {
    const p = this.provider(name);
    const config = await this.configuration(p);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    this.pending.set(state, { provider: p.name, verifier, nonce, expiresAt: this.services.clock() + PENDING_MS }, this.services.clock());
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(p.name),
      scope: p.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * The provider's answer: `callbackUrl` as the browser requested it, `cookieState` the
   * state its cookie carries. Returns a one-time code for the web client.
   */
  async finish(name: string, callbackUrl: URL, cookieState: string | undefined): Promise<string> {
    const p = this.provider(name);
    const state = callbackUrl.searchParams.get('state') ?? '';
    const error = callbackUrl.searchParams.get('error');
    const now = this.services.clock();
    // The state must be this browser's (its cookie), pending, for this provider, and is used once.
    if (cookieState === undefined || state === '' || state !== cookieState) throw failed('this sign-in was not started in this browser (the state does not match): start again');
    const pending = this.pending.take(state, now);
    if (pending === undefined || pending.provider !== p.name) throw failed('this sign-in has expired or was already used: start again');
    if (error !== null) throw failed(`${p.name} refused the sign-in: ${(callbackUrl.searchParams.get('error_description') ?? error).slice(0, 200)}`);
    const config = await this.configuration(p);
    let value: unknown;
    try {
      // The answer is checked against the redirect URI it was sent to, not the Host the request names.
      const current = new URL(this.redirectUri(p.name));
      current.search = callbackUrl.search;
      const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.verifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true });
      const claims = tokens.claims();
      value = claims?.[p.claim];
      // Providers may keep profile claims out of the ID token: then the UserInfo endpoint has them (for the same subject).
      if (value === undefined && claims !== undefined) value = (await client.fetchUserInfo(config, tokens.access_token, claims.sub))[p.claim];
    } catch (err) {
      throw failed(`the sign-in through ${p.name} could not be completed (${(err as Error).message.slice(0, 200)})`);
    }
    if (typeof value !== 'string' || value.trim() === '') throw new AppError('OIDC_UNMAPPED', `${p.name} gave no ${p.claim} for this user`);
    const principal = await this.userFor(value.trim());
    if (principal === undefined) throw new AppError('OIDC_UNMAPPED', `no Stoa user has the ${p.claim} ${value.slice(0, 200)} (as SIP address or e-mail)`);
    const signedIn = await openSession(this.services, principal, `sign-in with ${p.label}`.slice(0, 100));
    const code = randomBytes(32).toString('base64url');
    this.handoffs.set(code, { signedIn, expiresAt: now + HANDOFF_MS }, now);
    return code;
  }

  /** The session of a one-time code (used once, within a minute). */
  exchange(code: string): SignedIn {
    const found = this.handoffs.take(code, this.services.clock());
    if (found === undefined) throw failed('this sign-in code has expired or was already used: sign in again');
    return found.signedIn;
  }

  /** The user whose SIP address, or else e-mail, is the claim's value. */
  private async userFor(value: string): Promise<PrincipalRecord | undefined> {
    const store = this.services.store.principals;
    try {
      const byKey = await store.getByKey(normaliseSipUri(value));
      if (byKey?.kind === 'user') return byKey;
    } catch {
      // not an address: try e-mail below
    }
    const lower = value.toLowerCase();
    const byMail = (await store.list({ kind: 'user', text: value, limit: 50 })).filter((p) => p.email?.toLowerCase() === lower);
    return byMail.length === 1 ? byMail[0] : undefined;
  }
}

/**
 * The HTTP half of the Stoa API (docs/api.md) as the web client uses it: JSON in and out,
 * the session token as a bearer token, errors as ApiError with the server's code and
 * message (shown to the user as the server wrote them).
 */
import { t } from './i18n';

export interface User {
  sipUri: string;
  displayName: string | null;
  administrator: boolean;
}

export interface Session {
  token: string;
  user: User;
}

export interface FileInfo {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}

export interface Message {
  id: number;
  chatId: number;
  roomId: string;
  room: string;
  author: string;
  authorName: string;
  postedAt: string;
  text: string;
  alert: boolean;
  story: { title: string } | null;
  file: FileInfo | null;
  replaced: boolean;
}

export interface RoomSummary {
  id: string;
  name: string;
  description: string;
  category: string;
  privacy: 'Open' | 'Closed' | 'Secret';
  type: 'Normal' | 'Auditorium';
  participants: number;
  unread?: number;
  lastReadChatId?: number;
  disabled?: boolean;
}

export interface Participant {
  sipUri: string;
  displayName: string | null;
}

export interface Invitation {
  id: number;
  room: RoomSummary;
  createdAt: string;
}

export interface Notification {
  id: number;
  kind: 'mention' | 'keyword' | 'feed';
  detail: string;
  createdAt: string;
  message: Message;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The principals a PRINCIPAL_NOT_PROVISIONED or PRINCIPAL_OUT_OF_SCOPE refusal names. */
    readonly principals: string[] = [],
  ) {
    super(message);
  }
}

export class Api {
  constructor(
    private readonly token: string | null,
    private readonly onSignedOut: () => void = () => undefined,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`/api/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch {
      throw new ApiError(0, 'NETWORK', t('api.unreachable'));
    }
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; principals?: string[] } } | undefined)?.error;
      if (response.status === 401 && this.token !== null) this.onSignedOut();
      throw new ApiError(response.status, error?.code ?? 'HTTP', error?.message ?? t('api.status', { status: response.status }), error?.principals ?? []);
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  static async signIn(user: string, password: string): Promise<Session> {
    const signedIn = await new Api(null).request<{ token: string; user: User }>('POST', '/auth/sign-in', { user, password });
    return { token: signedIn.token, user: signedIn.user };
  }

  /** The OpenID Connect providers the sign-in page offers. */
  static providers(): Promise<{ name: string; label: string; start: string }[]> {
    return new Api(null).request('GET', '/auth/providers');
  }

  /** The session of an OpenID Connect sign-in's one-time code. */
  static async exchange(code: string): Promise<Session> {
    const signedIn = await new Api(null).request<{ token: string; user: User }>('POST', '/auth/oidc/exchange', { code });
    return { token: signedIn.token, user: signedIn.user };
  }

  signOut(): Promise<void> {
    return this.request('POST', '/auth/sign-out');
  }
}

export const q = (value: string) => encodeURIComponent(value);

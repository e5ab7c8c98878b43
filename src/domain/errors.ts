/**
 * One error type for everything a caller may be told. The code is stable (clients and
 * scripts match on it, see docs/errors.md), the message is safe to show, and the HTTP
 * status is what the API answers with. Driver and internal errors never become an
 * AppError; entry points turn them into INTERNAL without their details.
 */
export const ERROR_CODES = {
  INVALID_INPUT: 400,
  INVALID_NAME: 400,
  INVALID_DESCRIPTION: 400,
  INVALID_URL: 400,
  INVALID_PRINCIPAL: 400,
  INVALID_IDENTITY: 400,
  INVALID_VALUE: 400,
  PRINCIPAL_NOT_PROVISIONED: 400,
  PRINCIPAL_OUT_OF_SCOPE: 409,
  PRINCIPAL_ALLOWED_AND_DENIED: 409,
  PRESENTERS_REQUIRE_AUDITORIUM: 409,
  NAME_TAKEN: 409,
  ALREADY_EXISTS: 409,
  NO_CATEGORY: 409,
  CATEGORY_NOT_EMPTY: 409,
  ADDIN_IN_USE: 409,
  POLICY_IN_USE: 409,
  GROUP_CYCLE: 409,
  NOT_A_GROUP: 409,
  SCOPE_NOT_ALLOWED: 409,
  UNKNOWN_POOL: 404,
  CATEGORY_NOT_FOUND: 404,
  ROOM_NOT_FOUND: 404,
  ADDIN_NOT_FOUND: 404,
  POLICY_NOT_FOUND: 404,
  CONFIGURATION_NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  NODE_NOT_FOUND: 404,
  PRINCIPAL_NOT_FOUND: 404,
  MESSAGE_TOO_LARGE: 413,
  FILE_TOO_LARGE: 413,
  FILE_NOT_FOUND: 404,
  FEED_NOT_FOUND: 404,
  KEYWORD_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  NOT_JOINED: 409,
  UPLOADS_DISABLED: 403,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  TOO_MANY_ATTEMPTS: 429,
  RATE_LIMITED: 429,
  TOO_MANY_COMMANDS: 429,
  TOO_MANY_CONNECTIONS: 429,
  TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PATH_NOT_ALLOWED: 403,
  SERVER_NOT_RUNNING: 409,
  TEST_FAILED: 503,
  PERMISSION_DENIED: 403,
  SERVICE_DISABLED: 403,
  CONFLICT: 409,
  DEPLOYMENT_MISMATCH: 409,
  ARCHIVE_INVALID: 400,
  ARCHIVE_VERSION: 400,
  IMPORT_REFUSED: 409,
  MIGRATION_INVALID: 400,
  INVALID_CONFIG: 400,
  DIRECTORY_UNAVAILABLE: 503,
  POOL_UNAVAILABLE: 503,
  NODE_INACTIVE: 503,
  DATABASE_UNAVAILABLE: 503,
  POOL_STATE_REFUSED: 409,
  DIRECTORY_BIND_REFUSED: 502,
  DIRECTORY_MANAGED: 409,
  OIDC_FAILED: 400,
  OIDC_UNMAPPED: 403,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Collects several validation problems so one answer names all of them. */
export class Problems {
  private readonly items: string[] = [];
  private firstCode: ErrorCode | undefined;

  add(code: ErrorCode, message: string): void {
    this.firstCode ??= code;
    this.items.push(message);
  }

  check(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!isAppError(err)) throw err;
      this.add(err.code, err.message);
    }
  }

  throwIfAny(): void {
    if (this.items.length === 0 || this.firstCode === undefined) return;
    const code = this.items.length === 1 ? this.firstCode : 'INVALID_INPUT';
    throw new AppError(code, this.items.join('; '), { problems: [...this.items] });
  }
}

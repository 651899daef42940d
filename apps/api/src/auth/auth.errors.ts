export type AuthErrorCode =
  'AUTH.MISSING_CREDENTIALS' | 'AUTH.INVALID_TOKEN' | 'AUTH.FORBIDDEN' | 'AUTH.TOO_MANY_REQUESTS' | 'AUTH.PROVIDER_UNAVAILABLE';

/**
 * A request refused for who is calling: 401 (no or bad credentials: answered with
 * WWW-Authenticate: Bearer), 403 (the role or relation that was needed, named), 429 (too
 * many requests: Retry-After), or 503 when the identity provider's keys cannot be fetched (not
 * the caller's fault: not counted as a failed authentication). Nothing is written.
 */
export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AuthError';
  }

  get statusCode(): 401 | 403 | 429 | 503 {
    if (this.code === 'AUTH.FORBIDDEN') return 403;
    if (this.code === 'AUTH.PROVIDER_UNAVAILABLE') return 503;
    if (this.code === 'AUTH.TOO_MANY_REQUESTS') return 429;
    return 401;
  }
}

export const forbidden = (message: string, details: Record<string, unknown> = {}) => new AuthError('AUTH.FORBIDDEN', message, details);

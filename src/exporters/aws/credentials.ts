/**
 * AWS credentials as the signer needs them, and a cache that refreshes temporary ones before they
 * expire.
 *
 * Invariants:
 * - At most one resolution is in flight (single flight): a burst of sends after expiry makes one
 *   call to STS / ECS / IMDS, not one per consumer.
 * - Temporary credentials are used only until REFRESH_BEFORE_EXPIRY_MS before `expiration` (or half
 *   their remaining lifetime when that is shorter), so a request is never signed with a key that
 *   expires while the request is in flight.
 * - `invalidate(c)` after the backend called `c` expired or unknown drops exactly `c`; newer
 *   credentials fetched meanwhile stay.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working; absent for long-term keys. */
  readonly expiration?: Date;
  /** Where they came from, for logs (never a secret): "environment", "profile default", … */
  readonly source: string;
}

/**
 * A credential source failed. `retryable` says whether a later attempt may succeed (an
 * unreachable metadata endpoint) or not (a malformed credentials file). The message never holds a
 * secret.
 */
export class CredentialsError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/** The AWS SDKs refresh this long before expiry; STS hands out 1 h credentials by default. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export interface CredentialsProvider {
  /** Valid credentials, from cache or freshly resolved. Rejects with CredentialsError. */
  get(): Promise<AwsCredentials>;
  /** The backend refused `credentials` (expired or unknown token): resolve anew on the next `get`. */
  invalidate(credentials: AwsCredentials): void;
}

export class CachedCredentialsProvider implements CredentialsProvider {
  private current: { credentials: AwsCredentials; refreshAtMs: number } | undefined;
  private inflight: Promise<AwsCredentials> | undefined;

  constructor(
    private readonly resolve: () => Promise<AwsCredentials>,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<AwsCredentials> {
    const cur = this.current;
    if (cur && this.now() < cur.refreshAtMs) return Promise.resolve(cur.credentials);
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  invalidate(credentials: AwsCredentials): void {
    if (this.current?.credentials === credentials) this.current = undefined;
  }

  private async refresh(): Promise<AwsCredentials> {
    const fetchedAt = this.now();
    const credentials = await this.resolve();
    let refreshAtMs = Number.POSITIVE_INFINITY;
    if (credentials.expiration) {
      const lifetime = credentials.expiration.getTime() - fetchedAt;
      refreshAtMs = credentials.expiration.getTime() - Math.min(REFRESH_BEFORE_EXPIRY_MS, Math.max(0, lifetime / 2));
    }
    this.current = { credentials, refreshAtMs };
    return credentials;
  }
}

import { DEFAULT_CLOCK_SKEW_SECONDS } from '@jit-access/core';
import type { AwsCredentials, CredentialProvider, ElevatedCredentials } from './credentials.js';
import { type ActiveElevation, readElevation, requireActive, validateClockSkew } from './elevation.js';
import { AgentError, AgentErrorCode } from './errors.js';
import { createSecretReader, type SecretReader } from './secretReader.js';
import { type CredentialVerifier, createCredentialVerifier, createStsIdentityLookup } from './verifyIdentity.js';

export interface FromJitSecretOptions {
  /** The workload account id whose grant to use. */
  readonly account: string;
  /** The hub region, where the secret lives. @default AWS_REGION, then AWS_DEFAULT_REGION */
  readonly region?: string;
  /** The agent's base identity, used to read the secret. @default the SDK's default chain */
  readonly baseCredentials?: CredentialProvider;
  /** A named profile for the base identity (default chain only). */
  readonly profile?: string;
  /** Secrets Manager endpoint. @default the SDK's (honours AWS_ENDPOINT_URL) */
  readonly endpoint?: string;
  /** Margin on every expiry check. @default 30 */
  readonly clockSkewSeconds?: number;
  /**
   * Re-read the secret at most this often while credentials are cached. The SDK asks again for
   * every request once fewer than five minutes are left, which would otherwise read the secret
   * each time. @default 60
   */
  readonly cacheSeconds?: number;
  /**
   * STS endpoint for the check of whose credentials the secret holds. Not `endpoint`, which is
   * Secrets Manager's. @default the SDK's (honours AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL)
   */
  readonly stsEndpoint?: string;
  /**
   * Confirms with AWS that newly read credentials are the grant's own session.
   * @default sts:GetCallerIdentity with them (region, else the grant's; stsEndpoint), once per access key id
   */
  readonly verifyCredentials?: CredentialVerifier;
  /** Reads the secret instead of Secrets Manager (tests, custom clients). */
  readonly readSecret?: SecretReader;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export type JitCredentialProvider = (options?: {
  forceRefresh?: boolean;
}) => Promise<
  AwsCredentials & { readonly sessionToken: string; readonly expiration: Date; readonly accountId: string }
>;

/**
 * An AWS SDK v3 credential provider backed by a grant:
 * `new ECSClient({ region, credentials: fromJitSecret({ account: '222222222222' }) })`.
 *
 * It reads `agent/elevated/<account>` with the base identity, refuses anything but an active grant
 * (an AgentError with the refusal's code), and reports the earlier of STS's expiry and the grant's
 * window end, minus the clock-skew margin, as the credentials' expiration: the SDK asks again
 * then, and gets a newer grant or a refusal. Concurrent calls share one read. Before credentials
 * are first handed out, STS is asked whose they are (once per access key id): credentials of any
 * other account, role or session are refused with AGENT_FOREIGN_CREDENTIALS.
 */
export function fromJitSecret(options: FromJitSecretOptions): JitCredentialProvider {
  const clockSkewSeconds = validateClockSkew(options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS);
  const cacheSeconds = options.cacheSeconds ?? 60;
  if (!Number.isInteger(cacheSeconds) || cacheSeconds < 0 || cacheSeconds > 3600) {
    throw new AgentError(
      AgentErrorCode.Usage,
      `cacheSeconds ${String(cacheSeconds)} is not allowed: expected whole seconds from 0 to 3600`,
    );
  }
  const now = options.now ?? (() => new Date());
  let readSecret = options.readSecret;
  const reader = (): SecretReader => {
    if (readSecret) return readSecret;
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) {
      throw new AgentError(AgentErrorCode.Config, 'no region for the hub account: region is required', {
        suggestion: 'pass region (the hub region) or set AWS_REGION',
      });
    }
    readSecret = createSecretReader({
      region,
      ...(options.baseCredentials ? { credentials: options.baseCredentials } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    return readSecret;
  };

  let verifier = options.verifyCredentials;
  const verify = (grant: ActiveElevation, credentials: ElevatedCredentials): Promise<boolean> => {
    // One verifier for the provider's life: its cache spares STS a call on every refresh of the same grant.
    verifier ??= createCredentialVerifier(
      createStsIdentityLookup({
        region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? grant.region,
        ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}),
      }),
    );
    return verifier(grant, credentials);
  };

  type Issued = Awaited<ReturnType<JitCredentialProvider>>;
  let cached: { value: Issued; readAt: number } | undefined;
  let inFlight: Promise<Issued> | undefined;

  const refresh = async (): Promise<Issued> => {
    const at = now();
    const read = await readElevation({ account: options.account, readSecret: reader(), now: at, clockSkewSeconds });
    const { state, credentials } = requireActive(read);
    await verify(state, credentials);
    const value: Issued = {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: new Date(credentials.expiration.getTime() - clockSkewSeconds * 1000),
      accountId: options.account,
    };
    cached = { value, readAt: at.getTime() };
    return value;
  };

  return async (call) => {
    const t = now().getTime();
    const usable =
      cached !== undefined &&
      cached.value.expiration.getTime() > t &&
      t - cached.readAt < cacheSeconds * 1000 &&
      call?.forceRefresh !== true;
    if (usable && cached) return { ...cached.value };
    if (!usable) cached = undefined;
    inFlight ??= refresh().finally(() => {
      inFlight = undefined;
    });
    return { ...(await inFlight) };
  };
}

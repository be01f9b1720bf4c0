import type {} from 'vitest';
import type { MotoWidening } from '../provision/motoPolicy.js';
import type { LocalAccounts, LocalCredentials } from '../provision/provision.js';

/** What the Vitest global setup provides to tests as `inject('localAws')` (plain data only). */
export interface LocalAwsTestContext {
  readonly endpoint: string;
  readonly region: string;
  readonly motoEndpoint: string;
  readonly accounts: LocalAccounts;
  readonly profiles: {
    readonly admin: LocalCredentials;
    readonly approver: LocalCredentials;
    readonly agent: LocalCredentials;
  };
  readonly configFile: string;
  readonly credentialsFile: string;
  readonly stateDir: string;
  readonly motoPid: number;
  readonly widenings: readonly MotoWidening[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    localAws: LocalAwsTestContext;
  }
}

/** SDK v3 client settings for one local identity, e.g. `new STSClient(clientConfig(ctx, 'agent'))`. */
export function clientConfig(
  context: LocalAwsTestContext,
  profile: keyof LocalAwsTestContext['profiles'],
): {
  endpoint: string;
  region: string;
  credentials: LocalCredentials;
  forcePathStyle: true;
  maxAttempts: number;
} {
  return {
    endpoint: context.endpoint,
    region: context.region,
    credentials: context.profiles[profile],
    forcePathStyle: true,
    maxAttempts: 1,
  };
}

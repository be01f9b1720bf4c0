import type { ElevatedCredentials } from './credentials.js';
import { readElevation, requireActive } from './elevation.js';
import type { SecretReader } from './secretReader.js';
import { type CredentialVerifier, createCredentialVerifier, createStsIdentityLookup } from './verifyIdentity.js';

/** The JSON an AWS `credential_process` prints (Version 1). */
export interface CredentialProcessOutput {
  readonly Version: 1;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
  /** The earlier of STS's `Expiration` and the grant's `EffectiveUntil`. */
  readonly Expiration: string;
}

export function toCredentialProcessOutput(credentials: ElevatedCredentials): CredentialProcessOutput {
  return {
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration.toISOString(),
  };
}

/**
 * `jit-agent credential-process <account>`: the one output of the product that carries
 * credentials, because the `credential_process` contract requires it (the AWS CLI or SDK reads
 * it from a pipe). Refusals throw an AgentError, before anything is printed.
 */
export async function credentialProcess(options: {
  account: string;
  readSecret: SecretReader;
  now?: Date;
  clockSkewSeconds?: number;
  /** @default sts:GetCallerIdentity with the credentials, in the grant's region */
  verifyCredentials?: CredentialVerifier;
}): Promise<CredentialProcessOutput> {
  const { verifyCredentials, ...readOptions } = options;
  const { state, credentials } = requireActive(await readElevation(readOptions));
  const verify = verifyCredentials ?? createCredentialVerifier(createStsIdentityLookup({ region: state.region }));
  await verify(state, credentials);
  return toCredentialProcessOutput(credentials);
}

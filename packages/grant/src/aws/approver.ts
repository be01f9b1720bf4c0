import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { JitConfig } from '@jit-access/core';
import { GrantError, GrantErrorCode } from '../errors.js';
import { type AwsClients, type AwsCredentials, awsErrorInfo, describeAwsError, isAccessDenied } from './clients.js';

/** How the approver signs in. */
export type ApproverSignIn =
  /** The SDK's default chain: environment, shared files (AWS_PROFILE), SSO, container or instance roles. */
  | 'default-chain'
  /** An IAM Identity Center profile (sso_session or sso_start_url). */
  | 'sso'
  /** A profile that assumes a role with mfa_serial: the code is asked for and sent with AssumeRole. */
  | 'mfa-assume-role'
  /** An IAM user profile with mfa_serial: the code is sent with GetSessionToken. */
  | 'mfa-session'
  /** A profile with plain keys (or anything else fromIni resolves). */
  | 'profile';

export interface ApproverCredentialOptions {
  readonly region: string;
  /** A profile in the shared config/credentials files. @default the SDK's default chain */
  readonly profile?: string | undefined;
  /** Asks the approver for an MFA code for `serial` (on the terminal, in the CLI). */
  readonly mfaCodeProvider?: ((serial: string) => Promise<string>) | undefined;
  /** @default $AWS_CONFIG_FILE or ~/.aws/config */
  readonly configFile?: string | undefined;
  /** @default $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials */
  readonly credentialsFile?: string | undefined;
  /** Endpoint for the STS calls the providers make (the local environment). @default AWS */
  readonly endpoint?: string | undefined;
  /** Endpoint of the IAM Identity Center portal (the local environment). @default AWS */
  readonly ssoEndpoint?: string | undefined;
}

export interface ApproverCredentials {
  readonly signIn: ApproverSignIn;
  readonly profile: string | undefined;
  /** Resolves once and caches; re-resolves shortly before expiry. Errors are GrantErrors. */
  readonly credentials: AwsCredentials;
}

type Identity = Awaited<ReturnType<Extract<AwsCredentials, (...args: never[]) => unknown>>>;
type Provider = () => Promise<Identity>;

/** Section name → key → value, from an AWS shared config or credentials file. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      const name = header[1].trim().replace(/\s+/g, ' ');
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return sections;
}

async function readIni(file: string): Promise<Map<string, Map<string, string>>> {
  try {
    return parseIni(await readFile(file, 'utf8'));
  } catch {
    return new Map();
  }
}

/** The settings of `profile`, merged from the credentials file and the config file. */
export async function readProfile(
  profile: string,
  files: { configFile?: string | undefined; credentialsFile?: string | undefined } = {},
): Promise<Map<string, string> | undefined> {
  const home = process.env.HOME ?? homedir();
  const configFile = files.configFile ?? process.env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config');
  const credentialsFile =
    files.credentialsFile ?? process.env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials');
  const config = await readIni(configFile);
  const credentials = await readIni(credentialsFile);
  const fromConfig = config.get(profile === 'default' ? 'default' : `profile ${profile}`) ?? config.get(profile);
  const fromCredentials = credentials.get(profile);
  if (!fromConfig && !fromCredentials) return undefined;
  return new Map([...(fromConfig ?? []), ...(fromCredentials ?? [])]);
}

export function signInFor(settings: ReadonlyMap<string, string>): ApproverSignIn {
  if (settings.has('sso_session') || settings.has('sso_start_url')) return 'sso';
  if (settings.has('mfa_serial') && settings.has('role_arn')) return 'mfa-assume-role';
  if (settings.has('mfa_serial')) return 'mfa-session';
  return 'profile';
}

/**
 * The approver's credentials: the default chain, or `profile` (IAM Identity Center through the
 * SDK's SSO provider; an IAM profile with mfa_serial asking for the code). Nothing is resolved
 * until the first AWS call; the first failure becomes a GrantError that says what to do.
 */
export async function approverCredentials(options: ApproverCredentialOptions): Promise<ApproverCredentials> {
  const providers = await import('@aws-sdk/credential-providers');
  const stsConfig = {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  };
  const files = {
    ...(options.configFile === undefined ? {} : { configFilepath: options.configFile }),
    ...(options.credentialsFile === undefined ? {} : { filepath: options.credentialsFile }),
  };
  const mfa = options.mfaCodeProvider ?? noTerminalForMfa;

  if (options.profile === undefined) {
    const provider = providers.fromNodeProviderChain({ ...files, mfaCodeProvider: mfa, clientConfig: stsConfig });
    return { signIn: 'default-chain', profile: undefined, credentials: guarded(provider, 'default-chain', undefined) };
  }

  const profile = options.profile;
  const settings = await readProfile(profile, options);
  if (!settings) {
    throw new GrantError(
      GrantErrorCode.ApproverCredentials,
      `--profile: profile "${profile}" is not in the AWS config or credentials file`,
      { field: '--profile', suggestion: `configure it with: aws configure sso --profile ${profile}` },
    );
  }
  const signIn = signInFor(settings);
  let provider: Provider;
  if (signIn === 'sso') {
    provider = providers.fromSSO({
      profile,
      ...files,
      clientConfig: {
        region: settings.get('sso_region') ?? options.region,
        ...(options.ssoEndpoint === undefined ? {} : { endpoint: options.ssoEndpoint }),
      },
    });
  } else if (signIn === 'mfa-session') {
    const base = providers.fromIni({ profile, ...files, clientConfig: stsConfig });
    const serial = settings.get('mfa_serial') ?? '';
    provider = async () => sessionWithMfa(await base(), serial, mfa, stsConfig);
  } else {
    provider = providers.fromIni({ profile, ...files, mfaCodeProvider: mfa, clientConfig: stsConfig });
  }
  return { signIn, profile, credentials: guarded(provider, signIn, profile) };
}

async function noTerminalForMfa(serial: string): Promise<string> {
  throw new GrantError(
    GrantErrorCode.ApproverCredentials,
    `an MFA code is needed for ${serial}, but there is no terminal to ask for it`,
    { suggestion: 'run jit-grant in a terminal, or pass --mfa-code <code>' },
  );
}

async function sessionWithMfa(
  base: Identity,
  serial: string,
  mfa: (serial: string) => Promise<string>,
  stsConfig: { region: string; endpoint?: string },
): Promise<Identity> {
  const code = await mfa(serial);
  if (!/^\d{6}$/.test(code)) {
    throw new GrantError(GrantErrorCode.ApproverCredentials, 'the MFA code must be 6 digits', {
      field: '--mfa-code',
    });
  }
  const { STSClient, GetSessionTokenCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({ ...stsConfig, credentials: base });
  try {
    const out = await sts.send(
      new GetSessionTokenCommand({ SerialNumber: serial, TokenCode: code, DurationSeconds: 3600 }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new GrantError(GrantErrorCode.ApproverCredentials, 'GetSessionToken returned no credentials');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  } catch (error) {
    if (error instanceof GrantError) throw error;
    throw new GrantError(GrantErrorCode.ApproverCredentials, describeAwsError('sts:GetSessionToken with MFA', error), {
      suggestion: 'check the MFA code (it changes every 30 seconds) and mfa_serial in the profile',
      cause: error,
    });
  } finally {
    sts.destroy();
  }
}

/** Memoises the provider (one MFA prompt per command) and turns its failures into GrantErrors. */
function guarded(provider: Provider, signIn: ApproverSignIn, profile: string | undefined): Provider {
  let pending: Promise<Identity> | undefined;
  return async () => {
    if (pending) {
      const cached = await pending.catch(() => undefined);
      const expiresSoon = cached?.expiration !== undefined && cached.expiration.getTime() - Date.now() < 60_000;
      if (cached && !expiresSoon) return cached;
    }
    pending = provider().catch((error: unknown) => {
      throw credentialError(error, signIn, profile);
    });
    return pending;
  };
}

export function credentialError(error: unknown, signIn: ApproverSignIn, profile: string | undefined): GrantError {
  if (error instanceof GrantError) return error;
  const info = awsErrorInfo(error);
  const p = profile ?? process.env.AWS_PROFILE;
  const ssoProblem =
    signIn === 'sso' ||
    /\bSSO\b/i.test(info.message) ||
    info.name === 'TokenProviderError' ||
    info.name === 'UnauthorizedException';
  if (ssoProblem && /(expired|invalid|refresh|token|login|Unauthorized)/i.test(`${info.name} ${info.message}`)) {
    return new GrantError(
      GrantErrorCode.ApproverCredentials,
      `your IAM Identity Center (SSO) session${p ? ` for profile "${p}"` : ''} has expired or is not signed in`,
      { suggestion: `run: aws sso login${p ? ` --profile ${p}` : ''}`, cause: error },
    );
  }
  const where = signIn === 'default-chain' ? 'the default credential chain' : `profile "${p}"`;
  return new GrantError(
    GrantErrorCode.ApproverCredentials,
    `no usable approver credentials from ${where}: ${info.message.split('\n')[0]}`,
    {
      suggestion:
        signIn === 'default-chain'
          ? 'sign in (aws sso login --profile <p>) and pass --profile <p>, or set AWS_PROFILE'
          : `check profile "${p}" in your AWS config`,
      cause: error,
    },
  );
}

/**
 * A hint for an AccessDenied from sts:AssumeRole on a tier role or JitRevoker: with
 * `approvers.requireMfa` their trust policies let IAM users and roles in only from a session made
 * with MFA (decision 0008). STS does not say which condition failed, so this is given whenever it
 * could be the cause: not for IAM Identity Center sessions, which are exempt.
 */
export function mfaRefusalHint(config: JitConfig, approverArn: string): string | undefined {
  if (!config.approvers.requireMfa || /:assumed-role\/AWSReservedSSO_/.test(approverArn)) return undefined;
  return 'approvers.requireMfa is on: an IAM user or role is let in only from a session signed in with MFA (a profile with mfa_serial; jit-grant asks for the code, or pass --mfa-code), never with plain access keys';
}

export interface ApproverIdentity {
  readonly arn: string;
  readonly account: string;
  readonly userId: string;
}

/** Who the approver is (sts:GetCallerIdentity); the first AWS call of every command. */
export async function identifyApprover(clients: AwsClients): Promise<ApproverIdentity> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  try {
    const out = await (await clients.sts()).send(new GetCallerIdentityCommand({}));
    if (!out.Arn || !out.Account || !out.UserId) throw new Error('GetCallerIdentity returned no identity');
    return { arn: out.Arn, account: out.Account, userId: out.UserId };
  } catch (error) {
    if (error instanceof GrantError) throw error;
    const info = awsErrorInfo(error);
    if (info.name === 'CredentialsProviderError' || /credential/i.test(info.name)) {
      throw credentialError(error, 'default-chain', undefined);
    }
    if (isAccessDenied(error) || info.name === 'InvalidClientTokenId' || info.name === 'ExpiredToken') {
      throw new GrantError(GrantErrorCode.ApproverCredentials, describeAwsError('sts:GetCallerIdentity', error), {
        suggestion: 'sign in again: your approver credentials are invalid or expired',
        cause: error,
      });
    }
    throw new GrantError(GrantErrorCode.AwsRefused, describeAwsError('sts:GetCallerIdentity', error), {
      cause: error,
    });
  }
}

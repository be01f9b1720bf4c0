import { readFile } from 'node:fs/promises';
import { DEFAULT_CLOCK_SKEW_SECONDS, type JitConfig } from '@jit-access/core';
import type { CredentialProvider } from './credentials.js';
import { validateClockSkew } from './elevation.js';
import { AgentError, AgentErrorCode } from './errors.js';
import { defaultJournalPath } from './journal.js';
import { createSecretReader, type SecretReader } from './secretReader.js';
import { type AgentSettings, loadSettings, type RolesAnywhereSettings, readSecretRef } from './settings.js';
import { type CredentialVerifier, createCredentialVerifier, createStsIdentityLookup } from './verifyIdentity.js';

/** Overrides from the command line; each beats the environment and the settings file. */
export interface RuntimeOverrides {
  readonly settingsFile?: string;
  readonly region?: string;
  readonly configDir?: string;
  readonly clockSkewSeconds?: number;
  readonly journal?: string;
  readonly profile?: string;
  readonly identity?: 'iam-user' | 'roles-anywhere';
  readonly certificate?: string;
  readonly privateKey?: string;
  readonly chain?: string;
  readonly trustAnchorArn?: string;
  readonly profileArn?: string;
  readonly roleArn?: string;
}

/**
 * Everything a command needs, resolved once from flags, environment and settings, with the
 * expensive parts (the accounts/ model, the AWS SDK, the base identity) loaded on first use.
 */
export interface AgentRuntime {
  readonly settings: AgentSettings;
  readonly env: NodeJS.ProcessEnv;
  readonly clockSkewSeconds: number;
  readonly journalPath: string;
  /** The hub region; throws AGENT_CONFIG when none is known. */
  region(): Promise<string>;
  /** The accounts/ model, when a folder is configured. */
  config(): Promise<JitConfig | undefined>;
  /** An account id or name → the account id (names need the accounts/ model). */
  resolveAccount(idOrName: string): Promise<string>;
  /** Every workload account id in the model (for `status` without an account). */
  workloadAccounts(): Promise<string[]>;
  readSecret: SecretReader;
  /**
   * Confirms with STS that a grant's credentials are its own session, before their first use; one
   * for the process, so a long-running MCP server asks once per access key id.
   */
  readonly verifyCredentials: CredentialVerifier;
  /** The Roles Anywhere provider when that is the base identity; undefined means the SDK's default chain. */
  baseCredentials(): Promise<CredentialProvider | undefined>;
  /** The named profile of the IAM-user base identity, if one was given. */
  readonly profile: string | undefined;
  /** Variables the child of `exec` must not see (secrets of jit-agent itself). */
  removeEnv(): string[];
}

export async function createRuntime(overrides: RuntimeOverrides = {}, env = process.env): Promise<AgentRuntime> {
  const { settings } = await loadSettings(overrides.settingsFile, env);
  const skew = overrides.clockSkewSeconds ?? envNumber(env, 'JIT_CLOCK_SKEW_SECONDS') ?? settings.clockSkewSeconds;
  const clockSkewSeconds = validateClockSkew(skew ?? DEFAULT_CLOCK_SKEW_SECONDS);
  const journalPath = overrides.journal ?? env.JIT_AGENT_JOURNAL ?? settings.journal ?? defaultJournalPath(env);
  const configDir = overrides.configDir ?? env.JIT_CONFIG_DIR ?? settings.configDir;
  const identity = identitySettings(overrides, env, settings);

  let configPromise: Promise<JitConfig | undefined> | undefined;
  const config = () => {
    configPromise ??= configDir
      ? import('@jit-access/core').then(({ loadConfig }) => loadConfig(configDir))
      : Promise.resolve(undefined);
    return configPromise;
  };

  const region = async (): Promise<string> => {
    const explicit = overrides.region ?? env.JIT_REGION ?? settings.region;
    if (explicit) return explicit;
    const fromConfig = (await config())?.region;
    const value = fromConfig ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!value) {
      throw new AgentError(
        AgentErrorCode.Config,
        'no hub region: the region where the grants\u2019 secrets live is unknown',
        {
          suggestion: 'pass --region, set JIT_REGION or AWS_REGION, or point --config at accounts/',
        },
      );
    }
    return value;
  };

  let basePromise: Promise<CredentialProvider | undefined> | undefined;
  const baseCredentials = () => {
    basePromise ??=
      identity.kind === 'roles-anywhere' ? rolesAnywhereProvider(identity, region, env) : Promise.resolve(undefined);
    return basePromise;
  };

  let reader: SecretReader | undefined;
  const readSecret: SecretReader = async (secretId) => {
    if (!reader) {
      const credentials = await baseCredentials();
      const profile = identity.kind === 'iam-user' ? identity.profile : undefined;
      reader = createSecretReader({
        region: await region(),
        ...(credentials ? { credentials } : {}),
        ...(profile ? { profile } : {}),
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      });
    }
    return reader(secretId);
  };

  let verifier: CredentialVerifier | undefined;
  const verifyCredentials: CredentialVerifier = async (grant, credentials) => {
    // The hub region and the SDK's endpoint resolution, as for agentArn's GetCallerIdentity.
    verifier ??= createCredentialVerifier(createStsIdentityLookup({ region: await region() }));
    return verifier(grant, credentials);
  };

  const resolveAccount = async (idOrName: string): Promise<string> => {
    const model = await config();
    if (/^\d{12}$/.test(idOrName)) {
      if (model && !model.workloadAccounts.some((a) => a.id === idOrName)) {
        throw new AgentError(
          AgentErrorCode.Usage,
          `account ${idOrName} is not a workload account in ${configDir}; known: ${known(model)}`,
        );
      }
      return idOrName;
    }
    if (!model) {
      throw new AgentError(
        AgentErrorCode.Usage,
        `account "${idOrName}" is not an account id (12 digits), and no accounts/ folder is configured to look names up`,
        { suggestion: 'pass the 12-digit id, or --config <accounts dir>' },
      );
    }
    const found = model.workloadAccounts.find((a) => a.name === idOrName);
    if (!found) {
      throw new AgentError(AgentErrorCode.Usage, `unknown account "${idOrName}"; known: ${known(model)}`);
    }
    return found.id;
  };

  const workloadAccounts = async (): Promise<string[]> => {
    const model = await config();
    if (!model) {
      throw new AgentError(AgentErrorCode.Usage, 'no account given, and no accounts/ folder to list them from', {
        suggestion: 'name an account (jit-agent status 222222222222), or pass --config <accounts dir>',
      });
    }
    return model.workloadAccounts.map((a) => a.id);
  };

  const removeEnv = (): string[] => {
    const names = ['JIT_WEBHOOK_SECRET', 'JIT_APPROVER_WEBHOOK_SECRET', 'JIT_SLACK_WEBHOOK_URL'];
    const refs = [
      settings.listener?.secret,
      settings.approvers?.webhook?.secret,
      settings.approvers?.slack?.webhookUrl,
    ];
    for (const ref of refs) if (ref && 'env' in ref) names.push(ref.env);
    if (identity.kind === 'roles-anywhere' && identity.privateKeyPassphraseEnv) {
      names.push(identity.privateKeyPassphraseEnv);
    }
    return names;
  };

  return {
    settings,
    env,
    clockSkewSeconds,
    journalPath,
    region,
    config,
    resolveAccount,
    workloadAccounts,
    readSecret,
    verifyCredentials,
    baseCredentials,
    profile: identity.kind === 'iam-user' ? identity.profile : undefined,
    removeEnv,
  };
}

function known(model: JitConfig): string {
  return model.workloadAccounts.map((a) => `${a.name} (${a.id})`).join(', ');
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) {
    throw new AgentError(AgentErrorCode.Config, `${name}="${value}" is not a whole number`);
  }
  return number;
}

type IdentitySettings = { kind: 'iam-user'; profile?: string } | RolesAnywhereSettings;

function identitySettings(
  overrides: RuntimeOverrides,
  env: NodeJS.ProcessEnv,
  settings: AgentSettings,
): IdentitySettings {
  const kind = overrides.identity ?? env.JIT_IDENTITY ?? settings.identity?.kind ?? 'iam-user';
  if (kind !== 'iam-user' && kind !== 'roles-anywhere') {
    throw new AgentError(AgentErrorCode.Usage, `identity "${kind}" is not known; allowed: iam-user, roles-anywhere`);
  }
  if (kind === 'iam-user') {
    const fromSettings = settings.identity?.kind === 'iam-user' ? settings.identity.profile : undefined;
    const profile = overrides.profile ?? fromSettings;
    return { kind, ...(profile ? { profile } : {}) };
  }
  const base = settings.identity?.kind === 'roles-anywhere' ? settings.identity : undefined;
  const pick = (flag: string | undefined, envName: string, fromSettings: string | undefined) =>
    flag ?? env[envName] ?? fromSettings;
  const fields = {
    certificate: pick(overrides.certificate, 'JIT_CERTIFICATE', base?.certificate),
    privateKey: pick(overrides.privateKey, 'JIT_PRIVATE_KEY', base?.privateKey),
    trustAnchorArn: pick(overrides.trustAnchorArn, 'JIT_TRUST_ANCHOR_ARN', base?.trustAnchorArn),
    profileArn: pick(overrides.profileArn, 'JIT_PROFILE_ARN', base?.profileArn),
    roleArn: pick(overrides.roleArn, 'JIT_ROLE_ARN', base?.roleArn),
  };
  const missing = Object.entries(fields)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) {
    throw new AgentError(AgentErrorCode.Config, `the roles-anywhere identity needs ${missing.join(', ')}`, {
      suggestion:
        'pass --certificate, --private-key, --trust-anchor-arn, --profile-arn and --role-arn, or set them in the settings file',
    });
  }
  const chain = pick(overrides.chain, 'JIT_CHAIN', base?.chain);
  return {
    ...(base ?? {}),
    kind: 'roles-anywhere',
    certificate: fields.certificate as string,
    privateKey: fields.privateKey as string,
    trustAnchorArn: fields.trustAnchorArn as string,
    profileArn: fields.profileArn as string,
    roleArn: fields.roleArn as string,
    ...(chain ? { chain } : {}),
  };
}

async function rolesAnywhereProvider(
  identity: RolesAnywhereSettings,
  hubRegion: () => Promise<string>,
  env: NodeJS.ProcessEnv,
): Promise<CredentialProvider> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (cause) {
      throw new AgentError(AgentErrorCode.Identity, `cannot read the ${what} ${file}`, {
        suggestion: 'check the roles-anywhere certificate/key/chain paths',
        cause,
      });
    }
  };
  const [certificatePem, privateKeyPem, chainPem] = await Promise.all([
    read(identity.certificate, 'certificate'),
    read(identity.privateKey, 'private key'),
    identity.chain ? read(identity.chain, 'certificate chain') : Promise.resolve(undefined),
  ]);
  const passphrase = identity.privateKeyPassphraseEnv
    ? await readSecretRef({ env: identity.privateKeyPassphraseEnv }, 'private key passphrase', env)
    : undefined;
  const endpoint = identity.endpoint ?? env.AWS_ENDPOINT_URL_ROLESANYWHERE ?? env.AWS_ENDPOINT_URL;
  const { fromRolesAnywhere } = await import('./rolesAnywhere/index.js');
  return fromRolesAnywhere({
    region: identity.region ?? (await hubRegion()),
    certificatePem,
    privateKeyPem,
    ...(chainPem ? { chainPem } : {}),
    ...(passphrase ? { privateKeyPassphrase: passphrase } : {}),
    trustAnchorArn: identity.trustAnchorArn,
    profileArn: identity.profileArn,
    roleArn: identity.roleArn,
    ...(endpoint ? { endpoint } : {}),
    ...(identity.durationSeconds ? { durationSeconds: identity.durationSeconds } : {}),
  });
}

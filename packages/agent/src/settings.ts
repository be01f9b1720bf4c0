import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AgentError, AgentErrorCode } from './errors.js';

/**
 * The agent operator's settings: a JSON file (`--settings`, `$JIT_AGENT_SETTINGS`, or
 * `~/.config/jit-agent/settings.json` when it exists), overridden by environment variables and
 * then by flags. Everything is optional; an account id and a region are enough to start.
 */
const region = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: 'must be an AWS region such as ap-southeast-2' });
const secretRef = z.union(
  [
    z.strictObject({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }),
    }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'must be {"env": "NAME"} or {"file": "/path"}' },
);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const rolesAnywhereSettingsSchema = z.strictObject({
  kind: z.literal('roles-anywhere'),
  /** PEM files. The key never leaves this process. */
  certificate: z.string().min(1),
  privateKey: z.string().min(1),
  chain: z.string().min(1).optional(),
  /** Environment variable holding the key's passphrase, if it is encrypted. */
  privateKeyPassphraseEnv: z.string().min(1).optional(),
  trustAnchorArn: z.string().min(1),
  profileArn: z.string().min(1),
  roleArn: z.string().min(1),
  /** @default the hub region */
  region: region.optional(),
  /** @default AWS_ENDPOINT_URL_ROLESANYWHERE, AWS_ENDPOINT_URL, then AWS's */
  endpoint: httpUrl.optional(),
  durationSeconds: z.number().int().min(900).max(43_200).optional(),
});

export const agentSettingsSchema = z.strictObject({
  /** The hub region, where the secrets live. */
  region: region.optional(),
  /** The `accounts/` folder: lets commands take account names and check requests against tiers. */
  configDir: z.string().min(1).optional(),
  clockSkewSeconds: z.number().int().min(0).max(300).optional(),
  /** The self-report journal (JSONL). */
  journal: z.string().min(1).optional(),
  /** Secrets Manager endpoint. @default the SDK's (honours AWS_ENDPOINT_URL) */
  endpoint: httpUrl.optional(),
  /** The base identity. @default the IAM user's keys from the AWS SDK's default chain */
  identity: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('iam-user'), profile: z.string().min(1).optional() }),
      rolesAnywhereSettingsSchema,
    ])
    .optional(),
  /** Where `request` sends requests: the approvers' channel. Never AWS. */
  approvers: z
    .strictObject({
      webhook: z.strictObject({ url: httpUrl, secret: secretRef }).optional(),
      slack: z.strictObject({ webhookUrl: secretRef }).optional(),
      timeoutMs: z.number().int().min(100).max(30_000).optional(),
    })
    .optional(),
  /** The local listener for grant notifications (`listen`, `wait`). */
  listener: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(0).max(65_535).optional(),
      secret: secretRef.optional(),
    })
    .optional(),
  /** How long a request stays approvable. */
  requestValidMinutes: z.number().int().min(1).max(1440).optional(),
  /** The agent's ARN for requests. @default from sts:GetCallerIdentity */
  agentArn: z.string().min(1).optional(),
});

export type AgentSettings = z.infer<typeof agentSettingsSchema>;
export type RolesAnywhereSettings = z.infer<typeof rolesAnywhereSettingsSchema>;
export type SecretRef = z.infer<typeof secretRef>;

export function defaultSettingsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(homedir(), '.config');
  return path.join(base, 'jit-agent', 'settings.json');
}

/**
 * Reads the settings file. An explicitly named file must exist; the default one is optional.
 */
export async function loadSettings(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ settings: AgentSettings; file?: string }> {
  const explicit = file ?? env.JIT_AGENT_SETTINGS;
  const target = explicit ?? defaultSettingsPath(env);
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (cause) {
    if (explicit === undefined && (cause as NodeJS.ErrnoException).code === 'ENOENT') return { settings: {} };
    throw new AgentError(AgentErrorCode.Config, `cannot read the settings file ${target}`, {
      suggestion: 'check --settings / JIT_AGENT_SETTINGS',
      cause,
    });
  }
  return { settings: parseSettings(text, target), file: target };
}

export function parseSettings(text: string, file = 'settings.json'): AgentSettings {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new AgentError(AgentErrorCode.Config, `${file} is not JSON`, { cause });
  }
  const parsed = agentSettingsSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const at = issue.path.join('.') || '(root)';
      const text =
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.join(', ')}`
          : issue.message.replace(/^Invalid input: /, '');
      return `${at}: ${text}`;
    });
    throw new AgentError(AgentErrorCode.Config, `${file} is not valid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Resolves a `{ env }` or `{ file }` reference to the secret it names. */
export async function readSecretRef(
  ref: SecretRef,
  what: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) {
      throw new AgentError(AgentErrorCode.Config, `${what}: environment variable ${ref.env} is not set`, {
        suggestion: `export ${ref.env}=<the shared secret>`,
      });
    }
    return value;
  }
  try {
    return (await readFile(ref.file, 'utf8')).trim();
  } catch (cause) {
    throw new AgentError(AgentErrorCode.Config, `${what}: cannot read ${ref.file}`, { cause });
  }
}

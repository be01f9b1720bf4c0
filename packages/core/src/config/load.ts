import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue, CoreErrorCode } from '../errors.js';
import { IDENTITY_CENTER_ROLE_PATH, isIdentityCenterRole } from '../naming.js';
import {
  type JitConfig,
  type OrgFile,
  orgFileSchema,
  type Tier,
  type TiersFile,
  tiersFileSchema,
  WINDOW_LIMITS,
  type WorkloadAccount,
  type WorkloadFile,
  workloadFileSchema,
} from './schema.js';

/** One configuration file's name (as shown in errors) and text. */
export interface ConfigSource {
  readonly file: string;
  readonly text: string;
}

export const CONFIG_FILES = { org: 'jit.yaml', tiers: 'tiers.yaml', workloadsDir: 'workloads' } as const;

/** Reads `jit.yaml`, `tiers.yaml` and `workloads/*.yaml` from `dir` and validates them together. */
export async function loadConfig(dir = 'accounts'): Promise<JitConfig> {
  const read = async (rel: string): Promise<ConfigSource> => {
    try {
      return { file: rel, text: await readFile(path.join(dir, rel), 'utf8') };
    } catch (cause) {
      throw new ConfigError(
        CoreErrorCode.ConfigNotFound,
        [{ file: rel, path: '', message: `cannot read ${path.join(dir, rel)}` }],
        { suggestion: `create it, or point --config at the folder that holds ${CONFIG_FILES.org}`, cause },
      );
    }
  };
  const org = await read(CONFIG_FILES.org);
  const tiers = await read(CONFIG_FILES.tiers);
  let names: string[] = [];
  try {
    names = (await readdir(path.join(dir, CONFIG_FILES.workloadsDir))).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    // No workloads folder: reported below as "no workload accounts".
  }
  const workloads = await Promise.all(names.map((n) => read(`${CONFIG_FILES.workloadsDir}/${n}`)));
  return parseConfig({ org, tiers, workloads });
}

/** Validates configuration sources; throws one ConfigError listing every problem found. */
export function parseConfig(sources: {
  org: ConfigSource;
  tiers: ConfigSource;
  workloads: readonly ConfigSource[];
}): JitConfig {
  const issues: ConfigIssue[] = [];
  const org = parseFile(sources.org, orgFileSchema, issues);
  const tiers = parseFile(sources.tiers, tiersFileSchema, issues);
  const workloads = sources.workloads.map((source) => ({
    source,
    value: parseFile(source, workloadFileSchema, issues),
  }));
  if (sources.workloads.length === 0) {
    issues.push({
      file: `${CONFIG_FILES.workloadsDir}/`,
      path: '',
      message: 'no workload accounts: add one YAML file per account (id, name, tiers)',
    });
  }
  if (org === undefined || tiers === undefined || workloads.some((w) => w.value === undefined)) {
    throw new ConfigError(CoreErrorCode.ConfigInvalid, issues);
  }
  const config = crossCheck(
    org,
    sources.org.file,
    tiers,
    sources.tiers.file,
    workloads.map((w) => ({ file: w.source.file, value: w.value as WorkloadFile })),
    issues,
  );
  if (issues.length > 0) throw new ConfigError(CoreErrorCode.ConfigInvalid, issues);
  return config;
}

function parseFile<S extends z.ZodType>(
  source: ConfigSource,
  schema: S,
  issues: ConfigIssue[],
): z.output<S> | undefined {
  const doc = parseDocument(source.text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const line = error.linePos?.[0];
      issues.push({
        file: source.file,
        path: '',
        message: `not valid YAML${line ? ` (line ${line.line}, column ${line.col})` : ''}: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      });
    }
    return undefined;
  }
  const data: unknown = doc.toJS();
  const result = schema.safeParse(data ?? {});
  if (result.success) return result.data;
  for (const issue of result.error.issues) issues.push(...describeIssue(source.file, schema, data, issue));
  return undefined;
}

function describeIssue(file: string, schema: z.ZodType, data: unknown, issue: z.core.$ZodIssue): ConfigIssue[] {
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(schema, data, at);
    return issue.keys.map((key) => ({
      file,
      path: [...at, key].join('.'),
      message: `unknown field "${key}"${allowed ? `; allowed fields here: ${allowed.join(', ')}` : ''}`,
    }));
  }
  if (issue.code === 'invalid_key') {
    const key = at[at.length - 1] ?? '';
    return [
      {
        file,
        path: at.join('.'),
        message: `invalid key "${key}": ${issue.issues.map((i) => i.message).join('; ')}`,
        value: key,
      },
    ];
  }
  const value = valueAt(data, at);
  const shown = value === undefined ? 'nothing' : preview(value);
  const message =
    issue.code === 'invalid_type' && value === undefined
      ? 'is required'
      : `${issue.message.replace(/^Invalid input: /, '')} (got ${shown})`;
  return [{ file, path: at.join('.'), message, value }];
}

export function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(data: unknown, at: readonly string[]): unknown {
  let current: unknown = data;
  for (const key of at) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The field names a strict object accepts at `at`, found by walking the schema along the data. */
function allowedKeys(schema: z.ZodType, data: unknown, at: readonly string[]): string[] | undefined {
  let current: z.core.$ZodType | undefined = schema;
  let value: unknown = data;
  const step = (): void => {
    // Unwrap optional/default/pipe wrappers and pick the union member the data selects.
    for (;;) {
      const def = (current as z.core.$ZodType | undefined)?._zod.def as unknown as Record<string, unknown> | undefined;
      if (def === undefined) return;
      if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType) {
        current = def.innerType as z.core.$ZodType;
      } else if (def.type === 'union' && Array.isArray(def.options)) {
        const discriminator = def.discriminator as string | undefined;
        const options = def.options as z.core.$ZodType[];
        const chosen =
          discriminator && value && typeof value === 'object'
            ? options.find((o) => {
                const shape = (o._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
                const lit = shape?.[discriminator]?._zod.def as unknown as { values?: unknown[] } | undefined;
                return lit?.values?.includes((value as Record<string, unknown>)[discriminator]);
              })
            : undefined;
        current = chosen ?? options[0];
      } else return;
    }
  };
  step();
  for (const key of at) {
    const def = current?._zod.def as unknown as Record<string, unknown> | undefined;
    if (def?.type === 'object') current = (def.shape as Record<string, z.core.$ZodType>)[key];
    else if (def?.type === 'record') current = def.valueType as z.core.$ZodType;
    else if (def?.type === 'array') current = def.element as z.core.$ZodType;
    else return undefined;
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    step();
  }
  const def = current?._zod.def as unknown as Record<string, unknown> | undefined;
  return def?.type === 'object' ? Object.keys(def.shape as object) : undefined;
}

function crossCheck(
  org: OrgFile,
  orgFile: string,
  tiersFile: TiersFile,
  tiersFileName: string,
  workloads: readonly { file: string; value: WorkloadFile }[],
  issues: ConfigIssue[],
): JitConfig {
  const tierNames = Object.keys(tiersFile.tiers);

  // Accounts: unique ids and names; hub, log archive and management are not workload accounts.
  const seenIds = new Map<string, string>();
  const seenNames = new Map<string, string>();
  const special: [string, { id: string; name: string } | undefined][] = [
    ['hub', org.hub],
    ['logArchive', org.logArchive],
    ['management', org.management],
  ];
  for (const [field, ref] of special) {
    if (!ref) continue;
    const other = seenIds.get(ref.id);
    if (other) {
      issues.push({
        file: orgFile,
        path: `${field}.id`,
        message: `account ${ref.id} is already used as ${other}; each role needs its own account`,
        value: ref.id,
      });
    }
    seenIds.set(ref.id, `${orgFile} ${field}`);
  }
  for (const { file, value } of workloads) {
    const other = seenIds.get(value.id);
    if (other) {
      issues.push({
        file,
        path: 'id',
        message: `duplicate account id ${value.id}: already defined in ${other}`,
        value: value.id,
      });
    } else {
      seenIds.set(value.id, file);
    }
    const otherName = seenNames.get(value.name);
    if (otherName) {
      issues.push({
        file,
        path: 'name',
        message: `duplicate account name "${value.name}": already used in ${otherName}`,
        value: value.name,
      });
    } else {
      seenNames.set(value.name, file);
    }
    value.tiers.forEach((t, i) => {
      if (!tierNames.includes(t)) {
        issues.push({
          file,
          path: `tiers.${i}`,
          message: `unknown tier "${t}"; defined tiers: ${tierNames.join(', ')}`,
          value: t,
        });
      }
    });
  }

  if (org.organizationId && !org.management) {
    issues.push({
      file: orgFile,
      path: 'management',
      message: 'an organization trail needs the management account: add management (id, name) or remove organizationId',
    });
  }
  if (org.approvers.requireMfa) {
    org.approvers.principals.forEach((principal, i) => {
      // Recognised by path only (isIdentityCenterRole); a pattern that names Identity Center roles
      // without it would get the MFA condition, which their sessions never satisfy.
      if (/AWSReservedSSO/i.test(principal) && !isIdentityCenterRole(principal)) {
        issues.push({
          file: orgFile,
          path: `approvers.principals.${i}`,
          message: `"${principal}" names IAM Identity Center roles outside their path ${IDENTITY_CENTER_ROLE_PATH}: with requireMfa its sessions would be refused (IAM never marks Identity Center sessions as MFA); write it as arn:aws:iam::<account>:role${IDENTITY_CENTER_ROLE_PATH}*/AWSReservedSSO_<permission set>_*`,
          value: principal,
        });
      }
    });
  }
  if (org.agent.kind === 'roles-anywhere') {
    const c = org.agent.certificate;
    if ((c.caBundleFile === undefined) === (c.acmPcaArn === undefined)) {
      issues.push({
        file: orgFile,
        path: 'agent.certificate',
        message: 'set exactly one of caBundleFile or acmPcaArn for the trust anchor',
      });
    }
  }

  // Tiers: windows within STS and role-chaining limits, unique role names, known accounts.
  const roleNames = new Map<string, string>();
  const tiers: Tier[] = [];
  for (const [name, tier] of Object.entries(tiersFile.tiers)) {
    const at = `tiers.${name}`;
    const { min, default: def, max } = tier.minutes;
    if (min < WINDOW_LIMITS.minMinutes) {
      issues.push({
        file: tiersFileName,
        path: `${at}.minutes.min`,
        message: `${min} minutes is below the shortest window, ${WINDOW_LIMITS.minMinutes} minutes`,
        value: min,
      });
    }
    if (max > WINDOW_LIMITS.maxMinutes) {
      issues.push({
        file: tiersFileName,
        path: `${at}.minutes.max`,
        message: `${max} minutes is over ${WINDOW_LIMITS.maxMinutes}: role chaining (an SSO session assuming the tier role) caps sessions at one hour`,
        value: max,
      });
    }
    if (min > max) {
      issues.push({
        file: tiersFileName,
        path: `${at}.minutes`,
        message: `min (${min}) is greater than max (${max})`,
        value: tier.minutes,
      });
    } else if (def < min || def > max) {
      issues.push({
        file: tiersFileName,
        path: `${at}.minutes.default`,
        message: `default ${def} is outside min..max (${min}..${max})`,
        value: def,
      });
    }
    const otherTier = roleNames.get(tier.roleName);
    if (otherTier) {
      issues.push({
        file: tiersFileName,
        path: `${at}.roleName`,
        message: `role name "${tier.roleName}" is already used by tier "${otherTier}"`,
        value: tier.roleName,
      });
    }
    roleNames.set(tier.roleName, name);

    let accountIds: string[];
    if (tier.accounts === 'all') {
      accountIds = workloads.filter((w) => w.value.tiers.includes(name)).map((w) => w.value.id);
    } else {
      accountIds = [];
      tier.accounts.forEach((ref, i) => {
        const match = workloads.find((w) => w.value.id === ref || w.value.name === ref);
        if (!match) {
          issues.push({
            file: tiersFileName,
            path: `${at}.accounts.${i}`,
            message: `unknown workload account "${ref}"; known: ${workloads.map((w) => `${w.value.name} (${w.value.id})`).join(', ')}`,
            value: ref,
          });
        } else {
          accountIds.push(match.value.id);
        }
      });
      for (const w of workloads) {
        if (w.value.tiers.includes(name) && !accountIds.includes(w.value.id)) {
          issues.push({
            file: w.file,
            path: `tiers.${w.value.tiers.indexOf(name)}`,
            message: `tier "${name}" is not allowed for this account: ${tiersFileName} ${at}.accounts lists ${tier.accounts.join(', ')}`,
            value: name,
          });
        }
      }
    }
    tiers.push({
      name,
      roleName: tier.roleName,
      description: tier.description,
      minutes: tier.minutes,
      accountIds,
      actions: tier.actions,
      reasonRequired: tier.reasonRequired,
    });
  }

  const workloadAccounts: WorkloadAccount[] = workloads.map(({ value }) => ({
    id: value.id,
    name: value.name,
    ...(value.description === undefined ? {} : { description: value.description }),
    tiers: value.tiers,
  }));

  return {
    region: org.region,
    ...(org.organizationId === undefined ? {} : { organizationId: org.organizationId }),
    hub: org.hub,
    logArchive: {
      id: org.logArchive.id,
      name: org.logArchive.name,
      bucketName: org.logArchive.bucketName ?? `jit-cloudtrail-${org.logArchive.id}-${org.region}`,
      retentionDays: org.logArchive.retentionDays,
    },
    ...(org.management === undefined ? {} : { management: org.management }),
    trail: org.trail,
    approvers: org.approvers,
    agent: org.agent,
    notifications: org.notifications,
    passableRolePath: org.passableRolePath,
    tiers,
    workloadAccounts,
  };
}

/** Looks up a workload account by id or name. */
export function findAccount(config: JitConfig, idOrName: string): WorkloadAccount | undefined {
  return config.workloadAccounts.find((a) => a.id === idOrName || a.name === idOrName);
}

export function findTier(config: JitConfig, name: string): Tier | undefined {
  return config.tiers.find((t) => t.name === name);
}

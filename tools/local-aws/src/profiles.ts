import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LocalAccounts, LocalCredentials } from './provision/provision.js';

/** The AWS profiles the local environment writes. */
export const PROFILE_NAMES = {
  admin: 'jit-admin',
  approver: 'jit-approver',
  agent: 'jit-agent',
  /** `jit-admin-<account name>`: the local admin role in that account, via jit-admin. */
  adminIn: (accountName: string) => `jit-admin-${accountName}`,
} as const;

export const AWS_FILE_NAMES = { config: 'aws-config', credentials: 'aws-credentials' } as const;

/**
 * The shared config file: one profile per identity, each pointing at the edge, plus one admin
 * profile per account (role_arn + source_profile, which both the AWS CLI and the SDKs follow).
 */
export function renderAwsConfig(options: {
  endpoint: string;
  accounts: LocalAccounts;
  adminSessionName?: string;
}): string {
  const { endpoint, accounts } = options;
  // The AWS CLI caches assumed-role credentials by role and session name (~/.aws/cli/cache); a
  // session name of its own per environment keeps it from reusing keys of an earlier moto.
  // Never `jit-…`: that prefix marks an elevated session, and the auditors' reports would list the admin's.
  const sessionName = options.adminSessionName ?? 'local-admin';
  const common = [`region = ${accounts.region}`, `endpoint_url = ${endpoint}`, 's3 =', '    addressing_style = path'];
  const sections: string[] = [];
  for (const name of [PROFILE_NAMES.admin, PROFILE_NAMES.approver, PROFILE_NAMES.agent]) {
    sections.push([`[profile ${name}]`, ...common].join('\n'));
  }
  const named = [
    { id: accounts.hub.id, name: accounts.hub.name },
    { id: accounts.logArchive.id, name: accounts.logArchive.name },
    ...(accounts.management === undefined ? [] : [accounts.management]),
    ...accounts.workloads,
  ];
  const seen = new Set<string>();
  for (const account of named) {
    if (seen.has(account.id)) continue;
    seen.add(account.id);
    sections.push(
      [
        `[profile ${PROFILE_NAMES.adminIn(account.name)}]`,
        `role_arn = arn:aws:iam::${account.id}:role/${accounts.adminRoleName}`,
        `source_profile = ${PROFILE_NAMES.admin}`,
        `role_session_name = ${sessionName}`,
        ...common,
      ].join('\n'),
    );
  }
  return `# Written by tools/local-aws for the local environment only (moto). Do not use against AWS.\n${sections.join('\n\n')}\n`;
}

export function renderAwsCredentials(credentials: {
  admin: LocalCredentials;
  approver: LocalCredentials;
  agent: LocalCredentials;
}): string {
  const section = (name: string, c: LocalCredentials): string =>
    [
      `[${name}]`,
      `aws_access_key_id = ${c.accessKeyId}`,
      `aws_secret_access_key = ${c.secretAccessKey}`,
      ...(c.sessionToken === undefined ? [] : [`aws_session_token = ${c.sessionToken}`]),
    ].join('\n');
  return `# Fake keys of the local moto environment (tools/local-aws). Never valid in AWS.\n${[
    section(PROFILE_NAMES.admin, credentials.admin),
    section(PROFILE_NAMES.approver, credentials.approver),
    section(PROFILE_NAMES.agent, credentials.agent),
  ].join('\n\n')}\n`;
}

/** Writes both files into `dir`; the credentials file is readable by its owner only. */
export async function writeAwsFiles(
  dir: string,
  options: {
    endpoint: string;
    accounts: LocalAccounts;
    credentials: { admin: LocalCredentials; approver: LocalCredentials; agent: LocalCredentials };
    adminSessionName?: string;
  },
): Promise<{ configFile: string; credentialsFile: string }> {
  const configFile = path.join(dir, AWS_FILE_NAMES.config);
  const credentialsFile = path.join(dir, AWS_FILE_NAMES.credentials);
  await writeFile(configFile, renderAwsConfig(options), { mode: 0o644 });
  await writeFile(credentialsFile, renderAwsCredentials(options.credentials), { mode: 0o600 });
  // writeFile's mode applies only when it creates the file.
  await chmod(credentialsFile, 0o600);
  return { configFile, credentialsFile };
}

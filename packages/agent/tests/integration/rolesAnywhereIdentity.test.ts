/**
 * jit-agent with the compliance tier's base identity: an X.509 certificate exchanged for
 * credentials through IAM Roles Anywhere `CreateSession`. The local environment here is started
 * from a copy of accounts/ whose agent is `roles-anywhere`, so the agent role exists in the hub
 * with the product's agent policy, and the edge serves CreateSession for a local CA.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { ElevatedPayload } from '@jit-access/core';
import { type LocalAws, startLocalAws } from '@jit-access/local-aws';
import type { LocalAwsTestContext } from '@jit-access/local-aws/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The local CA and CreateSession handler are not exported by the package yet.
import {
  createLocalCa,
  createRolesAnywhereHandler,
  issueAgentCertificate,
} from '../../../../tools/local-aws/src/rolesAnywhere/index.js';
import { ACCOUNTS_DIR, type CliResult, runCli } from '../support/cli.js';
import { grant } from '../support/localGrants.js';
import { connectMcp } from '../support/mcp.js';

const ACCOUNT = '222222222222';
const ROLE_NAME = 'JitAgentRolesAnywhere';
const COMMON_NAME = 'jit-agent-ci';

let dir: string;
let env: LocalAws;
let ctx: LocalAwsTestContext;
let flags: string[];
let baseEnv: NodeJS.ProcessEnv;
const granted: ElevatedPayload[] = [];
const outputs: string[] = [];

/** accounts/ with the agent switched to a Roles Anywhere role bound to the CA's certificate. */
async function rolesAnywhereAccounts(caBundleFile: string): Promise<string> {
  const target = path.join(dir, 'accounts');
  await cp(ACCOUNTS_DIR, target, { recursive: true });
  const file = path.join(target, 'jit.yaml');
  const text = await readFile(file, 'utf8');
  const block = /^agent:\n(?:[ #].*\n|\n)*/m;
  if (!block.test(text)) throw new Error('accounts/jit.yaml has no top-level agent block to replace');
  const agent = [
    'agent:',
    '  kind: roles-anywhere',
    `  roleName: ${ROLE_NAME}`,
    '  certificate:',
    `    commonName: ${COMMON_NAME}`,
    `    caBundleFile: ${caBundleFile}`,
    '',
  ].join('\n');
  await writeFile(file, text.replace(block, agent));
  return target;
}

async function cli(args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  // Our flags go before "--": everything after it belongs to the command exec runs.
  const dashes = args.indexOf('--');
  const withFlags = dashes === -1 ? [...args, ...flags] : [...args.slice(0, dashes), ...flags, ...args.slice(dashes)];
  const r = await runCli(withFlags, { ...baseEnv, ...extra });
  outputs.push(r.stderr);
  if (args[0] !== 'credential-process') outputs.push(r.stdout);
  return r;
}

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-ra-'));
  const ca = await createLocalCa({ dir: path.join(dir, 'ca') });
  const certificate = await issueAgentCertificate({ ca, commonName: COMMON_NAME, days: 1 });
  const expired = await issueAgentCertificate({
    ca,
    commonName: COMMON_NAME,
    notBefore: new Date(Date.now() - 3 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
  });
  for (const [name, pem] of [
    ['agent.pem', certificate.certificatePem],
    ['agent.key', certificate.privateKeyPem],
    ['expired.pem', expired.certificatePem],
    ['expired.key', expired.privateKeyPem],
  ] as const) {
    await writeFile(path.join(dir, name), pem, { mode: 0o600 });
  }

  let trustAnchorArn = '';
  let profileArn = '';
  let roleArn = '';
  env = await startLocalAws({
    accountsDir: await rolesAnywhereAccounts(ca.certificatePath),
    builtinPlugins: false,
    plugins: [
      async (context) => {
        const hub = context.accounts.hub.id;
        // moto 5.2 fails (HTTP 500) evaluating a trust policy with a Service-only statement when
        // an AWS principal assumes the role; here the edge assumes it as the local admin, so the
        // trust names that admin only. AWS itself is not involved: the edge stands in for it.
        const iam = new IAMClient({
          endpoint: context.motoEndpoint,
          region: context.region,
          credentials: context.adminCredentials,
          maxAttempts: 1,
        });
        await iam.send(
          new UpdateAssumeRolePolicyCommand({
            RoleName: ROLE_NAME,
            PolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: context.accounts.hub.admin.arn },
                  Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
                },
              ],
            }),
          }),
        );
        iam.destroy();
        trustAnchorArn = `arn:aws:rolesanywhere:${context.region}:${hub}:trust-anchor/6a1e0c1a-0000-4000-8000-000000000001`;
        profileArn = `arn:aws:rolesanywhere:${context.region}:${hub}:profile/6a1e0c1a-0000-4000-8000-000000000002`;
        roleArn = `arn:aws:iam::${hub}:role/${ROLE_NAME}`;
        const sts = new STSClient({
          endpoint: context.motoEndpoint,
          region: context.region,
          credentials: context.adminCredentials,
          maxAttempts: 1,
        });
        return {
          name: 'roles-anywhere',
          handle: createRolesAnywhereHandler({
            trustAnchors: [{ arn: trustAnchorArn, caCertificatePem: ca.certificatePem }],
            profiles: [{ arn: profileArn, roleArns: [roleArn] }],
            assumeRole: async (args) => {
              const out = await sts.send(
                new AssumeRoleCommand({
                  RoleArn: args.roleArn,
                  RoleSessionName: args.sessionName,
                  SourceIdentity: args.sourceIdentity,
                  DurationSeconds: args.durationSeconds,
                }),
              );
              const c = out.Credentials;
              if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
                throw new Error('moto AssumeRole returned no credentials');
              }
              return {
                accessKeyId: c.AccessKeyId,
                secretAccessKey: c.SecretAccessKey,
                sessionToken: c.SessionToken,
                expiration: c.Expiration,
              };
            },
          }),
          stop: async () => sts.destroy(),
        };
      },
    ],
  });
  ctx = {
    endpoint: env.endpoint,
    region: env.region,
    profiles: env.profiles,
    accounts: env.accounts,
  } as LocalAwsTestContext;
  flags = [
    '--identity',
    'roles-anywhere',
    '--certificate',
    path.join(dir, 'agent.pem'),
    '--private-key',
    path.join(dir, 'agent.key'),
    '--trust-anchor-arn',
    trustAnchorArn,
    '--profile-arn',
    profileArn,
    '--role-arn',
    roleArn,
  ];
  // No AWS keys at all: the certificate is the only identity the agent has.
  baseEnv = {
    AWS_ENDPOINT_URL: env.endpoint,
    JIT_REGION: env.region,
    XDG_CONFIG_HOME: dir,
    JIT_AGENT_JOURNAL: path.join(dir, 'journal.jsonl'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}, 180_000);

afterAll(async () => {
  await env?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('jit-agent with a Roles Anywhere base identity', () => {
  it('status reads the secret with the certificate alone', async () => {
    expect((await cli(['status', ACCOUNT])).code).toBe(10);
    const p = await grant(ctx, { account: ACCOUNT });
    granted.push(p);
    const r = await cli(['status', ACCOUNT, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'active', grantId: p.GrantId });
  });

  it('exec runs the command as the elevated role, not as the Roles Anywhere role', async () => {
    const p = granted[0] as ElevatedPayload;
    const r = await cli(['exec', ACCOUNT, '--', 'aws', 'sts', 'get-caller-identity', '--output', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${p.GrantId}`);
  });

  it('credential-process prints the grant', async () => {
    const p = granted[0] as ElevatedPayload;
    const r = await cli(['credential-process', ACCOUNT]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ Version: 1, AccessKeyId: p.AccessKeyId });
  });

  it("request names the Roles Anywhere session as the agent's identity", async () => {
    const r = await cli([
      'request',
      ACCOUNT,
      '--tier',
      'ops',
      '--minutes',
      '15',
      '--reason',
      'check logs',
      '--no-send',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).agent.arn).toMatch(new RegExp(`:assumed-role/${ROLE_NAME}/`));
  });

  it('the identity can come from the settings file instead of flags', async () => {
    const settings = path.join(dir, 'settings.json');
    const at = (name: string) => flags[flags.indexOf(name) + 1];
    await writeFile(
      settings,
      JSON.stringify({
        identity: {
          kind: 'roles-anywhere',
          certificate: at('--certificate'),
          privateKey: at('--private-key'),
          trustAnchorArn: at('--trust-anchor-arn'),
          profileArn: at('--profile-arn'),
          roleArn: at('--role-arn'),
        },
      }),
    );
    const r = await runCli(['status', ACCOUNT, '--settings', settings], baseEnv);
    expect(r.code).toBe(0);
  });

  it('the MCP server runs commands under the grant with the certificate identity', async () => {
    const session = await connectMcp(flags, baseEnv as Record<string, string>);
    try {
      const r = await session.call('run_with_elevation', { account: ACCOUNT, command: ['env'] });
      outputs.push(r.text, session.stderr());
      expect(r.isError).toBe(false);
      expect((r.data as { stdout: string }).stdout).toContain('AWS_SESSION_TOKEN=[redacted]');
    } finally {
      await session.close();
    }
  });

  it('refuses an expired certificate with exit 17 and its dates', async () => {
    const r = await runCli(
      [
        'status',
        ACCOUNT,
        ...flags.map((f) =>
          f.endsWith('agent.pem')
            ? path.join(dir, 'expired.pem')
            : f.endsWith('agent.key')
              ? path.join(dir, 'expired.key')
              : f,
        ),
      ],
      baseEnv,
    );
    expect(r.code).toBe(17);
    expect(r.stdout).toMatch(/expired/i);
  });

  it('leaks no credential into any output', () => {
    for (const p of granted) {
      for (const text of outputs) {
        expect(text).not.toContain(p.SecretAccessKey);
        expect(text).not.toContain(p.SessionToken);
      }
    }
  });
});

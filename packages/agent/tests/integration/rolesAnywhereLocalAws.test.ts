/**
 * Roles Anywhere against the local environment: moto and the edge, with the local CreateSession handler
 * plugged into the edge, reached over real HTTP by the client and by an AWS SDK client that uses
 * fromRolesAnywhere as its credentials.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Reached by path until the lead wires @jit-access/local-aws as a dev dependency of this package.
import { type LocalAws, startLocalAws } from '../../../../tools/local-aws/src/lifecycle.js';
import {
  type AgentCertificate,
  type AssumeRoleArgs,
  createLocalCa,
  createRolesAnywhereHandler,
  issueAgentCertificate,
} from '../../../../tools/local-aws/src/rolesAnywhere/index.js';
import { createSession, fromRolesAnywhere, RolesAnywhereError } from '../../src/rolesAnywhere/index.js';

const TRUST_ANCHOR = 'trust-anchor/5a1e0c1a-0000-4000-8000-000000000001';
const PROFILE = 'profile/5a1e0c1a-0000-4000-8000-000000000002';

let dir: string;
let env: LocalAws;
let agentCertificate: AgentCertificate;
let foreignCertificate: AgentCertificate;
let roleArn: string;
let trustAnchorArn: string;
let profileArn: string;
const assumeRoleCalls: AssumeRoleArgs[] = [];

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  dir = await mkdtemp(join(tmpdir(), 'jit-ra-integration-'));
  const ca = await createLocalCa({ dir: join(dir, 'ca') });
  const foreignCa = await createLocalCa({ dir: join(dir, 'foreign-ca'), commonName: 'Foreign CA' });
  [agentCertificate, foreignCertificate] = await Promise.all([
    issueAgentCertificate({ ca, commonName: 'agent-integration', days: 1 }),
    issueAgentCertificate({ ca: foreignCa, commonName: 'agent-foreign', days: 1 }),
  ]);

  env = await startLocalAws({
    builtinPlugins: false,
    plugins: [
      (context) => {
        const hub = context.accounts.hub.id;
        trustAnchorArn = `arn:aws:rolesanywhere:${context.region}:${hub}:${TRUST_ANCHOR}`;
        profileArn = `arn:aws:rolesanywhere:${context.region}:${hub}:${PROFILE}`;
        // Any assumable hub role proves the plumbing; the product's own is config.agent.roleName.
        roleArn = `arn:aws:iam::${hub}:role/${context.accounts.adminRoleName}`;
        const sts = new STSClient({
          endpoint: context.motoEndpoint,
          region: context.region,
          credentials: context.adminCredentials,
          maxAttempts: 1,
        });
        return {
          name: 'roles-anywhere-test',
          handle: createRolesAnywhereHandler({
            trustAnchors: [{ arn: trustAnchorArn, caCertificatePem: ca.certificatePem }],
            profiles: [{ arn: profileArn, roleArns: [roleArn] }],
            assumeRole: async (args) => {
              assumeRoleCalls.push(args);
              const out = await sts.send(
                new AssumeRoleCommand({
                  RoleArn: args.roleArn,
                  RoleSessionName: args.sessionName,
                  SourceIdentity: args.sourceIdentity,
                  DurationSeconds: args.durationSeconds,
                }),
              );
              const c = out.Credentials;
              if (
                c?.AccessKeyId === undefined ||
                c.SecretAccessKey === undefined ||
                c.SessionToken === undefined ||
                c.Expiration === undefined
              ) {
                throw new Error('moto AssumeRole returned no credentials');
              }
              return {
                accessKeyId: c.AccessKeyId,
                secretAccessKey: c.SecretAccessKey,
                sessionToken: c.SessionToken,
                expiration: c.Expiration,
                ...(out.AssumedRoleUser?.Arn !== undefined && out.AssumedRoleUser.AssumedRoleId !== undefined
                  ? {
                      assumedRoleUser: {
                        arn: out.AssumedRoleUser.Arn,
                        assumedRoleId: out.AssumedRoleUser.AssumedRoleId,
                      },
                    }
                  : {}),
              };
            },
          }),
          stop: async () => sts.destroy(),
        };
      },
    ],
  });
}, 180_000);

afterAll(async () => {
  await env?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function options(certificate: AgentCertificate) {
  return {
    endpoint: env.endpoint,
    region: env.region,
    certificatePem: certificate.certificatePem,
    privateKeyPem: certificate.privateKeyPem,
    trustAnchorArn,
    profileArn,
    roleArn,
    durationSeconds: 900,
  };
}

describe('Roles Anywhere through the local edge', () => {
  it('issues moto STS credentials for the certificate, with its CN as source identity', async () => {
    const credentials = await createSession(options(agentCertificate));

    expect(credentials.accessKeyId).toMatch(/^ASIA/);
    expect(credentials.expiration.getTime()).toBeGreaterThan(Date.now());
    expect(assumeRoleCalls.at(-1)).toEqual({
      roleArn,
      sessionName: agentCertificate.serialDecimal,
      sourceIdentity: 'agent-integration',
      durationSeconds: 900,
    });
  });

  it('gives an SDK client working credentials through fromRolesAnywhere', async () => {
    const sts = new STSClient({
      endpoint: env.endpoint,
      region: env.region,
      credentials: fromRolesAnywhere(options(agentCertificate)),
      maxAttempts: 1,
    });

    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();

    const roleName = roleArn.split('/').pop();
    expect(identity.Arn).toBe(
      `arn:aws:sts::${env.accounts.hub.id}:assumed-role/${roleName}/${agentCertificate.serialDecimal}`,
    );
  });

  it('refuses a certificate from a CA that is not the trust anchor with a 403', async () => {
    const error = await createSession(options(foreignCertificate)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RolesAnywhereError);
    expect(error).toMatchObject({ status: 403, serviceErrorType: 'AccessDeniedException' });
  });
});

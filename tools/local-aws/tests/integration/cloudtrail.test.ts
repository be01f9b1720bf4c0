import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListRolesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudTrailRecord, createCloudTrailPlugin, type LocalCloudTrail } from '../../src/cloudtrail/index.js';
import type { AdminCredentials } from '../../src/cloudtrail/types.js';
import { type Edge, startEdge } from '../../src/edge/server.js';
import type { EdgeRequest } from '../../src/edge/types.js';
import { type MotoServer, startMoto } from '../../src/moto/launcher.js';

const run = promisify(execFile);

const REGION = 'us-east-1';
const HUB = '111111111111';
const WORKLOAD = '222222222222';
const LOG_ARCHIVE = '333333333333';
const MANAGEMENT = '444444444444';
const ACCOUNTS = [HUB, WORKLOAD, LOG_ARCHIVE, MANAGEMENT];
const BUCKET = 'jit-log-archive';
const ORG_BUCKET = 'jit-org-log-archive';
const TRAIL = 'jit-trail';
const BOOTSTRAP = { accessKeyId: 'AKIAJITBOOTSTRAP0001', secretAccessKey: 'bootstrap-not-a-secret' };

type Client = { middlewareStack: { add: (...args: never[]) => void }; destroy: () => void };

/** A client that addresses one moto account directly (only while IAM enforcement is off). */
function inAccount<T extends Client>(Make: new (config: never) => T, endpoint: string, accountId: string): T {
  const client = new Make({
    endpoint,
    region: REGION,
    credentials: BOOTSTRAP,
    forcePathStyle: true,
    maxAttempts: 1,
  } as never);
  (client.middlewareStack.add as unknown as (m: unknown, o: unknown) => void)(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) =>
      (args: { request: { headers: Record<string, string> } }) => {
        args.request.headers['x-moto-account-id'] = accountId;
        return next(args);
      },
    { step: 'build', name: 'motoAccount' },
  );
  return client;
}

async function setEnforcement(motoEndpoint: string, on: boolean): Promise<void> {
  const response = await fetch(`${motoEndpoint}/moto-api/reset-auth`, { method: 'POST', body: on ? '0' : 'inf' });
  expect(response.ok).toBe(true);
  await response.arrayBuffer();
}

/**
 * moto 5.2 cannot verify SigV4 for S3 requests whose query string holds a '/' (it recomputes the
 * signature over the decoded query), and `validate-logs` lists digests with `Prefix` and `Marker`
 * keys full of '/'. Those runs switch enforcement off for their duration; everything else in this
 * file runs with enforcement on.
 */
async function withoutEnforcement<T>(motoEndpoint: string, action: () => Promise<T>): Promise<T> {
  await setEnforcement(motoEndpoint, false);
  try {
    return await action();
  } finally {
    await setEnforcement(motoEndpoint, true);
  }
}

const ALLOW_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

interface World {
  moto: MotoServer;
  admin: AdminCredentials;
  approver: AdminCredentials;
  agent: AdminCredentials;
  credentialsFor: (accountId: string) => Promise<AdminCredentials>;
  organizationId: string;
}

/** moto with IAM enforcement on, an admin role in every account, an approver, an agent and the buckets. */
async function bootstrap(stateDir: string): Promise<World> {
  const moto = await startMoto({ logFile: join(stateDir, 'moto.log') });
  const endpoint = moto.endpoint;
  await setEnforcement(endpoint, false);
  const made: Client[] = [];
  const iamIn = (accountId: string): IAMClient => {
    const client = inAccount(IAMClient, endpoint, accountId);
    made.push(client);
    return client;
  };
  const hubIam = iamIn(HUB);
  const userWithKey = async (name: string, policy: string): Promise<AdminCredentials> => {
    await hubIam.send(new CreateUserCommand({ UserName: name }));
    await hubIam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: policy }));
    const key = (await hubIam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey;
    return { accessKeyId: key?.AccessKeyId ?? '', secretAccessKey: key?.SecretAccessKey ?? '' };
  };
  const admin = await userWithKey('jit-local-admin', ALLOW_ALL);
  const approver = await userWithKey(
    'jit-approver',
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' },
        { Effect: 'Allow', Action: ['secretsmanager:PutSecretValue'], Resource: '*' },
      ],
    }),
  );
  const agent = await userWithKey(
    'jit-agent',
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: '*' }],
    }),
  );
  for (const accountId of ACCOUNTS) {
    const iam = iamIn(accountId);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'JitLocalAdmin',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${HUB}:user/jit-local-admin` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'JitLocalAdmin', PolicyName: 'all', PolicyDocument: ALLOW_ALL }),
    );
  }
  const workloadIam = iamIn(WORKLOAD);
  await workloadIam.send(
    new CreateRoleCommand({
      RoleName: 'AgentElevated-Ops',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${HUB}:user/jit-approver` },
            Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
          },
        ],
      }),
    }),
  );
  await workloadIam.send(
    new PutRolePolicyCommand({
      RoleName: 'AgentElevated-Ops',
      PolicyName: 'ops',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['iam:ListRoles', 'ec2:Describe*'], Resource: '*' }],
      }),
    }),
  );
  const s3 = inAccount(S3Client, endpoint, LOG_ARCHIVE);
  made.push(s3);
  for (const bucket of [BUCKET, ORG_BUCKET]) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
        },
      }),
    );
  }
  const secrets = inAccount(SecretsManagerClient, endpoint, HUB);
  made.push(secrets);
  await secrets.send(
    new CreateSecretCommand({ Name: `agent/elevated/${WORKLOAD}`, SecretString: '{"placeholder":true}' }),
  );
  const organizations = inAccount(OrganizationsClient, endpoint, MANAGEMENT);
  made.push(organizations);
  const organizationId =
    (await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }))).Organization?.Id ?? '';
  for (const client of made) client.destroy();
  await setEnforcement(endpoint, true);

  // Admin credentials per account: the admin user assumes JitLocalAdmin there, directly at moto.
  const sts = new STSClient({ endpoint, region: REGION, credentials: admin, maxAttempts: 1 });
  const cache = new Map<string, Promise<AdminCredentials>>();
  const credentialsFor = (accountId: string): Promise<AdminCredentials> => {
    let creds = cache.get(accountId);
    if (creds === undefined) {
      creds = sts
        .send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${accountId}:role/JitLocalAdmin`,
            RoleSessionName: 'jit-local-admin',
          }),
        )
        .then((out) => ({
          accessKeyId: out.Credentials?.AccessKeyId ?? '',
          secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
          sessionToken: out.Credentials?.SessionToken ?? '',
        }));
      cache.set(accountId, creds);
    }
    return creds;
  };
  return { moto, admin, approver, agent, credentialsFor, organizationId };
}

/** Runs the installed AWS CLI v1 against the edge: cloudtrail via --endpoint-url, S3 and Organizations via AWS_ENDPOINT_URL. */
async function awsCli(
  edge: Edge,
  credentials: AdminCredentials,
  args: string[],
  dir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const configFile = join(dir, 'aws-config');
  writeFileSync(configFile, `[default]\nregion = ${REGION}\n`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL: edge.endpoint,
  };
  try {
    const { stdout, stderr } = await run('aws', [...args, '--endpoint-url', edge.endpoint], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

const stateDir = mkdtempSync(join(tmpdir(), 'jit-cloudtrail-it-'));
let world: World;
let trail: LocalCloudTrail;
let edge: Edge;
let orgTrail: LocalCloudTrail;
let orgEdge: Edge;
let startTime: string;
let session: AdminCredentials;

beforeAll(async () => {
  world = await bootstrap(stateDir);
  startTime = new Date(Date.now() - 60_000).toISOString().slice(0, 19).concat('Z');
  trail = createCloudTrailPlugin({
    motoEndpoint: world.moto.endpoint,
    credentialsFor: world.credentialsFor,
    logArchive: { accountId: LOG_ARCHIVE, bucket: BUCKET },
    trailName: TRAIL,
    homeRegion: REGION,
    accounts: [HUB, WORKLOAD, LOG_ARCHIVE],
    cadenceMs: 3_600_000,
    stateDir: join(stateDir, 'trail'),
  });
  edge = await startEdge({ motoEndpoint: world.moto.endpoint, plugins: [trail.plugin] });
  orgTrail = createCloudTrailPlugin({
    motoEndpoint: world.moto.endpoint,
    credentialsFor: world.credentialsFor,
    logArchive: { accountId: LOG_ARCHIVE, bucket: ORG_BUCKET, prefix: 'org' },
    organizationId: world.organizationId,
    managementAccountId: MANAGEMENT,
    trailName: 'jit-org-trail',
    homeRegion: REGION,
    accounts: [MANAGEMENT, HUB, WORKLOAD],
    cadenceMs: 3_600_000,
    stateDir: join(stateDir, 'org-trail'),
  });
  orgEdge = await startEdge({ motoEndpoint: world.moto.endpoint, plugins: [orgTrail.plugin] });

  // The grant, through the edge: the approver assumes the Ops role with a source identity and tags.
  const viaEdge = { endpoint: edge.endpoint, region: REGION, maxAttempts: 1 };
  const approverSts = new STSClient({ ...viaEdge, credentials: world.approver });
  const assumed = await approverSts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${WORKLOAD}:role/AgentElevated-Ops`,
      RoleSessionName: 'jit-01JGRANT',
      SourceIdentity: 'jit-01JGRANT',
      DurationSeconds: 900,
      Tags: [
        { Key: 'jit:grant', Value: '01JGRANT' },
        { Key: 'jit:approver', Value: 'jit-approver' },
        { Key: 'jit:reason', Value: 'restart ECS service' },
      ],
    }),
  );
  session = {
    accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
    secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
    sessionToken: assumed.Credentials?.SessionToken ?? '',
  };
  await new SecretsManagerClient({ ...viaEdge, credentials: world.approver }).send(
    new PutSecretValueCommand({ SecretId: `agent/elevated/${WORKLOAD}`, SecretString: JSON.stringify(session) }),
  );
  // The agent's calls with the elevated session: one allowed, one refused by IAM.
  await new IAMClient({ ...viaEdge, credentials: session }).send(new ListRolesCommand({}));
  await expect(
    new SecretsManagerClient({ ...viaEdge, credentials: session }).send(new ListSecretsCommand({})),
  ).rejects.toThrow();
  // One call through the organization trail's edge.
  await new IAMClient({ endpoint: orgEdge.endpoint, region: REGION, maxAttempts: 1, credentials: session }).send(
    new ListRolesCommand({}),
  );

  const flushed = await fetch(`${edge.endpoint}/_jit/cloudtrail/flush`, { method: 'POST' });
  expect(flushed.status).toBe(200);
  await flushed.arrayBuffer();
  const orgFlushed = await orgTrail.flush();
  expect(orgFlushed.errors).toEqual([]);
}, 180_000);

afterAll(async () => {
  await edge?.stop();
  await orgEdge?.stop();
  await world?.moto.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function recordsOf(name: string, accountId?: string): CloudTrailRecord[] {
  return trail
    .records()
    .filter((r) => r.eventName === name && (accountId === undefined || r.recipientAccountId === accountId));
}

async function bucketContents(bucket: string): Promise<Map<string, string>> {
  const s3 = new S3Client({
    endpoint: world.moto.endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: await world.credentialsFor(LOG_ARCHIVE),
    maxAttempts: 1,
  });
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }))
      ).Body?.transformToByteArray();
      out.set(object.Key ?? '', gunzipSync(Buffer.from(body ?? new Uint8Array())).toString('utf8'));
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  s3.destroy();
  return out;
}

describe('recording through the edge', () => {
  it('records the grant with the approver identity, source identity and session tags, in both accounts', () => {
    const [inHub] = recordsOf('AssumeRole', HUB);
    const [inWorkload] = recordsOf('AssumeRole', WORKLOAD);

    expect(inHub?.userIdentity).toMatchObject({
      type: 'IAMUser',
      userName: 'jit-approver',
      arn: `arn:aws:iam::${HUB}:user/jit-approver`,
      accessKeyId: world.approver.accessKeyId,
    });
    expect(inHub?.requestParameters).toMatchObject({
      roleSessionName: 'jit-01JGRANT',
      sourceIdentity: 'jit-01JGRANT',
      durationSeconds: 900,
      tags: [
        { key: 'jit:grant', value: '01JGRANT' },
        { key: 'jit:approver', value: 'jit-approver' },
        { key: 'jit:reason', value: 'restart ECS service' },
      ],
    });
    expect(inHub?.responseElements).toMatchObject({ credentials: { accessKeyId: session.accessKeyId } });
    expect(inWorkload?.sharedEventID).toBe(inHub?.sharedEventID);
  });

  it('attributes the session calls to the assumed role with its source identity, and records the refusal', () => {
    const [listRoles] = recordsOf('ListRoles', WORKLOAD);
    const [listSecrets] = recordsOf('ListSecrets', WORKLOAD);

    expect(listRoles?.userIdentity).toMatchObject({
      type: 'AssumedRole',
      arn: `arn:aws:sts::${WORKLOAD}:assumed-role/AgentElevated-Ops/jit-01JGRANT`,
      accessKeyId: session.accessKeyId,
      sessionContext: { sourceIdentity: 'jit-01JGRANT', sessionIssuer: { userName: 'AgentElevated-Ops' } },
    });
    expect(listRoles?.errorCode).toBeUndefined();
    expect(listSecrets?.errorCode).toBe('AccessDeniedException');
    expect(listSecrets?.userIdentity.accessKeyId).toBe(session.accessKeyId);
  });

  it('never delivers the session secret key or token: not in the PutSecretValue record, not in any log file', async () => {
    const contents = await bucketContents(BUCKET);
    const logFiles = [...contents].filter(([key]) => key.includes('/CloudTrail/'));
    const everything = [...contents.values()].join('\n') + JSON.stringify(trail.records());

    expect(logFiles.length).toBeGreaterThan(0);
    expect(everything).toContain('PutSecretValue');
    expect(everything).toContain(session.accessKeyId);
    expect(everything).not.toContain(session.secretAccessKey);
    expect(everything).not.toContain(session.sessionToken);
    expect(everything).not.toContain(world.approver.secretAccessKey);
  });

  it('does not record its own delivery writes to the log archive', () => {
    expect(trail.records().filter((r) => r.eventSource === 's3.amazonaws.com' && r.eventName === 'PutObject')).toEqual(
      [],
    );
  });
});

describe('the AWS CLI accepts the local trail', () => {
  it.each([
    ['hub', HUB],
    ['workload', WORKLOAD],
  ])('validate-logs reports the %s account digests and log files valid', async (_name, accountId) => {
    const credentials = await world.credentialsFor(accountId);
    const result = await withoutEnforcement(world.moto.endpoint, () =>
      awsCli(
        edge,
        credentials,
        [
          'cloudtrail',
          'validate-logs',
          '--trail-arn',
          trail.trailArn(accountId),
          '--start-time',
          startTime,
          '--verbose',
        ],
        stateDir,
      ),
    );

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /Digest file\ts3:\/\/jit-log-archive\/AWSLogs\/\d{12}\/CloudTrail-Digest\/us-east-1\/.*\tvalid/,
    );
    expect(result.stdout).toMatch(/\n1\/1 digest files valid/);
    expect(result.stdout).toMatch(/\n(\d+)\/\1 log files valid/);
  });

  it('validate-logs accepts the organization layout for a member account', async () => {
    const credentials = await world.credentialsFor(MANAGEMENT);
    const result = await withoutEnforcement(world.moto.endpoint, () =>
      awsCli(
        orgEdge,
        credentials,
        [
          'cloudtrail',
          'validate-logs',
          '--trail-arn',
          orgTrail.trailArn(MANAGEMENT),
          '--account-id',
          WORKLOAD,
          '--start-time',
          startTime,
          '--verbose',
        ],
        stateDir,
      ),
    );

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toContain(
      `s3://${ORG_BUCKET}/org/AWSLogs/${world.organizationId}/${WORKLOAD}/CloudTrail-Digest/`,
    );
    expect(result.stdout).toMatch(/\n1\/1 log files valid/);
  });

  it('validate-logs reports a log file altered after delivery as invalid', async () => {
    const contents = await bucketContents(BUCKET);
    const [logKey, text] = [...contents].find(([key]) => key.startsWith(`AWSLogs/${HUB}/CloudTrail/`)) ?? ['', ''];
    const s3 = new S3Client({
      endpoint: world.moto.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: await world.credentialsFor(LOG_ARCHIVE),
      maxAttempts: 1,
    });
    const { gzipSync } = await import('node:zlib');
    // Object Lock keeps the original version; a new version on top is what a reader gets.
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: logKey,
        Body: gzipSync(text.replace('jit-01JGRANT', 'jit-01JFORGE')),
        ContentMD5: undefined,
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    s3.destroy();

    const credentials = await world.credentialsFor(HUB);
    const result = await withoutEnforcement(world.moto.endpoint, () =>
      awsCli(
        edge,
        credentials,
        ['cloudtrail', 'validate-logs', '--trail-arn', trail.trailArn(HUB), '--start-time', startTime],
        stateDir,
      ),
    );

    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 1,
      stderr: expect.stringContaining(`Log file\ts3://${BUCKET}/${logKey}\tINVALID: hash value doesn't match`),
    });
    expect(result.stderr).toContain(`Log file\ts3://${BUCKET}/${logKey}\tINVALID: hash value doesn't match`);
  });
});

describe('the CloudTrail API of the local trail', () => {
  it('LookupEvents finds the elevated session calls by access key, with CloudTrailEvent as JSON', async () => {
    const result = await awsCli(
      edge,
      await world.credentialsFor(WORKLOAD),
      [
        'cloudtrail',
        'lookup-events',
        '--lookup-attributes',
        `AttributeKey=AccessKeyId,AttributeValue=${session.accessKeyId}`,
        '--output',
        'json',
      ],
      stateDir,
    );

    expect(result.code).toBe(0);
    const events = (
      JSON.parse(result.stdout) as { Events: { EventName: string; Username: string; CloudTrailEvent: string }[] }
    ).Events;
    expect(events.map((e) => e.EventName).sort()).toEqual(['ListRoles', 'ListSecrets']);
    expect(events.every((e) => e.Username === 'jit-01JGRANT')).toBe(true);
    expect(
      (JSON.parse(events[0]?.CloudTrailEvent ?? '{}') as CloudTrailRecord).userIdentity.sessionContext?.sourceIdentity,
    ).toBe('jit-01JGRANT');
  });

  it('LookupEvents refuses two lookup attributes like CloudTrail', async () => {
    const result = await awsCli(
      edge,
      await world.credentialsFor(WORKLOAD),
      [
        'cloudtrail',
        'lookup-events',
        '--lookup-attributes',
        'AttributeKey=EventName,AttributeValue=ListRoles',
        'AttributeKey=ReadOnly,AttributeValue=true',
      ],
      stateDir,
    );

    expect(result.code).toBe(255);
    expect(result.stderr).toContain('InvalidLookupAttributesException');
  });

  it('LookupEvents is refused to a caller without cloudtrail:LookupEvents, as IAM would', async () => {
    const result = await awsCli(edge, world.agent, ['cloudtrail', 'lookup-events', '--max-results', '1'], stateDir);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('AccessDenied');
  });

  it('answers LookupEvents errors in the JSON protocol shape and throttles a third call within one second', async () => {
    const clock = new Date();
    const throttled = createCloudTrailPlugin({
      motoEndpoint: world.moto.endpoint,
      credentialsFor: world.credentialsFor,
      logArchive: { accountId: LOG_ARCHIVE, bucket: BUCKET },
      trailName: 'jit-throttled',
      homeRegion: REGION,
      accounts: [HUB],
      cadenceMs: 3_600_000,
      lookupThrottle: true,
      now: () => clock,
      stateDir: join(stateDir, 'throttled'),
    });
    const request = (body: Record<string, unknown>): EdgeRequest => ({
      method: 'POST',
      url: new URL(`${edge.endpoint}/`),
      headers: {
        host: new URL(edge.endpoint).host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents',
        'x-amz-date': '20260301T100000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${world.agent.accessKeyId}/20260301/${REGION}/cloudtrail/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
      body: Buffer.from(JSON.stringify(body)),
    });
    const handle = throttled.plugin.handle as NonNullable<typeof throttled.plugin.handle>;

    // The signature above is not real, so moto must not check it: enforcement off for this call sequence.
    const [tooMany, second, third] = await withoutEnforcement(world.moto.endpoint, async () => [
      await handle(request({ MaxResults: 51 })),
      await handle(request({})),
      await handle(request({})),
    ]);
    await throttled.stop();

    expect(tooMany?.status).toBe(400);
    expect(tooMany?.headers['x-amzn-errortype']).toBe('InvalidMaxResultsException');
    expect(JSON.parse(String(tooMany?.body))).toMatchObject({ __type: 'InvalidMaxResultsException' });
    expect(second?.status).toBe(200);
    expect(JSON.parse(String(third?.body))).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
  });

  it('ListPublicKeys returns the DER PKCS#1 key whose fingerprint the digests name', async () => {
    const result = await awsCli(edge, await world.credentialsFor(HUB), ['cloudtrail', 'list-public-keys'], stateDir);
    const keys = (JSON.parse(result.stdout) as { PublicKeyList: { Value: string; Fingerprint: string }[] })
      .PublicKeyList;

    expect(keys).toHaveLength(1);
    expect(keys[0]?.Fingerprint).toBe(trail.publicKey().fingerprint);
    expect(Buffer.from(keys[0]?.Value ?? '', 'base64').equals(trail.publicKey().der)).toBe(true);
  });

  it('DescribeTrails and GetTrailStatus describe the local trail as logging, with a digest delivered', async () => {
    const creds = await world.credentialsFor(WORKLOAD);
    const trails = JSON.parse((await awsCli(edge, creds, ['cloudtrail', 'describe-trails'], stateDir)).stdout) as {
      trailList: Record<string, unknown>[];
    };
    const status = JSON.parse(
      (await awsCli(edge, creds, ['cloudtrail', 'get-trail-status', '--name', TRAIL], stateDir)).stdout,
    ) as Record<string, unknown>;

    expect(trails.trailList).toEqual([
      expect.objectContaining({
        Name: TRAIL,
        S3BucketName: BUCKET,
        TrailARN: `arn:aws:cloudtrail:${REGION}:${WORKLOAD}:trail/${TRAIL}`,
        LogFileValidationEnabled: true,
        IsOrganizationTrail: false,
      }),
    ]);
    expect(status.IsLogging).toBe(true);
    expect(status.LatestDigestDeliveryTime).toBeDefined();
  });
});

describe('stopping and starting a trail through the edge', () => {
  const STOPPABLE = 'jit-stoppable';
  let stoppable: LocalCloudTrail;
  let stoppableEdge: Edge;
  let from: string;
  let base: number;
  const hours = (n: number) => new Date(base + n * 3_600_000);
  const validate = async (accountId: string, end: Date) =>
    withoutEnforcement(world.moto.endpoint, async () =>
      awsCli(
        stoppableEdge,
        await world.credentialsFor(accountId),
        [
          'cloudtrail',
          'validate-logs',
          '--trail-arn',
          stoppable.trailArn(accountId),
          '--start-time',
          from,
          '--end-time',
          end.toISOString().slice(0, 19).concat('Z'),
          '--verbose',
        ],
        stateDir,
      ),
    );
  const status = async (accountId: string) =>
    JSON.parse(
      (
        await awsCli(
          stoppableEdge,
          await world.credentialsFor(accountId),
          ['cloudtrail', 'get-trail-status', '--name', STOPPABLE],
          stateDir,
        )
      ).stdout,
    ) as { IsLogging?: boolean; StopLoggingTime?: unknown };

  beforeAll(async () => {
    from = new Date(Date.now() - 60_000).toISOString().slice(0, 19).concat('Z');
    stoppable = createCloudTrailPlugin({
      motoEndpoint: world.moto.endpoint,
      credentialsFor: world.credentialsFor,
      logArchive: { accountId: LOG_ARCHIVE, bucket: BUCKET },
      trailName: STOPPABLE,
      homeRegion: REGION,
      accounts: [HUB, WORKLOAD],
      cadenceMs: 3_600_000,
      stateDir: join(stateDir, 'stoppable'),
    });
    stoppableEdge = await startEdge({ motoEndpoint: world.moto.endpoint, plugins: [stoppable.plugin] });
    // Deliveries an hour apart, as CloudTrail's digests are, simulated with the flush's delivery time.
    base = Math.ceil(Date.now() / 1000) * 1000 + 60_000;
    await stoppable.flush({ at: hours(0) });
  });

  afterAll(async () => {
    await stoppableEdge?.stop();
  });

  it("StopLogging from an account stops that account's trail only, as GetTrailStatus shows", async () => {
    const stopped = await awsCli(
      stoppableEdge,
      await world.credentialsFor(WORKLOAD),
      ['cloudtrail', 'stop-logging', '--name', STOPPABLE],
      stateDir,
    );

    expect(stopped.code).toBe(0);
    expect(await status(WORKLOAD)).toMatchObject({ IsLogging: false, StopLoggingTime: expect.any(Number) });
    expect((await status(HUB)).IsLogging).toBe(true);
  });

  it('delivers a final digest for the stopped trail, then digests without log files for the others only', async () => {
    const final = await stoppable.flush({ at: hours(1) });
    const quiet = await stoppable.flush({ at: hours(2) });

    expect(final.digests.map((d) => d.accountId).sort()).toEqual([HUB, WORKLOAD]);
    expect(quiet.digests.map((d) => [d.accountId, d.logFiles, d.chainStart])).toEqual([[HUB, 0, false]]);
    expect(quiet.logFiles).toEqual([]);
  });

  it('validate-logs accepts the chain of hourly digests, including those that list no log file', async () => {
    const result = await validate(HUB, hours(3));

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/\n3\/3 digest files valid/);
  });

  it('StartLogging starts a new chain, and validate-logs shows the stop as a stretch without logs', async () => {
    const started = await awsCli(
      stoppableEdge,
      await world.credentialsFor(WORKLOAD),
      ['cloudtrail', 'start-logging', '--name', STOPPABLE],
      stateDir,
    );
    const next = await stoppable.flush({ at: hours(3) });
    const result = await validate(WORKLOAD, hours(4));

    expect(started.code).toBe(0);
    expect((await status(WORKLOAD)).IsLogging).toBe(true);
    expect(next.digests.find((d) => d.accountId === WORKLOAD)?.chainStart).toBe(true);
    expect(result.stderr).toContain('No log files were delivered by CloudTrail between');
    expect(result.stdout).toMatch(/\n3\/3 digest files valid/);
  });

  it('POST /_jit/cloudtrail/flush?at= delivers as of that time, and refuses a malformed or earlier one', async () => {
    const flushAt = async (at: string) => {
      const response = await fetch(`${stoppableEdge.endpoint}/_jit/cloudtrail/flush?at=${encodeURIComponent(at)}`, {
        method: 'POST',
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    const later = await flushAt(hours(5).toISOString());
    const malformed = await flushAt('tomorrow');
    const earlier = await flushAt(hours(4).toISOString());

    expect(later.status).toBe(200);
    expect((later.body.digests as { digestEndTime: string }[]).map((d) => d.digestEndTime)).toEqual([
      hours(5).toISOString().replace('.000Z', 'Z'),
      hours(5).toISOString().replace('.000Z', 'Z'),
    ]);
    expect(malformed).toEqual({
      status: 400,
      body: { message: 'at: got "tomorrow"; allowed: an ISO 8601 time with a zone, such as 2026-03-02T10:00:00Z' },
    });
    expect(earlier.status).toBe(400);
    expect(earlier.body.message).toContain('is not valid: allowed is a time not before the previous delivery');
  });
});

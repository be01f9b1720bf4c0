import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { CloudTrailRecord } from '../../src/cloudtrail/types.js';
import { clientConfig } from '../../src/testing/context.js';

// The environment of `startLocalAws()` (the Vitest global setup), where the CloudTrail plugin is
// registered as a built-in: provisioned accounts, IAM enforcement on, the real edge.
const env = inject('localAws');

interface Delivered {
  key: string;
  metadata: Record<string, string>;
  text: string;
}

/** Every object of the log archive bucket, read as its owner (directly at moto, so not recorded). */
async function logArchive(): Promise<Delivered[]> {
  const admin = new STSClient({ endpoint: env.motoEndpoint, region: env.region, credentials: env.profiles.admin });
  const assumed = await admin.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${env.accounts.logArchive.id}:role/${env.accounts.adminRoleName}`,
      RoleSessionName: 'cloudtrail-test',
    }),
  );
  admin.destroy();
  const s3 = new S3Client({
    endpoint: env.motoEndpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken ?? '',
    },
  });
  const out: Delivered[] = [];
  let token: string | undefined;
  do {
    // No Prefix: moto cannot verify signatures over query strings holding '/' (see the README).
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: env.accounts.logArchive.bucket, ContinuationToken: token }),
    );
    // Only CloudTrail's own deliveries: other tests sharing this environment put other objects there.
    for (const object of (page.Contents ?? []).filter((o) => /^AWSLogs\/.*\.json\.gz$/.test(o.Key ?? ''))) {
      const got = await s3.send(new GetObjectCommand({ Bucket: env.accounts.logArchive.bucket, Key: object.Key }));
      const body = Buffer.from((await got.Body?.transformToByteArray()) ?? new Uint8Array());
      out.push({ key: object.Key ?? '', metadata: got.Metadata ?? {}, text: gunzipSync(body).toString('utf8') });
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  s3.destroy();
  return out;
}

describe('the CloudTrail plugin in the local environment', () => {
  const workload = env.accounts.workloads[0];
  const role = workload?.roles[0];
  const grant = `jit-ct${Date.now().toString(36)}`;
  let session: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  let delivered: Delivered[];

  beforeAll(async () => {
    if (workload === undefined || role === undefined) throw new Error('the local configuration has no workload role');
    const approver = new STSClient(clientConfig(env, 'approver'));
    const assumed = await approver.send(
      new AssumeRoleCommand({
        RoleArn: role.roleArn,
        RoleSessionName: grant,
        SourceIdentity: grant,
        DurationSeconds: 900,
        Tags: [
          { Key: 'jit:grant', Value: grant },
          { Key: 'jit:tier', Value: role.tier },
        ],
      }),
    );
    approver.destroy();
    session = {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken ?? '',
    };
    const elevated = new STSClient({ ...clientConfig(env, 'agent'), credentials: session });
    await elevated.send(new GetCallerIdentityCommand({}));
    elevated.destroy();

    const flushed = await fetch(`${env.endpoint}/_jit/cloudtrail/flush`, { method: 'POST' });
    expect(flushed.status).toBe(200);
    await flushed.arrayBuffer();
    delivered = await logArchive();
  }, 120_000);

  it('delivers the grant with its source identity and tags, and the session call attributed to it', () => {
    const records = delivered
      .filter((object) => object.key.includes('/CloudTrail/'))
      .flatMap((object) => (JSON.parse(object.text) as { Records: CloudTrailRecord[] }).Records);
    const grantRecord = records.find(
      (r) =>
        r.eventName === 'AssumeRole' &&
        r.requestParameters?.roleSessionName === grant &&
        r.recipientAccountId === env.accounts.hub.id,
    );
    const call = records.find(
      (r) => r.eventName === 'GetCallerIdentity' && r.userIdentity.accessKeyId === session.accessKeyId,
    );

    expect(grantRecord?.requestParameters).toMatchObject({
      sourceIdentity: grant,
      tags: [
        { key: 'jit:grant', value: grant },
        { key: 'jit:tier', value: role?.tier },
      ],
    });
    expect(grantRecord?.userIdentity).toMatchObject({
      type: 'IAMUser',
      accessKeyId: env.profiles.approver.accessKeyId,
    });
    expect(call?.userIdentity.sessionContext?.sourceIdentity).toBe(grant);
    expect(call?.recipientAccountId).toBe(workload?.id);
  });

  it('signs every digest it delivers and never writes a credential', () => {
    const digests = delivered.filter((object) => object.key.includes('/CloudTrail-Digest/'));
    const everything = delivered.map((object) => object.text).join('\n');

    expect(digests.length).toBeGreaterThan(0);
    for (const digest of digests) {
      expect(digest.metadata.signature).toMatch(/^[0-9a-f]{512}$/);
      expect(digest.metadata['signature-algorithm']).toBe('SHA256withRSA');
    }
    expect(everything).not.toContain(session.secretAccessKey);
    expect(everything).not.toContain(session.sessionToken);
    for (const profile of Object.values(env.profiles)) expect(everything).not.toContain(profile.secretAccessKey);
  });
});

describe('the CloudTrail API through the edge, as the AWS SDK for JavaScript calls it', () => {
  it('answers LookupEvents and ListPublicKeys sent with the short X-Amz-Target the SDK uses', async () => {
    const { CloudTrailClient, ListPublicKeysCommand, LookupEventsCommand } = await import('@aws-sdk/client-cloudtrail');
    const client = new CloudTrailClient(clientConfig(env, 'admin'));
    try {
      const events = await client.send(new LookupEventsCommand({ MaxResults: 5 }));
      expect(Array.isArray(events.Events)).toBe(true);
      const keys = await client.send(new ListPublicKeysCommand({}));
      expect(keys.PublicKeyList?.length).toBeGreaterThan(0);
      expect(keys.PublicKeyList?.[0]?.Fingerprint).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      client.destroy();
    }
  });
});

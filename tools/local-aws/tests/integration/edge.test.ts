import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Edge, type EdgeExchange, type EdgePlugin, type LocalCredentials, startEdge } from '../../src/index.js';
import { clientConfig } from '../../src/testing/index.js';

const localAws = inject('localAws');

async function adminIn(accountId: string): Promise<LocalCredentials> {
  const sts = new STSClient(clientConfig(localAws, 'admin'));
  const session = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accountId}:role/${localAws.accounts.adminRoleName}`,
      RoleSessionName: 'local-admin-test',
    }),
  );
  const c = session.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) {
    throw new Error('no credentials');
  }
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

describe('the shared edge', () => {
  it('answers its health check with moto behind it', async () => {
    const response = await fetch(`${localAws.endpoint}/_jit/health`);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('refuses to switch IAM enforcement off through /moto-api/reset-auth, and enforcement stays on', async () => {
    const response = await fetch(`${localAws.endpoint}/moto-api/reset-auth`, { method: 'POST', body: 'inf' });
    const unknownKey = new STSClient({
      ...clientConfig(localAws, 'agent'),
      credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'not-a-key' },
    });

    expect(response.status).toBe(403);
    await expect(unknownKey.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
    });
  });

  it('passes /moto-api/data.json through, where e-mail sent with SES can be read', async () => {
    const credentials = await adminIn(localAws.accounts.logArchive.id);
    const ses = new SESClient({ ...clientConfig(localAws, 'admin'), credentials });
    const subject = `report ${randomBytes(4).toString('hex')}`;
    await ses.send(
      new SendEmailCommand({
        Source: 'jit-reports@example.com',
        Destination: { ToAddresses: ['auditor@example.com'] },
        Message: { Subject: { Data: subject }, Body: { Text: { Data: 'session report' } } },
      }),
    );

    const response = await fetch(`${localAws.endpoint}/moto-api/data.json`);

    expect(response.status).toBe(200);
    expect(await response.text()).toContain(subject);
  });

  it('streams S3 objects both ways with signatures intact, and Object Lock keeps them', async () => {
    const credentials = await adminIn(localAws.accounts.logArchive.id);
    const s3 = new S3Client({ ...clientConfig(localAws, 'admin'), credentials });
    const bucket = localAws.accounts.logArchive.bucket;
    const key = `tests/edge-${randomBytes(4).toString('hex')}.bin`;
    const body = randomBytes(256 * 1024);

    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await (got.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
    const deleteVersion = s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: put.VersionId }));

    expect(bytes.equals(body)).toBe(true);
    expect(got.ObjectLockMode).toBe('COMPLIANCE');
    await expect(deleteVersion).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });
});

describe('an edge with plugins, in front of the same moto', () => {
  const seen: EdgeExchange[] = [];
  const logged: string[] = [];
  let edge: Edge;

  const failingObserver: EdgePlugin = {
    name: 'failing-observer',
    observe: () => {
      throw new Error('observer exploded');
    },
  };
  const recorder: EdgePlugin = { name: 'recorder', observe: (x) => void seen.push(x) };

  beforeAll(async () => {
    edge = await startEdge({
      motoEndpoint: localAws.motoEndpoint,
      plugins: [failingObserver, recorder],
      defaultRegion: localAws.region,
      log: (line) => logged.push(line),
    });
  });
  afterAll(async () => {
    await edge.stop();
  });

  it('forwards an unhandled call to moto and lets every observer see it with the parsed call', async () => {
    const sts = new STSClient({ ...clientConfig(localAws, 'agent'), endpoint: edge.endpoint });

    const me = await sts.send(new GetCallerIdentityCommand({}));
    await edge.stop();

    expect(me.Arn).toBe(localAws.accounts.hub.agent.arn);
    const exchange = seen.find((x) => x.call.action === 'GetCallerIdentity');
    expect(exchange?.handledBy).toBe('moto');
    expect(exchange?.call).toEqual({
      service: 'sts',
      region: localAws.region,
      action: 'GetCallerIdentity',
      accessKeyId: localAws.profiles.agent.accessKeyId,
      signingScheme: 'sigv4',
    });
    expect(exchange?.res.status).toBe(200);
    expect(String(exchange?.res.body)).toContain(localAws.accounts.hub.agent.arn);
    expect(logged.some((l) => l.includes('observer "failing-observer" failed on sts:GetCallerIdentity'))).toBe(true);
  });
});

describe('plugin handlers', () => {
  const seen: EdgeExchange[] = [];
  let edge: Edge;

  beforeAll(async () => {
    edge = await startEdge({
      motoEndpoint: localAws.motoEndpoint,
      plugins: [
        {
          name: 'first',
          handle: async (req) =>
            req.url.pathname === '/_test/order' ? { status: 200, headers: {}, body: 'first' } : undefined,
        },
        {
          name: 'second',
          handle: async (req) =>
            req.url.pathname.startsWith('/_test/') ? { status: 200, headers: {}, body: 'second' } : undefined,
        },
        { name: 'recorder', observe: (x) => void seen.push(x) },
      ],
    });
  });
  afterAll(async () => {
    await edge.stop();
  });

  it('are tried in order and the first answer wins', async () => {
    const first = await (await fetch(`${edge.endpoint}/_test/order`)).text();
    const second = await (await fetch(`${edge.endpoint}/_test/other`)).text();

    expect([first, second]).toEqual(['first', 'second']);
  });

  it('record which plugin answered', async () => {
    await (await fetch(`${edge.endpoint}/_test/order`)).text();
    await edge.stop();

    expect(seen.filter((x) => x.req.url.pathname === '/_test/order').map((x) => x.handledBy)).toContain('first');
  });
});

describe('a failing plugin handler', () => {
  it('answers 500 with the plugin named and logs it, without taking the edge down', async () => {
    const logged: string[] = [];
    const edge = await startEdge({
      motoEndpoint: localAws.motoEndpoint,
      plugins: [
        {
          name: 'exploding',
          handle: async (req) => {
            if (req.url.pathname === '/_test/boom') throw new Error('handler exploded');
            return undefined;
          },
        },
      ],
      log: (line) => logged.push(line),
    });
    try {
      const boom = await fetch(`${edge.endpoint}/_test/boom`);
      const health = await fetch(`${edge.endpoint}/_jit/health`);

      expect(boom.status).toBe(500);
      expect(await boom.json()).toEqual({ __type: 'InternalFailure', message: 'local edge plugin "exploding" failed' });
      expect(health.status).toBe(200);
      expect(logged.join('\n')).toContain('handler "exploding" failed');
    } finally {
      await edge.stop();
    }
  });
});

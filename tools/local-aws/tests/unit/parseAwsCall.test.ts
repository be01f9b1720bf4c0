import { readFileSync } from 'node:fs';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EdgeRequest, parseAwsCall } from '../../src/index.js';
import { CAPTURE_CREDENTIALS, capture, capturingConfig } from '../support/capture.js';

const REGION = 'ap-southeast-2';
const KEY = CAPTURE_CREDENTIALS.accessKeyId;

function request(partial: Partial<Omit<EdgeRequest, 'url'>> & { url: string }): EdgeRequest {
  return { method: 'GET', headers: {}, body: Buffer.alloc(0), ...partial, url: new URL(partial.url) };
}

describe('parseAwsCall on requests the AWS SDK signs', () => {
  it('reads a query-protocol call (STS AssumeRole) from the form body and the credential scope', async () => {
    const config = capturingConfig(REGION);
    const sts = new STSClient(config);
    const req = await capture(config, () =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: 'arn:aws:iam::111111111111:role/AgentElevated-Ops',
          RoleSessionName: 'jit-x',
        }),
      ),
    );

    expect(parseAwsCall(req)).toEqual({
      service: 'sts',
      region: REGION,
      action: 'AssumeRole',
      accessKeyId: KEY,
      signingScheme: 'sigv4',
    });
  });

  it('reads a JSON-protocol call (Secrets Manager) from X-Amz-Target', async () => {
    const config = capturingConfig(REGION);
    const sm = new SecretsManagerClient(config);
    const get = await capture(config, () =>
      sm.send(new GetSecretValueCommand({ SecretId: 'agent/elevated/111111111111' })),
    );
    const put = await capture(config, () =>
      sm.send(new PutSecretValueCommand({ SecretId: 'agent/elevated/111111111111', SecretString: '{}' })),
    );

    expect(parseAwsCall(get)).toMatchObject({ service: 'secretsmanager', action: 'GetSecretValue', accessKeyId: KEY });
    expect(parseAwsCall(put)).toMatchObject({ service: 'secretsmanager', action: 'PutSecretValue' });
  });

  it('takes the action after the last dot of a versioned X-Amz-Target (KMS TrentService)', async () => {
    const config = capturingConfig(REGION);
    const req = await capture(config, () =>
      new KMSClient(config).send(new DescribeKeyCommand({ KeyId: 'alias/jit-secrets' })),
    );

    expect(req.headers['x-amz-target']).toBe('TrentService.DescribeKey');
    expect(parseAwsCall(req)).toMatchObject({ service: 'kms', action: 'DescribeKey' });
  });

  it('names the SES signing service "ses" and reads SendEmail from the body', async () => {
    const config = capturingConfig(REGION);
    const req = await capture(config, () =>
      new SESClient(config).send(
        new SendEmailCommand({
          Source: 'jit-reports@example.com',
          Destination: { ToAddresses: ['auditor@example.com'] },
          Message: { Subject: { Data: 'report' }, Body: { Text: { Data: 'hello' } } },
        }),
      ),
    );

    expect(parseAwsCall(req)).toMatchObject({ service: 'ses', action: 'SendEmail', region: REGION });
  });

  it('maps S3 REST requests to their operations from method, path and sub-resource', async () => {
    const config = capturingConfig(REGION);
    const s3 = new S3Client(config);
    const bucket = 'jit-cloudtrail-555555555555-ap-southeast-2';
    const key = 'AWSLogs/111111111111/CloudTrail/ap-southeast-2/2024/01/01/file.json.gz';

    const cases: [() => Promise<unknown>, string][] = [
      [() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), 'GetObject'],
      [() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), 'HeadObject'],
      [() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' })), 'PutObject'],
      [() => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'AWSLogs/' })), 'ListObjectsV2'],
      [
        () =>
          s3.send(
            new PutObjectLockConfigurationCommand({
              Bucket: bucket,
              ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
            }),
          ),
        'PutObjectLockConfiguration',
      ],
    ];
    for (const [send, action] of cases) {
      const req = await capture(config, send);
      expect(parseAwsCall(req), action).toMatchObject({ service: 's3', region: REGION, action, accessKeyId: KEY });
    }
  });

  it('ignores a misleading x-id on S3 and trusts the REST shape', () => {
    const req = request({
      method: 'DELETE',
      url: 'http://127.0.0.1:4566/bucket/key?x-id=GetObject',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${KEY}/20240101/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=00`,
      },
    });

    expect(parseAwsCall(req).action).toBe('DeleteObject');
  });
});

describe('parseAwsCall on other request shapes', () => {
  it('reads a presigned S3 URL from X-Amz-Credential', () => {
    const req = request({
      url: `http://127.0.0.1:4566/bucket/report.html?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${KEY}%2F20240101%2F${REGION}%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abc`,
    });

    expect(parseAwsCall(req)).toEqual({
      service: 's3',
      region: REGION,
      action: 'GetObject',
      accessKeyId: KEY,
      signingScheme: 'sigv4',
    });
  });

  it('recognises the Roles Anywhere X.509 scheme and does not report the certificate serial as an access key', () => {
    // Envoy's Roles Anywhere vectors (envoyproxy/envoy test suite, Apache-2.0), see ../shared/fixtures/roles-anywhere.
    const vectors = JSON.parse(
      readFileSync(
        new URL('../../../../../shared/fixtures/roles-anywhere/envoy-vectors.json', import.meta.url),
        'utf8',
      ),
    ) as { cases: { authorization: string; body: string }[]; host: string; amzDate: string; serialDecimal: string };
    const vector = vectors.cases[0];
    if (vector === undefined) throw new Error('no vector');
    const req = request({
      method: 'POST',
      url: `https://${vectors.host}/sessions`,
      headers: {
        authorization: vector.authorization,
        'content-type': 'application/json',
        'x-amz-date': vectors.amzDate,
      },
      body: Buffer.from(vector.body),
    });

    const call = parseAwsCall(req);

    expect(vector.authorization).toContain(`Credential=${vectors.serialDecimal}/`);
    expect(call).toEqual({
      service: 'rolesanywhere',
      region: 'ap-southeast-2',
      action: 'CreateSession',
      accessKeyId: undefined,
      signingScheme: 'x509',
    });
  });

  it('takes the region of a SigV4a request from X-Amz-Region-Set', () => {
    const req = request({
      url: 'http://127.0.0.1:4566/bucket/key',
      headers: {
        authorization: `AWS4-ECDSA-P256-SHA256 Credential=${KEY}/20240101/s3/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=3045`,
        'x-amz-region-set': 'eu-west-1,eu-west-2',
      },
    });

    expect(parseAwsCall(req)).toMatchObject({
      service: 's3',
      region: 'eu-west-1',
      action: 'GetObject',
      signingScheme: 'sigv4',
    });
  });

  it('recognises the unsigned IAM Identity Center portal GetRoleCredentials call', () => {
    const req = request({
      url: 'http://127.0.0.1:4566/federation/credentials?account_id=111111111111&role_name=JitApprover',
      headers: { 'x-amz-sso_bearer_token': 'token' },
    });

    expect(parseAwsCall(req, { defaultRegion: REGION })).toEqual({
      service: 'sso',
      region: REGION,
      action: 'GetRoleCredentials',
      accessKeyId: undefined,
      signingScheme: 'none',
    });
  });

  it('reads the operation of a Smithy RPC v2 CBOR path', () => {
    const req = request({
      method: 'POST',
      url: 'http://127.0.0.1:4566/service/GraniteServiceVersion20100801/operation/GetMetricData',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${KEY}/20240101/${REGION}/monitoring/aws4_request, SignedHeaders=host, Signature=00`,
      },
    });

    expect(parseAwsCall(req)).toMatchObject({ service: 'monitoring', action: 'GetMetricData' });
  });

  it('reports an unsigned request it cannot place as service "unknown" with no action', () => {
    expect(parseAwsCall(request({ url: 'http://127.0.0.1:4566/nothing' }))).toEqual({
      service: 'unknown',
      region: 'us-east-1',
      action: undefined,
      accessKeyId: undefined,
      signingScheme: 'none',
    });
  });

  it('treats an Authorization header with a malformed credential scope as unsigned', () => {
    const req = request({
      url: 'http://127.0.0.1:4566/?Action=GetCallerIdentity',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=onlyakey, SignedHeaders=host, Signature=00' },
    });

    expect(parseAwsCall(req)).toMatchObject({
      signingScheme: 'none',
      accessKeyId: undefined,
      action: 'GetCallerIdentity',
    });
  });

  it('never throws on arbitrary headers, URLs and bodies', () => {
    const headerName = fc.constantFrom(
      'authorization',
      'x-amz-target',
      'content-type',
      'x-amz-region-set',
      'x-amz-copy-source',
    );
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH'),
        fc.webPath(),
        fc.webQueryParameters(),
        fc.dictionary(headerName, fc.string()),
        fc.uint8Array({ maxLength: 256 }),
        (method, path, query, headers, body) => {
          const req = request({
            method,
            url: `http://127.0.0.1:4566${path.startsWith('/') ? path : `/${path}`}?${query}`,
            headers,
            body: Buffer.from(body),
          });
          const call = parseAwsCall(req);
          expect(['sigv4', 'x509', 'none']).toContain(call.signingScheme);
          expect(typeof call.service).toBe('string');
        },
      ),
      { numRuns: 500 },
    );
  });
});

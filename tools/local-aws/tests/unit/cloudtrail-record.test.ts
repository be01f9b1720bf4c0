// Real records to compare shapes with: ../shared/fixtures/cloudtrail/ — Stratus Red Team detonation
// logs (Apache-2.0, https://github.com/DataDog/stratus-red-team) and the Invictus IR AWS dataset
// (MIT, https://github.com/invictus-ir/aws_dataset). Their licences are kept next to the files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRecords, isReadOnly, javaDate, type RecordContext } from '../../src/cloudtrail/record.js';
import type { AssumedRoleIdentity, CloudTrailRecord, IamUserIdentity } from '../../src/cloudtrail/types.js';
import { parseAwsCall } from '../../src/edge/parseAwsCall.js';
import type { EdgeExchange, EdgeRequest } from '../../src/edge/types.js';

const FIXTURES = join(import.meta.dirname, '../../../../../shared/fixtures/cloudtrail');
const STARTED = new Date('2026-03-01T10:00:00.250Z');

interface ExchangeInput {
  service: string;
  region?: string;
  accessKeyId?: string;
  method?: string;
  path?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  status?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
}

/** A request signed the way the SDKs sign (signature not checked here), and moto's answer. */
function exchange(input: ExchangeInput): EdgeExchange {
  const region = input.region ?? 'us-east-1';
  const headers: Record<string, string> = {
    host: '127.0.0.1:4566',
    'user-agent': 'aws-sdk-js/3.1178.0 ua/2.1 os/linux lang/js md/nodejs#20.19.0',
    'x-amz-date': '20260301T100000Z',
    ...(input.accessKeyId === undefined
      ? {}
      : {
          authorization: `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/20260301/${region}/${input.service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
        }),
    ...input.headers,
  };
  const req: EdgeRequest = {
    method: input.method ?? 'POST',
    url: new URL(`http://127.0.0.1:4566${input.path ?? '/'}${input.query === undefined ? '' : `?${input.query}`}`),
    headers,
    body: Buffer.from(input.body ?? ''),
  };
  return {
    req,
    res: {
      status: input.status ?? 200,
      headers: { 'x-amzn-requestid': 'moto-request-1', ...input.responseHeaders },
      body: input.responseBody ?? '',
    },
    call: parseAwsCall(req),
    startedAt: STARTED,
    finishedAt: new Date(STARTED.getTime() + 20),
    handledBy: 'moto',
  };
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const JSON_11 = (target: string): Record<string, string> => ({
  'content-type': 'application/x-amz-json-1.1',
  'x-amz-target': target,
});

const approver: IamUserIdentity = {
  kind: 'IAMUser',
  accessKeyId: 'AKIAAPPROVER00000001',
  accountId: '111111111111',
  userName: 'alice',
  userId: 'AIDAALICE0000000001',
  arn: 'arn:aws:iam::111111111111:user/alice',
};

function context(caller: RecordContext['caller'], owners: Record<string, string> = {}): RecordContext {
  let n = 0;
  return {
    caller,
    defaultAccountId: '123456789012',
    bucketOwner: (bucket) => owners[bucket],
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  };
}

const SECRET_KEY = 'KKfiJGVAubB1F/j8Sgv/89xZS4cXfvMcFzE91eyC';
const SESSION_TOKEN = 'FQoGZXIvYXdzEBYaD6KtMccZQQaESj8AhMAmFNJRwq46dBUZ9vsFdGtbO5kPEKtlywRACc9gvajjWVEGSE=';

function assumeRoleResponse(account: string, role: string, session: string, key = 'ASIARTXV5AHDWUQMCVQ2'): string {
  return (
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
    `<AccessKeyId>${key}</AccessKeyId><SecretAccessKey>${SECRET_KEY}</SecretAccessKey>` +
    `<SessionToken>${SESSION_TOKEN}</SessionToken><Expiration>2026-03-01T10:15:00.515611Z</Expiration></Credentials>` +
    `<AssumedRoleUser><AssumedRoleId>AROA3X42LBCDS3M0VJ8BW:${session}</AssumedRoleId>` +
    `<Arn>arn:aws:sts::${account}:assumed-role/${role}/${session}</Arn></AssumedRoleUser>` +
    '<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>'
  );
}

function grantAssumeRole(targetAccount: string): EdgeExchange {
  return exchange({
    service: 'sts',
    accessKeyId: approver.accessKeyId,
    headers: FORM,
    body: query({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: `arn:aws:iam::${targetAccount}:role/AgentElevated-Ops`,
      RoleSessionName: 'jit-01HX0GRANT',
      DurationSeconds: '900',
      SourceIdentity: 'jit-01HX0GRANT',
      'Tags.member.1.Key': 'jit:grant',
      'Tags.member.1.Value': '01HX0GRANT',
      'Tags.member.2.Key': 'jit:approver',
      'Tags.member.2.Value': 'alice',
      'TransitiveTagKeys.member.1': 'jit:grant',
    }),
    responseBody: assumeRoleResponse(targetAccount, 'AgentElevated-Ops', 'jit-01HX0GRANT'),
  });
}

describe('AssumeRole records', () => {
  it('shows the role, session name, duration, source identity and session tags in requestParameters', () => {
    const { records } = buildRecords(grantAssumeRole('111111111111'), context(approver));

    expect(records).toHaveLength(1);
    expect(records[0]?.requestParameters).toEqual({
      roleArn: 'arn:aws:iam::111111111111:role/AgentElevated-Ops',
      roleSessionName: 'jit-01HX0GRANT',
      durationSeconds: 900,
      sourceIdentity: 'jit-01HX0GRANT',
      tags: [
        { key: 'jit:grant', value: '01HX0GRANT' },
        { key: 'jit:approver', value: 'alice' },
      ],
      transitiveTagKeys: ['jit:grant'],
    });
  });

  it('shows the issued access key, expiration and assumed-role user, never the secret key or session token', () => {
    const { records } = buildRecords(grantAssumeRole('111111111111'), context(approver));
    const serialized = JSON.stringify(records);

    expect(records[0]?.responseElements).toEqual({
      credentials: { accessKeyId: 'ASIARTXV5AHDWUQMCVQ2', expiration: 'Mar 1, 2026, 10:15:00 AM' },
      assumedRoleUser: {
        assumedRoleId: 'AROA3X42LBCDS3M0VJ8BW:jit-01HX0GRANT',
        arn: 'arn:aws:sts::111111111111:assumed-role/AgentElevated-Ops/jit-01HX0GRANT',
      },
      packedPolicySize: 6,
      sourceIdentity: 'jit-01HX0GRANT',
    });
    expect(serialized).not.toContain(SECRET_KEY);
    expect(serialized).not.toContain(SESSION_TOKEN);
    expect(serialized.toLowerCase()).not.toContain('secretaccesskey');
    expect(serialized.toLowerCase()).not.toContain('sessiontoken');
  });

  it('learns the session behind the issued key, with source identity, tags and expiration from the request', () => {
    const { session } = buildRecords(grantAssumeRole('111111111111'), context(approver));

    expect(session).toEqual({
      kind: 'AssumedRole',
      accessKeyId: 'ASIARTXV5AHDWUQMCVQ2',
      accountId: '111111111111',
      roleArn: 'arn:aws:iam::111111111111:role/AgentElevated-Ops',
      roleName: 'AgentElevated-Ops',
      roleId: 'AROA3X42LBCDS3M0VJ8BW',
      sessionName: 'jit-01HX0GRANT',
      assumedRoleArn: 'arn:aws:sts::111111111111:assumed-role/AgentElevated-Ops/jit-01HX0GRANT',
      sourceIdentity: 'jit-01HX0GRANT',
      tags: [
        { key: 'jit:grant', value: '01HX0GRANT' },
        { key: 'jit:approver', value: 'alice' },
      ],
      creationDate: '2026-03-01T10:00:00Z',
      expiration: '2026-03-01T10:15:00.515611Z',
      mfaAuthenticated: false,
    } satisfies AssumedRoleIdentity);
  });

  it('names the role as a resource and marks the call read-only, as CloudTrail does', () => {
    const { records } = buildRecords(grantAssumeRole('111111111111'), context(approver));

    expect(records[0]?.resources).toEqual([
      { accountId: '111111111111', type: 'AWS::IAM::Role', ARN: 'arn:aws:iam::111111111111:role/AgentElevated-Ops' },
    ]);
    expect(records[0]?.readOnly).toBe(true);
  });

  it('records a cross-account AssumeRole in both accounts, linked by one sharedEventID', () => {
    const { records } = buildRecords(grantAssumeRole('222222222222'), context(approver));

    expect(records.map((r) => r.recipientAccountId)).toEqual(['111111111111', '222222222222']);
    expect(records[0]?.sharedEventID).toBeDefined();
    expect(records[1]?.sharedEventID).toBe(records[0]?.sharedEventID);
    expect(records[0]?.eventID).not.toBe(records[1]?.eventID);
    expect(records[0]?.userIdentity.type).toBe('IAMUser');
    expect(records[1]?.userIdentity).toEqual({
      type: 'AWSAccount',
      principalId: 'AIDAALICE0000000001',
      accountId: '111111111111',
    });
  });

  it('shows neither parameters nor response for a refused AssumeRole, as real CloudTrail does', () => {
    const refused = exchange({
      service: 'sts',
      accessKeyId: approver.accessKeyId,
      headers: FORM,
      body: query({
        Action: 'AssumeRole',
        Version: '2011-06-15',
        RoleArn: 'arn:aws:iam::111111111111:role/X',
        RoleSessionName: 's',
      }),
      status: 403,
      responseBody:
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
        '<Message>User: arn:aws:iam::111111111111:user/alice is not authorized to perform: sts:AssumeRole</Message></Error>' +
        '<RequestId>r-2</RequestId></ErrorResponse>',
    });

    const { records, session } = buildRecords(refused, context(approver));

    expect(records[0]).toMatchObject({
      errorCode: 'AccessDenied',
      errorMessage: 'User: arn:aws:iam::111111111111:user/alice is not authorized to perform: sts:AssumeRole',
      requestParameters: null,
      responseElements: null,
    });
    expect(session).toBeUndefined();
  });

  it('keeps the first session source identity through role chaining', () => {
    const first = buildRecords(grantAssumeRole('111111111111'), context(approver)).session as AssumedRoleIdentity;
    const chained = exchange({
      service: 'sts',
      accessKeyId: first.accessKeyId,
      headers: FORM,
      body: query({
        Action: 'AssumeRole',
        Version: '2011-06-15',
        RoleArn: 'arn:aws:iam::111111111111:role/Other',
        RoleSessionName: 'chained',
        SourceIdentity: 'someone-else',
      }),
      responseBody: assumeRoleResponse('111111111111', 'Other', 'chained', 'ASIACHAINED000000001'),
    });

    const { session } = buildRecords(chained, context(first));

    expect(session?.sourceIdentity).toBe('jit-01HX0GRANT');
  });
});

describe('records of calls made with a session', () => {
  const session = buildRecords(grantAssumeRole('111111111111'), context(approver)).session as AssumedRoleIdentity;

  it('identify the assumed role, its issuer, creation date and source identity', () => {
    const call = exchange({
      service: 'ec2',
      accessKeyId: session.accessKeyId,
      headers: FORM,
      body: query({ Action: 'DescribeInstances', Version: '2016-11-15', 'InstanceId.1': 'i-0abc' }),
      responseBody: '<DescribeInstancesResponse><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>',
    });

    const [record] = buildRecords(call, context(session)).records;

    expect(record?.userIdentity).toEqual({
      type: 'AssumedRole',
      principalId: 'AROA3X42LBCDS3M0VJ8BW:jit-01HX0GRANT',
      arn: 'arn:aws:sts::111111111111:assumed-role/AgentElevated-Ops/jit-01HX0GRANT',
      accountId: '111111111111',
      accessKeyId: 'ASIARTXV5AHDWUQMCVQ2',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROA3X42LBCDS3M0VJ8BW',
          arn: 'arn:aws:iam::111111111111:role/AgentElevated-Ops',
          accountId: '111111111111',
          userName: 'AgentElevated-Ops',
        },
        webIdFederationData: {},
        attributes: { creationDate: '2026-03-01T10:00:00Z', mfaAuthenticated: 'false' },
        sourceIdentity: 'jit-01HX0GRANT',
      },
    });
    expect(record?.requestParameters).toEqual({ instanceId: ['i-0abc'] });
    expect(record?.recipientAccountId).toBe('111111111111');
  });

  it('prefix EC2 client errors with "Client." as CloudTrail does', () => {
    const denied = exchange({
      service: 'ec2',
      accessKeyId: session.accessKeyId,
      headers: FORM,
      body: query({ Action: 'TerminateInstances', Version: '2016-11-15', 'InstanceId.1': 'i-0abc' }),
      status: 403,
      responseBody:
        '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code>' +
        '<Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>x</RequestID></Response>',
    });

    const [record] = buildRecords(denied, context(session)).records;

    expect(record?.errorCode).toBe('Client.UnauthorizedOperation');
    expect(record?.readOnly).toBe(false);
    expect(record?.responseElements).toBeNull();
  });
});

describe('Secrets Manager records', () => {
  const hub: IamUserIdentity = { ...approver, accountId: '333333333333', arn: 'arn:aws:iam::333333333333:user/alice' };
  const payload = JSON.stringify({
    AccessKeyId: 'ASIAPAYLOAD000000001',
    SecretAccessKey: SECRET_KEY,
    SessionToken: SESSION_TOKEN,
  });

  it('never contain the SecretString of PutSecretValue, anywhere in the record', () => {
    const put = exchange({
      service: 'secretsmanager',
      accessKeyId: hub.accessKeyId,
      headers: JSON_11('secretsmanager.PutSecretValue'),
      body: JSON.stringify({
        SecretId: 'agent/elevated/111111111111',
        SecretString: payload,
        ClientRequestToken: 'tok-1',
      }),
      responseBody: JSON.stringify({
        ARN: 'arn:aws:secretsmanager:us-east-1:333333333333:secret:agent/elevated/111111111111-AbCdEf',
        Name: 'agent/elevated/111111111111',
        VersionId: 'tok-1',
        VersionStages: ['AWSCURRENT'],
      }),
    });

    const [record] = buildRecords(put, context(hub)).records;
    const serialized = JSON.stringify(record);

    expect(record?.requestParameters).toEqual({ secretId: 'agent/elevated/111111111111', clientRequestToken: 'tok-1' });
    expect(record?.responseElements).toEqual({
      arn: 'arn:aws:secretsmanager:us-east-1:333333333333:secret:agent/elevated/111111111111-AbCdEf',
    });
    expect(serialized).not.toContain(SECRET_KEY);
    expect(serialized).not.toContain(SESSION_TOKEN);
    expect(serialized).not.toContain('ASIAPAYLOAD');
  });

  it('hide a secret value that an error message echoes', () => {
    const put = exchange({
      service: 'secretsmanager',
      accessKeyId: hub.accessKeyId,
      headers: JSON_11('secretsmanager.CreateSecret'),
      body: JSON.stringify({ Name: 'x', SecretString: 'correct-horse-battery-staple' }),
      status: 400,
      responseBody: JSON.stringify({
        __type: 'InvalidParameterException',
        message: 'bad value correct-horse-battery-staple',
      }),
    });

    const [record] = buildRecords(put, context(hub)).records;

    expect(record?.errorCode).toBe('InvalidParameterException');
    expect(record?.errorMessage).toBe('bad value HIDDEN_DUE_TO_SECURITY_REASONS');
  });

  it('show no response for GetSecretValue (the value is never logged)', () => {
    const get = exchange({
      service: 'secretsmanager',
      accessKeyId: hub.accessKeyId,
      headers: JSON_11('secretsmanager.GetSecretValue'),
      body: JSON.stringify({ SecretId: 'agent/elevated/111111111111', VersionStage: 'AWSCURRENT' }),
      responseBody: JSON.stringify({ ARN: 'arn:x', Name: 'n', SecretString: payload, VersionStages: ['AWSCURRENT'] }),
    });

    const [record] = buildRecords(get, context(hub)).records;

    expect(record?.responseElements).toBeNull();
    expect(record?.readOnly).toBe(true);
    expect(JSON.stringify(record)).not.toContain(SECRET_KEY);
  });

  it('take the error code from the JSON __type of a refused call', () => {
    const get = exchange({
      service: 'secretsmanager',
      accessKeyId: hub.accessKeyId,
      headers: JSON_11('secretsmanager.GetSecretValue'),
      body: JSON.stringify({ SecretId: 'nope' }),
      status: 400,
      responseBody: JSON.stringify({
        __type: 'com.amazonaws.secretsmanager#AccessDeniedException',
        Message: 'not authorized',
      }),
    });

    const [record] = buildRecords(get, context(hub)).records;

    expect(record?.errorCode).toBe('AccessDeniedException');
    expect(record?.errorMessage).toBe('not authorized');
  });
});

describe('IAM records', () => {
  it('drop passwords and never show a new access key secret', () => {
    const createKey = exchange({
      service: 'iam',
      accessKeyId: approver.accessKeyId,
      headers: FORM,
      body: query({ Action: 'CreateAccessKey', Version: '2010-05-08', UserName: 'bob' }),
      responseBody:
        '<CreateAccessKeyResponse><CreateAccessKeyResult><AccessKey><UserName>bob</UserName>' +
        `<AccessKeyId>AKIABOB0000000000001</AccessKeyId><Status>Active</Status><SecretAccessKey>${SECRET_KEY}</SecretAccessKey>` +
        '<CreateDate>2026-03-01T10:00:00Z</CreateDate></AccessKey></CreateAccessKeyResult></CreateAccessKeyResponse>',
    });
    const loginProfile = exchange({
      service: 'iam',
      accessKeyId: approver.accessKeyId,
      headers: FORM,
      body: query({
        Action: 'CreateLoginProfile',
        Version: '2010-05-08',
        UserName: 'bob',
        Password: 'Sup3r-secret-pw',
      }),
      responseBody: '<CreateLoginProfileResponse><CreateLoginProfileResult/></CreateLoginProfileResponse>',
    });

    const [keyRecord] = buildRecords(createKey, context(approver)).records;
    const [profileRecord] = buildRecords(loginProfile, context(approver)).records;

    expect(keyRecord?.responseElements).toEqual({
      accessKey: {
        userName: 'bob',
        accessKeyId: 'AKIABOB0000000000001',
        status: 'Active',
        createDate: '2026-03-01T10:00:00Z',
      },
    });
    expect(JSON.stringify(keyRecord)).not.toContain(SECRET_KEY);
    expect(profileRecord?.requestParameters).toEqual({ userName: 'bob' });
    expect(JSON.stringify(profileRecord)).not.toContain('Sup3r-secret-pw');
  });

  it('name modelled IAM errors after their exception shape (NoSuchEntity -> NoSuchEntityException)', () => {
    const missing = exchange({
      service: 'iam',
      accessKeyId: approver.accessKeyId,
      headers: FORM,
      body: query({ Action: 'GetUser', Version: '2010-05-08', UserName: 'nobody' }),
      status: 404,
      responseBody:
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>' +
        '<Message>The user with name nobody cannot be found.</Message></Error><RequestId>abc</RequestId></ErrorResponse>',
    });

    const [record] = buildRecords(missing, context(approver)).records;

    expect(record?.errorCode).toBe('NoSuchEntityException');
    expect(record?.errorMessage).toBe('The user with name nobody cannot be found.');
  });
});

describe('S3 records', () => {
  it('record object writes as data events with the object and its bucket as resources', () => {
    const put = exchange({
      service: 's3',
      accessKeyId: approver.accessKeyId,
      method: 'PUT',
      path: '/reports/2026/a.json',
      query: 'x-id=PutObject',
      body: '{"a":1}',
      responseHeaders: { 'x-amz-request-id': 'S3REQ1' },
    });

    const [record] = buildRecords(put, context(approver, { reports: '111111111111' })).records;

    expect(record).toMatchObject({
      eventSource: 's3.amazonaws.com',
      eventName: 'PutObject',
      managementEvent: false,
      eventCategory: 'Data',
      readOnly: false,
      requestID: 'S3REQ1',
      requestParameters: { bucketName: 'reports', Host: '127.0.0.1:4566', key: '2026/a.json' },
      resources: [
        { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::reports/2026/a.json' },
        { accountId: '111111111111', type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::reports' },
      ],
    });
  });

  it('use CloudTrail names for bucket configuration calls and keep the bucket policy as JSON', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' }],
    };
    const put = exchange({
      service: 's3',
      accessKeyId: approver.accessKeyId,
      method: 'PUT',
      path: '/reports',
      query: 'policy=',
      body: JSON.stringify(policy),
      status: 204,
    });
    const lifecycle = exchange({
      service: 's3',
      accessKeyId: approver.accessKeyId,
      method: 'GET',
      path: '/reports',
      query: 'lifecycle=',
    });

    const [putRecord] = buildRecords(put, context(approver)).records;
    const [lifecycleRecord] = buildRecords(lifecycle, context(approver)).records;

    expect(putRecord?.eventName).toBe('PutBucketPolicy');
    expect(putRecord?.managementEvent).toBe(true);
    expect(putRecord?.requestParameters).toEqual({
      bucketName: 'reports',
      Host: '127.0.0.1:4566',
      policy: '',
      bucketPolicy: policy,
    });
    expect(lifecycleRecord?.eventName).toBe('GetBucketLifecycle');
  });

  it('take the error code from an S3 XML error', () => {
    const get = exchange({
      service: 's3',
      accessKeyId: approver.accessKeyId,
      method: 'GET',
      path: '/nobucket/key',
      status: 404,
      responseBody:
        '<?xml version="1.0" encoding="utf-8"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>',
    });

    const [record] = buildRecords(get, context(approver)).records;

    expect(record?.errorCode).toBe('NoSuchBucket');
  });
});

describe('Roles Anywhere CreateSession records', () => {
  it('learn the session from the credential set, log in the role account and drop the credentials', () => {
    const req: EdgeRequest = {
      method: 'POST',
      url: new URL('http://127.0.0.1:4566/sessions'),
      headers: {
        host: '127.0.0.1:4566',
        'content-type': 'application/json',
        'x-amz-date': '20260301T100000Z',
        authorization:
          'AWS4-X509-RSA-SHA256 Credential=123456789/20260301/us-east-1/rolesanywhere/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
      },
      body: Buffer.from(
        JSON.stringify({
          profileArn: 'arn:aws:rolesanywhere:us-east-1:333333333333:profile/p',
          roleArn: 'arn:aws:iam::333333333333:role/JitAgent',
        }),
      ),
    };
    const x: EdgeExchange = {
      req,
      res: {
        status: 201,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          credentialSet: [
            {
              assumedRoleUser: {
                arn: 'arn:aws:sts::333333333333:assumed-role/JitAgent/123456789',
                assumedRoleId: 'AROAAGENT:123456789',
              },
              credentials: {
                accessKeyId: 'ASIAAGENTRA000000001',
                expiration: '2026-03-01T11:00:00Z',
                secretAccessKey: SECRET_KEY,
                sessionToken: SESSION_TOKEN,
              },
              packedPolicySize: 0,
              roleArn: 'arn:aws:iam::333333333333:role/JitAgent',
              sourceIdentity: 'jit-agent-01',
            },
          ],
          subjectArn: 'arn:aws:rolesanywhere:us-east-1:333333333333:subject/s',
        }),
      },
      call: parseAwsCall(req),
      startedAt: STARTED,
      finishedAt: STARTED,
      handledBy: 'roles-anywhere',
    };

    const { records, session } = buildRecords(x, context(undefined));

    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      eventSource: 'rolesanywhere.amazonaws.com',
      eventName: 'CreateSession',
      recipientAccountId: '333333333333',
    });
    expect(session).toMatchObject({
      accessKeyId: 'ASIAAGENTRA000000001',
      roleName: 'JitAgent',
      sourceIdentity: 'jit-agent-01',
    });
    expect(JSON.stringify(records)).not.toContain(SECRET_KEY);
    expect(JSON.stringify(records)).not.toContain(SESSION_TOKEN);
  });
});

describe('calls from an unknown access key', () => {
  it('are recorded with the key and moto default account', () => {
    const call = exchange({
      service: 'sts',
      accessKeyId: 'AKIAUNKNOWN000000001',
      headers: FORM,
      body: query({ Action: 'GetCallerIdentity', Version: '2011-06-15' }),
      responseBody: '<GetCallerIdentityResponse><GetCallerIdentityResult/></GetCallerIdentityResponse>',
    });

    const [record] = buildRecords(call, context(undefined)).records;

    expect(record?.userIdentity).toEqual({ type: 'Unknown', accessKeyId: 'AKIAUNKNOWN000000001' });
    expect(record?.recipientAccountId).toBe('123456789012');
  });
});

describe('readOnly', () => {
  it.each([
    ['secretsmanager', 'GetSecretValue', true],
    ['ec2', 'DescribeInstances', true],
    ['iam', 'ListRoles', true],
    ['s3', 'HeadObject', true],
    ['kms', 'Decrypt', true],
    ['sts', 'AssumeRole', true],
    ['secretsmanager', 'PutSecretValue', false],
    ['iam', 'AttachRolePolicy', false],
    ['ec2', 'Getaway', false],
    ['s3', 'PutObject', false],
  ])('is %s for %s:%s', (service, name, expected) => {
    expect(isReadOnly(service, name)).toBe(expected);
  });
});

describe('javaDate', () => {
  it('formats like the expiration CloudTrail shows for STS credentials', () => {
    expect(javaDate(new Date('2023-07-10T12:09:47Z'))).toBe('Jul 10, 2023, 12:09:47 PM');
    expect(javaDate(new Date('2023-07-10T00:05:07Z'))).toBe('Jul 10, 2023, 12:05:07 AM');
  });
});

function fixtureRecords(corpora: string[]): CloudTrailRecord[] {
  const out: CloudTrailRecord[] = [];
  for (const corpus of corpora) {
    for (const file of readdirSync(join(FIXTURES, corpus))) {
      if (!file.endsWith('.json')) continue;
      const parsed = JSON.parse(readFileSync(join(FIXTURES, corpus, file), 'utf8')) as
        | CloudTrailRecord[]
        | { Records: CloudTrailRecord[] };
      out.push(...(Array.isArray(parsed) ? parsed : parsed.Records));
    }
  }
  return out;
}

// Fields real records have that a loopback HTTP emulator cannot know.
const NOT_LOCAL = new Set(['tlsDetails', 'vpcEndpointId', 'vpcEndpointAccountId', 'sessionCredentialFromConsole']);

function keysOf(value: object | null | undefined): string[] {
  return Object.keys(value ?? {})
    .filter((key) => !NOT_LOCAL.has(key))
    .sort();
}

describe('record shape against real CloudTrail records (Stratus Red Team, Invictus IR)', () => {
  const real = fixtureRecords(['stratus-red-team', 'invictus-ir']);
  // Shapes are compared with Invictus IR: raw CloudTrail output, where Stratus Red Team's logs were
  // reshaped (anonymised regions, empty objects such as webIdFederationData dropped).
  const raw = fixtureRecords(['invictus-ir']);
  const find = (predicate: (r: CloudTrailRecord) => boolean): CloudTrailRecord => {
    const found = raw.find(predicate);
    if (found === undefined) throw new Error('fixture corpus has no such record');
    return found;
  };

  it('has the same fields as a real successful AssumeRole by an IAM user', () => {
    const realRecord = find(
      (r) =>
        r.eventName === 'AssumeRole' &&
        r.userIdentity.type === 'IAMUser' &&
        r.errorCode === undefined &&
        r.sharedEventID === undefined,
    );
    const [ours] = buildRecords(grantAssumeRole('111111111111'), context(approver)).records;

    expect(keysOf(ours)).toEqual(keysOf(realRecord));
    expect(keysOf(ours?.userIdentity)).toEqual(keysOf(realRecord.userIdentity));
    expect(keysOf(ours?.responseElements?.assumedRoleUser as object)).toEqual(
      keysOf(realRecord.responseElements?.assumedRoleUser as object),
    );
  });

  it('has the same fields as a real refused call by an assumed role', () => {
    const realRecord = find(
      (r) => r.userIdentity.type === 'AssumedRole' && r.errorCode === 'Client.UnauthorizedOperation',
    );
    const session = buildRecords(grantAssumeRole('111111111111'), context(approver)).session as AssumedRoleIdentity;
    const withoutSourceIdentity: AssumedRoleIdentity = { ...session, sourceIdentity: undefined };
    const denied = exchange({
      service: 'ec2',
      accessKeyId: session.accessKeyId,
      headers: FORM,
      body: query({ Action: 'GetPasswordData', Version: '2016-11-15', InstanceId: 'i-1' }),
      status: 403,
      responseBody:
        '<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors></Response>',
    });

    const [ours] = buildRecords(denied, context(withoutSourceIdentity)).records;

    expect(keysOf(ours)).toEqual(keysOf(realRecord));
    expect(keysOf(ours?.userIdentity)).toEqual(keysOf(realRecord.userIdentity));
    expect(keysOf(ours?.userIdentity.sessionContext)).toEqual(keysOf(realRecord.userIdentity.sessionContext));
    expect(keysOf(ours?.userIdentity.sessionContext?.sessionIssuer)).toEqual(
      keysOf(realRecord.userIdentity.sessionContext?.sessionIssuer),
    );
    expect(ours?.requestParameters).toEqual({ instanceId: 'i-1' });
  });

  it('has the same fields as real Secrets Manager reads and writes', () => {
    const hubUser = approver;
    for (const [name, body, response] of [
      ['GetSecretValue', { SecretId: 'arn:s', VersionId: 'v' }, { ARN: 'arn:s', SecretString: 'x', VersionId: 'v' }],
      [
        'PutSecretValue',
        { SecretId: 'arn:s', ClientRequestToken: 't', SecretString: 'x' },
        { ARN: 'arn:s', VersionId: 't' },
      ],
    ] as const) {
      const realRecord = find(
        (r) =>
          r.eventName === name &&
          r.errorCode === undefined &&
          r.userIdentity.type === 'IAMUser' &&
          keysOf(r.requestParameters).length === Object.keys(body).length - (name === 'PutSecretValue' ? 1 : 0),
      );
      const call = exchange({
        service: 'secretsmanager',
        accessKeyId: hubUser.accessKeyId,
        headers: JSON_11(`secretsmanager.${name}`),
        body: JSON.stringify(body),
        responseBody: JSON.stringify(response),
      });

      const [ours] = buildRecords(call, context(hubUser)).records;

      // Real Secrets Manager records carry `resources: null`; a missing field reads the same.
      expect(keysOf(ours).filter((k) => k !== 'resources')).toEqual(
        keysOf(realRecord).filter((k) => k !== 'resources'),
      );
      expect(keysOf(ours?.requestParameters)).toEqual(keysOf(realRecord.requestParameters));
      expect(keysOf(ours?.responseElements)).toEqual(keysOf(realRecord.responseElements));
    }
  });

  it('agrees with the real readOnly flag for every event name in the corpora', () => {
    const disagreements = real
      .filter((r) => r.eventType === 'AwsApiCall')
      .filter((r) => isReadOnly(r.eventSource.replace('.amazonaws.com', ''), r.eventName) !== r.readOnly)
      .map((r) => `${r.eventSource}:${r.eventName}`);

    expect([...new Set(disagreements)]).toEqual([]);
  });
});

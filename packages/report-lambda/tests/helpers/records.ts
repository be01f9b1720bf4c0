/**
 * CloudTrail records shaped like what the trail records for a jit grant and its session: the approver's
 * AssumeRole (session name and source identity `jit-<grantId>`, `jit:` session tags) and the calls made
 * with the returned key. Field names and nesting follow real records (see ../shared/fixtures/cloudtrail).
 */

export interface GrantInput {
  readonly grantId: string;
  readonly accountId: string;
  readonly roleName?: string;
  readonly tier?: string;
  readonly time: Date;
  readonly minutes?: number;
  readonly accessKeyId: string;
  readonly approverArn?: string;
  readonly reason?: string;
}

let counter = 0;
function eventId(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
}

export function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Secret values CloudTrail writes into AssumeRole's responseElements; no e-mail may contain them. */
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLESECRET';
export const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalueThatMustNeverBeShown';

export function grantRecord(input: GrantInput): Record<string, unknown> {
  const roleName = input.roleName ?? 'AgentElevated-Ops';
  const minutes = input.minutes ?? 15;
  const until = new Date(input.time.getTime() + minutes * 60_000);
  const approverArn = input.approverArn ?? 'arn:aws:iam::444444444444:user/jit-approver';
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEAPPROVER01',
      arn: approverArn,
      accountId: '444444444444',
      accessKeyId: 'AKIAEXAMPLEAPPROVER1',
      userName: 'jit-approver',
    },
    eventTime: iso(input.time),
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'ap-southeast-2',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'jit-grant/0.1.0',
    requestParameters: {
      roleArn: `arn:aws:iam::${input.accountId}:role/${roleName}`,
      roleSessionName: `jit-${input.grantId}`,
      sourceIdentity: `jit-${input.grantId}`,
      durationSeconds: Math.max(900, minutes * 60),
      tags: [
        { key: 'jit:grant', value: input.grantId },
        { key: 'jit:tier', value: input.tier ?? 'ops' },
        { key: 'jit:approver', value: 'alice@example.com' },
        { key: 'jit:reason', value: input.reason ?? 'restart ECS service' },
        { key: 'jit:until', value: iso(until) },
      ],
    },
    responseElements: {
      credentials: {
        accessKeyId: input.accessKeyId,
        secretAccessKey: SECRET_ACCESS_KEY,
        sessionToken: SESSION_TOKEN,
        expiration: iso(new Date(input.time.getTime() + Math.max(900, minutes * 60) * 1000)),
      },
      assumedRoleUser: {
        assumedRoleId: `AROAEXAMPLE:jit-${input.grantId}`,
        arn: `arn:aws:sts::${input.accountId}:assumed-role/${roleName}/jit-${input.grantId}`,
      },
      sourceIdentity: `jit-${input.grantId}`,
    },
    requestID: eventId(),
    eventID: eventId(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: input.accountId,
  };
}

export interface CallInput {
  readonly grantId: string;
  readonly accountId: string;
  readonly roleName?: string;
  readonly accessKeyId: string;
  readonly time: Date;
  readonly eventSource?: string;
  readonly eventName?: string;
  readonly errorCode?: string;
  readonly readOnly?: boolean;
  readonly requestParameters?: Record<string, unknown>;
}

export function callRecord(input: CallInput): Record<string, unknown> {
  const roleName = input.roleName ?? 'AgentElevated-Ops';
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:jit-${input.grantId}`,
      arn: `arn:aws:sts::${input.accountId}:assumed-role/${roleName}/jit-${input.grantId}`,
      accountId: input.accountId,
      accessKeyId: input.accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLE',
          arn: `arn:aws:iam::${input.accountId}:role/${roleName}`,
          accountId: input.accountId,
          userName: roleName,
        },
        attributes: { creationDate: iso(input.time), mfaAuthenticated: 'false' },
        sourceIdentity: `jit-${input.grantId}`,
      },
    },
    eventTime: iso(input.time),
    eventSource: input.eventSource ?? 'ec2.amazonaws.com',
    eventName: input.eventName ?? 'DescribeInstances',
    awsRegion: 'ap-southeast-2',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    ...(input.errorCode === undefined
      ? {}
      : {
          errorCode: input.errorCode,
          errorMessage: `User is not authorized to perform ${input.eventName ?? 'this action'}`,
        }),
    requestParameters: input.requestParameters ?? null,
    responseElements: null,
    requestID: eventId(),
    eventID: eventId(),
    readOnly: input.readOnly ?? true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: input.accountId,
  };
}

/** A call of a service role (a Lambda function's): what fills an organization trail, never part of a grant. */
export function serviceRoleRecord(accountId: string, time: Date, index = 0): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROASERVICE:orders-function',
      arn: `arn:aws:sts::${accountId}:assumed-role/orders-function-role/orders-function`,
      accountId,
      accessKeyId: `ASIASERVICE${String(index % 1_000_000_000).padStart(9, '0')}`,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROASERVICE',
          arn: `arn:aws:iam::${accountId}:role/orders-function-role`,
          accountId,
          userName: 'orders-function-role',
        },
        attributes: { creationDate: iso(time), mfaAuthenticated: 'false' },
      },
    },
    eventTime: iso(time),
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'GetItem',
    awsRegion: 'ap-southeast-2',
    sourceIPAddress: 'lambda.amazonaws.com',
    userAgent: 'aws-sdk-js/3.0.0',
    requestParameters: { tableName: 'orders', key: { id: { S: `order-${index}` } } },
    responseElements: null,
    requestID: eventId(),
    eventID: eventId(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: accountId,
  };
}

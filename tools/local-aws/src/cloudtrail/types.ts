/** A session tag as CloudTrail shows it in `requestParameters.tags`. */
export interface SessionTag {
  key: string;
  value: string;
}

/** An IAM user's long-term access key, as moto's IAM knows it. */
export interface IamUserIdentity {
  kind: 'IAMUser';
  accessKeyId: string;
  accountId: string;
  userName: string;
  /** `AIDA...` */
  userId: string;
  arn: string;
}

/**
 * An assumed-role session, learned from an `AssumeRole` (or Roles Anywhere `CreateSession`)
 * response that passed through the edge. moto does not echo `SourceIdentity` or tags, so they
 * come from the request.
 */
export interface AssumedRoleIdentity {
  kind: 'AssumedRole';
  accessKeyId: string;
  accountId: string;
  /** `arn:aws:iam::<acct>:role/<path><name>` */
  roleArn: string;
  roleName: string;
  /** `AROA...` */
  roleId: string;
  sessionName: string;
  /** `arn:aws:sts::<acct>:assumed-role/<name>/<session>` */
  assumedRoleArn: string;
  sourceIdentity: string | undefined;
  tags: SessionTag[];
  /** ISO 8601, seconds precision. */
  creationDate: string;
  /** ISO 8601 as STS returned it. */
  expiration: string | undefined;
  mfaAuthenticated: boolean;
}

export type KnownIdentity = IamUserIdentity | AssumedRoleIdentity;

export interface SessionIssuer {
  type: 'Role';
  principalId: string;
  arn: string;
  accountId: string;
  userName: string;
}

export interface UserIdentity {
  type: 'IAMUser' | 'AssumedRole' | 'AWSAccount' | 'Unknown';
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  sessionContext?: {
    sessionIssuer: SessionIssuer;
    webIdFederationData: Record<string, never>;
    attributes: { creationDate: string; mfaAuthenticated: 'true' | 'false' };
    sourceIdentity?: string;
  };
}

export interface CloudTrailResource {
  accountId?: string;
  type: string;
  ARN: string;
}

/** One CloudTrail event record, with the fields real CloudTrail writes for an API call. */
export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: UserIdentity;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown>;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources?: CloudTrailResource[];
  eventType: 'AwsApiCall';
  managementEvent: boolean;
  recipientAccountId: string;
  sharedEventID?: string;
  eventCategory: 'Management' | 'Data';
}

/** Credentials of an account's administrator in moto (the plugin reads IAM and writes S3 with them). */
export interface AdminCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

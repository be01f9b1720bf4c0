import { describe, expect, it } from 'vitest';
import { type LocalAccounts, renderAwsConfig, renderAwsCredentials } from '../../src/index.js';

const accounts: LocalAccounts = {
  region: 'ap-southeast-2',
  adminRoleName: 'JitLocalAdmin',
  hub: {
    id: '444444444444',
    name: 'tooling',
    kmsKeyArn: 'arn:aws:kms:ap-southeast-2:444444444444:key/k',
    kmsKeyAlias: 'alias/jit-secrets',
    secrets: [],
    topics: [],
    admin: { name: 'jit-local-admin', arn: 'arn:aws:iam::444444444444:user/jit-local-admin', accessKeyId: 'AKIAADMIN' },
    approver: { name: 'jit-approver', arn: 'arn:aws:iam::444444444444:user/jit-approver', accessKeyId: 'AKIAAPPROVER' },
    agent: {
      kind: 'iam-user',
      name: 'jit-agent',
      arn: 'arn:aws:iam::444444444444:user/jit-agent',
      accessKeyId: 'AKIAAGENT',
    },
    certificateAgentRoleArn: 'arn:aws:iam::444444444444:role/JitAgentCertificate',
  },
  logArchive: {
    id: '555555555555',
    name: 'log-archive',
    bucket: 'b',
    kmsKeyArn: 'arn:aws:kms:ap-southeast-2:555555555555:key/k',
    objectLock: { mode: 'COMPLIANCE', days: 365 },
    sesIdentities: [],
  },
  workloads: [
    { id: '111111111111', name: 'staging', roles: [], revokerRoleArn: 'arn:aws:iam::111111111111:role/JitRevoker' },
  ],
};

describe('AWS files for the local environment', () => {
  it('points every profile at the edge and gives each account an admin profile through jit-admin', () => {
    const text = renderAwsConfig({ endpoint: 'http://127.0.0.1:4566', accounts });

    expect(text).toContain('[profile jit-agent]\nregion = ap-southeast-2\nendpoint_url = http://127.0.0.1:4566');
    expect(text).toContain('[profile jit-approver]');
    expect(text).toContain(
      '[profile jit-admin-staging]\nrole_arn = arn:aws:iam::111111111111:role/JitLocalAdmin\nsource_profile = jit-admin',
    );
    expect(text).toContain('[profile jit-admin-log-archive]');
  });

  it('gives the admin role sessions the name it is told, so the AWS CLI does not reuse cached keys of an earlier moto', () => {
    const text = renderAwsConfig({
      endpoint: 'http://127.0.0.1:4566',
      accounts,
      adminSessionName: 'local-admin-0a1b2c3d',
    });

    expect(text.match(/role_session_name = local-admin-0a1b2c3d/g)).toHaveLength(3);
  });

  it('writes session tokens only for credentials that have one', () => {
    const text = renderAwsCredentials({
      admin: { accessKeyId: 'AKIAADMIN', secretAccessKey: 's1' },
      approver: { accessKeyId: 'AKIAAPPROVER', secretAccessKey: 's2' },
      agent: { accessKeyId: 'ASIAAGENT', secretAccessKey: 's3', sessionToken: 't3' },
    });

    expect(text.match(/aws_session_token/g)).toHaveLength(1);
    expect(text).toContain(
      '[jit-agent]\naws_access_key_id = ASIAAGENT\naws_secret_access_key = s3\naws_session_token = t3',
    );
  });
});

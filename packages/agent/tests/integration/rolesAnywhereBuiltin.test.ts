/**
 * The built-in Roles Anywhere plugin of the local environment: a certificate issued from the
 * environment's own CA (as `npm run local -- issue-cert` does) gets an STS session of the
 * certificate agent role, whose source identity is the certificate's CN.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { issueLocalAgentCertificate } from '@jit-access/local-aws';
import { describe, expect, inject, it } from 'vitest';
import { createSession } from '../../src/rolesAnywhere/index.js';

const env = inject('localAws');

describe('the built-in Roles Anywhere CreateSession', () => {
  it('turns a certificate from the local CA into a session of the certificate agent role', async () => {
    const issued = await issueLocalAgentCertificate({
      stateDir: env.stateDir,
      region: env.region,
      accounts: env.accounts,
      outDir: path.join(env.stateDir, `cert-${Date.now()}`),
      commonName: 'agent-builtin-test',
      keyType: 'ec',
      days: 1,
    });
    const credentials = await createSession({
      endpoint: env.endpoint,
      region: env.region,
      certificatePem: await readFile(issued.certificateFile, 'utf8'),
      privateKeyPem: await readFile(issued.privateKeyFile, 'utf8'),
      trustAnchorArn: issued.trustAnchorArn,
      profileArn: issued.profileArn,
      roleArn: issued.roleArn,
    });
    const sts = new STSClient({ region: env.region, endpoint: env.endpoint, credentials });
    try {
      const me = await sts.send(new GetCallerIdentityCommand({}));
      expect(me.Arn).toMatch(/^arn:aws:sts::444444444444:assumed-role\/JitAgentCertificate\//);
    } finally {
      sts.destroy();
    }
  });
});

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@jit-access/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mfaRefusalHint, parseIni, signInFor } from '../../src/aws/approver.js';
import { approverCredentials, EXIT_CODES, GrantError, GrantErrorCode, main } from '../../src/index.js';
import { captureIo } from '../support/io.js';
import { ACCOUNTS_DIR } from '../support/local.js';

describe('parseIni and signInFor', () => {
  const ini = parseIni(
    [
      '# comment',
      '[default]',
      'region = ap-southeast-2',
      '[profile sso]',
      'sso_session = corp',
      '[profile  mfa-role ]',
      'role_arn = arn:aws:iam::444444444444:role/JitApprover',
      'mfa_serial = arn:aws:iam::444444444444:mfa/alice',
      '[profile mfa-user]',
      'mfa_serial=arn:aws:iam::444444444444:mfa/bob',
      '[profile keys]',
      'aws_access_key_id = AKIA',
    ].join('\n'),
  );

  it.each([
    ['profile sso', 'sso'],
    ['profile mfa-role', 'mfa-assume-role'],
    ['profile mfa-user', 'mfa-session'],
    ['profile keys', 'profile'],
  ])('reads [%s] as %s', (section, signIn) => {
    expect(signInFor(ini.get(section) ?? new Map())).toBe(signIn);
  });
});

describe('an expired IAM Identity Center session', () => {
  const savedHome = process.env.HOME;
  let home: string;
  let configFile: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'jit-grant-home-'));
    configFile = path.join(home, '.aws', 'config');
    await mkdir(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
    await writeFile(
      configFile,
      [
        '[profile corp-approver]',
        'sso_session = corp',
        'sso_account_id = 444444444444',
        'sso_role_name = JitApprover',
        'region = ap-southeast-2',
        '',
        '[sso-session corp]',
        'sso_region = ap-southeast-2',
        'sso_start_url = https://example.awsapps.com/start',
        'sso_registration_scopes = sso:account:access',
        '',
      ].join('\n'),
    );
    // The token `aws sso login` caches, expired an hour ago, with nothing to refresh it.
    const cacheFile = path.join(
      home,
      '.aws',
      'sso',
      'cache',
      `${createHash('sha1').update('corp').digest('hex')}.json`,
    );
    await writeFile(
      cacheFile,
      JSON.stringify({
        startUrl: 'https://example.awsapps.com/start',
        region: 'ap-southeast-2',
        accessToken: 'expired-token-value',
        expiresAt: new Date(Date.now() - 3600_000).toISOString(),
      }),
    );
    process.env.HOME = home;
  });

  afterAll(() => {
    process.env.HOME = savedHome;
  });

  it('tells the approver to run aws sso login for the profile', async () => {
    const approver = await approverCredentials({ region: 'ap-southeast-2', profile: 'corp-approver', configFile });
    expect(approver.signIn).toBe('sso');
    const provider = approver.credentials as () => Promise<unknown>;
    const error = await provider().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GrantError);
    expect(error).toMatchObject({
      code: GrantErrorCode.ApproverCredentials,
      message: 'your IAM Identity Center (SSO) session for profile "corp-approver" has expired or is not signed in',
      suggestion: 'run: aws sso login --profile corp-approver',
    });
  });

  it('exits 4 from the CLI with that advice', async () => {
    const io = captureIo({ env: { AWS_CONFIG_FILE: configFile, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    const code = await main(
      [
        'grant',
        'production',
        '--tier',
        'ops',
        '--reason',
        'x',
        '--yes',
        '--profile',
        'corp-approver',
        '--config',
        ACCOUNTS_DIR,
      ],
      io,
    );
    expect(code).toBe(EXIT_CODES.approverCredentials);
    expect(io.err()).toContain('→ run: aws sso login --profile corp-approver');
    expect(io.out()).toBe('');
  });
});

describe('mfaRefusalHint: why STS may refuse an approver when approvers.requireMfa is on (decision 0008)', () => {
  it('names the MFA sign-in for an IAM user or role session', async () => {
    const config = await loadConfig(ACCOUNTS_DIR);

    for (const arn of [
      'arn:aws:iam::444444444444:user/jit-approver',
      'arn:aws:sts::444444444444:assumed-role/JitApprover/alice',
    ]) {
      expect(mfaRefusalHint(config, arn)).toMatch(
        /^approvers\.requireMfa is on: an IAM user or role is let in only from a session signed in with MFA \(a profile with mfa_serial; .*--mfa-code\)/,
      );
    }
  });

  it('says nothing for an IAM Identity Center session, or when requireMfa is off', async () => {
    const config = await loadConfig(ACCOUNTS_DIR);
    const off = { ...config, approvers: { ...config.approvers, requireMfa: false } };

    expect(
      mfaRefusalHint(
        config,
        'arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_JitApprover_0123456789abcdef/alice',
      ),
    ).toBeUndefined();
    expect(mfaRefusalHint(off, 'arn:aws:iam::444444444444:user/jit-approver')).toBeUndefined();
  });
});

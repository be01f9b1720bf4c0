import { describe, expect, it } from 'vitest';
import { ReportLambdaError } from '../../src/errors.js';
import { parseSettings, REPORT_ENV } from '../../src/settings.js';

const minimal = {
  AWS_REGION: 'ap-southeast-2',
  [REPORT_ENV.bucket]: 'jit-cloudtrail-555555555555-ap-southeast-2',
  [REPORT_ENV.sender]: 'jit-reports@example.com',
  [REPORT_ENV.recipients]: 'auditor@example.com, second@example.org',
};

function problems(env: Record<string, string | undefined>): string {
  try {
    parseSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ReportLambdaError);
    expect((error as ReportLambdaError).code).toBe('REPORT_LAMBDA_INVALID_SETTINGS');
    return (error as Error).message;
  }
  return 'no error';
}

describe('parseSettings', () => {
  it('needs only the bucket, the sender and the recipients, and defaults the rest', () => {
    expect(parseSettings(minimal)).toEqual({
      region: 'ap-southeast-2',
      bucket: 'jit-cloudtrail-555555555555-ap-southeast-2',
      sender: 'jit-reports@example.com',
      recipients: ['auditor@example.com', 'second@example.org'],
      mode: 'session',
      windowMinutes: 60,
      deliveryLagMinutes: 15,
      lookbackMinutes: 65,
      maxWindowHours: 24,
      statePrefix: 'jit-reports/',
      claimLeaseSeconds: 960,
      tierRoles: [],
      accountNames: {},
      subjectPrefix: '[JIT Access]',
      expectedAccounts: [],
      digestPeriodMinutes: 60,
    });
  });

  it('reads every optional setting', () => {
    const settings = parseSettings({
      ...minimal,
      [REPORT_ENV.organizationId]: 'o-a1b2c3d4e5',
      [REPORT_ENV.trailPrefix]: 'org/trail',
      [REPORT_ENV.accountIds]: '111111111111,222222222222',
      [REPORT_ENV.regions]: 'ap-southeast-2,us-east-1',
      [REPORT_ENV.trailName]: 'jit-trail',
      [REPORT_ENV.mode]: 'digest',
      [REPORT_ENV.tierRoles]: 'AgentElevated-Ops,AgentElevated-Deploy',
      [REPORT_ENV.accountNames]: '111111111111=workload-a,222222222222=workload-b',
      [REPORT_ENV.statePrefix]: 'reports',
      [REPORT_ENV.deliveryLagMinutes]: '20',
      [REPORT_ENV.expectedAccounts]: '444444444444, 555555555555,111111111111',
      [REPORT_ENV.digestPeriodMinutes]: '1',
    });
    expect(settings).toMatchObject({
      organizationId: 'o-a1b2c3d4e5',
      trailPrefix: 'org/trail',
      accountIds: ['111111111111', '222222222222'],
      regions: ['ap-southeast-2', 'us-east-1'],
      trailName: 'jit-trail',
      mode: 'digest',
      tierRoles: ['AgentElevated-Ops', 'AgentElevated-Deploy'],
      accountNames: { '111111111111': 'workload-a', '222222222222': 'workload-b' },
      statePrefix: 'reports/',
      deliveryLagMinutes: 20,
      expectedAccounts: ['444444444444', '555555555555', '111111111111'],
      digestPeriodMinutes: 1,
    });
  });

  it('lists every problem at once, naming the variable, the value and what is allowed', () => {
    const message = problems({
      AWS_REGION: 'ap-southeast-2',
      [REPORT_ENV.sender]: 'not an address',
      [REPORT_ENV.recipients]: 'auditor@example.com,bad@',
      [REPORT_ENV.mode]: 'weekly',
      [REPORT_ENV.deliveryLagMinutes]: '-5',
      [REPORT_ENV.statePrefix]: 'AWSLogs/mine',
    });
    expect(message).toContain('JIT_REPORT_BUCKET is not set');
    expect(message).toContain('JIT_REPORT_SENDER="not an address" is not valid: one e-mail address');
    expect(message).toContain('JIT_REPORT_RECIPIENTS="bad@" is not valid');
    expect(message).toContain('JIT_REPORT_MODE="weekly" is not valid: one of session, digest');
    expect(message).toContain('JIT_REPORT_DELIVERY_LAG_MINUTES="-5" is not valid: a whole number from 0 to 1440');
    expect(message).toContain('JIT_REPORT_STATE_PREFIX="AWSLogs/mine" is not valid: a key prefix outside AWSLogs/');
  });

  it('refuses more recipients than SES sends one message to', () => {
    const recipients = Array.from({ length: 51 }, (_, i) => `a${i}@example.com`).join(',');
    expect(problems({ ...minimal, [REPORT_ENV.recipients]: recipients })).toContain(
      'lists 51 addresses: SES sends to at most 50',
    );
  });

  it('refuses a subject prefix that could break the header', () => {
    expect(problems({ ...minimal, [REPORT_ENV.subjectPrefix]: 'x\r\nBcc: evil@example.com' })).toContain(
      'JIT_REPORT_SUBJECT_PREFIX',
    );
  });

  it('refuses expected accounts that are not 12-digit ids, naming the variable and the value', () => {
    const message = problems({
      ...minimal,
      [REPORT_ENV.expectedAccounts]: '111111111111,12345,arn:aws:iam::222222222222:root',
      [REPORT_ENV.digestPeriodMinutes]: '0',
    });
    expect(message).toContain(
      'JIT_REPORT_EXPECTED_ACCOUNTS="12345" is not valid: 12-digit account ids separated by commas',
    );
    expect(message).toContain('JIT_REPORT_EXPECTED_ACCOUNTS="arn:aws:iam::222222222222:root" is not valid');
    expect(message).toContain('JIT_REPORT_DIGEST_PERIOD_MINUTES="0" is not valid: a whole number from 1 to 1440');
  });

  it('refuses an expected-accounts value that names no account rather than skipping the check', () => {
    expect(problems({ ...minimal, [REPORT_ENV.expectedAccounts]: ' , ,' })).toContain(
      'JIT_REPORT_EXPECTED_ACCOUNTS=", ," is not valid: at least one 12-digit account id',
    );
  });

  it('needs the region the function runs in', () => {
    expect(problems({ ...minimal, AWS_REGION: undefined })).toContain('AWS_REGION is not set');
  });
});

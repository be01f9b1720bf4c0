import { type JitConfig, loadConfig, WINDOW_LIMITS } from '@jit-access/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { GrantError, GrantErrorCode, planGrant, scopeArnProblem, sessionPolicyFor, tagValue } from '../../src/index.js';
import { ACCOUNTS_DIR } from '../support/local.js';

const NOW = new Date('2026-03-25T12:30:00Z');
let config: JitConfig;

beforeAll(async () => {
  config = await loadConfig(ACCOUNTS_DIR);
});

function refusal(fn: () => unknown): GrantError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GrantError) return error;
    throw error;
  }
  throw new Error('expected a GrantError');
}

describe('planGrant', () => {
  it('plans an ops grant with the STS minimum duration and no session policy for 15 minutes', () => {
    const plan = planGrant(config, { account: 'production', tier: 'ops', minutes: 15, reason: 'restart' }, NOW);
    expect(plan).toMatchObject({
      account: { id: '222222222222' },
      roleArn: 'arn:aws:iam::222222222222:role/AgentElevated-Ops',
      durationSeconds: 900,
      sessionPolicyReason: undefined,
    });
    expect(plan.sessionName).toBe(`jit-${plan.grantId}`);
  });

  it('uses the tier default window when --minutes is not given', () => {
    expect(planGrant(config, { account: '111111111111', tier: 'deploy', reason: 'ship' }, NOW).minutes).toBe(30);
  });

  it('asks STS for 900 seconds and adds a window session policy for the 5-minute security tier', () => {
    const plan = planGrant(config, { account: 'staging', tier: 'security', reason: 'rotate' }, NOW);
    expect(plan.durationSeconds).toBe(WINDOW_LIMITS.stsMinimumSeconds);
    expect(plan.sessionPolicyReason).toBe('window');
    const policy = sessionPolicyFor(plan, new Date(NOW.getTime() + 5 * 60_000));
    expect(policy?.Statement[0]?.Condition).toEqual({
      DateLessThan: { 'aws:CurrentTime': '2026-03-25T12:35:00.000Z' },
    });
  });

  it('asks STS for the whole window when it is longer than 15 minutes', () => {
    expect(
      planGrant(config, { account: 'staging', tier: 'deploy', minutes: 60, reason: 'x' }, NOW).durationSeconds,
    ).toBe(3600);
  });

  it('narrows the session to the --scope ARNs', () => {
    const plan = planGrant(
      config,
      { account: 'staging', tier: 'ops', reason: 'x', scope: ['arn:aws:s3:::logs-bucket/*'] },
      NOW,
    );
    expect(plan.sessionPolicyReason).toBe('scope');
    expect(sessionPolicyFor(plan, NOW)?.Statement[0]?.Resource).toEqual(['arn:aws:s3:::logs-bucket/*']);
  });

  it('refuses a scope whose session policy would exceed the packed size STS allows, before any AWS call', () => {
    const scope = Array.from(
      { length: 20 },
      (_, i) =>
        `arn:aws:s3:::bucket-with-a-rather-long-name-number-${i}/a/much/deeper/prefix/for/this/test/to/fill/the/policy/*`,
    );
    const error = refusal(() => planGrant(config, { account: 'staging', tier: 'ops', reason: 'x', scope }, NOW));
    expect(error.code).toBe(GrantErrorCode.SessionPolicyTooLarge);
    expect(error.message).toMatch(/the session policy is \d+ characters; STS allows 2048/);
  });

  it('keeps the grant id of an approved request', () => {
    const plan = planGrant(
      config,
      { account: 'staging', tier: 'ops', reason: 'x', grantId: '01JQ0000000000000000000000' },
      NOW,
    );
    expect(plan.grantId).toBe('01JQ0000000000000000000000');
  });

  it.each([
    [
      'an unknown account',
      { account: '999999999999', tier: 'ops', reason: 'x' },
      /^account: unknown account "999999999999"/,
    ],
    [
      'a tier not allowed for the account',
      { account: 'identity', tier: 'deploy', reason: 'x' },
      /allowed there: ops, security/,
    ],
    [
      'a 90-minute security grant',
      { account: 'staging', tier: 'security', minutes: 90, reason: 'x' },
      /exactly 5 minutes/,
    ],
    ['a fractional window', { account: 'staging', tier: 'ops', minutes: 15.5, reason: 'x' }, /15\.5 is not allowed/],
    ['a tab in the reason', { account: 'staging', tier: 'ops', reason: 'a\tb' }, /--reason: must be printable/],
    [
      'a bad grant id',
      { account: 'staging', tier: 'ops', reason: 'x', grantId: 'jit-1' },
      /grant id: "jit-1" is not a ULID/,
    ],
    [
      'a duplicated scope ARN',
      { account: 'staging', tier: 'ops', reason: 'x', scope: ['arn:aws:s3:::a', 'arn:aws:s3:::a'] },
      /the same ARN is given twice/,
    ],
  ])('refuses %s', (_name, input, message) => {
    const error = refusal(() => planGrant(config, input, NOW));
    expect(error.code).toBe(GrantErrorCode.InvalidInput);
    expect(error.message).toMatch(message);
  });
});

describe('scopeArnProblem', () => {
  it.each([
    'arn:aws:s3:::my-bucket/*',
    'arn:aws:ecs:ap-southeast-2:222222222222:service/prod/api',
    'arn:aws:ec2:*:*:instance/*',
    'arn:aws:logs:ap-southeast-2:222222222222:log-group:/ecs/api:*',
  ])('accepts %s', (arn) => {
    expect(scopeArnProblem(arn, '222222222222')).toBeUndefined();
  });

  it.each([
    ['', /is not a resource ARN/],
    ['arn:aws:s3:::bucket with space', /is not a resource ARN/],
    ['arn:aws:S3:::bucket', /is not a resource ARN/],
    ['arn:aws:iam::111111111111:role/x', /names account 111111111111/],
    ['arn:aws:s3:::a"b', /quote or backslash/],
  ])('refuses %j', (arn, message) => {
    expect(scopeArnProblem(arn, '222222222222')).toMatch(message);
  });
});

describe('tagValue', () => {
  it('keeps what STS allows and replaces the rest', () => {
    expect(tagValue("restart ECS, it's stuck!")).toBe('restart ECS_ it_s stuck_');
    expect(tagValue('arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_Admin_1/alice@example.com')).toBe(
      'arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_Admin_1/alice@example.com',
    );
  });

  it('always yields a valid session tag value, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => {
        const value = tagValue(text);
        expect([...value].length).toBeLessThanOrEqual(256);
        expect(value).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
      }),
    );
  });
});

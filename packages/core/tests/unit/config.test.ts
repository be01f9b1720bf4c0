import { describe, expect, it } from 'vitest';
import { ConfigError, CoreErrorCode, findAccount, findTier, loadConfig, parseConfig } from '../../src/index.js';
import { ACCOUNTS_DIR, exampleSources } from '../support/config.js';

type Sources = ReturnType<typeof exampleSources>;

function issuesOf(mutate: (s: Sources) => void): ConfigError {
  const sources = exampleSources();
  mutate(sources);
  try {
    parseConfig(sources);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

const replace = (source: { text: string }, from: string | RegExp, to: string) => {
  const next = source.text.replace(from, to);
  expect(next, `mutation ${String(from)} did not apply`).not.toBe(source.text);
  source.text = next;
};

const production = (s: Sources) => {
  const file = s.workloads.find((w) => w.file.endsWith('production.yaml'));
  if (!file) throw new Error('example production.yaml missing');
  return file;
};

describe('loadConfig on the example accounts/', () => {
  it("loads the article's three workload accounts, a hub and a log archive", async () => {
    const config = await loadConfig(ACCOUNTS_DIR);
    expect(config.workloadAccounts.map((a) => a.id).sort()).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(config.hub.id).toBe('444444444444');
    expect(config.logArchive.id).toBe('555555555555');
    expect(config.logArchive.bucketName).toBe('jit-cloudtrail-555555555555-ap-southeast-2');
  });

  it("has the three default tiers with the article's durations", async () => {
    const config = await loadConfig(ACCOUNTS_DIR);
    expect(findTier(config, 'ops')?.minutes).toEqual({ min: 15, default: 15, max: 30 });
    expect(findTier(config, 'deploy')?.minutes).toEqual({ min: 30, default: 30, max: 60 });
    expect(findTier(config, 'security')?.minutes).toEqual({ min: 5, default: 5, max: 5 });
    expect(findTier(config, 'ops')?.roleName).toBe('AgentElevated-Ops');
  });

  it('resolves tier accounts from the workload files', async () => {
    const config = await loadConfig(ACCOUNTS_DIR);
    expect([...(findTier(config, 'deploy')?.accountIds ?? [])].sort()).toEqual(['111111111111', '222222222222']);
    expect(findAccount(config, 'production')?.id).toBe('222222222222');
    expect(findAccount(config, '333333333333')?.name).toBe('identity');
  });

  it('names the missing file when the folder has no jit.yaml', async () => {
    await expect(loadConfig('/nonexistent-folder')).rejects.toMatchObject({
      code: CoreErrorCode.ConfigNotFound,
      message: expect.stringContaining('jit.yaml'),
    });
  });
});

describe('approvers.requireMfa (decision 0008)', () => {
  const parsed = (mutate: (s: Sources) => void = () => {}) => {
    const sources = exampleSources();
    mutate(sources);
    return parseConfig(sources);
  };

  it('is set explicitly to true in the example accounts/', async () => {
    expect((await loadConfig(ACCOUNTS_DIR)).approvers.requireMfa).toBe(true);
    expect(exampleSources().org.text).toMatch(/^ {2}requireMfa: true$/m);
  });

  it('defaults to true when left out', () => {
    expect(parsed((s) => replace(s.org, /^ {2}requireMfa: true\n/m, '')).approvers.requireMfa).toBe(true);
  });

  it('accepts false', () => {
    expect(parsed((s) => replace(s.org, 'requireMfa: true', 'requireMfa: false')).approvers.requireMfa).toBe(false);
  });

  it('without it, accepts an Identity Center pattern outside its path, as before', () => {
    const config = parsed((s) => {
      replace(s.org, 'requireMfa: true', 'requireMfa: false');
      replace(
        s.org,
        'role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_JitApprover_*',
        'role/*AWSReservedSSO_JitApprover_*',
      );
    });
    expect(config.approvers.principals[0]).toBe('arn:aws:iam::444444444444:role/*AWSReservedSSO_JitApprover_*');
  });
});

describe('parseConfig refuses bad input with the file, the field and what is allowed', () => {
  const cases: [string, (s: Sources) => void, { file: string; path: string; message: RegExp }][] = [
    [
      'an account id with 11 digits',
      (s) => replace(production(s), '"222222222222"', '"22222222222"'),
      { file: 'workloads/production.yaml', path: 'id', message: /exactly 12 digits.*"22222222222"/ },
    ],
    [
      'an account id with letters',
      (s) => replace(s.org, '"444444444444"', '"44444444444x"'),
      { file: 'jit.yaml', path: 'hub.id', message: /exactly 12 digits/ },
    ],
    [
      'an unknown tier in a workload account',
      (s) => replace(production(s), 'tiers: [ops, deploy, security]', 'tiers: [ops, admin]'),
      {
        file: 'workloads/production.yaml',
        path: 'tiers.1',
        message: /unknown tier "admin"; defined tiers: ops, deploy, security/,
      },
    ],
    [
      'min greater than max',
      (s) => replace(s.tiers, '{ min: 15, default: 15, max: 30 }', '{ min: 30, default: 30, max: 15 }'),
      { file: 'tiers.yaml', path: 'tiers.ops.minutes', message: /min \(30\) is greater than max \(15\)/ },
    ],
    [
      'a security tier over 60 minutes',
      (s) => replace(s.tiers, '{ min: 5, default: 5, max: 5 }', '{ min: 5, default: 5, max: 90 }'),
      { file: 'tiers.yaml', path: 'tiers.security.minutes.max', message: /90 minutes is over 60: role chaining/ },
    ],
    [
      'a window shorter than five minutes',
      (s) => replace(s.tiers, '{ min: 5, default: 5, max: 5 }', '{ min: 1, default: 1, max: 5 }'),
      { file: 'tiers.yaml', path: 'tiers.security.minutes.min', message: /below the shortest window, 5 minutes/ },
    ],
    [
      'a default outside min..max',
      (s) => replace(s.tiers, '{ min: 15, default: 15, max: 30 }', '{ min: 15, default: 45, max: 30 }'),
      { file: 'tiers.yaml', path: 'tiers.ops.minutes.default', message: /default 45 is outside min..max \(15..30\)/ },
    ],
    [
      'fractional minutes',
      (s) => replace(s.tiers, '{ min: 15, default: 15, max: 30 }', '{ min: 15, default: 15.5, max: 30 }'),
      { file: 'tiers.yaml', path: 'tiers.ops.minutes.default', message: /int.*15\.5/ },
    ],
    [
      'a duplicate account id',
      (s) => replace(s.workloads[0] as { text: string }, /id: "\d{12}"/, 'id: "222222222222"'),
      {
        file: 'workloads/production.yaml',
        path: 'id',
        message: /duplicate account id 222222222222: already defined in workloads\/identity.yaml/,
      },
    ],
    [
      'a duplicate account name',
      (s) => replace(production(s), 'name: production', 'name: staging'),
      { file: 'workloads/staging.yaml', path: 'name', message: /duplicate account name "staging"/ },
    ],
    [
      'a workload account that is also the hub',
      (s) => replace(production(s), '"222222222222"', '"444444444444"'),
      {
        file: 'workloads/production.yaml',
        path: 'id',
        message: /duplicate account id 444444444444: already defined in jit.yaml hub/,
      },
    ],
    [
      'bad YAML',
      (s) => {
        s.tiers.text = 'tiers:\n  ops: [unclosed\n';
      },
      { file: 'tiers.yaml', path: '', message: /not valid YAML \(line \d+, column \d+\)/ },
    ],
    [
      'a duplicate YAML key',
      (s) => replace(s.org, 'region: ap-southeast-2', 'region: ap-southeast-2\nregion: us-east-1'),
      { file: 'jit.yaml', path: '', message: /not valid YAML.*unique/i },
    ],
    [
      'an unknown key, with the allowed ones',
      (s) => replace(s.org, 'region: ap-southeast-2', 'region: ap-southeast-2\nregoin: us-east-1'),
      {
        file: 'jit.yaml',
        path: 'regoin',
        message: /unknown field "regoin"; allowed fields here: region, organizationId, hub/,
      },
    ],
    [
      'an unknown key inside a tier',
      (s) => replace(s.tiers, 'roleName: AgentElevated-Ops', 'roleName: AgentElevated-Ops\n    maxMinutes: 99'),
      {
        file: 'tiers.yaml',
        path: 'tiers.ops.maxMinutes',
        message:
          /unknown field "maxMinutes"; allowed fields here: roleName, description, minutes, accounts, actions, reasonRequired/,
      },
    ],
    [
      'an unknown key in the agent identity',
      (s) => replace(s.org, 'userName: jit-agent', 'userName: jit-agent\n  password: hunter2'),
      {
        file: 'jit.yaml',
        path: 'agent.password',
        message: /unknown field "password"; allowed fields here: kind, userName/,
      },
    ],
    [
      'a bad region',
      (s) => replace(s.org, 'region: ap-southeast-2', 'region: sydney'),
      { file: 'jit.yaml', path: 'region', message: /must be an AWS region.*"sydney"/ },
    ],
    [
      'a missing region',
      (s) => replace(s.org, /^region: ap-southeast-2\n/m, ''),
      { file: 'jit.yaml', path: 'region', message: /is required/ },
    ],
    [
      'an approver that is not an IAM ARN',
      (s) => replace(s.org, '- arn:aws:iam::444444444444:role/JitApprover', '- JitApprover'),
      { file: 'jit.yaml', path: 'approvers.principals.1', message: /must be an IAM role or user ARN/ },
    ],
    [
      'no approvers',
      (s) => replace(s.org, /principals:\n(\s+- .*\n)+/, 'principals: []\n'),
      { file: 'jit.yaml', path: 'approvers.principals', message: /at least one approver/ },
    ],
    [
      'requireMfa given as yes (YAML 1.2 reads it as a string)',
      (s) => replace(s.org, 'requireMfa: true', 'requireMfa: yes'),
      { file: 'jit.yaml', path: 'approvers.requireMfa', message: /^must be true or false \(got "yes"\)$/ },
    ],
    [
      'requireMfa given as a quoted "true"',
      (s) => replace(s.org, 'requireMfa: true', 'requireMfa: "true"'),
      { file: 'jit.yaml', path: 'approvers.requireMfa', message: /^must be true or false \(got "true"\)$/ },
    ],
    [
      'requireMfa given as 1',
      (s) => replace(s.org, 'requireMfa: true', 'requireMfa: 1'),
      { file: 'jit.yaml', path: 'approvers.requireMfa', message: /^must be true or false \(got 1\)$/ },
    ],
    [
      'a misspelt requireMfa, with the allowed fields',
      (s) => replace(s.org, 'requireMfa: true', 'requireMFA: true'),
      {
        file: 'jit.yaml',
        path: 'approvers.requireMFA',
        message: /^unknown field "requireMFA"; allowed fields here: principals, requireMfa$/,
      },
    ],
    [
      'with requireMfa, an IAM Identity Center pattern outside its path (it would need MFA that IAM never records)',
      (s) =>
        replace(
          s.org,
          'role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_JitApprover_*',
          'role/*AWSReservedSSO_JitApprover_*',
        ),
      {
        file: 'jit.yaml',
        path: 'approvers.principals.0',
        message:
          /"arn:aws:iam::444444444444:role\/\*AWSReservedSSO_JitApprover_\*" names IAM Identity Center roles outside their path \/aws-reserved\/sso\.amazonaws\.com\/.*write it as arn:aws:iam::<account>:role\/aws-reserved\/sso\.amazonaws\.com\/\*\/AWSReservedSSO_/,
      },
    ],
    [
      'an unknown agent identity kind',
      (s) => replace(s.org, 'kind: iam-user', 'kind: access-keys'),
      { file: 'jit.yaml', path: 'agent.kind', message: /"iam-user" or "roles-anywhere"/ },
    ],
    [
      'a roles-anywhere agent without a trust anchor',
      (s) =>
        replace(
          s.org,
          /agent:\n {2}kind: iam-user\n {2}userName: jit-agent/,
          'agent:\n  kind: roles-anywhere\n  roleName: JitAgent\n  certificate: { commonName: agent-1 }',
        ),
      { file: 'jit.yaml', path: 'agent.certificate', message: /exactly one of caBundleFile or acmPcaArn/ },
    ],
    [
      'an organization without a management account',
      (s) => replace(s.org, '# organizationId: o-a1b2c3d4e5', 'organizationId: o-a1b2c3d4e5'),
      { file: 'jit.yaml', path: 'management', message: /needs the management account/ },
    ],
    [
      'a malformed organization id',
      (s) => replace(s.org, '# organizationId: o-a1b2c3d4e5', 'organizationId: org-1'),
      { file: 'jit.yaml', path: 'organizationId', message: /AWS Organizations id/ },
    ],
    [
      'a malformed IAM action',
      (s) => replace(s.tiers, '- ec2:StartInstances', '- StartInstances'),
      { file: 'tiers.yaml', path: 'tiers.ops.actions.1', message: /must be an IAM action/ },
    ],
    [
      'a tier without actions',
      (s) =>
        replace(s.tiers, /actions:\n(\s+- iam:.*\n|\s+- cognito.*\n|\s+- ec2:.*SecurityGroup.*\n)+/, 'actions: []\n'),
      { file: 'tiers.yaml', path: 'tiers.security.actions', message: /at least one action/ },
    ],
    [
      'two tiers with one role name',
      (s) => replace(s.tiers, 'roleName: AgentElevated-Deploy', 'roleName: AgentElevated-Ops'),
      { file: 'tiers.yaml', path: 'tiers.deploy.roleName', message: /already used by tier "ops"/ },
    ],
    [
      'a tier restricted to an unknown account',
      (s) =>
        replace(
          s.tiers,
          'description: Ship new versions, update infrastructure',
          'description: Ship new versions, update infrastructure\n    accounts: [prod]',
        ),
      { file: 'tiers.yaml', path: 'tiers.deploy.accounts.0', message: /unknown workload account "prod"; known: / },
    ],
    [
      'a workload account using a tier not allowed for it',
      (s) =>
        replace(
          s.tiers,
          'description: Ship new versions, update infrastructure',
          'description: Ship new versions, update infrastructure\n    accounts: [production]',
        ),
      { file: 'workloads/staging.yaml', path: 'tiers.1', message: /tier "deploy" is not allowed for this account/ },
    ],
    [
      'an upper-case tier name',
      (s) => replace(s.tiers, '  ops:\n', '  Ops:\n'),
      { file: 'tiers.yaml', path: 'tiers.Ops', message: /lower-case/ },
    ],
    [
      'a workload without tiers',
      (s) => replace(production(s), 'tiers: [ops, deploy, security]', 'tiers: []'),
      { file: 'workloads/production.yaml', path: 'tiers', message: /at least one tier/ },
    ],
    [
      'a webhook with a non-http URL',
      (s) =>
        replace(
          s.org,
          '  - kind: sns\n    topicName: jit-notifications',
          '  - kind: webhook\n    url: ftp://example.com/hook\n    secret: { env: JIT_WEBHOOK_SECRET }',
        ),
      { file: 'jit.yaml', path: 'notifications.0.url', message: /http\(s\) URL/ },
    ],
    [
      'a log retention of zero days',
      (s) => replace(s.org, 'retentionDays: 365', 'retentionDays: 0'),
      { file: 'jit.yaml', path: 'logArchive.retentionDays', message: /(>=|at least) ?1/ },
    ],
  ];

  it.each(cases)('refuses %s', (_name, mutate, expected) => {
    const error = issuesOf(mutate);
    expect(error.code).toBe(CoreErrorCode.ConfigInvalid);
    const match = error.issues.find((i) => i.file === expected.file && i.path === expected.path);
    expect(match, `issues were: ${JSON.stringify(error.issues)}`).toBeDefined();
    expect(match?.message).toMatch(expected.message);
    expect(error.message).toContain(expected.file);
  });

  it('has at least 20 refusal cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it('reports every problem at once, across files', () => {
    const error = issuesOf((s) => {
      replace(s.org, 'region: ap-southeast-2', 'region: nowhere');
      replace(s.tiers, '{ min: 5, default: 5, max: 5 }', '{ min: 5, default: 5, max: 90 }');
      replace(production(s), '"222222222222"', '"2"');
    });
    // Schema problems stop before the cross-checks; each file still reports its own.
    expect(error.issues.map((i) => `${i.file}:${i.path}`)).toEqual(
      expect.arrayContaining(['jit.yaml:region', 'workloads/production.yaml:id']),
    );
  });

  it('refuses a folder with no workload accounts', () => {
    const error = issuesOf((s) => {
      s.workloads = [];
    });
    expect(error.issues[0]?.message).toMatch(/no workload accounts/);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type JitConfig, placeholderSecretString, secretName } from '@jit-access/core';
import { App, type Environment } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HubStack, type HubStackProps } from '../../src/index.js';
import { exampleConfig, FIXTURES_DIR, withRolesAnywhere } from '../support/fixtures.js';

let config: JitConfig;
let template: Template;

function hub(props: Omit<HubStackProps, 'env'>, env?: Environment): HubStack {
  return new HubStack(new App(), 'Jit-Hub', {
    ...props,
    env: env ?? { account: props.config.hub.id, region: props.config.region },
  });
}

beforeAll(async () => {
  config = await exampleConfig();
  template = Template.fromStack(hub({ config }));
});

describe('HubStack', () => {
  it('creates one secret per workload account, named agent/elevated/<id>, holding the placeholder', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', config.workloadAccounts.length);
    for (const account of config.workloadAccounts) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: secretName(account.id),
        SecretString: placeholderSecretString(),
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentSecretsKey'), 'Arn'] },
      });
    }
  });

  it('guards every secret with a resource policy that blocks public policies', () => {
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', config.workloadAccounts.length);
    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      BlockPublicPolicy: true,
      ResourcePolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'OnlyTheAgentReads', Effect: 'Deny' }),
          Match.objectLike({ Sid: 'OnlyTheCurrentStageIsReadable', Effect: 'Deny' }),
          Match.objectLike({ Sid: 'NoReadsByVersionId', Effect: 'Deny' }),
        ]),
      },
    });
  });

  it('gives the agent user its base policy through a group, never inline', () => {
    template.hasResourceProperties('AWS::IAM::User', {
      UserName: 'jit-agent',
      Groups: [{ Ref: Match.stringLikeRegexp('^AgentGroup') }],
    });
    const user = Object.values(template.findResources('AWS::IAM::User'))[0] as { Properties: Record<string, unknown> };
    expect(user.Properties.Policies).toBeUndefined();
    expect(user.Properties.ManagedPolicyArns).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'JitAgentBase',
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: 'secretsmanager:GetSecretValue' }),
          Match.objectLike({ Action: ['cloudtrail:LookupEvents', 'sts:GetCallerIdentity'] }),
        ],
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  it('lets the agent decrypt with the secrets key only through Secrets Manager', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AgentDecryptsOnlyThroughSecretsManager',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentUser'), 'Arn'] } },
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${config.region}.amazonaws.com` } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/jit-agent-secrets' });
  });

  it('encrypts the notification topic with its own key and requires TLS to publish', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'jit-notifications',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("creates the approvers' managed policy with the assume rights per tier, narrowed to the tier's accounts", () => {
    const ops = config.tiers.find((t) => t.name === 'ops');
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'JitApprover',
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AssumeTierOps',
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
            Resource: 'arn:aws:iam::*:role/AgentElevated-Ops',
            Condition: { StringEquals: { 'aws:ResourceAccount': ops?.accountIds } },
          }),
          Match.objectLike({ Sid: 'NeverReadAgentCredentials', Effect: 'Deny' }),
          Match.objectLike({ Sid: 'NeverTouchAuditTrail', Effect: 'Deny' }),
        ]),
      },
    });
  });

  it('creates a Roles Anywhere trust anchor, profile and role bound to the anchor and the certificate subject', () => {
    const ra = withRolesAnywhere(config);
    const pem = readFileSync(path.join(FIXTURES_DIR, 'agent-ca.pem'), 'utf8');
    const t = Template.fromStack(hub({ config: ra, caBundlePem: pem }));
    t.hasResourceProperties('AWS::RolesAnywhere::TrustAnchor', {
      Source: { SourceType: 'CERTIFICATE_BUNDLE', SourceData: { X509CertificateData: pem } },
    });
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'JitAgentRole',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'rolesanywhere.amazonaws.com' },
            Condition: {
              ArnEquals: {
                'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentTrustAnchor'), 'TrustAnchorArn'] },
              },
              StringEquals: { 'aws:PrincipalTag/x509Subject/CN': 'jit-agent.example.internal' },
            },
          }),
        ],
      },
    });
    t.resourceCountIs('AWS::RolesAnywhere::Profile', 1);
    t.resourceCountIs('AWS::IAM::User', 0);
  });

  it('splits the agent base policy across managed policies when 200 accounts outgrow one', () => {
    const many: JitConfig = {
      ...config,
      workloadAccounts: Array.from({ length: 200 }, (_, i) => ({
        id: String(100000000000 + i),
        name: `w${i}`,
        tiers: ['ops'],
      })),
    };
    const t = Template.fromStack(hub({ config: many }));
    const agentPolicies = Object.values(t.findResources('AWS::IAM::ManagedPolicy')).filter((r) =>
      String((r as { Properties: { ManagedPolicyName: string } }).Properties.ManagedPolicyName).startsWith(
        'JitAgentBase',
      ),
    );
    expect(agentPolicies.length).toBeGreaterThan(1);
    for (const p of agentPolicies) {
      expect(
        JSON.stringify((p as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument).length,
      ).toBeLessThanOrEqual(6144);
    }
  });

  it('lets the approvers read a webhook signing secret named in the configuration, and nothing else', () => {
    const webhook: JitConfig = {
      ...config,
      notifications: [
        ...config.notifications,
        {
          kind: 'webhook',
          url: 'https://hooks.example.com/jit',
          secret: { secretId: 'jit/webhook-signing' },
          timeoutMs: 5000,
          retries: 2,
        },
      ],
    };
    Template.fromStack(hub({ config: webhook })).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'JitApprover',
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'ReadNotificationSigningSecrets',
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: [`arn:aws:secretsmanager:${config.region}:${config.hub.id}:secret:jit/webhook-signing-??????`],
          },
        ]),
      },
    });
  });

  it('fails when a notification secret lives among the agent secrets', () => {
    const clash: JitConfig = {
      ...config,
      notifications: [{ kind: 'slack', webhookUrl: { secretId: 'agent/elevated/slack' }, timeoutMs: 5000 }],
    };
    expect(() => hub({ config: clash })).toThrow(
      /config\.notifications: the notification secret .*agent\/elevated\/slack.* is under agent\/elevated\//,
    );
  });

  it('fails when the stack is not deployed into the hub account', () => {
    expect(() => hub({ config }, { account: '111111111111', region: config.region })).toThrow(
      /Jit-Hub: invalid props \(1 problem\):\n {2}- env\.account: 111111111111 is not the hub account 444444444444/,
    );
  });

  it('fails when an approver pattern would match the agent itself, naming the pattern', () => {
    const selfApproving: JitConfig = {
      ...config,
      approvers: { ...config.approvers, principals: ['arn:aws:iam::444444444444:user/*'] },
    };
    expect(() => hub({ config: selfApproving })).toThrow(
      /config\.approvers\.principals: "arn:aws:iam::444444444444:user\/\*" matches the agent's own identity/,
    );
  });

  it('fails for a Roles Anywhere agent whose CA bundle was not passed, and collects every problem in one error', () => {
    const ra = withRolesAnywhere(config);
    let error: unknown;
    try {
      hub({ config: ra }, { account: '111111111111', region: 'eu-west-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'STACK_PROPS_INVALID' });
    expect(String((error as Error).message)).toMatch(/3 problems/);
    expect(String((error as Error).message)).toMatch(/caBundlePem: required/);
    expect(String((error as Error).message)).toMatch(/env\.region: eu-west-1 is not the configured region/);
  });

  it('fails when a deployment principal is not a role ARN', () => {
    expect(() => hub({ config, deploymentPrincipalArns: ['cdk-exec'] })).toThrow(
      /deploymentPrincipalArns: "cdk-exec" is not an IAM role ARN/,
    );
  });
});

import type { PolicyDocument } from '@jit-access/core';
import { StacksError, StacksErrorCode } from '../errors.js';
import { type CfnResourceJson, type ResolveEnv, resolve } from './cfnResolve.js';
import type { StackTemplate } from './templates.js';

/** An IAM role or user as the synthesized templates define it, with every policy that applies to it. */
export interface PrincipalModel {
  readonly kind: 'role' | 'user';
  readonly arn: string;
  readonly account: string;
  readonly name: string;
  readonly stackName: string;
  readonly identityPolicies: readonly PolicyDocument[];
  readonly boundary?: PolicyDocument;
  readonly trustPolicy?: PolicyDocument;
}

/** A resource-based policy: a secret's, a key's, a bucket's, a topic's, a queue's. */
export interface ResourcePolicyModel {
  readonly kind: 'secret' | 'key' | 'bucket' | 'topic' | 'queue';
  /** The resource's ARN (a bucket's covers its objects too). */
  readonly arn: string;
  readonly account: string;
  readonly stackName: string;
  readonly policy: PolicyDocument;
  /** For keys: their aliases (what `kms:ResourceAliases` carries). */
  readonly aliases: readonly string[];
}

export interface ManagedPolicyModel {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly stackName: string;
  readonly document: PolicyDocument;
}

function asDocument(value: unknown, where: string): PolicyDocument {
  const doc = value as PolicyDocument;
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.Statement)) {
    throw new StacksError(StacksErrorCode.TemplateUnresolvable, `${where} is not a policy document`);
  }
  return doc;
}

function list(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * The IAM world the templates describe, with every intrinsic resolved: principals and the policies
 * that apply to them, managed policies, resource policies. Built from the synthesized templates,
 * never from the model that produced them, so the gates check what would be deployed.
 */
export class IamModel {
  readonly principals: PrincipalModel[] = [];
  readonly resourcePolicies: ResourcePolicyModel[] = [];
  readonly managedPolicies: ManagedPolicyModel[] = [];
  /** Every resolved stack, by name: resources with their properties resolved on demand. */
  readonly stacks = new Map<string, { readonly env: ResolveEnv; readonly template: StackTemplate }>();

  /**
   * @param templates every synthesized stack
   * @param options.agnosticAccount the account to resolve environment-agnostic templates (the
   *   StackSet) in; such templates are skipped without it
   */
  static fromTemplates(
    templates: readonly StackTemplate[],
    options: { readonly agnosticAccount?: string; readonly defaultRegion: string },
  ): IamModel {
    const model = new IamModel();
    const envs: { env: ResolveEnv; template: StackTemplate }[] = [];
    for (const t of templates) {
      const account = t.account ?? options.agnosticAccount;
      if (account === undefined) continue;
      envs.push({
        template: t,
        env: {
          stackName: t.stackName,
          account,
          region: t.region ?? options.defaultRegion,
          resources: t.template.Resources ?? {},
        },
      });
    }
    // Exports first: Fn::ImportValue in one stack reads another stack's outputs.
    const exports = new Map<string, unknown>();
    for (const { env, template } of envs) {
      for (const [name, output] of Object.entries(template.template.Outputs ?? {})) {
        if (output.Export === undefined) continue;
        const path = `${env.stackName}.Outputs.${name}`;
        exports.set(String(resolve(output.Export.Name, env, path)), resolve(output.Value, env, path));
      }
    }
    for (const entry of envs) {
      const env = { ...entry.env, exports };
      model.stacks.set(env.stackName, { env, template: entry.template });
      model.load(env);
    }
    return model;
  }

  private load(env: ResolveEnv): void {
    const resources = Object.entries(env.resources);
    const props = (id: string, r: CfnResourceJson, name: string): unknown =>
      resolve(r.Properties?.[name], env, `${env.stackName}.${id}.${name}`);

    // Managed policies by ARN, and which principals they are attached to from the policy's side.
    const managedByArn = new Map<string, ManagedPolicyModel>();
    const attachedFromPolicy = new Map<string, PolicyDocument[]>();
    const attach = (key: string, doc: PolicyDocument): void => {
      const docs = attachedFromPolicy.get(key) ?? [];
      docs.push(doc);
      attachedFromPolicy.set(key, docs);
    };
    for (const [id, r] of resources) {
      if (r.Type === 'AWS::IAM::ManagedPolicy') {
        const arn = String(resolve({ Ref: id }, env));
        const document = asDocument(props(id, r, 'PolicyDocument'), `${env.stackName}.${id}`);
        const policy: ManagedPolicyModel = {
          arn,
          name: arn.split('/').pop() ?? id,
          account: env.account,
          stackName: env.stackName,
          document,
        };
        managedByArn.set(arn, policy);
        this.managedPolicies.push(policy);
        for (const role of list(props(id, r, 'Roles'))) attach(`role:${role}`, document);
        for (const user of list(props(id, r, 'Users'))) attach(`user:${user}`, document);
        for (const group of list(props(id, r, 'Groups'))) attach(`group:${group}`, document);
      } else if (r.Type === 'AWS::IAM::Policy') {
        const document = asDocument(props(id, r, 'PolicyDocument'), `${env.stackName}.${id}`);
        for (const role of list(props(id, r, 'Roles'))) attach(`role:${role}`, document);
        for (const user of list(props(id, r, 'Users'))) attach(`user:${user}`, document);
        for (const group of list(props(id, r, 'Groups'))) attach(`group:${group}`, document);
      }
    }
    const managed = (arns: unknown, where: string): PolicyDocument[] =>
      list(arns).map((arn) => {
        const policy = managedByArn.get(String(arn));
        if (!policy) {
          throw new StacksError(
            StacksErrorCode.TemplateUnresolvable,
            `${where} attaches ${String(arn)}, which is not defined in the same template: the gates cannot see what it allows`,
          );
        }
        return policy.document;
      });
    const inline = (id: string, r: CfnResourceJson): PolicyDocument[] =>
      list(props(id, r, 'Policies')).map((p, i) =>
        asDocument((p as { PolicyDocument?: unknown }).PolicyDocument, `${env.stackName}.${id}.Policies[${i}]`),
      );
    const boundaryOf = (id: string, r: CfnResourceJson): PolicyDocument | undefined => {
      const arn = props(id, r, 'PermissionsBoundary');
      if (arn === undefined) return undefined;
      return managed(arn, `${env.stackName}.${id}.PermissionsBoundary`)[0];
    };

    // Groups, so users inherit their policies.
    const groups = new Map<string, PolicyDocument[]>();
    for (const [id, r] of resources) {
      if (r.Type !== 'AWS::IAM::Group') continue;
      const name = String(resolve({ Ref: id }, env));
      groups.set(name, [
        ...managed(props(id, r, 'ManagedPolicyArns'), `${env.stackName}.${id}`),
        ...inline(id, r),
        ...(attachedFromPolicy.get(`group:${name}`) ?? []),
      ]);
    }

    for (const [id, r] of resources) {
      if (r.Type === 'AWS::IAM::Role') {
        const name = String(resolve({ Ref: id }, env));
        const boundary = boundaryOf(id, r);
        this.principals.push({
          kind: 'role',
          arn: String(resolve({ 'Fn::GetAtt': [id, 'Arn'] }, env)),
          account: env.account,
          name,
          stackName: env.stackName,
          identityPolicies: [
            ...managed(props(id, r, 'ManagedPolicyArns'), `${env.stackName}.${id}`),
            ...inline(id, r),
            ...(attachedFromPolicy.get(`role:${name}`) ?? []),
          ],
          ...(boundary ? { boundary } : {}),
          trustPolicy: asDocument(
            props(id, r, 'AssumeRolePolicyDocument'),
            `${env.stackName}.${id}.AssumeRolePolicyDocument`,
          ),
        });
      } else if (r.Type === 'AWS::IAM::User') {
        const name = String(resolve({ Ref: id }, env));
        const boundary = boundaryOf(id, r);
        this.principals.push({
          kind: 'user',
          arn: String(resolve({ 'Fn::GetAtt': [id, 'Arn'] }, env)),
          account: env.account,
          name,
          stackName: env.stackName,
          identityPolicies: [
            ...managed(props(id, r, 'ManagedPolicyArns'), `${env.stackName}.${id}`),
            ...inline(id, r),
            ...(attachedFromPolicy.get(`user:${name}`) ?? []),
            ...list(props(id, r, 'Groups')).flatMap((g) => groups.get(String(g)) ?? []),
          ],
          ...(boundary ? { boundary } : {}),
        });
      }
    }

    // Resource policies.
    const aliases = new Map<string, string[]>();
    for (const [id, r] of resources) {
      if (r.Type !== 'AWS::KMS::Alias') continue;
      const target = String(props(id, r, 'TargetKeyId'));
      aliases.set(target, [...(aliases.get(target) ?? []), String(props(id, r, 'AliasName'))]);
    }
    const add = (
      kind: ResourcePolicyModel['kind'],
      arn: string,
      policy: unknown,
      where: string,
      keyAliases: string[] = [],
    ) => {
      this.resourcePolicies.push({
        kind,
        arn,
        account: env.account,
        stackName: env.stackName,
        policy: asDocument(policy, where),
        aliases: keyAliases,
      });
    };
    for (const [id, r] of resources) {
      const where = `${env.stackName}.${id}`;
      switch (r.Type) {
        case 'AWS::KMS::Key': {
          const keyId = String(resolve({ Ref: id }, env));
          add(
            'key',
            String(resolve({ 'Fn::GetAtt': [id, 'Arn'] }, env)),
            props(id, r, 'KeyPolicy'),
            where,
            aliases.get(keyId) ?? [],
          );
          break;
        }
        case 'AWS::SecretsManager::ResourcePolicy':
          add('secret', String(props(id, r, 'SecretId')), props(id, r, 'ResourcePolicy'), where);
          break;
        case 'AWS::S3::BucketPolicy':
          add('bucket', `arn:aws:s3:::${String(props(id, r, 'Bucket'))}`, props(id, r, 'PolicyDocument'), where);
          break;
        case 'AWS::SNS::TopicPolicy':
          for (const topic of list(props(id, r, 'Topics')))
            add('topic', String(topic), props(id, r, 'PolicyDocument'), where);
          break;
        case 'AWS::SQS::QueuePolicy':
          for (const url of list(props(id, r, 'Queues'))) {
            const [, , host, account, name] = String(url).split('/');
            const region = host?.split('.')[1] ?? env.region;
            add('queue', `arn:aws:sqs:${region}:${account}:${name}`, props(id, r, 'PolicyDocument'), where);
          }
          break;
        default:
          break;
      }
    }
  }

  principal(arn: string): PrincipalModel | undefined {
    return this.principals.find((p) => p.arn === arn);
  }

  requirePrincipal(arn: string): PrincipalModel {
    const found = this.principal(arn);
    if (!found) {
      throw new StacksError(
        StacksErrorCode.TemplateUnresolvable,
        `no template defines ${arn}; defined: ${this.principals.map((p) => p.arn).join(', ')}`,
      );
    }
    return found;
  }

  /** The resource policy that applies to a request on `resourceArn`, if the templates define one. */
  resourcePolicyFor(resourceArn: string): ResourcePolicyModel | undefined {
    return this.resourcePolicies.find((r) =>
      r.kind === 'bucket' ? resourceArn === r.arn || resourceArn.startsWith(`${r.arn}/`) : resourceArn === r.arn,
    );
  }

  managedPolicy(account: string, name: string): ManagedPolicyModel | undefined {
    return this.managedPolicies.find((p) => p.account === account && p.name === name);
  }
}

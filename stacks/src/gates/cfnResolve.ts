import { StacksError, StacksErrorCode } from '../errors.js';

/** A CloudFormation template as JSON. */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnResourceJson>>;
  readonly Outputs?: Readonly<
    Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>
  >;
  readonly [key: string]: unknown;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** What the resolver knows about where a template is deployed. */
export interface ResolveEnv {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly partition?: string;
  readonly resources: Readonly<Record<string, CfnResourceJson>>;
  /** Exported values of other stacks, by export name (for Fn::ImportValue). */
  readonly exports?: ReadonlyMap<string, unknown>;
}

/** The random suffix Secrets Manager appends to secret names; a fixed stand-in, so tests can name the ARN. */
export const SECRET_SUFFIX = 'AbCdEf';

function fail(path: string, what: string): never {
  throw new StacksError(
    StacksErrorCode.TemplateUnresolvable,
    `cannot resolve ${what} at ${path}: the template reader resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and Fn::ImportValue over the resource types the stacks use`,
    { suggestion: 'extend stacks/src/gates/cfnResolve.ts for the new resource type or intrinsic' },
  );
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `a non-string value (${JSON.stringify(value)})`);
  return value;
}

function prop(env: ResolveEnv, logicalId: string, name: string, path: string): string | undefined {
  const resource = env.resources[logicalId];
  const value = resource?.Properties?.[name];
  return value === undefined ? undefined : str(resolve(value, env, `${path}(${logicalId}.${name})`), path);
}

function iamArn(
  env: ResolveEnv,
  kind: 'role' | 'user' | 'group' | 'policy',
  logicalId: string,
  nameProp: string,
  path: string,
): string {
  const name = prop(env, logicalId, nameProp, path) ?? logicalId;
  const iamPath = prop(env, logicalId, 'Path', path) ?? '/';
  return `arn:${env.partition ?? 'aws'}:iam::${env.account}:${kind}${iamPath}${name}`;
}

/** What `Ref` returns for a resource (per CloudFormation's documented return values). */
function refOf(env: ResolveEnv, logicalId: string, path: string): string {
  const resource = env.resources[logicalId];
  if (!resource) fail(path, `Ref to unknown resource "${logicalId}"`);
  const p = env.partition ?? 'aws';
  switch (resource.Type) {
    case 'AWS::IAM::ManagedPolicy':
      return iamArn(env, 'policy', logicalId, 'ManagedPolicyName', path);
    case 'AWS::IAM::Role':
      return prop(env, logicalId, 'RoleName', path) ?? logicalId;
    case 'AWS::IAM::User':
      return prop(env, logicalId, 'UserName', path) ?? logicalId;
    case 'AWS::IAM::Group':
      return prop(env, logicalId, 'GroupName', path) ?? logicalId;
    case 'AWS::KMS::Key':
      return `key-${logicalId}`;
    case 'AWS::KMS::Alias':
      return str(prop(env, logicalId, 'AliasName', path), path);
    case 'AWS::S3::Bucket':
      return prop(env, logicalId, 'BucketName', path) ?? logicalId.toLowerCase();
    case 'AWS::SecretsManager::Secret':
      return `arn:${p}:secretsmanager:${env.region}:${env.account}:secret:${prop(env, logicalId, 'Name', path) ?? logicalId}-${SECRET_SUFFIX}`;
    case 'AWS::SNS::Topic':
      return `arn:${p}:sns:${env.region}:${env.account}:${prop(env, logicalId, 'TopicName', path) ?? logicalId}`;
    case 'AWS::SQS::Queue':
      return `https://sqs.${env.region}.amazonaws.com/${env.account}/${prop(env, logicalId, 'QueueName', path) ?? logicalId}`;
    case 'AWS::Logs::LogGroup':
      return prop(env, logicalId, 'LogGroupName', path) ?? logicalId;
    case 'AWS::Lambda::Function':
      return prop(env, logicalId, 'FunctionName', path) ?? logicalId;
    case 'AWS::CloudTrail::Trail':
      return prop(env, logicalId, 'TrailName', path) ?? logicalId;
    case 'AWS::Events::Rule':
      return prop(env, logicalId, 'Name', path) ?? logicalId;
    case 'AWS::SES::EmailIdentity':
      return str(prop(env, logicalId, 'EmailIdentity', path), path);
    default:
      return fail(path, `Ref to a ${resource.Type}`);
  }
}

/** What `Fn::GetAtt` returns, for the attributes the stacks use. */
function getAtt(env: ResolveEnv, logicalId: string, attribute: string, path: string): string {
  const resource = env.resources[logicalId];
  if (!resource) fail(path, `Fn::GetAtt of unknown resource "${logicalId}"`);
  const p = env.partition ?? 'aws';
  const key = `${resource.Type}.${attribute}`;
  switch (key) {
    case 'AWS::IAM::Role.Arn':
      return iamArn(env, 'role', logicalId, 'RoleName', path);
    case 'AWS::IAM::User.Arn':
      return iamArn(env, 'user', logicalId, 'UserName', path);
    case 'AWS::IAM::Group.Arn':
      return iamArn(env, 'group', logicalId, 'GroupName', path);
    case 'AWS::KMS::Key.Arn':
      return `arn:${p}:kms:${env.region}:${env.account}:key/${refOf(env, logicalId, path)}`;
    case 'AWS::KMS::Key.KeyId':
      return refOf(env, logicalId, path);
    case 'AWS::S3::Bucket.Arn':
      return `arn:${p}:s3:::${refOf(env, logicalId, path)}`;
    case 'AWS::SQS::Queue.Arn':
      return `arn:${p}:sqs:${env.region}:${env.account}:${prop(env, logicalId, 'QueueName', path) ?? logicalId}`;
    case 'AWS::SNS::Topic.TopicArn':
      return refOf(env, logicalId, path);
    case 'AWS::Lambda::Function.Arn':
      return `arn:${p}:lambda:${env.region}:${env.account}:function:${refOf(env, logicalId, path)}`;
    case 'AWS::Logs::LogGroup.Arn':
      return `arn:${p}:logs:${env.region}:${env.account}:log-group:${refOf(env, logicalId, path)}:*`;
    case 'AWS::Events::Rule.Arn':
      return `arn:${p}:events:${env.region}:${env.account}:rule/${refOf(env, logicalId, path)}`;
    case 'AWS::RolesAnywhere::TrustAnchor.TrustAnchorArn':
      return `arn:${p}:rolesanywhere:${env.region}:${env.account}:trust-anchor/${logicalId}`;
    case 'AWS::RolesAnywhere::Profile.ProfileArn':
      return `arn:${p}:rolesanywhere:${env.region}:${env.account}:profile/${logicalId}`;
    case 'AWS::CloudTrail::Trail.Arn':
      return `arn:${p}:cloudtrail:${env.region}:${env.account}:trail/${refOf(env, logicalId, path)}`;
    default:
      return fail(path, `Fn::GetAtt ${logicalId}.${attribute} (${resource.Type})`);
  }
}

function pseudo(env: ResolveEnv, name: string, path: string): string | undefined {
  switch (name) {
    case 'AWS::AccountId':
      return env.account;
    case 'AWS::Region':
      return env.region;
    case 'AWS::Partition':
      return env.partition ?? 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return env.stackName;
    case 'AWS::NoValue':
      return undefined;
    default:
      return name.startsWith('AWS::') ? fail(path, `pseudo parameter ${name}`) : undefined;
  }
}

function sub(template: string, vars: Record<string, unknown>, env: ResolveEnv, path: string): string {
  return template.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
    if (name in vars) return str(resolve(vars[name], env, path), path);
    const p = pseudo(env, name, path);
    if (p !== undefined) return p;
    const [id, attribute] = name.split('.');
    if (id !== undefined && attribute !== undefined) return getAtt(env, id, attribute, path);
    if (id !== undefined) return refOf(env, id, path);
    return fail(path, `Fn::Sub variable \${${name}}`);
  });
}

/**
 * Resolves the intrinsic functions of a template value to plain JSON, the way CloudFormation
 * would at deploy time (with stand-ins for values only AWS can know, such as key ids). Throws on
 * anything it does not know rather than guessing: a policy the gates cannot read must fail them.
 */
export function resolve(value: unknown, env: ResolveEnv, path = '$'): unknown {
  if (Array.isArray(value)) {
    return value.map((v, i) => resolve(v, env, `${path}[${i}]`)).filter((v) => v !== undefined);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0] as [string, unknown];
    switch (fn) {
      case 'Ref': {
        const name = str(arg, path);
        if (name.startsWith('AWS::')) return pseudo(env, name, path);
        return refOf(env, name, path);
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : str(arg, path).split('.');
        return getAtt(env, str(id, path), str(attribute, path), path);
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg) || arg.length !== 2) fail(path, 'a malformed Fn::Join');
        const [separator, items] = arg as [unknown, unknown];
        const list = resolve(items, env, path);
        if (!Array.isArray(list)) fail(path, 'Fn::Join of a non-list');
        return list.map((v) => str(v, path)).join(str(separator, path));
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return sub(arg, {}, env, path);
        if (Array.isArray(arg) && arg.length === 2) {
          return sub(str(arg[0], path), (arg[1] ?? {}) as Record<string, unknown>, env, path);
        }
        return fail(path, 'a malformed Fn::Sub');
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolve(list, env, path);
        const i = Number(resolve(index, env, path));
        if (!Array.isArray(items) || !(i >= 0 && i < items.length)) fail(path, 'Fn::Select out of range');
        return items[i];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [unknown, unknown];
        return str(resolve(source, env, path), path).split(str(separator, path));
      }
      case 'Fn::ImportValue': {
        const name = str(resolve(arg, env, path), path);
        if (!env.exports?.has(name)) fail(path, `Fn::ImportValue of "${name}", which no stack exports`);
        return env.exports.get(name);
      }
      default:
        if (fn.startsWith('Fn::') || fn === 'Condition') return fail(path, fn);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, env, `${path}.${k}`)]));
}

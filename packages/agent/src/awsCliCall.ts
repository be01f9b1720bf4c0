import path from 'node:path';

/** AWS CLI service names whose IAM prefix differs. */
const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  s3api: 's3',
  elbv2: 'elasticloadbalancing',
  elb: 'elasticloadbalancing',
  'cognito-idp': 'cognito-idp',
  secretsmanager: 'secretsmanager',
  stepfunctions: 'states',
  configservice: 'config',
  cloudwatch: 'cloudwatch',
};

// Global options of the AWS CLI that take a value (they may stand before the service name).
const OPTIONS_WITH_VALUE = new Set([
  '--region',
  '--output',
  '--query',
  '--profile',
  '--endpoint-url',
  '--color',
  '--ca-bundle',
  '--cli-read-timeout',
  '--cli-connect-timeout',
  '--cli-binary-format',
]);

/**
 * The API call an `aws <service> <operation> …` command makes, as `service:Operation`
 * (`aws ec2 describe-instances` → `ec2:DescribeInstances`), so that the self-report journal can
 * say which calls the agent meant to make and the audit can compare them with CloudTrail. Only a
 * best effort: high-level commands (`aws s3 cp`), wizards and aliases give undefined, and a
 * paginated command may make the call more than once.
 */
export function awsCliCall(command: readonly string[]): string | undefined {
  const [program, ...args] = command;
  if (program === undefined || path.basename(program) !== 'aws') return undefined;
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const arg = args[i] ?? '';
    if (arg.startsWith('--')) {
      if (OPTIONS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    words.push(arg);
  }
  const [service, operation] = words;
  if (service === undefined || operation === undefined || service === 's3') return undefined;
  if (!/^[a-z0-9-]+$/.test(service) || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(operation)) return undefined;
  const action = operation
    .split('-')
    .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
    .join('');
  return `${SERVICE_PREFIX[service] ?? service}:${action}`;
}

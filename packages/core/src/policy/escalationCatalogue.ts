/**
 * Public privilege-escalation paths in AWS IAM, as catalogued by Rhino Security Labs ("AWS IAM
 * Privilege Escalation – Methods and Mitigation", 21 methods), Bishop Fox's iam-vulnerable
 * (31 paths), Stratus Red Team's persistence techniques and pathfinding.cloud. Each path lists the
 * enabling calls that must be denied to an elevated session; a path is closed only when every
 * check is denied for every tier. `{account}` stands for the workload account under test.
 *
 * This is data, not code: tests run each check through IAM simulation on the synthesized
 * policies (packages/core tests on the model, stacks tests on the templates).
 */
export interface EscalationCheck {
  readonly action: string;
  readonly resource: string;
  /** Request context (condition keys) for the simulated call. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export interface EscalationPath {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly checks: readonly EscalationCheck[];
}

const RHINO = 'Rhino Security Labs, AWS IAM privilege escalation methods';
const BISHOP = 'Bishop Fox, iam-vulnerable';
const STRATUS = 'Stratus Red Team';
const PATHFINDING = 'pathfinding.cloud';

const role = (name: string) => `arn:aws:iam::{account}:role/${name}`;
const user = (name: string) => `arn:aws:iam::{account}:user/${name}`;
const ADMIN_ROLE = role('Administrator');
const NO_BOUNDARY = {};
const FOREIGN_BOUNDARY = { 'iam:PermissionsBoundary': 'arn:aws:iam::{account}:policy/AllowEverything' };

const WITH_BOUNDARY = { 'iam:PermissionsBoundary': 'arn:aws:iam::{account}:policy/JitWorkloadBoundary' };

export const ESCALATION_CATALOGUE: readonly EscalationPath[] = [
  {
    id: 'iam-create-backdoor-role-with-boundary',
    title: 'Create a role that carries the boundary but trusts an outside account, off the passable path',
    source: STRATUS,
    checks: [{ action: 'iam:CreateRole', resource: role('backdoor'), context: WITH_BOUNDARY }],
  },
  {
    id: 'iam-attach-admin-to-boundary-role',
    title: 'Attach AdministratorAccess to a role that carries the boundary',
    source: PATHFINDING,
    checks: [
      {
        action: 'iam:AttachRolePolicy',
        resource: 'arn:aws:iam::{account}:role/jit-workload/app',
        context: { ...WITH_BOUNDARY, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
      },
    ],
  },
  {
    id: 'iam-inline-policy-on-boundary-role',
    title: 'Write an inline policy on a role that carries the boundary',
    source: PATHFINDING,
    checks: [
      { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::{account}:role/jit-workload/app', context: WITH_BOUNDARY },
    ],
  },
  {
    id: 'iam-author-platform-policy',
    title: 'Write a permissive policy onto the platform-managed path, then attach it',
    source: PATHFINDING,
    checks: [{ action: 'iam:CreatePolicy', resource: 'arn:aws:iam::{account}:policy/jit-workload/evil' }],
  },
  {
    id: 's3-backdoor-bucket-policy',
    title: 'Open a bucket to an outside account with a bucket policy',
    source: STRATUS,
    checks: [{ action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::app-data' }],
  },
  {
    id: 'ecr-backdoor-repository-policy',
    title: 'Open an image repository to an outside account',
    source: PATHFINDING,
    checks: [{ action: 'ecr:SetRepositoryPolicy', resource: 'arn:aws:ecr:ap-southeast-2:{account}:repository/app' }],
  },
  {
    id: 'cdk-assets-tampering',
    title: 'Replace a CDK asset the admin deployment role will execute',
    source: PATHFINDING,
    checks: [
      { action: 's3:PutObject', resource: 'arn:aws:s3:::cdk-hnb659fds-assets-{account}-ap-southeast-2/asset.zip' },
    ],
  },
  {
    id: 'ec2-tag-for-exec',
    title: 'Tag an instance as open to SSM commands, then run one to take its instance profile',
    source: PATHFINDING,
    checks: [
      {
        action: 'ec2:CreateTags',
        resource: 'arn:aws:ec2:ap-southeast-2:{account}:instance/i-0123456789abcdef0',
        context: { 'aws:TagKeys': ['jit:exec-allowed'] },
      },
    ],
  },
  {
    id: 'sts-assume-root',
    title: 'Take a root session of a member account',
    source: PATHFINDING,
    checks: [{ action: 'sts:AssumeRoot', resource: '*' }],
  },
  {
    id: 'iam-reactivate-access-key',
    title: "Re-activate another user's disabled access key",
    source: PATHFINDING,
    checks: [{ action: 'iam:UpdateAccessKey', resource: user('admin') }],
  },
  {
    id: 'iam-create-policy-version',
    title: 'Create a new default version of a managed policy',
    source: RHINO,
    checks: [{ action: 'iam:CreatePolicyVersion', resource: 'arn:aws:iam::{account}:policy/AppPolicy' }],
  },
  {
    id: 'iam-set-default-policy-version',
    title: 'Switch a managed policy to a more permissive old version',
    source: RHINO,
    checks: [{ action: 'iam:SetDefaultPolicyVersion', resource: 'arn:aws:iam::{account}:policy/AppPolicy' }],
  },
  {
    id: 'iam-passrole-ec2',
    title: 'Pass a privileged role to a new EC2 instance',
    source: RHINO,
    checks: [{ action: 'iam:PassRole', resource: ADMIN_ROLE, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } }],
  },
  {
    id: 'iam-create-access-key',
    title: 'Create an access key for another user',
    source: RHINO,
    checks: [{ action: 'iam:CreateAccessKey', resource: user('admin') }],
  },
  {
    id: 'iam-create-login-profile',
    title: 'Create a console password for another user',
    source: RHINO,
    checks: [{ action: 'iam:CreateLoginProfile', resource: user('admin') }],
  },
  {
    id: 'iam-update-login-profile',
    title: "Change another user's console password",
    source: RHINO,
    checks: [{ action: 'iam:UpdateLoginProfile', resource: user('admin') }],
  },
  {
    id: 'iam-attach-user-policy',
    title: 'Attach a managed policy to a user without the boundary',
    source: RHINO,
    checks: [{ action: 'iam:AttachUserPolicy', resource: user('admin'), context: NO_BOUNDARY }],
  },
  {
    id: 'iam-attach-group-policy',
    title: 'Attach a managed policy to a group',
    source: RHINO,
    checks: [{ action: 'iam:AttachGroupPolicy', resource: 'arn:aws:iam::{account}:group/admins' }],
  },
  {
    id: 'iam-attach-role-policy',
    title: 'Attach a managed policy to a role without the boundary',
    source: RHINO,
    checks: [{ action: 'iam:AttachRolePolicy', resource: ADMIN_ROLE, context: NO_BOUNDARY }],
  },
  {
    id: 'iam-attach-role-policy-foreign-boundary',
    title: 'Attach a policy to a role whose boundary is not ours',
    source: PATHFINDING,
    checks: [{ action: 'iam:AttachRolePolicy', resource: ADMIN_ROLE, context: FOREIGN_BOUNDARY }],
  },
  {
    id: 'iam-put-user-policy',
    title: 'Write an inline policy on a user',
    source: RHINO,
    checks: [{ action: 'iam:PutUserPolicy', resource: user('admin'), context: NO_BOUNDARY }],
  },
  {
    id: 'iam-put-group-policy',
    title: 'Write an inline policy on a group',
    source: RHINO,
    checks: [{ action: 'iam:PutGroupPolicy', resource: 'arn:aws:iam::{account}:group/admins' }],
  },
  {
    id: 'iam-put-role-policy',
    title: 'Write an inline policy on a role',
    source: RHINO,
    checks: [{ action: 'iam:PutRolePolicy', resource: ADMIN_ROLE, context: NO_BOUNDARY }],
  },
  {
    id: 'iam-add-user-to-group',
    title: 'Add a user to a privileged group',
    source: RHINO,
    checks: [{ action: 'iam:AddUserToGroup', resource: 'arn:aws:iam::{account}:group/admins' }],
  },
  {
    id: 'iam-update-assume-role-policy',
    title: "Rewrite a privileged role's trust policy, then assume it",
    source: RHINO,
    checks: [
      { action: 'iam:UpdateAssumeRolePolicy', resource: ADMIN_ROLE },
      { action: 'sts:AssumeRole', resource: ADMIN_ROLE },
    ],
  },
  {
    id: 'iam-passrole-lambda-invoke',
    title: 'Pass a privileged role to a new Lambda function and invoke it',
    source: RHINO,
    checks: [
      { action: 'iam:PassRole', resource: ADMIN_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    ],
  },
  {
    id: 'iam-passrole-lambda-event-source',
    title: 'Pass a role to Lambda, trigger it through an event source mapping',
    source: RHINO,
    checks: [
      {
        action: 'iam:PassRole',
        resource: role('LambdaAdmin'),
        context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
      },
    ],
  },
  {
    id: 'lambda-update-function-code',
    title: 'Replace the code of a Lambda function that has a privileged role',
    source: RHINO,
    checks: [
      { action: 'lambda:UpdateFunctionCode', resource: 'arn:aws:lambda:ap-southeast-2:{account}:function:privileged' },
    ],
  },
  {
    id: 'lambda-update-function-configuration',
    title: 'Add a malicious layer to a privileged Lambda function',
    source: BISHOP,
    checks: [
      {
        action: 'lambda:UpdateFunctionConfiguration',
        resource: 'arn:aws:lambda:ap-southeast-2:{account}:function:privileged',
      },
    ],
  },
  {
    id: 'iam-passrole-glue-dev-endpoint',
    title: 'Pass a role to a Glue development endpoint',
    source: RHINO,
    checks: [
      { action: 'iam:PassRole', resource: role('GlueAdmin'), context: { 'iam:PassedToService': 'glue.amazonaws.com' } },
      { action: 'glue:CreateDevEndpoint', resource: '*' },
    ],
  },
  {
    id: 'glue-update-dev-endpoint',
    title: 'Add an SSH key to an existing Glue development endpoint',
    source: RHINO,
    checks: [{ action: 'glue:UpdateDevEndpoint', resource: 'arn:aws:glue:ap-southeast-2:{account}:devEndpoint/x' }],
  },
  {
    id: 'iam-passrole-cloudformation',
    title: 'Pass a role to a new CloudFormation stack',
    source: RHINO,
    checks: [
      {
        action: 'iam:PassRole',
        resource: role('CfnAdmin'),
        context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
      },
    ],
  },
  {
    id: 'cloudformation-update-stack',
    title: 'Update a stack that runs with a privileged service role',
    source: BISHOP,
    checks: [
      {
        action: 'cloudformation:UpdateStack',
        resource: 'arn:aws:cloudformation:ap-southeast-2:{account}:stack/privileged/1',
      },
    ],
  },
  {
    id: 'iam-passrole-datapipeline',
    title: 'Pass a role to a Data Pipeline',
    source: RHINO,
    checks: [
      {
        action: 'iam:PassRole',
        resource: role('DataPipelineDefaultResourceRole'),
        context: { 'iam:PassedToService': 'datapipeline.amazonaws.com' },
      },
    ],
  },
  {
    id: 'iam-passrole-codebuild',
    title: 'Pass a role to a new CodeBuild project',
    source: BISHOP,
    checks: [
      {
        action: 'iam:PassRole',
        resource: role('CodeBuildAdmin'),
        context: { 'iam:PassedToService': 'codebuild.amazonaws.com' },
      },
    ],
  },
  {
    id: 'codebuild-start-build-override',
    title: 'Start a build of a privileged project with an overridden buildspec',
    source: BISHOP,
    checks: [
      { action: 'codebuild:StartBuild', resource: 'arn:aws:codebuild:ap-southeast-2:{account}:project/privileged' },
    ],
  },
  {
    id: 'iam-passrole-sagemaker-notebook',
    title: 'Pass a role to a SageMaker notebook instance',
    source: BISHOP,
    checks: [
      {
        action: 'iam:PassRole',
        resource: role('SageMakerAdmin'),
        context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
      },
    ],
  },
  {
    id: 'sagemaker-presigned-notebook-url',
    title: 'Open an existing notebook that runs with a privileged role',
    source: BISHOP,
    checks: [
      {
        action: 'sagemaker:CreatePresignedNotebookInstanceUrl',
        resource: 'arn:aws:sagemaker:ap-southeast-2:{account}:notebook-instance/privileged',
      },
    ],
  },
  {
    id: 'iam-passrole-ecs-task',
    title: 'Pass a privileged role to an ECS task definition',
    source: BISHOP,
    checks: [
      { action: 'iam:PassRole', resource: ADMIN_ROLE, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    ],
  },
  {
    id: 'ecs-execute-command',
    title: 'Open a shell in a container with a privileged task role',
    source: PATHFINDING,
    checks: [{ action: 'ecs:ExecuteCommand', resource: 'arn:aws:ecs:ap-southeast-2:{account}:task/cluster/abc' }],
  },
  {
    id: 'ssm-send-command',
    title: 'Run a command on an instance with a privileged instance profile',
    source: BISHOP,
    checks: [
      { action: 'ssm:SendCommand', resource: 'arn:aws:ec2:ap-southeast-2:{account}:instance/i-0123456789abcdef0' },
    ],
  },
  {
    id: 'ssm-start-session',
    title: 'Open a session on an instance with a privileged instance profile',
    source: BISHOP,
    checks: [
      { action: 'ssm:StartSession', resource: 'arn:aws:ec2:ap-southeast-2:{account}:instance/i-0123456789abcdef0' },
    ],
  },
  {
    id: 'ec2-instance-connect',
    title: 'Push an SSH key to an instance with a privileged profile',
    source: STRATUS,
    checks: [
      {
        action: 'ec2-instance-connect:SendSSHPublicKey',
        resource: 'arn:aws:ec2:ap-southeast-2:{account}:instance/i-0123456789abcdef0',
      },
    ],
  },
  {
    id: 'ec2-modify-user-data',
    title: 'Change the user data of a stopped instance with a privileged profile',
    source: PATHFINDING,
    checks: [
      {
        action: 'ec2:ModifyInstanceAttribute',
        resource: 'arn:aws:ec2:ap-southeast-2:{account}:instance/i-0123456789abcdef0',
      },
    ],
  },
  {
    id: 'iam-create-role-without-boundary',
    title: 'Create a role without the permissions boundary',
    source: PATHFINDING,
    checks: [{ action: 'iam:CreateRole', resource: role('Backdoor'), context: NO_BOUNDARY }],
  },
  {
    id: 'iam-create-user-without-boundary',
    title: 'Create a user without the permissions boundary',
    source: STRATUS,
    checks: [{ action: 'iam:CreateUser', resource: user('backdoor'), context: NO_BOUNDARY }],
  },
  {
    id: 'iam-delete-role-boundary',
    title: "Remove a role's permissions boundary",
    source: PATHFINDING,
    checks: [{ action: 'iam:DeleteRolePermissionsBoundary', resource: ADMIN_ROLE }],
  },
  {
    id: 'iam-replace-role-boundary',
    title: "Replace a role's permissions boundary with a permissive one",
    source: PATHFINDING,
    checks: [{ action: 'iam:PutRolePermissionsBoundary', resource: ADMIN_ROLE, context: FOREIGN_BOUNDARY }],
  },
  {
    id: 'sts-assume-other-role',
    title: 'Chain into another role from the elevated session',
    source: PATHFINDING,
    checks: [{ action: 'sts:AssumeRole', resource: ADMIN_ROLE }],
  },
  {
    id: 'sts-federation-token',
    title: 'Mint federation tokens that outlive the grant',
    source: STRATUS,
    checks: [{ action: 'sts:GetFederationToken', resource: 'arn:aws:sts::{account}:federated-user/backdoor' }],
  },
  {
    id: 'rolesanywhere-trust-anchor',
    title: 'Create a Roles Anywhere trust anchor for an attacker CA',
    source: STRATUS,
    checks: [
      {
        action: 'rolesanywhere:CreateTrustAnchor',
        resource: '*',
      },
    ],
  },
  {
    id: 'iam-oidc-provider',
    title: 'Register an OIDC identity provider to federate into roles',
    source: PATHFINDING,
    checks: [
      { action: 'iam:CreateOpenIDConnectProvider', resource: 'arn:aws:iam::{account}:oidc-provider/evil.example' },
    ],
  },
];

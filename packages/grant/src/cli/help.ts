import { EXIT_CODE_HELP } from '../errors.js';

const EXIT_CODES_TEXT = `Exit codes:\n${EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`).join('\n')}`;

const COMMON = `Common options:
  --config <dir>        the accounts/ folder (default: $JIT_CONFIG_DIR or ./accounts)
  --profile <name>      AWS profile: IAM Identity Center (SSO) or IAM with mfa_serial
                        (default: the SDK's default credential chain)
  --mfa-code <code>     MFA code, for scripts (default: asked for on the terminal)
  --region <region>     (default: region in accounts/jit.yaml)
  --endpoint-url <url>  send every AWS call there (the local environment; default: $AWS_ENDPOINT_URL or AWS)
  --timeout <ms>        per AWS request attempt (default 10000); calls retry with backoff, 4 attempts
  --json                machine-readable output on stdout (errors too)
  --verbose             show error causes and stacks
  -h, --help            this help`;

export const MAIN_HELP = `jit-grant: approve, revoke and inspect just-in-time AWS elevation for AI agents.

Usage:
  jit-grant grant <account> --tier <tier> [--minutes N] --reason "<text>" [options]
  jit-grant grant --request <file|->            approve exactly what an agent asked for
  jit-grant revoke <account> [--grant <id> | --all-sessions] [--reason "<text>"]
  jit-grant revoke [<account>] --list | --clear
  jit-grant status [<account>] [--json]

Example:
  jit-grant grant production --tier ops --minutes 15 --reason "restart ECS service" --profile approver

Run "jit-grant <command> --help" for a command's options.

${COMMON}

${EXIT_CODES_TEXT}
`;

export const GRANT_HELP = `jit-grant grant: give an agent time-boxed credentials for one account and tier.

Usage:
  jit-grant grant <account> --tier <tier> [--minutes N] --reason "<text>" [--scope <arn>]... [--replace] [--yes]
  jit-grant grant [<account>] --request <file|-> [--scope <arn>]... [--replace] [--yes]

Two approvers granting one account at once: the write is a compare-and-swap on the secret version
that was checked, so exactly one grant goes in; the other denies its own session and exits 9.

  <account>          workload account name or id from accounts/workloads/
  --tier <tier>      a tier allowed for the account (accounts/tiers.yaml)
  --minutes <N>      the window; within the tier's min..max (default: the tier's default).
                     Windows under 15 minutes are enforced with an aws:CurrentTime session policy.
  --reason <text>    why (printable, at most 256 characters); recorded in CloudTrail as a session tag
  --scope <arn>      narrow the session to these resource ARNs (repeatable; a session policy)
  --request <file>   an agent's request (from jit-agent request); "-" reads stdin. Its id becomes
                     the grant id; it cannot be combined with --tier, --minutes or --reason
  --replace          replace an active grant for the account (default: refuse). Once the new grant
                     is in place, the replaced grant's sessions are denied on the tier roles, as
                     "revoke --grant <old>" does; if that fails the new grant stays and the exit
                     code is 11, naming the grant that still works
  --revoker-role <name>
                     the role assumed in the workload account to deny a replaced grant, or this
                     grant's own session when it loses a race (default JitRevoker)
  -y, --yes          do not ask for confirmation (needed when stdin is not a terminal)

Examples:
  jit-grant grant production --tier ops --minutes 15 --reason "restart ECS service"
  jit-grant grant staging --tier security --minutes 5 --reason "rotate SG rule" --scope 'arn:aws:ec2:*:111111111111:security-group/*'
  jit-agent request production --tier ops --minutes 15 --reason "..." | jit-grant grant --request -  --yes

${COMMON}

${EXIT_CODES_TEXT}
`;

export const REVOKE_HELP = `jit-grant revoke: take elevation away, including credentials already issued.

Usage:
  jit-grant revoke <account> [--grant <id> | --all-sessions] [--reason "<text>"]
  jit-grant revoke [<account>] --list
  jit-grant revoke [<account>] --clear

Puts the placeholder back into the account's secret (and removes AWSPREVIOUS), then attaches a
deny to the account's tier roles: for one grant (its source identity jit-<id>, default: the grant
recorded on the secret) or, with --all-sessions, for every session issued before now
(aws:TokenIssueTime). Emptying the secret alone does not revoke issued credentials; the deny does.
When the secret holds another grant than the one named with --grant (one that replaced it), only
the named grant is denied: the secret and the grant it holds are left in place, and the output
says so.

  --grant <id>          the grant to revoke (default: the account's recorded grant)
  --all-sessions        deny every session of the account's tier roles issued before now
  --reason <text>       recorded in the placeholder and the notification
  --list                show revocation denies and whether their targets have expired
  --clear               remove the denies whose targeted credentials have all expired
  --revoker-role <name> the role assumed in the workload account to attach denies (default JitRevoker)

Example:
  jit-grant revoke production --reason "task finished early"

${COMMON}

${EXIT_CODES_TEXT}
`;

export const STATUS_HELP = `jit-grant status: per account, whether a grant is active, its tier, approver, reason and minutes left.

Usage:
  jit-grant status [<account>] [--json]

Reads the secrets' metadata only (secretsmanager:DescribeSecret), never the credentials. Also
shows when an old secret version is still readable (AWSPREVIOUS not removed).

Example:
  jit-grant status production --json

${COMMON}

${EXIT_CODES_TEXT}
`;

/** Help texts: loaded on their own so that `--help` costs nothing else. */

export const EXIT_CODE_TABLE = `Exit codes:
  0   success (status: a grant is active)
  1   unexpected error            2   usage error
  3   configuration error
  10  no grant (placeholder)      11  grant revoked
  12  credentials expired         13  grant window closed
  14  secret malformed            15  secret holds another account's grant
  16  secret unreadable           17  base identity failed
  18  credentials are not the grant's session (sts:GetCallerIdentity)
  20  request invalid             21  request not delivered
  22  wait timed out              23  listener cannot bind
  126 command not executable      127 command not found
  exec otherwise exits with its command's code (128+n when a signal ended it).`;

const COMMON = `Common options:
  --region <region>        hub region (where the secrets live)   [$JIT_REGION, $AWS_REGION]
  --config <dir>           the accounts/ folder: account names, tiers   [$JIT_CONFIG_DIR]
  --settings <file>        agent settings (JSON)   [$JIT_AGENT_SETTINGS, ~/.config/jit-agent/settings.json]
  --clock-skew <seconds>   margin on every expiry check (default 30)
  --journal <file>         self-report journal   [$JIT_AGENT_JOURNAL]
  --profile <name>         AWS profile of the base identity (IAM user)
  --identity <kind>        iam-user (default) or roles-anywhere, with
    --certificate <pem> --private-key <pem> [--chain <pem>]
    --trust-anchor-arn <arn> --profile-arn <arn> --role-arn <arn>
  --json                   machine-readable output (errors too)
  --verbose                stack traces on errors
  -h, --help               this help`;

export const MAIN_HELP = `jit-agent: use human-approved, time-boxed AWS elevation from an agent.

Usage: jit-agent <command> [options]

Commands:
  status [<account>]                   is a grant active? (never prints credentials)
  exec <account> -- <command...>       run one command with the grant's credentials
  credential-process <account>         credentials for an AWS credential_process profile
  request <account> --tier --minutes --reason [--plan]
                                       ask the approvers for a grant
  wait <account> [--timeout 15m]       return as soon as a grant arrives
  listen [--port 8787]                 receive signed grant notifications
  report [--grant <id>]                print the self-report journal
  mcp                                  Model Context Protocol server on stdio

Example:
  jit-agent request 222222222222 --tier ops --minutes 15 --reason "restart the web service"
  jit-agent wait 222222222222 && jit-agent exec 222222222222 -- aws ecs update-service ...

Run jit-agent <command> --help for a command's options; jit-agent --version prints the version.

${EXIT_CODE_TABLE}`;

export const COMMAND_HELP: Record<string, string> = {
  status: `Usage: jit-agent status [<account>] [--json]

Shows whether a grant is active for the account (or for every account in --config): tier,
role, reason, approver and minutes left. Never prints credentials. The exit code says which
state the grant is in (0 active, 10 none, 11 revoked, 12 expired, 13 window closed, 14
malformed, 15 wrong account, 16 unreadable, 17 base identity failed).

Example:
  jit-agent status 222222222222 --json

${COMMON}`,
  exec: `Usage: jit-agent exec <account> [--cwd <dir>] -- <command> [args...]

Runs one command (no shell) with the grant's credentials and region in its environment only;
any other AWS credentials in the environment are removed. Refuses when there is no active grant
(see the exit codes). Signals are passed on; the exit code is the command's. The command is
appended to the self-report journal. Nothing is written to disk but the journal line.

Example:
  jit-agent exec 222222222222 -- aws ecs update-service --cluster web --service api --force-new-deployment

${COMMON}

${EXIT_CODE_TABLE}`,
  'credential-process': `Usage: jit-agent credential-process <account>

Prints the grant's credentials as AWS credential_process JSON (Version 1), with Expiration the
earlier of STS's expiry and the grant's window end. This is the only output of jit-agent that
carries credentials, because the AWS CLI and SDKs read them from it. Errors go to stderr.

Example (~/.aws/config):
  [profile production-elevated]
  credential_process = jit-agent credential-process 222222222222
  region = ap-southeast-2

${COMMON}`,
  request: `Usage: jit-agent request <account> --tier <tier> --minutes <n> --reason <text>
                         [--plan <text>] [--out <file>] [--valid-for <minutes>] [--no-send]
                         [--webhook-url <url> --webhook-secret-env <VAR>] [--slack-webhook-env <VAR>]

Writes an elevation request (JSON) to stdout or --out, and sends it to the approvers' channels
(a signed webhook and/or Slack; never through AWS). An approver runs
jit-grant grant --request <file>. Exits 21 when a channel could not be reached (the request is
still written).

Example:
  jit-agent request 222222222222 --tier ops --minutes 15 --reason "restart the api service" \\
    --plan "aws ecs update-service --cluster web --service api --force-new-deployment" --out request.json

${COMMON}`,
  wait: `Usage: jit-agent wait <account> [--timeout 15m] [--port <n>] [--host <addr>]
                      [--secret-env <VAR> | --secret-file <file>] [--poll-interval 60s]

Returns as soon as a grant for the account is active. It listens for the grant's signed webhook
on a local port and reads the secret again when one arrives; only if no listener can be bound
(or no secret is configured) does it re-check the secret slowly. Exit 22 on timeout.

Example:
  jit-agent wait 222222222222 --timeout 15m && jit-agent exec 222222222222 -- ./deploy.sh

${COMMON}`,
  listen: `Usage: jit-agent listen [--port 8787] [--host 127.0.0.1] [--secret-env <VAR> | --secret-file <file>]
                        [--account <account>] [--once]

Receives signed grant notifications (X-Jit-Signature: HMAC-SHA256 over "timestamp.body",
X-Jit-Timestamp) and prints one line per verified notification. Refuses bad signatures,
deliveries older than 5 minutes, replays, and bodies over 64 KiB. With --once it exits after the
first notification (for --account, if given).

Example:
  JIT_WEBHOOK_SECRET=... jit-agent listen --port 8787 --json

${COMMON}`,
  report: `Usage: jit-agent report [--grant <id>] [--account <account>] [--json]

Prints the self-report journal: each command exec and the MCP server ran, with its grant, time
and exit code. Auditors compare it with CloudTrail.

Example:
  jit-agent report --grant 01JQ7ZJ7Q2W8Y3K4M5N6P7R8S9 --json

${COMMON}`,
  mcp: `Usage: jit-agent mcp [--cwd <dir>]

A Model Context Protocol server on stdin/stdout with four tools: request_elevation,
elevation_status, run_with_elevation (exit code and output, never credentials) and self_report.

Example (an MCP client's configuration):
  { "mcpServers": { "jit": { "command": "jit-agent", "args": ["mcp", "--region", "ap-southeast-2"] } } }

${COMMON}`,
};

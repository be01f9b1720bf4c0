/**
 * The article's story, end to end, on the local environment. Every step runs the real CLIs
 * (jit-agent, jit-grant, jit-audit, the AWS CLI) and checks that they behave as described; the
 * scenario fails if any step does not.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type LocalAws, PROFILE_NAMES, readyState, startLocalAws, writeState } from '@jit-access/local-aws';
import { type CommandResult, REPO_ROOT, runCli, runCommand } from './commands.js';

export interface DemoReporter {
  step(index: number, title: string, story: string): void;
  command(result: CommandResult, shown?: string): void;
  check(ok: boolean, text: string): void;
  note(text: string): void;
}

export interface DemoResult {
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly artefacts: { readonly reportHtml?: string; readonly workDir: string };
  readonly seconds: number;
}

const PRODUCTION = '222222222222';
const IDENTITY = '333333333333';

export async function runDemo(reporter: DemoReporter, options: { keepWorkDir?: boolean } = {}): Promise<DemoResult> {
  const started = Date.now();
  const failures: string[] = [];
  const outputs: string[] = [];
  const check = (ok: boolean, text: string): boolean => {
    reporter.check(ok, text);
    if (!ok) failures.push(text);
    return ok;
  };
  const show = (result: CommandResult, shown?: string): CommandResult => {
    outputs.push(result.stdout, result.stderr);
    reporter.command(result, shown);
    return result;
  };

  const workDir = await mkdtemp(path.join(tmpdir(), 'jit-demo-'));
  const webhookPort = await freePort();
  const accountsDir = path.join(workDir, 'accounts');
  await demoAccounts(accountsDir, webhookPort);
  const journal = path.join(workDir, 'agent-journal.jsonl');
  const webhookSecret = randomBytes(24).toString('hex');
  let env: LocalAws | undefined;
  let reportHtml: string | undefined;
  const secretsSeen: string[] = [];

  try {
    reporter.note(
      'Starting the local AWS environment (moto with IAM enforcement, the edge, accounts/ provisioned) ...',
    );
    const stateDir = path.join(workDir, 'local-aws');
    env = await startLocalAws({ accountsDir, stateDir });
    const localEnv = env;
    // What `npm run local -- up` would leave, so tools that find the environment by its state
    // folder (the report Lambda's local runner) find this one.
    await writeState(stateDir, readyState(env, { daemonPid: process.pid, startedAt: new Date(started).toISOString() }));
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_CONFIG_FILE: env.configFile,
      AWS_SHARED_CREDENTIALS_FILE: env.credentialsFile,
      AWS_ENDPOINT_URL: env.endpoint,
      AWS_REGION: env.region,
      AWS_DEFAULT_REGION: env.region,
      AWS_PAGER: '',
      JIT_CONFIG_DIR: accountsDir,
      JIT_AGENT_JOURNAL: journal,
      JIT_WEBHOOK_SECRET: webhookSecret,
      NO_COLOR: '1',
    };
    const asAgent = { env: { ...base, AWS_PROFILE: PROFILE_NAMES.agent } };
    const asApprover = { env: { ...base, AWS_PROFILE: PROFILE_NAMES.approver } };
    const asAuditor = { env: { ...base, AWS_PROFILE: PROFILE_NAMES.adminIn('log-archive') } };
    const asAdmin = (accountName: string) => ({ env: { ...base, AWS_PROFILE: PROFILE_NAMES.adminIn(accountName) } });

    // Something to operate on: an instance in production, created by the account's admin.
    const run = await runCommand(
      'aws',
      [
        'ec2',
        'run-instances',
        '--image-id',
        'ami-12c6146b',
        '--instance-type',
        't3.micro',
        '--query',
        'Instances[0].InstanceId',
        '--output',
        'text',
      ],
      asAdmin('production'),
    );
    const instanceId = run.stdout.trim();
    if (!/^i-[0-9a-f]+$/.test(instanceId)) throw new Error(`could not create the demo instance: ${run.stderr.trim()}`);
    const since = new Date(Date.now() - 60_000).toISOString();

    // 1
    reporter.step(1, 'Standing access', 'The agent can read its placeholder secret and nothing else.');
    const status0 = show(await runCli('jit-agent', ['status', 'production'], asAgent));
    check(status0.code === 10, 'jit-agent status: no grant (the secret is a placeholder), exit 10');
    const ec2Denied = show(
      await runCommand('aws', ['ec2', 'describe-instances'], asAgent),
      'aws ec2 describe-instances   # as the agent, without a grant',
    );
    check(
      ec2Denied.code !== 0 && /UnauthorizedOperation|AccessDenied/.test(ec2Denied.stderr),
      'an EC2 call with the base identity is denied',
    );

    // 2
    reporter.step(2, 'The agent asks', 'It needs ops access to production to restart a service.');
    const requestFile = path.join(workDir, 'request.json');
    const request = show(
      await runCli(
        'jit-agent',
        [
          'request',
          'production',
          '--tier',
          'ops',
          '--minutes',
          '15',
          '--reason',
          'restart ECS service',
          '--plan',
          'describe instances, stop and start i-… , read logs',
          '--out',
          requestFile,
          '--no-send',
        ],
        asAgent,
      ),
    );
    check(request.code === 0, 'jit-agent request wrote an elevation request');
    const requestId = (JSON.parse(await readFile(requestFile, 'utf8')) as { id: string }).id;

    // 3
    reporter.step(
      3,
      'The approver approves exactly that request',
      'The agent waits on a local listener and wakes when the signed notification arrives.',
    );
    const waiting = spawnCli(
      ['wait', 'production', '--timeout', '2m', '--port', String(webhookPort), '--secret-env', 'JIT_WEBHOOK_SECRET'],
      asAgent.env,
    );
    await waitForPort(webhookPort, 15_000);
    const grant = show(await runCli('jit-grant', ['grant', '--request', requestFile, '--yes'], asApprover));
    check(grant.code === 0, `jit-grant grant --request: granted (grant id ${requestId})`);
    const woke = await waiting;
    show(woke, 'jit-agent wait production   # was waiting in the background');
    check(woke.code === 0, 'jit-agent wait returned as soon as the grant arrived');
    // From here on the agent keeps listening, so later notifications (the revoke) reach it too.
    const listening = spawnCli(
      [
        'listen',
        '--port',
        String(webhookPort),
        '--secret-env',
        'JIT_WEBHOOK_SECRET',
        '--account',
        PRODUCTION,
        '--once',
      ],
      asAgent.env,
    );
    await waitForPort(webhookPort, 15_000);
    secretsSeen.push(...(await elevatedSecretValues(localEnv, PRODUCTION)));
    check(
      secretsSeen.length === 2,
      'the secret now holds a v1 payload (read once by the demo, to check no output ever shows it)',
    );

    // 4
    reporter.step(
      4,
      'The agent works under the grant',
      'Describe, a change, and a destructive call the ceiling forbids even when elevated.',
    );
    const describe = show(
      await runCli(
        'jit-agent',
        [
          'exec',
          'production',
          '--',
          'aws',
          'ec2',
          'describe-instances',
          '--query',
          'Reservations[].Instances[].InstanceId',
          '--output',
          'text',
        ],
        asAgent,
      ),
    );
    check(
      describe.code === 0 && describe.stdout.includes(instanceId),
      'ec2 describe-instances works as AgentElevated-Ops',
    );
    const stop = show(
      await runCli(
        'jit-agent',
        ['exec', 'production', '--', 'aws', 'ec2', 'stop-instances', '--instance-ids', instanceId, '--output', 'text'],
        asAgent,
      ),
    );
    check(stop.code === 0, 'ec2 stop-instances (a change) works');
    const start = show(
      await runCli(
        'jit-agent',
        ['exec', 'production', '--', 'aws', 'ec2', 'start-instances', '--instance-ids', instanceId, '--output', 'text'],
        asAgent,
      ),
    );
    check(start.code === 0, 'ec2 start-instances works');
    const terminate = show(
      await runCli(
        'jit-agent',
        ['exec', 'production', '--', 'aws', 'ec2', 'terminate-instances', '--instance-ids', instanceId],
        asAgent,
      ),
    );
    check(
      terminate.code !== 0 && /UnauthorizedOperation|AccessDenied/.test(terminate.stderr),
      'ec2 terminate-instances is denied by the ceiling, even elevated',
    );
    // A call the journal does not see: the same credentials through a credential_process profile.
    const profileFile = path.join(workDir, 'agent-aws-config');
    await writeFile(
      profileFile,
      `${await readFile(localEnv.configFile, 'utf8')}\n[profile elevated-production]\nregion = ${localEnv.region}\nendpoint_url = ${localEnv.endpoint}\ncredential_process = ${process.execPath} ${path.join(REPO_ROOT, 'packages/agent/dist/cli.js')} credential-process production --profile ${PROFILE_NAMES.agent}\n`,
    );
    const unreported = show(
      await runCommand('aws', ['ec2', 'describe-volumes', '--profile', 'elevated-production', '--output', 'text'], {
        env: { ...base, AWS_CONFIG_FILE: profileFile },
      }),
      'aws ec2 describe-volumes --profile elevated-production   # credential_process: not in the journal',
    );
    check(
      unreported.code === 0,
      'the agent also used the grant through a credential_process profile (its journal does not record that)',
    );

    // 5
    reporter.step(
      5,
      'A 5-minute security grant',
      'STS cannot issue less than 15 minutes; a session policy closes the window at 5.',
    );
    const security = show(
      await runCli(
        'jit-grant',
        [
          'grant',
          'identity',
          '--tier',
          'security',
          '--minutes',
          '5',
          '--reason',
          'add cognito user',
          '--yes',
          '--json',
        ],
        asApprover,
      ),
    );
    const securityGrant = parseJson(security.stdout) as
      | { effectiveUntil?: string; expiration?: string; grant?: { effectiveUntil?: string; expiration?: string } }
      | undefined;
    check(security.code === 0 || security.code === 8, 'jit-grant grant identity --tier security --minutes 5');
    const identityStatus = show(await runCli('jit-agent', ['status', 'identity', '--json'], asAgent));
    const st = parseJson(identityStatus.stdout) as Record<string, unknown> | undefined;
    const effectiveUntil = findField(st, 'effectiveUntil') ?? findField(securityGrant, 'effectiveUntil');
    const expiration = findField(st, 'expiration') ?? findField(securityGrant, 'expiration');
    const windowMinutes =
      effectiveUntil && expiration ? (Date.parse(expiration) - Date.parse(effectiveUntil)) / 60_000 : Number.NaN;
    check(
      identityStatus.code === 0 && windowMinutes >= 9 && windowMinutes <= 11,
      `the window closes ~10 minutes before STS's expiry (EffectiveUntil ${effectiveUntil ?? '?'}, Expiration ${expiration ?? '?'})`,
    );
    secretsSeen.push(...(await elevatedSecretValues(localEnv, IDENTITY)));

    // 6
    reporter.step(
      6,
      'The approver revokes',
      'Credentials already handed out stop working: a deny on the role, not just an empty secret.',
    );
    const gate = path.join(workDir, 'after-revoke');
    const longRunning = runCli(
      'jit-agent',
      [
        'exec',
        'production',
        '--',
        'bash',
        '-c',
        `while [ ! -e '${gate}' ]; do sleep 0.1; done; aws ec2 describe-instances --output text`,
      ],
      asAgent,
    );
    await sleep(1_500);
    const revoke = show(
      await runCli(
        'jit-grant',
        ['revoke', 'production', '--grant', requestId, '--reason', 'work done', '--yes'],
        asApprover,
      ),
    );
    check(
      revoke.code === 0,
      'jit-grant revoke production --grant …: placeholder back, revocation deny attached, agent notified',
    );
    const heard = show(await listening, 'jit-agent listen --once   # listening since step 3');
    check(
      heard.code === 0 && heard.stdout.includes('revoked'),
      "the agent's listener received the signed revocation notice",
    );
    await writeFile(gate, '');
    const afterRevoke = show(
      await longRunning,
      "jit-agent exec production -- bash -c '… aws ec2 describe-instances'   # started before the revoke",
    );
    check(
      afterRevoke.code !== 0 && /AccessDenied|UnauthorizedOperation/.test(afterRevoke.stderr),
      'the old credentials, already in a running process, are refused after the revoke',
    );
    const refused = show(await runCli('jit-agent', ['exec', 'production', '--', 'true'], asAgent));
    check(refused.code === 11, 'jit-agent exec refuses: the grant was revoked (exit 11)');
    reporter.note(
      'moto ignores conditions, so locally the per-grant deny blocks every session of the role; that it blocks only this grant is proven by IAM simulation (packages/core, stacks).',
    );

    // 7
    reporter.step(
      7,
      "The auditor's report, from CloudTrail",
      "Compared with the agent's self-report: CloudTrail shows a call the agent did not report.",
    );
    await fetch(`${localEnv.endpoint}/_jit/cloudtrail/flush`, { method: 'POST' });
    const report = show(
      await runCli(
        'jit-audit',
        [
          'report',
          '--source',
          's3',
          '--bucket',
          localEnv.accounts.logArchive.bucket,
          '--account-id',
          PRODUCTION,
          '--region',
          localEnv.region,
          '--since',
          since,
          '--session',
          requestId,
          '--self-report',
          journal,
          '--format',
          'text',
        ],
        asAuditor,
      ),
    );
    check(report.stdout.includes('TerminateInstances'), 'the report lists the denied TerminateInstances');
    check(
      report.stdout.includes('DescribeVolumes'),
      'the report lists DescribeVolumes, which the agent never reported',
    );
    check(report.code === 3, 'jit-audit report exits 3: discrepancies to investigate');

    // 8
    reporter.step(
      8,
      'Log integrity',
      'jit-audit verify checks the digest chain like aws cloudtrail validate-logs, and more.',
    );
    const trailArn = `arn:aws:cloudtrail:${localEnv.region}:${PRODUCTION}:trail/${localEnv.config.trail.name}`;
    const verify = show(
      await runCli(
        'jit-audit',
        ['verify', '--trail-arn', trailArn, '--start-time', since, '--s3-bucket', localEnv.accounts.logArchive.bucket],
        asAuditor,
      ),
    );
    check(verify.code === 0, 'jit-audit verify: every digest and log file valid');
    const copy = path.join(workDir, 'bucket-copy');
    const exported = show(
      await runCli(
        'jit-audit',
        [
          'export',
          '--s3-bucket',
          localEnv.accounts.logArchive.bucket,
          '--prefix',
          `AWSLogs/${PRODUCTION}/`,
          '--out',
          copy,
        ],
        asAuditor,
      ),
    );
    check(exported.code === 0, 'jit-audit export: a local copy of the bucket with its signatures and keys');
    const altered = await alterOneLogFile(copy, PRODUCTION);
    const verifyCopy = show(
      await runCli('jit-audit', ['verify', '--local', copy, '--trail-arn', trailArn, '--start-time', since], asAuditor),
    );
    check(
      verifyCopy.code === 1 && altered !== undefined && verifyCopy.stdout.includes(path.basename(altered)),
      `verification of the altered copy fails and names ${altered ? path.basename(altered) : 'the file'}`,
    );

    // 9
    reporter.step(
      9,
      'The independent report Lambda',
      'Runs in the log archive account, reads the trail, verifies digests, e-mails auditors.',
    );
    const lambda = show(
      await runCommand(
        process.execPath,
        [
          path.join(REPO_ROOT, 'packages/report-lambda/dist/local.js'),
          '--state-dir',
          stateDir,
          '--since',
          since,
          '--out',
          path.join(workDir, 'report-mail'),
        ],
        asAuditor,
      ),
      `npm run report:local -- --since ${since}`,
    );
    const mails = (await readdir(path.join(workDir, 'report-mail')).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.html'))
      .map((f) => path.join(workDir, 'report-mail', f));
    reportHtml = mails[0];
    check(
      lambda.code === 0 && reportHtml !== undefined,
      `the auditors' e-mail was sent through SES${reportHtml ? `; HTML at ${reportHtml}` : ''}`,
    );
    // The story made two grants; the approver's revoker session and the admins' sessions are not grants.
    check(mails.length === 2, `one e-mail per grant of the story: ${mails.length} of 2`);

    // Credentials never reach any output.
    const leaked = secretsSeen.filter((secret) => outputs.some((o) => o.includes(secret)));
    check(leaked.length === 0, 'no secret access key or session token appeared in any output');
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
    reporter.check(false, `the demo stopped: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await env?.stop();
    if (!options.keepWorkDir && failures.length === 0 && reportHtml === undefined)
      await rm(workDir, { recursive: true, force: true });
  }
  return {
    ok: failures.length === 0,
    failures,
    artefacts: { ...(reportHtml ? { reportHtml } : {}), workDir },
    seconds: (Date.now() - started) / 1000,
  };
}

/** A copy of accounts/ whose notifications go to the agent's local listener (signed webhook). */
async function demoAccounts(dir: string, port: number): Promise<void> {
  await cp(path.join(REPO_ROOT, 'accounts'), dir, { recursive: true });
  const file = path.join(dir, 'jit.yaml');
  const text = await readFile(file, 'utf8');
  const withWebhook = text.replace(
    /notifications:\n( {2}- .*\n( {4}.*\n)*)/,
    (block) =>
      `${block}  - kind: webhook\n    url: http://127.0.0.1:${port}/\n    secret: { env: JIT_WEBHOOK_SECRET }\n    timeoutMs: 2000\n    retries: 1\n`,
  );
  await writeFile(file, withWebhook);
}

async function elevatedSecretValues(env: LocalAws, account: string): Promise<string[]> {
  const sm = new SecretsManagerClient({
    region: env.region,
    endpoint: env.motoEndpoint,
    credentials: env.profiles.admin,
  });
  try {
    // The local admin is a hub user; it reads the secret through moto directly (not recorded).
    const out = await sm.send(new GetSecretValueCommand({ SecretId: `agent/elevated/${account}` }));
    const value = JSON.parse(out.SecretString ?? '{}') as { SecretAccessKey?: string; SessionToken?: string };
    return [value.SecretAccessKey, value.SessionToken].filter(
      (v): v is string => typeof v === 'string' && v.length > 0,
    );
  } finally {
    sm.destroy();
  }
}

async function alterOneLogFile(dir: string, account: string): Promise<string | undefined> {
  const { gunzipSync, gzipSync } = await import('node:zlib');
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (
        entry.name.endsWith('.json.gz') &&
        full.includes(`${path.sep}CloudTrail${path.sep}`) &&
        full.includes(account)
      )
        files.push(full);
    }
  };
  await walk(dir);
  const target = files.sort()[0];
  if (target === undefined) return undefined;
  const records = JSON.parse(gunzipSync(await readFile(target)).toString('utf8')) as {
    Records: { eventName?: string }[];
  };
  const first = records.Records[0];
  if (first) first.eventName = 'NothingToSeeHere';
  await writeFile(target, gzipSync(JSON.stringify(records)));
  return target;
}

function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return runCommand(process.execPath, [path.join(REPO_ROOT, 'packages/agent/dist/cli.js'), ...args], {
    env,
    timeoutMs: 150_000,
  }).then((r) => ({
    ...r,
    command: ['jit-agent', ...args].join(' '),
  }));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`the agent's listener did not open port ${port} within ${timeoutMs / 1000} s`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first value of a key anywhere in a JSON value (case-insensitive), as a string. */
function findField(value: unknown, key: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.toLowerCase() === key.toLowerCase() && typeof v === 'string') return v;
    const nested = findField(v, key);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

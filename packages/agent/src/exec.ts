import { awsCliCall } from './awsCliCall.js';
import { type CapturedResult, type ChildResult, captureChild, runChild, type SignalSource } from './child.js';
import { childEnvironment } from './childEnv.js';
import { secretValues } from './credentials.js';
import { readElevation, requireActive } from './elevation.js';
import { AgentError, AgentErrorCode } from './errors.js';
import { appendJournal } from './journal.js';
import type { SecretReader } from './secretReader.js';
import { type CredentialVerifier, createCredentialVerifier, createStsIdentityLookup } from './verifyIdentity.js';

export interface ExecOptions {
  /** The workload account id. */
  readonly account: string;
  /** The command and its arguments; run without a shell. */
  readonly command: readonly string[];
  readonly readSecret: SecretReader;
  /** The self-report journal to append to. */
  readonly journalPath: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default 30 */
  readonly clockSkewSeconds?: number;
  /** The environment the child's is built from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** More variables to keep from the child, e.g. the listener's HMAC secret. */
  readonly removeEnv?: readonly string[];
  readonly cwd?: string;
  /**
   * Confirms with AWS that the credentials are the grant's own session before anything runs.
   * @default sts:GetCallerIdentity with the credentials, in the grant's region, at the SDK's endpoint
   */
  readonly verifyCredentials?: CredentialVerifier;
}

export interface ExecResult extends ChildResult {
  readonly grantId: string;
  /** Set when the command ran but its journal entry could not be written. */
  readonly journalError?: AgentError;
}

function splitCommand(command: readonly string[]): { file: string; args: string[] } {
  const [file, ...args] = command;
  if (file === undefined || file === '') {
    throw new AgentError(AgentErrorCode.Usage, 'no command given: expected a command after "--"', {
      suggestion: 'jit-agent exec 222222222222 -- aws sts get-caller-identity',
    });
  }
  return { file, args };
}

async function prepare(options: ExecOptions) {
  const { file, args } = splitCommand(options.command);
  const now = (options.now ?? (() => new Date()))();
  const read = await readElevation({
    account: options.account,
    readSecret: options.readSecret,
    now,
    ...(options.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: options.clockSkewSeconds }),
  });
  const { state, credentials } = requireActive(read);
  // The payload is the approver's word; only STS can say whose credentials these are.
  const verify =
    options.verifyCredentials ?? createCredentialVerifier(createStsIdentityLookup({ region: state.region }));
  const verifiedNow = await verify(state, credentials);
  const env = childEnvironment(options.env ?? process.env, state, credentials, options.removeEnv);
  return { file, args, state, credentials, env, startedAt: now, verifiedNow };
}

async function journal(
  options: ExecOptions,
  entry: { grantId: string; time: Date; exitCode: number; source: 'exec' | 'mcp'; verifiedNow: boolean },
  redactValues: readonly string[],
): Promise<AgentError | undefined> {
  try {
    await appendJournal(
      options.journalPath,
      {
        grantId: entry.grantId,
        time: entry.time.toISOString(),
        account: options.account,
        command: [...options.command],
        exitCode: entry.exitCode,
        source: entry.source,
        ...awsCallsOf(options.command, entry.verifiedNow),
      },
      redactValues,
    );
    return undefined;
  } catch (error) {
    if (error instanceof AgentError) return error;
    throw error;
  }
}

/**
 * `jit-agent exec`: reads the grant, refuses unless it is active, runs one child with the
 * credentials and region in its environment only, forwards signals, and journals the command.
 * Refusals throw an AgentError before anything runs.
 */
export async function execWithElevation(options: ExecOptions & { signals?: SignalSource }): Promise<ExecResult> {
  const { file, args, state, credentials, env, startedAt, verifiedNow } = await prepare(options);
  let result: ChildResult;
  try {
    result = await runChild({
      command: file,
      args,
      env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.signals ? { signals: options.signals } : {}),
    });
  } catch (error) {
    // A command that could not start is journalled as the shell would report it (126/127).
    if (error instanceof AgentError) {
      const code = error.code === AgentErrorCode.CommandNotFound ? 127 : 126;
      await journal(
        options,
        { grantId: state.grantId, time: startedAt, exitCode: code, source: 'exec', verifiedNow },
        secretValues(credentials),
      );
    }
    throw error;
  }
  const journalError = await journal(
    options,
    { grantId: state.grantId, time: startedAt, exitCode: result.exitCode, source: 'exec', verifiedNow },
    secretValues(credentials),
  );
  return { ...result, grantId: state.grantId, ...(journalError ? { journalError } : {}) };
}

export interface CapturedExecOptions extends ExecOptions {
  /** @default 120000 */
  readonly timeoutMs?: number;
  /** @default 100000 */
  readonly maxOutputChars?: number;
}

export interface CapturedExecResult extends CapturedResult {
  readonly grantId: string;
  readonly journalError?: AgentError;
}

/**
 * The MCP server's `run_with_elevation`: like `execWithElevation`, but the output is captured,
 * bounded and redacted, and the journal entry's source is `mcp`.
 */
export async function runCapturedWithElevation(options: CapturedExecOptions): Promise<CapturedExecResult> {
  const { file, args, state, credentials, env, startedAt, verifiedNow } = await prepare(options);
  const values = secretValues(credentials);
  let result: CapturedResult;
  try {
    result = await captureChild({
      command: file,
      args,
      env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      timeoutMs: options.timeoutMs ?? 120_000,
      maxOutputChars: options.maxOutputChars ?? 100_000,
      redactValues: values,
    });
  } catch (error) {
    if (error instanceof AgentError) {
      const code = error.code === AgentErrorCode.CommandNotFound ? 127 : 126;
      await journal(
        options,
        { grantId: state.grantId, time: startedAt, exitCode: code, source: 'mcp', verifiedNow },
        values,
      );
    }
    throw error;
  }
  const journalError = await journal(
    options,
    { grantId: state.grantId, time: startedAt, exitCode: result.exitCode, source: 'mcp', verifiedNow },
    values,
  );
  return { ...result, grantId: state.grantId, ...(journalError ? { journalError } : {}) };
}

type JournalledCall = { action: string; inferred: true } | { action: 'sts:GetCallerIdentity'; by: 'jit-agent' };

/** The calls this command made with the grant: jit-agent's own identity check first, then the command's. */
function awsCallsOf(command: readonly string[], verifiedNow: boolean): { awsCalls?: JournalledCall[] } {
  const calls: JournalledCall[] = [];
  if (verifiedNow) calls.push({ action: 'sts:GetCallerIdentity', by: 'jit-agent' });
  const action = awsCliCall(command);
  if (action !== undefined) calls.push({ action, inferred: true });
  return calls.length === 0 ? {} : { awsCalls: calls };
}

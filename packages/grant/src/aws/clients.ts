import type { IAMClient } from '@aws-sdk/client-iam';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient, STSClientConfig } from '@aws-sdk/client-sts';

/** Credentials or a provider of them, as every SDK client takes them. */
export type AwsCredentials = NonNullable<STSClientConfig['credentials']>;

/** Where and how AWS is called. The same for every client of one command. */
export interface AwsOptions {
  readonly region: string;
  /** An endpoint for every service (the local environment's edge). @default AWS's endpoints */
  readonly endpoint?: string | undefined;
  /** The approver's credentials. @default the SDK's default chain */
  readonly credentials?: AwsCredentials | undefined;
  /** Per attempt; a request that takes longer fails and is retried. @default 10000 */
  readonly requestTimeoutMs?: number | undefined;
  /** @default 3000 */
  readonly connectTimeoutMs?: number | undefined;
  /** Attempts per call, with the SDK's standard retry strategy (backoff, throttling). @default 4 */
  readonly maxAttempts?: number | undefined;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_MAX_ATTEMPTS = 4;

function clientConfig(options: AwsOptions, credentials: AwsCredentials | undefined) {
  return {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting: a stuck
    // endpoint would hang the CLI.
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}

/**
 * Lazily created SDK clients: a command loads (and pays the start-up cost of) only the SDK
 * packages it uses, and `--help` or a validation error loads none.
 */
export class AwsClients {
  private stsClient: STSClient | undefined;
  private secretsClient: SecretsManagerClient | undefined;
  private snsClient: SNSClient | undefined;

  constructor(readonly options: AwsOptions) {}

  async sts(): Promise<STSClient> {
    if (!this.stsClient) {
      const { STSClient } = await import('@aws-sdk/client-sts');
      this.stsClient = new STSClient(clientConfig(this.options, this.options.credentials));
    }
    return this.stsClient;
  }

  async secrets(): Promise<SecretsManagerClient> {
    if (!this.secretsClient) {
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      this.secretsClient = new SecretsManagerClient(clientConfig(this.options, this.options.credentials));
    }
    return this.secretsClient;
  }

  async sns(): Promise<SNSClient> {
    if (!this.snsClient) {
      const { SNSClient } = await import('@aws-sdk/client-sns');
      this.snsClient = new SNSClient(clientConfig(this.options, this.options.credentials));
    }
    return this.snsClient;
  }

  /** An STS client acting with other credentials (e.g. to chain into a workload account). */
  async stsWith(credentials: AwsCredentials): Promise<STSClient> {
    const { STSClient } = await import('@aws-sdk/client-sts');
    return new STSClient(clientConfig(this.options, credentials));
  }

  /** An IAM client with other credentials (the revoker role in a workload account). */
  async iamWith(credentials: AwsCredentials): Promise<IAMClient> {
    const { IAMClient } = await import('@aws-sdk/client-iam');
    return new IAMClient(clientConfig(this.options, credentials));
  }

  /** Closes the clients' sockets so the process can exit at once. */
  destroy(): void {
    this.stsClient?.destroy();
    this.secretsClient?.destroy();
    this.snsClient?.destroy();
  }
}

/** What an SDK error says, without anything but its name, message and HTTP status. */
export interface AwsErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly status: number | undefined;
  readonly attempts: number | undefined;
}

export function awsErrorInfo(error: unknown): AwsErrorInfo {
  if (error instanceof Error) {
    const meta = (error as { $metadata?: { httpStatusCode?: number; attempts?: number } }).$metadata;
    return {
      name: error.name,
      message: error.message,
      status: meta?.httpStatusCode,
      attempts: meta?.attempts,
    };
  }
  return { name: 'Error', message: String(error), status: undefined, attempts: undefined };
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);
const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has(awsErrorInfo(error).name);
}

export function isNotFound(error: unknown): boolean {
  const { name } = awsErrorInfo(error);
  return name === 'ResourceNotFoundException' || name === 'NoSuchEntity' || name === 'NoSuchEntityException';
}

/** One line for a human: what failed, why, and after how many attempts when it was retried. */
export function describeAwsError(operation: string, error: unknown): string {
  const info = awsErrorInfo(error);
  const attempts = info.attempts !== undefined && info.attempts > 1 ? ` after ${info.attempts} attempts` : '';
  let kind = info.name;
  if (THROTTLED.has(info.name)) kind = `${info.name} (throttled)`;
  if (TIMEOUT.has(info.name) || /ETIMEDOUT|timed? ?out/i.test(info.message)) kind = `${info.name} (timed out)`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|socket hang up/i.test(info.message)) kind = `${info.name} (unreachable)`;
  return `${operation} failed${attempts}: ${kind}: ${firstLine(info.message)}`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}

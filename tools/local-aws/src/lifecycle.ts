import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type JitConfig, loadConfig } from '@jit-access/core';
import { startEdge } from './edge/server.js';
import type { EdgePlugin } from './edge/types.js';
import { LocalAwsError, LocalAwsErrorCode } from './errors.js';
import { type MotoServer, signalGroup, startMoto } from './moto/launcher.js';
import { BUILTIN_PLUGINS, type EdgePluginFactory, type LocalAwsPluginContext } from './plugins.js';
import { writeAwsFiles } from './profiles.js';
import type { MotoWidening } from './provision/motoPolicy.js';
import { type LocalAccounts, type LocalCredentials, provision } from './provision/provision.js';

export interface StartLocalAwsOptions {
  /** The folder with jit.yaml. @default the nearest `accounts/` folder from the working directory up */
  readonly accountsDir?: string;
  /** Where logs, the AWS config and credentials files go. @default a new temporary folder, removed by stop() */
  readonly stateDir?: string;
  /** Latency added to S3 GET/HEAD at the edge (benchmarks; real S3 is ~20 ms). @default 0 */
  readonly s3LatencyMs?: number;
  /** Extra edge plugins (or factories), tried after the built-in ones. @default [] */
  readonly plugins?: readonly (EdgePlugin | EdgePluginFactory)[];
  /** Include the built-in plugins (CloudTrail recorder, Roles Anywhere) when present. @default true */
  readonly builtinPlugins?: boolean;
  /** Receives progress lines and every statement widened for moto. @default ignore */
  readonly log?: (line: string) => void;
  /** Python interpreter with moto. @default $JIT_LOCAL_AWS_PYTHON or python3 */
  readonly python?: string;
}

export interface LocalAwsProfiles {
  readonly admin: LocalCredentials;
  readonly approver: LocalCredentials;
  readonly agent: LocalCredentials;
}

export interface LocalAws {
  /** The edge: point every client here (`AWS_ENDPOINT_URL`). */
  readonly endpoint: string;
  readonly region: string;
  /** moto itself, bypassing the edge (no recording, no plugins). */
  readonly motoEndpoint: string;
  readonly motoPid: number;
  readonly motoLogFile: string;
  readonly accounts: LocalAccounts;
  readonly config: JitConfig;
  /** Fake local keys: admin (everything, every account via JitLocalAdmin), approver, agent (base identity). */
  readonly profiles: LocalAwsProfiles;
  readonly configFile: string;
  readonly credentialsFile: string;
  readonly stateDir: string;
  readonly plugins: readonly string[];
  /** Statements moto enforces in a wider form than AWS (see README). */
  readonly widenings: readonly MotoWidening[];
  /** Stops the edge (and its plugins) and moto; idempotent. */
  stop(): Promise<void>;
}

/** Starts moto, provisions `accounts/` into it and starts the edge in front of it. */
export async function startLocalAws(options: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const log = options.log ?? (() => {});
  const accountsDir = options.accountsDir ?? findAccountsDir(process.cwd());
  const config = await loadConfig(accountsDir);

  const ownStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'jit-local-aws-')));
  await mkdir(stateDir, { recursive: true, mode: 0o700 });

  const cleanups: (() => Promise<void>)[] = [];
  const runCleanups = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`local-aws: cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    cleanups.length = 0;
  };

  try {
    const moto: MotoServer = await startMoto({
      logFile: path.join(stateDir, 'moto.log'),
      ...(options.python === undefined ? {} : { python: options.python }),
    });
    // If this process ends without stop() (a crash, process.exit), moto's group goes with it.
    const killOnExit = (): void => {
      signalGroup(moto.pid, 'SIGKILL');
    };
    process.once('exit', killOnExit);
    cleanups.push(async () => {
      process.removeListener('exit', killOnExit);
      await moto.stop();
    });
    if (ownStateDir) cleanups.unshift(() => rm(stateDir, { recursive: true, force: true }));
    log(`moto listening on ${moto.endpoint} (pid ${moto.pid}, log ${moto.logFile})`);

    const provisioned = await provision({ config, motoEndpoint: moto.endpoint, log });

    const context: LocalAwsPluginContext = {
      config,
      accounts: provisioned.accounts,
      motoEndpoint: moto.endpoint,
      region: config.region,
      stateDir,
      adminCredentials: provisioned.credentials.admin,
      adminCredentialsFor: adminSessions(
        moto.endpoint,
        config.region,
        provisioned.credentials.admin,
        provisioned.accounts.adminRoleName,
      ),
      log,
    };
    const factories = [
      ...(options.builtinPlugins === false ? [] : BUILTIN_PLUGINS.map((p) => p.create)),
      ...(options.plugins ?? []),
    ];
    const plugins: EdgePlugin[] = [];
    let edgeOwnsPlugins = false;
    for (const entry of factories) {
      const plugin = typeof entry === 'function' ? await entry(context) : entry;
      plugins.push(plugin);
      // Until the edge owns them, plugins created here are stopped by the cleanup.
      cleanups.push(async () => {
        if (!edgeOwnsPlugins) await plugin.stop?.();
      });
    }

    const edge = await startEdge({
      motoEndpoint: moto.endpoint,
      plugins,
      s3LatencyMs: options.s3LatencyMs ?? 0,
      defaultRegion: config.region,
      log,
    });
    edgeOwnsPlugins = true;
    cleanups.push(() => edge.stop());
    log(
      `edge listening on ${edge.endpoint}${plugins.length > 0 ? ` (plugins: ${plugins.map((p) => p.name).join(', ')})` : ''}`,
    );

    const files = await writeAwsFiles(stateDir, {
      endpoint: edge.endpoint,
      accounts: provisioned.accounts,
      credentials: provisioned.credentials,
      adminSessionName: `local-admin-${randomBytes(4).toString('hex')}`,
    });

    let stopping: Promise<void> | undefined;
    return {
      endpoint: edge.endpoint,
      region: config.region,
      motoEndpoint: moto.endpoint,
      motoPid: moto.pid,
      motoLogFile: moto.logFile,
      accounts: provisioned.accounts,
      config,
      profiles: provisioned.credentials,
      configFile: files.configFile,
      credentialsFile: files.credentialsFile,
      stateDir,
      plugins: plugins.map((p) => p.name),
      widenings: provisioned.widenings,
      stop: () => {
        stopping ??= runCleanups();
        return stopping;
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

/** Sessions of the local admin role per account, assumed through moto directly (moto ignores expiry). */
function adminSessions(
  motoEndpoint: string,
  region: string,
  admin: LocalCredentials,
  roleName: string,
): (accountId: string) => Promise<LocalCredentials> {
  const sessions = new Map<string, Promise<LocalCredentials>>();
  return (accountId) => {
    let session = sessions.get(accountId);
    if (session === undefined) {
      session = (async () => {
        const sts = new STSClient({ endpoint: motoEndpoint, region, credentials: admin, maxAttempts: 2 });
        try {
          const result = await sts.send(
            new AssumeRoleCommand({
              RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
              RoleSessionName: 'local-admin',
              DurationSeconds: 43_200,
            }),
          );
          const c = result.Credentials;
          if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) {
            throw new LocalAwsError(
              LocalAwsErrorCode.ProvisionFailed,
              `moto returned no credentials for ${roleName} in ${accountId}`,
            );
          }
          return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
        } finally {
          sts.destroy();
        }
      })();
      // A failed attempt is not cached: the next caller tries again.
      session.catch(() => sessions.delete(accountId));
      sessions.set(accountId, session);
    }
    return session;
  };
}

/** The nearest `accounts/` folder holding jit.yaml, from `start` upwards. */
export function findAccountsDir(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, 'accounts');
    if (existsSync(path.join(candidate, 'jit.yaml'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new LocalAwsError(
        LocalAwsErrorCode.UsageInvalid,
        `no accounts/jit.yaml found in ${start} or any folder above it`,
        {
          suggestion: 'run from the repository, or pass --accounts <dir> (accountsDir)',
        },
      );
    }
    dir = parent;
  }
}

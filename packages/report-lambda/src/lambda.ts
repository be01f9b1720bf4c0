/**
 * The Lambda entry point (bundled to dist-bundle/index.mjs). Settings come from the environment; AWS
 * clients are created once per container. The invocation fails only when an e-mail could not be sent (or
 * its delivery not recorded), so the retries, the dead-letter queue and the alarms see exactly that.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createS3IntegritySource, type IntegritySource } from '@jit-access/audit';
import { sesMailer } from './email/send.js';
import { ReportLambdaError, ReportLambdaErrorCode } from './errors.js';
import { type ReportDependencies, type RunResult, runReport } from './run.js';
import { type Environment, parseSettings } from './settings.js';

/** Clients for the function's own account, from the standard AWS environment (region, credentials, endpoint). */
export function dependenciesFromEnvironment(env: Environment): ReportDependencies & { readonly s3: S3Client } {
  const settings = parseSettings(env);
  const endpoint = env.AWS_ENDPOINT_URL;
  const common = {
    region: settings.region,
    ...(endpoint === undefined || endpoint === '' ? {} : { endpoint }),
  };
  const s3 = new S3Client({ ...common, forcePathStyle: common.endpoint !== undefined, followRegionRedirects: true });
  const ses = new SESv2Client(common);
  const sources = new Map<string, IntegritySource>();
  return {
    settings,
    s3,
    mailer: sesMailer(
      ses,
      settings.configurationSet === undefined ? {} : { configurationSet: settings.configurationSet },
    ),
    integritySourceFor: (region) => {
      let source = sources.get(region);
      if (source === undefined) {
        // ListPublicKeys answers with the keys of the client's region: one source per digest region.
        source = createS3IntegritySource({ region, s3Client: s3, endpoint: common.endpoint });
        sources.set(region, source);
      }
      return source;
    },
  };
}

/** What the invocation returns and logs: the run without e-mail bodies. */
export type HandlerResult = Omit<RunResult, 'emails'> & {
  readonly emails: readonly Omit<RunResult['emails'][number], 'html' | 'text'>[];
};

let dependencies: ReportDependencies | undefined;

export async function handler(event: unknown): Promise<HandlerResult> {
  dependencies ??= dependenciesFromEnvironment(process.env);
  const result = await runReport(event, dependencies);
  const summary: HandlerResult = { ...result, emails: result.emails.map(({ html: _h, text: _t, ...rest }) => rest) };
  // One structured line per run for CloudWatch Logs Insights; it never holds a credential or an e-mail body.
  console.log(JSON.stringify({ level: result.ok ? 'info' : 'error', message: 'report run', ...summary }));
  if (!result.ok) {
    const failed = result.emails.filter((e) => e.status === 'failed');
    throw new ReportLambdaError(
      ReportLambdaErrorCode.SendFailed,
      `${failed.length} report e-mail${failed.length === 1 ? '' : 's'} not sent: ${[...failed.map((e) => `${e.deliveryId}: ${e.error ?? 'unknown error'}`), ...result.warnings].join('; ')}`,
      {
        suggestion:
          'check the SES identity, its sending authorization and quotas; the next invocation retries what was not sent',
      },
    );
  }
  return summary;
}

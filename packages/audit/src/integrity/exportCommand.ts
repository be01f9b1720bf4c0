import { parseArgs } from 'node:util';
import { IntegrityError, IntegrityErrorCode } from './errors.js';
import { exportBucket } from './export.js';
import { parseTrailArn } from './keys.js';
import { createS3IntegritySource } from './s3Source.js';
import type { VerifyCommandIo } from './verifyCommand.js';

export const EXPORT_HELP = `Usage: jit-audit export --s3-bucket <name> --out <dir> [options]

Copies a CloudTrail bucket (or part of it) into a folder with a jit-audit-export.json sidecar holding
the digests' signatures and CloudTrail's public keys, so that \`jit-audit verify --local <dir>\` works
offline (a plain copy loses the signatures, which S3 keeps as object metadata).

Options:
  --s3-bucket <name>     bucket to copy (required)
  --out <dir>            destination, an empty or absent folder (required)
  --prefix <prefix>      copy only keys under this prefix, e.g. AWSLogs/111122223333/ (default: all)
  --trail-arn <arn>      describe this trail in the sidecar (repeatable)
  --region <region>      region of the CloudTrail public keys (default: us-east-1, or the trail's home region)
  --endpoint-url <url>   S3 and CloudTrail endpoint, e.g. the local environment's edge
  --concurrency <n>      downloads in flight (default 16, 1-256)
  --json                 print the result as JSON
  --help                 show this help

Example:
  jit-audit export --s3-bucket log-archive-111122223333 --prefix AWSLogs/ --out ./trail-export \\
    --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main

Exit codes: 0 exported, 1 exported but some keys were skipped, 2 bad input, 3 source unavailable.
`;

function badInput(message: string): IntegrityError {
  return new IntegrityError(IntegrityErrorCode.InvalidOption, message, {
    suggestion: 'Run `jit-audit export --help` for the flags.',
  });
}

/** `jit-audit export`: copy a trail bucket into a folder that `jit-audit verify --local` reads. */
export async function runExportCommand(argv: string[], io: VerifyCommandIo): Promise<number> {
  const json = argv.includes('--json');
  try {
    let values: Record<string, string | boolean | string[] | undefined>;
    try {
      ({ values } = parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          's3-bucket': { type: 'string' },
          out: { type: 'string' },
          prefix: { type: 'string' },
          'trail-arn': { type: 'string', multiple: true },
          region: { type: 'string' },
          'endpoint-url': { type: 'string' },
          concurrency: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (error) {
      throw badInput(error instanceof Error ? error.message : String(error));
    }
    if (values.help === true) {
      io.stdout.write(EXPORT_HELP);
      return 0;
    }
    const bucket = values['s3-bucket'] as string | undefined;
    const out = values.out as string | undefined;
    if (bucket === undefined) throw badInput('--s3-bucket: missing; allowed: the name of the trail bucket');
    if (out === undefined) throw badInput('--out: missing; allowed: an empty or absent folder for the export');
    const trailArns = (values['trail-arn'] as string[] | undefined) ?? [];
    const homeRegion = trailArns[0] === undefined ? undefined : parseTrailArn(trailArns[0]).homeRegion;
    for (const arn of trailArns.slice(1)) parseTrailArn(arn);
    const concurrencyText = (values.concurrency as string | undefined) ?? '16';
    const concurrency = Number(concurrencyText);
    if (!/^\d+$/.test(concurrencyText) || concurrency < 1 || concurrency > 256) {
      throw badInput(`--concurrency: got ${JSON.stringify(concurrencyText)}; allowed: an integer from 1 to 256`);
    }
    const source = createS3IntegritySource({
      region: (values.region as string | undefined) ?? homeRegion ?? 'us-east-1',
      endpoint: values['endpoint-url'] as string | undefined,
    });
    const result = await exportBucket({
      source,
      bucket,
      prefix: values.prefix as string | undefined,
      destination: out,
      trailArns,
      concurrency,
      ...(io.now === undefined ? {} : { now: io.now }),
    });
    if (json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      io.stdout.write(
        `Exported ${result.objects} objects (${result.bytes} bytes, ${result.digests} digests) from s3://${bucket}/${values.prefix ?? ''} to ${result.destination}\n` +
          `Public keys in the sidecar: ${result.publicKeys}\n`,
      );
      for (const skipped of result.skipped) io.stdout.write(`SKIPPED\t${skipped.key}\t${skipped.reason}\n`);
    }
    return result.skipped.length === 0 ? 0 : 1;
  } catch (error) {
    const code = error instanceof IntegrityError && error.code !== IntegrityErrorCode.SourceUnavailable ? 2 : 3;
    if (json) {
      const body =
        error instanceof IntegrityError
          ? error.toJSON()
          : {
              error: {
                name: 'Error',
                code: 'INTEGRITY_UNEXPECTED',
                message: error instanceof Error ? error.message : String(error),
              },
            };
      io.stdout.write(`${JSON.stringify({ ...body, exitCode: code }, null, 2)}\n`);
    } else {
      io.stderr.write(`jit-audit export: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof IntegrityError && error.suggestion !== undefined) io.stderr.write(`${error.suggestion}\n`);
    }
    return code;
  }
}

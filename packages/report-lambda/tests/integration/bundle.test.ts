import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { createDigestKeyPair } from '@jit-access/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMail } from '../helpers/mime.js';
import { type OwnMoto, sentRawMessages, startOwnMoto } from '../helpers/motoServer.js';
import { callRecord, grantRecord } from '../helpers/records.js';
import { s3Writer, TrailBuilder } from '../helpers/trail.js';

/**
 * The artefact the report stack deploys: scripts/bundle.mjs builds dist-bundle/index.mjs, and a plain
 * Node process (as the Lambda runtime does) imports it and calls `handler` against a moto_server, with
 * settings only from the environment. Catches what tree-shaking or bundling could break.
 */

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const REGION = 'eu-west-1';
let moto: OwnMoto;
let outdir: string;

beforeAll(async () => {
  moto = await startOwnMoto();
  outdir = await mkdtemp(join(tmpdir(), 'report-bundle-'));
});

afterAll(async () => {
  await moto?.stop();
  if (outdir !== undefined) await rm(outdir, { recursive: true, force: true });
});

describe('the bundled handler', () => {
  it('is one ES module under 1 MB that reports a session from the environment alone', async () => {
    const built = await run(process.execPath, [join(root, 'scripts/bundle.mjs'), '--outdir', outdir], { cwd: root });
    expect(built.stdout).toMatch(/index\.mjs: \d+\.\d KiB/);
    const bundle = join(outdir, 'index.mjs');
    expect((await stat(bundle)).size).toBeLessThan(1024 * 1024);

    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    const s3 = new S3Client({ region: REGION, endpoint: moto.endpoint, credentials, forcePathStyle: true });
    const ses = new SESv2Client({ region: REGION, endpoint: moto.endpoint, credentials });
    const bucket = `bundle-${randomBytes(4).toString('hex')}`;
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ObjectLockEnabledForBucket: true,
        CreateBucketConfiguration: { LocationConstraint: REGION },
      }),
    );
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'reports@example.com' }));
    const t0 = new Date('2026-03-02T10:00:00Z');
    const trail = new TrailBuilder({
      bucket,
      accountId: '111111111111',
      region: REGION,
      keyPair: createDigestKeyPair(),
      writer: s3Writer(s3, bucket),
    });
    await trail.log(new Date('2026-03-02T10:05:00Z'), [
      grantRecord({
        grantId: '01JBUNDLE00000000000000001',
        accountId: '111111111111',
        time: t0,
        accessKeyId: 'ASIABUNDLE0000000001',
      }),
      callRecord({
        grantId: '01JBUNDLE00000000000000001',
        accountId: '111111111111',
        accessKeyId: 'ASIABUNDLE0000000001',
        time: new Date('2026-03-02T10:01:00Z'),
      }),
    ]);
    s3.destroy();
    ses.destroy();

    const script = `import(${JSON.stringify(bundle)}).then((m) => m.handler({ since: '2026-03-02T09:30:00Z', until: '2026-03-02T11:00:00Z' })).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: REGION,
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        JIT_REPORT_BUCKET: bucket,
        JIT_REPORT_SENDER: 'reports@example.com',
        JIT_REPORT_RECIPIENTS: `audit@${bucket}.example.com`,
      },
    });
    // The handler logs one JSON line per run, then the script prints the result.
    const [logLine = '', result = ''] = stdout.split('\n');
    expect(JSON.parse(logLine)).toMatchObject({ level: 'info', message: 'report run' });
    expect(JSON.parse(result)).toMatchObject({
      ok: true,
      sessions: [{ id: '01JBUNDLE00000000000000001', outcome: 'sent' }],
    });
    const mails = (await sentRawMessages(moto.endpoint)).filter((m) =>
      m.destinations.includes(`audit@${bucket}.example.com`),
    );
    expect(mails).toHaveLength(1);
    expect(parseMail(mails[0]?.raw_data ?? '').text).toContain('ec2:DescribeInstances');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cloudTrailDigestKey,
  cloudTrailLogKey,
  IntegrityError,
  parseCloudTrailDigestKey,
  parseCloudTrailLogKey,
  parseTrailArn,
} from '../../src/integrity/index.js';

// Key layouts as documented in the CloudTrail user guide ("Finding your CloudTrail log files",
// "CloudTrail digest file structure"); the digest example is the guide's own sample key.

describe('cloudTrailLogKey', () => {
  it('builds the per-account layout with the delivery time to the minute', () => {
    expect(
      cloudTrailLogKey({
        accountId: '111122223333',
        region: 'us-east-2',
        time: new Date('2015-08-17T14:45:59Z'),
        uniqueId: '9nYN7gp2eWAJHIfT',
      }),
    ).toBe(
      'AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz',
    );
  });

  it('puts the prefix and the organization id in front of the account', () => {
    expect(
      cloudTrailLogKey({
        prefix: 'trail/prod',
        organizationId: 'o-exampleorgid',
        accountId: '111122223333',
        region: 'eu-west-1',
        time: new Date('2024-01-09T00:05:00Z'),
        uniqueId: 'abc',
      }),
    ).toBe(
      'trail/prod/AWSLogs/o-exampleorgid/111122223333/CloudTrail/eu-west-1/2024/01/09/111122223333_CloudTrail_eu-west-1_20240109T0005Z_abc.json.gz',
    );
  });

  it('refuses a bad account id, naming the field, the value and what is allowed', () => {
    expect(() =>
      cloudTrailLogKey({ accountId: '1234', region: 'us-east-1', time: new Date(0), uniqueId: 'a' }),
    ).toThrow('accountId: got "1234"; allowed: a 12-digit AWS account id');
  });

  it('refuses a prefix with a trailing slash', () => {
    expect(() =>
      cloudTrailLogKey({
        prefix: 'logs/',
        accountId: '111122223333',
        region: 'us-east-1',
        time: new Date(0),
        uniqueId: 'a',
      }),
    ).toThrow(IntegrityError);
  });
});

describe('cloudTrailDigestKey', () => {
  it('matches the sample digest key of the CloudTrail user guide', () => {
    expect(
      cloudTrailDigestKey({
        accountId: '111122223333',
        region: 'us-east-2',
        trailName: 'your-trail-name',
        homeRegion: 'us-east-2',
        endTime: new Date('2015-08-17T15:01:31Z'),
      }),
    ).toBe(
      'AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz',
    );
  });

  it('adds _backfill before .json.gz for backfill digests', () => {
    const key = cloudTrailDigestKey({
      organizationId: 'o-exampleorgid',
      accountId: '111122223333',
      region: 'eu-central-1',
      trailName: 'org_trail.v2',
      homeRegion: 'us-east-1',
      endTime: new Date('2024-12-31T23:59:59Z'),
      backfill: true,
    });
    expect(key).toBe(
      'AWSLogs/o-exampleorgid/111122223333/CloudTrail-Digest/eu-central-1/2024/12/31/111122223333_CloudTrail-Digest_eu-central-1_org_trail.v2_us-east-1_20241231T235959Z_backfill.json.gz',
    );
  });

  it('refuses a trail name CloudTrail would not accept', () => {
    expect(() =>
      cloudTrailDigestKey({
        accountId: '111122223333',
        region: 'us-east-1',
        trailName: '-bad',
        homeRegion: 'us-east-1',
        endTime: new Date(0),
      }),
    ).toThrow(/trailName: got "-bad"/);
  });
});

describe('key parsers', () => {
  it('parses a digest key back into its parts, including a trail name with underscores', () => {
    const parsed = parseCloudTrailDigestKey(
      'p/AWSLogs/o-exampleorgid/111122223333/CloudTrail-Digest/eu-central-1/2024/12/31/111122223333_CloudTrail-Digest_eu-central-1_org_trail_us-east-1_20241231T235959Z_backfill.json.gz',
    );
    expect(parsed).toEqual({
      prefix: 'p',
      organizationId: 'o-exampleorgid',
      accountId: '111122223333',
      region: 'eu-central-1',
      trailName: 'org_trail',
      homeRegion: 'us-east-1',
      endTime: new Date('2024-12-31T23:59:59Z'),
      backfill: true,
    });
  });

  it('rejects keys whose folder date, account or region disagree with the file name', () => {
    const good =
      'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_us-east-1_t1t_us-east-1_20240301T010031Z.json.gz';
    expect(parseCloudTrailDigestKey(good)).toBeDefined();
    expect(parseCloudTrailDigestKey(good.replace('2024/03/01', '2024/03/02'))).toBeUndefined();
    expect(parseCloudTrailDigestKey(good.replace('AWSLogs/111122223333', 'AWSLogs/999999999999'))).toBeUndefined();
    expect(parseCloudTrailDigestKey(good.replace('Digest/us-east-1/', 'Digest/us-west-2/'))).toBeUndefined();
    expect(parseCloudTrailDigestKey(good.replace('20240301T010031Z', '20240301T016031Z'))).toBeUndefined();
  });

  it('parses a log key and rejects a digest key as a log key', () => {
    const key =
      'AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz';
    expect(parseCloudTrailLogKey(key)).toEqual({
      prefix: undefined,
      organizationId: undefined,
      accountId: '111122223333',
      region: 'us-east-2',
      time: new Date('2015-08-17T14:45:00Z'),
      uniqueId: '9nYN7gp2eWAJHIfT',
    });
    expect(parseCloudTrailLogKey(key.replace('CloudTrail/', 'CloudTrail-Digest/'))).toBeUndefined();
  });

  const segment = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/);
  const digestInput = fc.record({
    prefix: fc.option(
      fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
      { nil: undefined },
    ),
    organizationId: fc.option(fc.stringMatching(/^o-[a-z0-9]{10,32}$/), { nil: undefined }),
    accountId: fc.stringMatching(/^\d{12}$/),
    region: fc.constantFrom('us-east-1', 'eu-central-1', 'ap-southeast-2', 'us-gov-west-1', 'il-central-1'),
    trailName: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{1,40}[A-Za-z0-9]$/),
    homeRegion: fc.constantFrom('us-east-1', 'eu-west-3', 'ca-west-1'),
    endTime: fc.date({
      min: new Date('2013-11-01T00:00:00Z'),
      max: new Date('2099-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
    backfill: fc.boolean(),
  });

  it('round-trips every digest key it builds (property)', () => {
    fc.assert(
      fc.property(digestInput, (input) => {
        const key = cloudTrailDigestKey(input);
        const parsed = parseCloudTrailDigestKey(key);
        expect(parsed).toEqual({
          ...input,
          endTime: new Date(Math.floor(input.endTime.getTime() / 1000) * 1000),
        });
      }),
    );
  });

  it('never throws and never accepts a key it would not build, on arbitrary text (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          digestInput.map((input) => cloudTrailDigestKey(input).slice(0, -3)),
        ),
        (text) => {
          const parsed = parseCloudTrailDigestKey(text);
          if (parsed !== undefined) expect(cloudTrailDigestKey(parsed)).toBe(text);
          const log = parseCloudTrailLogKey(text);
          if (log !== undefined) expect(cloudTrailLogKey(log)).toBe(text);
        },
      ),
    );
  });
});

describe('parseTrailArn', () => {
  it('reads the home region, the owner account and the name', () => {
    expect(parseTrailArn('arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail')).toEqual({
      partition: 'aws',
      homeRegion: 'eu-west-1',
      accountId: '111122223333',
      trailName: 'org-trail',
    });
  });

  it('refuses something that is not a trail ARN, with a suggestion', () => {
    let caught: unknown;
    try {
      parseTrailArn('org-trail');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IntegrityError);
    expect((caught as IntegrityError).suggestion).toContain('describe-trails');
  });
});

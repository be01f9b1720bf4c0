import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRecord, stripSecrets } from '../../src/report/index.js';
import { assumeRole, call, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../fixtures/report/build.js';

// Invictus IR aws_dataset (MIT, ../shared/fixtures/cloudtrail/invictus-ir/LICENSE): real delivered records.
const invictusFile = fileURLToPath(
  new URL(
    '../../../../../shared/fixtures/cloudtrail/invictus-ir/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json',
    import.meta.url,
  ),
);

describe('parseRecord', () => {
  it('accepts a hand-built AssumedRole call and types the fields the report reads', () => {
    const result = parseRecord(
      call({
        time: '2026-03-25T12:01:10Z',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        readOnly: true,
      }),
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.userIdentity.type).toBe('AssumedRole');
    expect(result.record.userIdentity.sessionContext?.sourceIdentity).toBe('jit-01JQ8Z3VJ4W6T5N2M7K9A1B3C5');
    expect(result.record.readOnly).toBe(true);
  });

  it('keeps unknown fields such as tlsDetails and eventCategory', () => {
    const input = {
      ...call({
        time: '2026-03-25T12:01:10Z',
        eventSource: 's3.amazonaws.com',
        eventName: 'ListBuckets',
        readOnly: true,
      }),
      tlsDetails: { tlsVersion: 'TLSv1.3' },
    };

    const result = parseRecord(input);

    expect(result.ok && (result.record as Record<string, unknown>).tlsDetails).toEqual({ tlsVersion: 'TLSv1.3' });
  });

  it('accepts every record of a real delivered log file', () => {
    const records = (JSON.parse(readFileSync(invictusFile, 'utf8')) as { Records: unknown[] }).Records;

    const failures = records.map((r) => parseRecord(r)).filter((r) => !r.ok);

    expect(records.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });

  it('returns a finding naming the missing fields of a record without eventTime and eventName', () => {
    const input = call({
      time: '2026-03-25T12:01:10Z',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'X',
      readOnly: true,
    });
    delete input.eventTime;
    delete input.eventName;

    const result = parseRecord(input, { source: 'file.json', index: 3 });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.finding).toMatchObject({ kind: 'invalid-record', source: 'file.json', index: 3 });
    expect(result.finding.reason).toContain('eventTime');
    expect(result.finding.reason).toContain('eventName');
  });

  it('returns a finding for a wrongly typed field and for a time that is not a time', () => {
    const base = call({
      time: '2026-03-25T12:01:10Z',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'X',
      readOnly: true,
    });

    const badType = parseRecord({ ...base, errorCode: 42 });
    const badTime = parseRecord({ ...base, eventTime: 'yesterday' });

    expect(!badType.ok && badType.finding.reason).toContain('errorCode');
    expect(!badTime.ok && badTime.finding.reason).toContain('eventTime');
  });

  it('strips the session token and secret key from an AssumeRole response', () => {
    const result = parseRecord(assumeRole({ time: '2026-03-25T12:00:00Z', withSecrets: true }));

    const text = JSON.stringify(result);
    expect(result.ok).toBe(true);
    expect(text).not.toContain(SESSION_TOKEN);
    expect(text).not.toContain(SECRET_ACCESS_KEY);
    expect(text).not.toMatch(/sessionToken|secretAccessKey/i);
    expect(text).toContain('ASIAJITSESSIONKEY0001');
  });

  it('never throws and always answers a record or a finding, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, maxDepth: 6 }), (input) => {
        const result = parseRecord(input);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.finding.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on record-shaped input with arbitrary field values', () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 2 }));
    const shaped = fc.record(
      {
        eventVersion: value,
        userIdentity: fc.oneof(
          value,
          fc.record({ type: value, arn: value, accessKeyId: value, sessionContext: value }),
        ),
        eventTime: fc.oneof(
          value,
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        eventSource: value,
        eventName: value,
        errorCode: value,
        readOnly: value,
        requestParameters: value,
        responseElements: fc.oneof(
          value,
          fc.record({ credentials: fc.record({ sessionToken: fc.string(), secretAccessKey: fc.string() }) }),
        ),
        resources: fc.oneof(value, fc.array(fc.record({ ARN: value }))),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(shaped, (input) => {
        const result = parseRecord(input);
        if (result.ok) expect(JSON.stringify(result.record)).not.toMatch(/"(sessionToken|secretAccessKey)"/);
      }),
      { numRuns: 500 },
    );
  });

  it('survives a deeply nested record without overflowing the stack', () => {
    let nested: unknown = 'leaf';
    for (let i = 0; i < 100_000; i += 1) nested = { next: nested };
    const input = {
      ...call({ time: '2026-03-25T12:01:10Z', eventSource: 'ec2.amazonaws.com', eventName: 'X', readOnly: true }),
      requestParameters: nested,
    };

    const result = parseRecord(input);

    expect(typeof result.ok).toBe('boolean');
  });
});

describe('stripSecrets', () => {
  it('returns the very same object when there is nothing to strip', () => {
    const input = { a: { b: [1, { c: 'd' }] } };

    expect(stripSecrets(input)).toBe(input);
  });

  it('removes secret keys at any depth and in any case without touching the input', () => {
    const input = {
      outer: [{ SessionToken: 't', keep: 1 }],
      credentials: { secretAccessKey: 's', accessKeyId: 'ASIA' },
    };

    const output = stripSecrets(input);

    expect(output).toEqual({ outer: [{ keep: 1 }], credentials: { accessKeyId: 'ASIA' } });
    expect(input.outer[0]).toHaveProperty('SessionToken');
  });
});

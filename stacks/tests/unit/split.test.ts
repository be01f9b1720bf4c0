import type { PolicyDocument, PolicyStatement } from '@jit-access/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { approverPolicies, policyChars, splitPolicy } from '../../src/index.js';
import { exampleConfig } from '../support/fixtures.js';

const arn = (i: number) =>
  `arn:aws:secretsmanager:ap-southeast-2:444444444444:secret:agent/elevated/${String(100000000000 + i)}-??????`;

function resourcesOf(docs: readonly PolicyDocument[]): string[] {
  return docs.flatMap((d) =>
    d.Statement.flatMap((s) => (typeof s.Resource === 'string' ? [s.Resource] : [...(s.Resource ?? [])])),
  );
}

describe('splitPolicy', () => {
  it('keeps a small policy whole', () => {
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }],
    };
    expect(splitPolicy(doc, 6144)).toEqual([doc]);
  });

  it('splits a statement by its resources into parts that each fit, with the same effect and actions', () => {
    const big: PolicyStatement = {
      Sid: 'Read',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: Array.from({ length: 200 }, (_, i) => arn(i)),
    };
    const parts = splitPolicy({ Version: '2012-10-17', Statement: [big] }, 6144);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(policyChars(p)).toBeLessThanOrEqual(6144);
      for (const s of p.Statement)
        expect(s).toMatchObject({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue' });
    }
    expect(new Set(parts.flatMap((p) => p.Statement.map((s) => s.Sid))).size).toBe(
      parts.flatMap((p) => p.Statement).length,
    );
  });

  it('keeps every resource exactly once, for any number of statements and resources (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 800, max: 6144 }),
        (sizes, limit) => {
          let next = 0;
          const statements: PolicyStatement[] = sizes.map((n, i) => ({
            Sid: `S${i}`,
            Effect: i % 2 === 0 ? 'Allow' : 'Deny',
            Action: 's3:GetObject',
            Resource: Array.from({ length: n }, () => arn(next++)),
          }));
          const parts = splitPolicy({ Version: '2012-10-17', Statement: statements }, limit);
          expect(resourcesOf(parts).sort()).toEqual(Array.from({ length: next }, (_, i) => arn(i)).sort());
          for (const p of parts) expect(policyChars(p)).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses a single statement that cannot be split to fit', () => {
    const huge: PolicyStatement = {
      Sid: 'Huge',
      Effect: 'Allow',
      Action: Array.from({ length: 400 }, (_, i) => `s3:Action${i}`),
      Resource: '*',
    };
    expect(() => splitPolicy({ Version: '2012-10-17', Statement: [huge] }, 2048)).toThrow(
      /statement Huge is \d+ characters and cannot be split/,
    );
  });
});

describe("the approvers' policy", () => {
  it('stays within IAM limits for 200 workload accounts: a few managed policies, each under 6,144 characters', async () => {
    const config = await exampleConfig();
    const many = {
      ...config,
      workloadAccounts: Array.from({ length: 200 }, (_, i) => ({
        id: String(100000000000 + i),
        name: `w${i}`,
        tiers: ['ops', 'deploy', 'security'],
      })),
      tiers: config.tiers.map((t) => ({
        ...t,
        accountIds: Array.from({ length: 200 }, (_, i) => String(100000000000 + i)),
      })),
    };
    const docs = approverPolicies(many, {
      secretsKeyArn: 'arn:aws:kms:ap-southeast-2:444444444444:key/x',
      topicNames: ['jit-notifications'],
    });
    expect(docs.length).toBeLessThanOrEqual(4);
    for (const d of docs) expect(policyChars(d)).toBeLessThanOrEqual(6144);
  });
});

import { describe, expect, it } from 'vitest';
import {
  arnFitsAction,
  contextsSatisfying,
  expandActionPattern,
  requestCarriesKey,
  sampleResources,
} from '../../src/gates/index.js';

describe('the action catalogue', () => {
  it('expands a pattern into every action it covers, and a full name into itself', async () => {
    const creates = await expandActionPattern('cloudtrail:Create*');
    expect(creates).toContain('cloudtrail:CreateTrail');
    expect(creates.every((a) => a.startsWith('cloudtrail:Create'))).toBe(true);
    expect(await expandActionPattern('sts:assumerole')).toEqual(['sts:AssumeRole']);
  });

  it('refuses an action that does not exist, instead of expanding it to nothing', async () => {
    await expect(expandActionPattern('s3:GetObjekt')).rejects.toThrow(/unknown IAM action "s3:GetObjekt"/);
  });

  it('tells a bucket from an object', async () => {
    expect(await arnFitsAction('s3:GetObject', 'arn:aws:s3:::bucket/key')).toBe(true);
    expect(await arnFitsAction('s3:GetObject', 'arn:aws:s3:::bucket')).toBe(false);
    expect(await arnFitsAction('s3:DeleteBucket', 'arn:aws:s3:::bucket/key')).toBe(false);
    expect(await arnFitsAction('iam:PassRole', 'arn:aws:iam::111111111111:role/path/Name')).toBe(true);
  });

  it('builds a well-formed sample resource, or * for actions without resource types', async () => {
    expect(await sampleResources('sts:GetCallerIdentity', { account: '1', region: 'r' })).toEqual(['*']);
    expect(await sampleResources('iam:PassRole', { account: '111111111111', region: 'ap-southeast-2' })).toEqual([
      'arn:aws:iam::111111111111:role/jit-sample-rolenamewithpath',
    ]);
  });

  it('knows which requests carry a condition key', async () => {
    expect(await requestCarriesKey('kms:Decrypt', 'arn:aws:kms:r:1:key/k', 'kms:ResourceAliases')).toBe(true);
    expect(await requestCarriesKey('kms:CreateKey', '*', 'kms:ResourceAliases')).toBe(false);
    expect(await requestCarriesKey('iam:CreateRole', 'arn:aws:iam::1:role/x', 'iam:PermissionsBoundary')).toBe(true);
  });
});

describe('contextsSatisfying', () => {
  it('gives both the missing key and another value for a negated operator', () => {
    expect(
      contextsSatisfying({ ArnNotLike: { 'iam:PermissionsBoundary': 'arn:aws:iam::*:policy/B' } }, '111111111111'),
    ).toEqual([{}, { 'iam:PermissionsBoundary': 'arn:aws:iam::111111111111:policy/NotTheExpectedOne' }]);
  });

  it('fills patterns for positive operators and honours Null', () => {
    expect(
      contextsSatisfying(
        { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': 'alias/jit-*' }, Null: { 'aws:TokenIssueTime': 'true' } },
        '1',
      ),
    ).toEqual([{ 'kms:ResourceAliases': ['alias/jit-x'] }]);
  });
});

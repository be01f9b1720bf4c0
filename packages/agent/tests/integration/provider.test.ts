import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { AgentErrorCode } from '../../src/errors.js';
import { fromJitSecret } from '../../src/provider.js';
import { grant, revoke } from '../support/localGrants.js';

// fromJitSecret as an AWS SDK v3 client's credentials, against the local environment.
// This file owns account 333333333333 (identity).
const ctx = inject('localAws');
const ACCOUNT = '333333333333';
const clients: STSClient[] = [];
afterAll(() => {
  for (const c of clients) c.destroy();
});

function elevatedSts(cacheSeconds = 60) {
  const client = new STSClient({
    endpoint: ctx.endpoint,
    region: ctx.region,
    maxAttempts: 1,
    credentials: fromJitSecret({
      account: ACCOUNT,
      region: ctx.region,
      endpoint: ctx.endpoint,
      stsEndpoint: ctx.endpoint,
      baseCredentials: async () => ctx.profiles.agent,
      cacheSeconds,
    }),
  });
  clients.push(client);
  return client;
}

describe('fromJitSecret', () => {
  it("gives an SDK client the grant's identity", async () => {
    const p = await grant(ctx, { account: ACCOUNT });
    const me = await elevatedSts().send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${p.GrantId}`);
  });

  it('refuses with the refusal code once the grant is revoked and the secret is read again', async () => {
    const p = await grant(ctx, { account: ACCOUNT });
    const client = elevatedSts(0);
    await client.send(new GetCallerIdentityCommand({}));
    await revoke(ctx, ACCOUNT, p.GrantId);
    const provider = fromJitSecret({
      account: ACCOUNT,
      region: ctx.region,
      endpoint: ctx.endpoint,
      stsEndpoint: ctx.endpoint,
      baseCredentials: async () => ctx.profiles.agent,
    });
    await expect(provider()).rejects.toMatchObject({ code: AgentErrorCode.Revoked });
  });

  it("reads the secret with the agent's base identity only: a wrong key is an identity failure", async () => {
    const provider = fromJitSecret({
      account: ACCOUNT,
      region: ctx.region,
      endpoint: ctx.endpoint,
      stsEndpoint: ctx.endpoint,
      baseCredentials: async () => ({ ...ctx.profiles.agent, secretAccessKey: 'not-the-agent-secret-key-00000' }),
    });
    await expect(provider()).rejects.toMatchObject({ code: AgentErrorCode.Identity });
  });
});

describe('fromJitSecret and planted credentials', () => {
  it("refuses a refresh that loads another account's session planted in the secret", async () => {
    await grant(ctx, { account: ACCOUNT, credentialsOf: { account: '111111111111' } });
    const provider = fromJitSecret({
      account: ACCOUNT,
      region: ctx.region,
      endpoint: ctx.endpoint,
      stsEndpoint: ctx.endpoint,
      baseCredentials: async () => ctx.profiles.agent,
    });
    await expect(provider()).rejects.toMatchObject({ code: AgentErrorCode.ForeignCredentials });
  });
});

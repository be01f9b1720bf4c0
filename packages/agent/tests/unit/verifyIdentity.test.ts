import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { secretName } from '@jit-access/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialProcess } from '../../src/credentialProcess.js';
import { AgentErrorCode, EXIT_CODES } from '../../src/errors.js';
import { execWithElevation } from '../../src/exec.js';
import { fromJitSecret } from '../../src/provider.js';
import { createCredentialVerifier, expectedSessionArn } from '../../src/verifyIdentity.js';
import { ACCOUNT, GRANT_ID, memoryHub, OTHER_ACCOUNT, payload, secretText, T0 } from '../support/grants.js';

// The check's logic over an in-memory STS (tests/support/grants.ts); the real STS answers in
// tests/integration/verifyIdentity.test.ts.
const now = () => new Date(T0.getTime() + 60_000);
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${GRANT_ID}`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-verify-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function hubWith(identity?: { account: string; arn: string }) {
  const p = payload();
  const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
  if (identity) hub.sessions.set(p.AccessKeyId, identity);
  return { p, hub };
}

describe('expectedSessionArn', () => {
  it("is the grant's jit- session of the payload's role, without the role's path, in the role's partition", () => {
    expect(
      expectedSessionArn({
        account: ACCOUNT,
        grantId: GRANT_ID,
        roleArn: `arn:aws-cn:iam::${ACCOUNT}:role/team/AgentElevated-Ops`,
      }),
    ).toBe(`arn:aws-cn:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${GRANT_ID}`);
  });
});

describe('credential verification before first use', () => {
  it('exec refuses credentials STS says belong to another account, with exit 18, naming both ARNs and no secret, and runs nothing', async () => {
    const foreign = `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${GRANT_ID}`;
    const { p, hub } = hubWith({ account: OTHER_ACCOUNT, arn: foreign });
    const marker = path.join(dir, 'ran');
    const journalPath = path.join(dir, 'journal.jsonl');

    const refused = execWithElevation({
      account: ACCOUNT,
      command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      journalPath,
      now,
    });

    const error = (await refused.then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { code: string };
    expect(error.code).toBe(AgentErrorCode.ForeignCredentials);
    expect(EXIT_CODES[AgentErrorCode.ForeignCredentials]).toBe(18);
    expect(error.message).toContain(SESSION_ARN);
    expect(error.message).toContain(foreign);
    expect(error.message).toContain(`STS says account ${OTHER_ACCOUNT}`);
    expect(error.message).not.toContain(p.SecretAccessKey);
    expect(error.message).not.toContain(p.SessionToken);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(journalPath)).toBe(false);
  });

  it("credential-process refuses credentials of the right account but another role than the payload's", async () => {
    const { hub } = hubWith({
      account: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Deploy/jit-${GRANT_ID}`,
    });
    await expect(
      credentialProcess({
        account: ACCOUNT,
        readSecret: hub.readSecret,
        verifyCredentials: hub.verifyCredentials,
        now: now(),
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.ForeignCredentials });
  });

  it("refuses the payload's role under another session name than the grant's", async () => {
    const { hub } = hubWith({
      account: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/local-admin`,
    });
    await expect(
      credentialProcess({
        account: ACCOUNT,
        readSecret: hub.readSecret,
        verifyCredentials: hub.verifyCredentials,
        now: now(),
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.ForeignCredentials });
  });

  it('refuses a payload whose RoleName is not the role in its RoleArn, without asking STS', async () => {
    const p = payload({ RoleName: 'AgentElevated-Deploy' });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    await expect(
      credentialProcess({
        account: ACCOUNT,
        readSecret: hub.readSecret,
        verifyCredentials: hub.verifyCredentials,
        now: now(),
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.ForeignCredentials });
    expect(hub.stsCalls).toEqual([]);
  });

  it('refuses when STS cannot answer (fails closed), keeping the cause', async () => {
    const { hub } = hubWith();
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'TimeoutError' });
    const verify = createCredentialVerifier(async () => {
      throw unreachable;
    });
    const error = (await credentialProcess({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: verify,
      now: now(),
    }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { code: string; cause: unknown };
    expect(error.code).toBe(AgentErrorCode.ForeignCredentials);
    expect(error.message).toContain('TimeoutError: connect ECONNREFUSED');
    expect(error.cause).toBe(unreachable);
  });

  it('the SDK provider asks STS once per access key id across refreshes, and again for a new grant', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(payload()) });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      cacheSeconds: 0,
      now,
    });
    await provider();
    await provider();
    await provider({ forceRefresh: true });
    expect(hub.reads).toHaveLength(3);
    expect(hub.stsCalls).toHaveLength(1);

    const next = payload({ GrantId: '01JQ7ZJ7Q2W8Y3K4M5N6P7R8SA' });
    hub.secrets.set(secretName(ACCOUNT), secretText(next));
    const creds = await provider();
    expect(creds.accessKeyId).toBe(next.AccessKeyId);
    expect(hub.stsCalls).toEqual([expect.any(String), next.AccessKeyId]);
  });

  it('the SDK provider refuses a refresh that loads foreign credentials, and asks STS again next time', async () => {
    const { hub } = hubWith({ account: OTHER_ACCOUNT, arn: `arn:aws:sts::${OTHER_ACCOUNT}:user/attacker` });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now,
    });
    await expect(provider()).rejects.toMatchObject({ code: AgentErrorCode.ForeignCredentials });
    await expect(provider()).rejects.toMatchObject({ code: AgentErrorCode.ForeignCredentials });
    expect(hub.stsCalls).toHaveLength(2);
  });
});

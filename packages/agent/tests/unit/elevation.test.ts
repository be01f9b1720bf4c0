import { secretName } from '@jit-access/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifySecret, readElevation, refusalError, requireActive } from '../../src/elevation.js';
import { AgentError, AgentErrorCode, EXIT_CODES } from '../../src/errors.js';
import {
  ACCOUNT,
  GRANT_ID,
  memoryHub,
  OTHER_ACCOUNT,
  payload,
  placeholder,
  secretText,
  T0,
} from '../support/grants.js';

const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

describe('readElevation', () => {
  it('reports an active grant with tier, role, reason and time left, and keeps the credentials apart', async () => {
    const p = payload({}, { minutes: 15 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });

    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: minutes(5) });

    expect(read.state).toMatchObject({
      status: 'active',
      account: ACCOUNT,
      grantId: GRANT_ID,
      tier: 'ops',
      roleName: 'AgentElevated-Ops',
      reason: 'restart the api service',
      secondsLeft: 600,
    });
    expect(JSON.stringify(read.state)).not.toContain(p.SecretAccessKey);
    expect(JSON.stringify(read.state)).not.toContain(p.SessionToken);
    expect(read.credentials?.secretAccessKey).toBe(p.SecretAccessKey);
    expect(hub.reads).toEqual(['agent/elevated/222222222222']);
  });

  it('reports the placeholder as no grant', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder() });
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: T0 });
    expect(read.state).toEqual({ status: 'inactive', account: ACCOUNT });
    expect(read.credentials).toBeUndefined();
  });

  it('reports a placeholder with a revocation time as revoked', async () => {
    const hub = memoryHub({
      [secretName(ACCOUNT)]: placeholder({ revokedAt: minutes(3), grantId: GRANT_ID, reason: 'done early' }),
    });
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: minutes(4) });
    expect(read.state).toEqual({
      status: 'revoked',
      account: ACCOUNT,
      revokedAt: minutes(3).toISOString(),
      grantId: GRANT_ID,
      note: 'done early',
    });
  });

  it('reports credentials past their STS expiry as expired, naming the grant', async () => {
    const p = payload({}, { minutes: 15 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: minutes(16) });
    expect(read.state).toMatchObject({ status: 'expired', grantId: GRANT_ID, expiration: p.Expiration });
    expect(read.credentials).toBeUndefined();
  });

  it('reports a grant whose window has passed as window-closed even though STS credentials still live', async () => {
    // The security tier: 5-minute window, 15-minute STS credentials.
    const p = payload({}, { minutes: 5 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: minutes(6) });
    expect(read.state).toMatchObject({ status: 'window-closed', grantId: GRANT_ID, effectiveUntil: p.EffectiveUntil });
  });

  it('refuses 30 seconds before the window ends by default (clock-skew margin)', async () => {
    const p = payload({}, { minutes: 5 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const justInside = await readElevation({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      now: new Date(minutes(5).getTime() - 31_000),
    });
    const withinMargin = await readElevation({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      now: new Date(minutes(5).getTime() - 29_000),
    });
    expect(justInside.state.status).toBe('active');
    expect(withinMargin.state.status).toBe('window-closed');
  });

  it('applies a configured clock-skew margin', async () => {
    const p = payload({}, { minutes: 5 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const read = await readElevation({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      now: new Date(minutes(5).getTime() - 90_000),
      clockSkewSeconds: 120,
    });
    expect(read.state.status).toBe('window-closed');
  });

  it('reports a secret that is not JSON as malformed without quoting it', async () => {
    const text = 'AKIA-not-json SECRET=abc123def456ghi789';
    const hub = memoryHub({ [secretName(ACCOUNT)]: text });
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: T0 });
    expect(read.state.status).toBe('malformed');
    expect(JSON.stringify(read.state)).not.toContain('abc123def456ghi789');
  });

  it('reports a payload missing fields as malformed, naming the fields but not the values', async () => {
    const { SessionToken: _dropped, Region: _region, ...rest } = payload();
    const hub = memoryHub({ [secretName(ACCOUNT)]: JSON.stringify(rest) });
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: T0 });
    expect(read.state.status).toBe('malformed');
    const message = (read.state as { message: string }).message;
    expect(message).toContain('SessionToken');
    expect(message).toContain('Region');
    expect(message).not.toContain(rest.SecretAccessKey);
  });

  it("refuses a grant for another account found in this account's secret", async () => {
    const p = payload({}, { account: OTHER_ACCOUNT });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: minutes(1) });
    expect(read.state).toMatchObject({ status: 'wrong-account', payloadAccount: OTHER_ACCOUNT });
    expect(read.credentials).toBeUndefined();
  });

  it('refuses a payload whose role lives in another account than it claims', async () => {
    const p = payload({ RoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/AgentElevated-Ops` });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: minutes(1) });
    expect(read.state.status).toBe('wrong-account');
  });

  it('reports a secret that cannot be read as unreadable', async () => {
    const hub = memoryHub();
    const read = await readElevation({ account: ACCOUNT, readSecret: hub.readSecret, now: T0 });
    expect(read.state).toMatchObject({ status: 'unreadable', code: AgentErrorCode.Unreadable });
  });

  it('refuses an account that is not 12 digits before reading anything', async () => {
    const hub = memoryHub();
    await expect(readElevation({ account: '2222', readSecret: hub.readSecret })).rejects.toMatchObject({
      code: AgentErrorCode.Usage,
    });
    expect(hub.reads).toEqual([]);
  });

  it('refuses a clock skew outside 0..300 seconds', async () => {
    const hub = memoryHub();
    await expect(
      readElevation({ account: ACCOUNT, readSecret: hub.readSecret, clockSkewSeconds: 301 }),
    ).rejects.toThrow(/0 to 300/);
  });
});

describe('refusals', () => {
  const cases: [string, string, AgentErrorCode][] = [
    ['placeholder', placeholder(), AgentErrorCode.NoGrant],
    ['revoked', placeholder({ revokedAt: T0 }), AgentErrorCode.Revoked],
    ['expired', secretText(payload({}, { at: minutes(-30) })), AgentErrorCode.Expired],
    [
      'window closed',
      secretText(payload({ EffectiveUntil: minutes(-1).toISOString() }, { at: minutes(-5) })),
      AgentErrorCode.WindowClosed,
    ],
    ['malformed', '{"SchemaVersion":1}', AgentErrorCode.Malformed],
    ['wrong account', secretText(payload({}, { account: OTHER_ACCOUNT })), AgentErrorCode.WrongAccount],
  ];

  it.each(cases)('refuses a %s secret with its own code and exit code', (_name, text, code) => {
    const read = classifySecret(text, { account: ACCOUNT, now: T0 });
    expect(() => requireActive(read)).toThrow(AgentError);
    const error = refusalError(read.state);
    expect(error.code).toBe(code);
    expect(EXIT_CODES[code]).toBeGreaterThanOrEqual(10);
  });

  it('gives every refusal a distinct exit code', () => {
    const codes = cases.map(([, , code]) => EXIT_CODES[code]);
    expect(new Set([...codes, EXIT_CODES[AgentErrorCode.Unreadable]]).size).toBe(cases.length + 1);
  });
});

describe('classifySecret on untrusted input', () => {
  it('never throws and never echoes the secret value, whatever the secret holds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const marker = `MARKER${text.length}SECRETVALUEXYZ`;
          const withMarker = text.length > 2 ? `${text.slice(0, 1)}${marker}${text.slice(1)}` : text;
          const read = classifySecret(withMarker, { account: ACCOUNT, now: T0 });
          expect(JSON.stringify(read.state)).not.toContain(marker);
          expect(read.state.status === 'active').toBe(read.credentials !== undefined);
        },
      ),
    );
  });

  it('classifies any well-formed payload of this account by the clock alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: -120, max: 120 }), fc.integer({ min: 5, max: 60 }), (offset, windowMinutes) => {
        const p = payload({}, { minutes: windowMinutes });
        const now = minutes(offset);
        const read = classifySecret(secretText(p), { account: ACCOUNT, now, clockSkewSeconds: 30 });
        const cutoff = Math.min(Date.parse(p.Expiration), Date.parse(p.EffectiveUntil)) - 30_000;
        expect(read.state.status === 'active').toBe(now.getTime() < cutoff);
      }),
    );
  });
});

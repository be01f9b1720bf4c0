import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CoreErrorCode,
  MAX_SECRET_BYTES,
  PayloadError,
  parseSecretPayload,
  placeholderSecretString,
  serializeElevatedPayload,
} from '../../src/index.js';
import { NOW, samplePayload } from '../support/payload.js';

const parse = (text: unknown, now = NOW) => parseSecretPayload(text, { now });

function refusal(text: unknown, now = NOW): PayloadError {
  try {
    parse(text, now);
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return error as PayloadError;
  }
  throw new Error('expected the payload to be refused');
}

describe('parseSecretPayload', () => {
  it('accepts an active v1 payload and says until when it is usable', () => {
    const state = parse(serializeElevatedPayload(samplePayload()));
    expect(state.kind).toBe('active');
    if (state.kind === 'active') {
      expect(state.payload.GrantId).toBe('01JQ0000000000000000000000');
      // The window (12:45) closes before STS's expiry (13:30): the earlier one wins.
      expect(state.usableUntil.toISOString()).toBe('2026-03-25T12:45:00.000Z');
    }
  });

  it('recognises the placeholder', () => {
    expect(parse('{"status":"inactive"}')).toEqual({ kind: 'placeholder', placeholder: { status: 'inactive' } });
  });

  it('recognises a revoked placeholder with its details', () => {
    const text = placeholderSecretString({ revokedAt: NOW, reason: 'done', grantId: '01JQ0000000000000000000000' });
    const state = parse(text);
    expect(state).toEqual({
      kind: 'placeholder',
      placeholder: {
        status: 'inactive',
        revokedAt: '2026-03-25T12:30:00.000Z',
        reason: 'done',
        grantId: '01JQ0000000000000000000000',
      },
    });
  });

  it('refuses credentials past their STS expiry', () => {
    const text = JSON.stringify(
      samplePayload({ Expiration: '2026-03-25T12:00:00Z', EffectiveUntil: '2026-03-25T12:00:00Z' }),
    );
    expect(refusal(text).code).toBe(CoreErrorCode.PayloadExpired);
  });

  it('refuses credentials whose window has closed though STS has not expired them', () => {
    const text = JSON.stringify(samplePayload({ EffectiveUntil: '2026-03-25T12:29:00Z' }));
    expect(refusal(text).code).toBe(CoreErrorCode.PayloadWindowClosed);
  });

  it('applies the clock-skew margin: 20 s before the window closes counts as closed', () => {
    const text = JSON.stringify(samplePayload({ EffectiveUntil: '2026-03-25T12:30:20Z' }));
    expect(refusal(text).code).toBe(CoreErrorCode.PayloadWindowClosed);
    expect(parseSecretPayload(text, { now: NOW, clockSkewSeconds: 5 }).kind).toBe('active');
  });

  it('refuses text that is not JSON without echoing it', () => {
    const error = refusal('AccessKeyId=ASIAFAKE secret=topsecretvalue');
    expect(error.code).toBe(CoreErrorCode.PayloadNotJson);
    expect(error.message).not.toContain('topsecretvalue');
  });

  it('refuses a payload missing fields, naming them but not the values', () => {
    const { SessionToken: _dropped, ...rest } = samplePayload();
    const error = refusal(JSON.stringify(rest));
    expect(error.code).toBe(CoreErrorCode.PayloadInvalid);
    expect(error.message).toContain('SessionToken');
  });

  it('never puts a credential value into an error message', () => {
    const payload = samplePayload({ Expiration: 'not a date' });
    const error = refusal(JSON.stringify(payload));
    expect(error.message).toContain('Expiration');
    expect(error.message).not.toContain(payload.SecretAccessKey);
    expect(error.message).not.toContain(payload.SessionToken);
  });

  it('refuses unknown fields (a tampered payload)', () => {
    const error = refusal(JSON.stringify({ ...samplePayload(), Extra: 'x' }));
    expect(error.message).toMatch(/unknown field\(s\) Extra/);
  });

  it('refuses a payload over 64 KiB before parsing it', () => {
    const error = refusal(`{"status":"inactive","reason":"${'x'.repeat(MAX_SECRET_BYTES)}"}`);
    expect(error.code).toBe(CoreErrorCode.PayloadTooLarge);
  });

  it('refuses a value that is not a string', () => {
    expect(refusal(undefined).code).toBe(CoreErrorCode.PayloadInvalid);
    expect(refusal(null).message).toMatch(/got null/);
  });

  it('refuses JSON that is not an object', () => {
    expect(refusal('[1,2]').code).toBe(CoreErrorCode.PayloadInvalid);
    expect(refusal('"inactive"').code).toBe(CoreErrorCode.PayloadInvalid);
  });

  it('refuses another schema version', () => {
    expect(refusal(JSON.stringify(samplePayload({ SchemaVersion: 2 as 1 }))).message).toContain('SchemaVersion');
  });

  it('only ever throws PayloadError, whatever the input (property)', () => {
    const jsonish = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ status: fc.string() }).map((v) => JSON.stringify(v)),
      fc
        .dictionary(
          fc.constantFrom(...Object.keys(samplePayload())),
          fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        )
        .map((v) => JSON.stringify({ ...samplePayload(), ...v })),
    );
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.anything()), (input) => {
        try {
          parse(input);
        } catch (error) {
          if (!(error instanceof PayloadError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every payload it serialises (property)', () => {
    const minutes = fc.integer({ min: 1, max: 60 });
    fc.assert(
      fc.property(minutes, fc.string({ minLength: 1, maxLength: 256 }), (m, reason) => {
        const until = new Date(NOW.getTime() + m * 60_000 + 60_000).toISOString();
        const text = serializeElevatedPayload(samplePayload({ EffectiveUntil: until, GrantedFor: reason }));
        const state = parse(text);
        return state.kind === 'active' && state.payload.GrantedFor === reason;
      }),
    );
  });
});

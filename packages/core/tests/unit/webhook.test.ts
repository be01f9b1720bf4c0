import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, WebhookError, WebhookErrorCode } from '../../src/webhook.js';

const SECRET = 'shared-secret-for-tests-0123456789';
const NOW = new Date('2026-03-25T12:30:00Z');

function refusal(fn: () => void): WebhookError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookError) return error;
    throw error;
  }
  throw new Error('expected a WebhookError');
}

describe('signWebhook / verifyWebhook', () => {
  it('signs HMAC-SHA256 over "<timestamp>.<body>" with the timestamp in Unix seconds', () => {
    const signed = signWebhook('{"a":1}', 'key', new Date(1_700_000_000_500));
    expect(signed.timestamp).toBe('1700000000');
    // computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
    expect(signed.signature).toBe('sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03');
    expect(signed.headers).toEqual({ 'x-jit-signature': signed.signature, 'x-jit-timestamp': '1700000000' });
  });

  it('accepts what it signed', () => {
    const body = JSON.stringify({ event: 'granted' });
    const { signature, timestamp } = signWebhook(body, SECRET, NOW);
    expect(() => verifyWebhook({ body, signature, timestamp, secret: SECRET, now: NOW })).not.toThrow();
  });

  it('refuses a body signed with another secret', () => {
    const { signature, timestamp } = signWebhook('{}', 'other-secret', NOW);
    expect(refusal(() => verifyWebhook({ body: '{}', signature, timestamp, secret: SECRET, now: NOW })).code).toBe(
      WebhookErrorCode.SignatureInvalid,
    );
  });

  it('refuses a replay older than the tolerance, and a timestamp from the future', () => {
    const { signature, timestamp } = signWebhook('{}', SECRET, NOW);
    const late = new Date(NOW.getTime() + 301_000);
    const early = new Date(NOW.getTime() - 301_000);
    expect(
      refusal(() => verifyWebhook({ body: '{}', signature, timestamp, secret: SECRET, now: late })).message,
    ).toMatch(/is 301 s old; at most 300 s is allowed/);
    expect(
      refusal(() => verifyWebhook({ body: '{}', signature, timestamp, secret: SECRET, now: early })).message,
    ).toMatch(/in the future/);
  });

  it('refuses a signature moved to another timestamp', () => {
    const { signature } = signWebhook('{}', SECRET, NOW);
    const timestamp = String(NOW.getTime() / 1000 + 1);
    expect(refusal(() => verifyWebhook({ body: '{}', signature, timestamp, secret: SECRET, now: NOW })).code).toBe(
      WebhookErrorCode.SignatureInvalid,
    );
  });

  it.each([
    [{ signature: undefined }, WebhookErrorCode.SignatureMissing],
    [{ timestamp: undefined }, WebhookErrorCode.SignatureMissing],
    [{ timestamp: '12e3' }, WebhookErrorCode.TimestampInvalid],
    [{ signature: 'sha256=zz' }, WebhookErrorCode.SignatureInvalid],
    [{ signature: 'md5=abc' }, WebhookErrorCode.SignatureInvalid],
    [{ secret: '' }, WebhookErrorCode.SecretMissing],
  ])('refuses %j', (change, code) => {
    const signed = signWebhook('{}', SECRET, NOW);
    const input = {
      body: '{}',
      signature: signed.signature,
      timestamp: signed.timestamp,
      secret: SECRET,
      now: NOW,
      ...change,
    };
    expect(refusal(() => verifyWebhook(input as Parameters<typeof verifyWebhook>[0])).code).toBe(code);
  });

  it('refuses any change to the body (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, at, flip) => {
          const body = Buffer.from(bytes);
          const { signature, timestamp } = signWebhook(body, SECRET, NOW);
          expect(() => verifyWebhook({ body, signature, timestamp, secret: SECRET, now: NOW })).not.toThrow();
          const tampered = Buffer.from(body);
          const i = at % tampered.length;
          tampered[i] = (tampered[i] ?? 0) ^ flip;
          expect(() => verifyWebhook({ body: tampered, signature, timestamp, secret: SECRET, now: NOW })).toThrow(
            WebhookError,
          );
        },
      ),
    );
  });

  it('throws only WebhookErrors for arbitrary headers (property)', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), (signature, timestamp) => {
        try {
          verifyWebhook({
            body: '{}',
            signature: signature ?? undefined,
            timestamp: timestamp ?? undefined,
            secret: SECRET,
            now: NOW,
          });
        } catch (error) {
          expect(error).toBeInstanceOf(WebhookError);
        }
      }),
    );
  });
});

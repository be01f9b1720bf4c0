import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../../src/child.js';
import { guardCredentials, redact, secretValues } from '../../src/credentials.js';

const credentials = {
  accessKeyId: 'ASIAEXAMPLEKEYID0001',
  secretAccessKey: 'secret/abcdefghijklmnopqrstuvwxyz0123456789',
  sessionToken: 'token+ZZZZYYYYXXXXWWWWVVVVUUUUTTTTSSSS',
  expiration: new Date('2026-03-25T13:15:00Z'),
};

describe('guardCredentials', () => {
  it('shows [redacted] instead of the secret key and token when serialised or logged', () => {
    const guarded = guardCredentials(credentials);
    const shown = [JSON.stringify(guarded), JSON.stringify({ nested: guarded }), inspect(guarded), `${guarded}`];
    for (const text of shown) {
      expect(text).not.toContain(credentials.secretAccessKey);
      expect(text).not.toContain(credentials.sessionToken);
    }
    expect(guarded.secretAccessKey).toBe(credentials.secretAccessKey);
  });
});

describe('redact', () => {
  it('replaces every occurrence of every value', () => {
    const values = secretValues(credentials);
    const text = `a ${credentials.sessionToken} b ${credentials.secretAccessKey}${credentials.secretAccessKey} c ${credentials.accessKeyId}`;
    expect(redact(text, values)).toBe('a [redacted] b [redacted][redacted] c [redacted]');
  });
});

describe('redact, encoded forms', () => {
  it('also hides the secrets printed as hex, base64, base64url or reversed (echo $X | base64, xxd -p, rev)', () => {
    const values = secretValues(credentials);
    for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) {
      const forms = [
        Buffer.from(`${secret}\n`).toString('base64'),
        Buffer.from(secret).toString('hex'),
        Buffer.from(`${secret}\n`).toString('base64url'),
        [...secret].reverse().join(''),
      ];
      for (const form of forms) {
        const out = redact(`output: ${form}`, values);
        expect(out).toContain('[redacted]');
        // What is left of the encoding is at most its tail (under 4 characters of the padding group).
        expect(out.replace('output: [redacted]', '').length).toBeLessThanOrEqual(8);
      }
    }
  });
});

describe('cut (bounded, redacted output)', () => {
  it('never leaves a whole or partial secret visible, wherever the cut falls', () => {
    const values = secretValues(credentials);
    // Filler from characters no credential contains, so any 8 characters of a value in the output are a leak.
    const filler = fc.string({ unit: fc.constantFrom('.', '-', ' ', '_', '\n'), maxLength: 40 });
    fc.assert(
      fc.property(
        fc.array(fc.oneof(filler, fc.constantFrom(...values)), { maxLength: 12 }),
        fc.integer({ min: 1, max: 200 }),
        (parts, max) => {
          const out = cut(parts.join(''), max, values).text.replaceAll('[redacted]', ' ');
          for (const value of values) {
            for (let i = 0; i + 8 <= value.length; i++) expect(out).not.toContain(value.slice(i, i + 8));
          }
        },
      ),
    );
  });

  it('reports truncation and keeps short output whole', () => {
    expect(cut('hello', 10, [])).toEqual({ text: 'hello', truncated: false });
    expect(cut('hello world', 5, [])).toEqual({ text: 'hello', truncated: true });
  });
});

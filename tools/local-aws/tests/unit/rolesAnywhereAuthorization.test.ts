import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseX509Authorization } from '../../src/rolesAnywhere/index.js';

const VALID =
  'AWS4-X509-ECDSA-SHA256 Credential=131827979019394590882466519576505238184/20180102/ap-southeast-2/rolesanywhere/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-x509, Signature=3045022100ab';

describe('parseX509Authorization', () => {
  it('parses algorithm, credential scope, signed headers and signature', () => {
    const result = parseX509Authorization(VALID);

    expect(result).toEqual({
      ok: true,
      value: {
        algorithm: 'AWS4-X509-ECDSA-SHA256',
        serialDecimal: '131827979019394590882466519576505238184',
        scopeDate: '20180102',
        region: 'ap-southeast-2',
        service: 'rolesanywhere',
        scope: '20180102/ap-southeast-2/rolesanywhere/aws4_request',
        signedHeaders: ['content-type', 'host', 'x-amz-date', 'x-amz-x509'],
        signature: '3045022100ab',
      },
    });
  });

  it('refuses the HMAC algorithm of plain SigV4, naming the allowed ones', () => {
    const result = parseX509Authorization(VALID.replace('AWS4-X509-ECDSA-SHA256', 'AWS4-HMAC-SHA256'));

    expect(result).toEqual({
      ok: false,
      code: 'UNSUPPORTED_ALGORITHM',
      message:
        'the Authorization algorithm "AWS4-HMAC-SHA256" is not supported; allowed: AWS4-X509-RSA-SHA256, AWS4-X509-ECDSA-SHA256',
    });
  });

  const malformed: [string, string, RegExp][] = [
    ['a hex serial', VALID.replace('131827979019394590882466519576505238184', '632d252dcd9a7f8e'), /serial .* decimal/],
    ['a missing Signature', VALID.replace(/, Signature=.*$/, ''), /needs Credential, SignedHeaders and Signature/],
    ['a repeated part', `${VALID}, Signature=00`, /Signature twice/],
    ['unsorted SignedHeaders', VALID.replace('content-type;host', 'host;content-type'), /sorted/],
    ['upper-case SignedHeaders', VALID.replace('content-type;host', 'Content-Type;host'), /lower-case/],
    ['an odd-length signature', VALID.replace('3045022100ab', '3045022100a'), /even length/],
    ['a wrong terminator', VALID.replace('aws4_request', 'aws4_reques'), /aws4_request/],
    ['a credential with four parts', VALID.replace('/rolesanywhere', ''), /<serial>\/<yyyymmdd>/],
    ['an unknown part', VALID.replace('SignedHeaders=', 'Headers='), /unexpected part "Headers"/],
  ];
  for (const [what, header, message] of malformed) {
    it(`refuses ${what}`, () => {
      const result = parseX509Authorization(header);

      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.code).toBe('MALFORMED_AUTHORIZATION');
        expect(result.message).toMatch(message);
      }
    });
  }

  it('refuses an oversized header without scanning it', () => {
    const result = parseX509Authorization(`${VALID}${'a'.repeat(10_000)}`);

    expect(result).toMatchObject({ ok: false, code: 'MALFORMED_AUTHORIZATION' });
  });

  it('never throws and always returns its typed result, on arbitrary strings', () => {
    const pieces = fc.constantFrom(
      'AWS4-X509-RSA-SHA256 ',
      'AWS4-X509-ECDSA-SHA256 ',
      'Credential=',
      'SignedHeaders=',
      'Signature=',
      ', ',
      ',',
      '/',
      ';',
      '=',
      'aws4_request',
      'rolesanywhere',
      '20180102',
      '123',
      'ab',
      ' ',
    );
    const headerLike = fc
      .array(fc.oneof(pieces, fc.string({ maxLength: 8 })), { maxLength: 24 })
      .map((parts) => parts.join(''));

    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), headerLike, fc.anything()), (input) => {
        const result = parseX509Authorization(input);
        if (result.ok) {
          expect(['AWS4-X509-RSA-SHA256', 'AWS4-X509-ECDSA-SHA256']).toContain(result.value.algorithm);
          expect(result.value.signature).toMatch(/^[0-9a-f]+$/);
        } else {
          expect(['MALFORMED_AUTHORIZATION', 'UNSUPPORTED_ALGORITHM']).toContain(result.code);
          expect(typeof result.message).toBe('string');
          expect(result.message.length).toBeLessThan(300);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parses back every well-formed header it is given', () => {
    const header = fc.record({
      algorithm: fc.constantFrom('AWS4-X509-RSA-SHA256', 'AWS4-X509-ECDSA-SHA256'),
      serial: fc.bigInt({ min: 1n, max: (1n << 159n) - 1n }).map((n) => n.toString(10)),
      date: fc.date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2099-12-31T00:00:00Z'),
        noInvalidDate: true,
      }),
      headers: fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { minLength: 1, maxLength: 8 }),
      signature: fc.uint8Array({ minLength: 1, maxLength: 512 }).map((b) => Buffer.from(b).toString('hex')),
    });

    fc.assert(
      fc.property(header, ({ algorithm, serial, date, headers, signature }) => {
        const day = date.toISOString().slice(0, 10).replace(/-/g, '');
        const signed = [...headers].sort().join(';');
        const text = `${algorithm} Credential=${serial}/${day}/eu-west-1/rolesanywhere/aws4_request, SignedHeaders=${signed}, Signature=${signature}`;

        const result = parseX509Authorization(text);

        expect(result).toMatchObject({
          ok: true,
          value: { algorithm, serialDecimal: serial, scopeDate: day, signature },
        });
      }),
      { numRuns: 300 },
    );
  });
});

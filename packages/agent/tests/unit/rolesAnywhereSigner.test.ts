import { createPublicKey, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyX509RequestSignature } from '../../../../tools/local-aws/src/rolesAnywhere/index.js';
import {
  buildCanonicalRequest,
  buildStringToSign,
  credentialScope,
  formatAmzDate,
  RolesAnywhereError,
  RolesAnywhereErrorCode,
  serialNumberDecimal,
  signX509Request,
} from '../../src/rolesAnywhere/index.js';
import { createPki, type Pki, envoyVectors as v } from './rolesAnywhereFixtures.js';

// Vectors: Envoy proxy test suite (envoyproxy/envoy, Apache-2.0); see rolesAnywhereFixtures.ts.
const envoyDate = new Date('2018-01-02T03:04:05Z');

describe('signX509Request against the Envoy vectors', () => {
  for (const vector of v.cases) {
    it(`reproduces the Authorization header of "${vector.name}" byte for byte`, () => {
      const signed = signX509Request({
        method: v.method,
        url: `https://${v.host}${v.path}`,
        headers: { 'content-type': 'application/json', 'x-amz-content-sha256': vector.contentSha256 },
        body: vector.body,
        region: v.region,
        certificate: v.certificatePem,
        ...(vector.withChain ? { chain: v.chainPem } : {}),
        privateKey: v.privateKeyPem,
        date: envoyDate,
      });

      expect(signed.authorization).toBe(vector.authorization);
      expect(signed.signedHeaders).toBe(vector.signedHeaders);
    });
  }

  it('derives the credential from the certificate serial in decimal', () => {
    expect(serialNumberDecimal(new X509Certificate(v.certificatePem))).toBe(v.serialDecimal);
  });

  it('sends the leaf as base64 DER in X-Amz-X509 and the chain in X-Amz-X509-Chain', () => {
    const signed = signX509Request({
      method: 'POST',
      url: `https://${v.host}/sessions`,
      headers: { 'content-type': 'application/json' },
      body: '{}',
      region: v.region,
      certificate: v.certificatePem,
      chain: v.chainPem,
      privateKey: v.privateKeyPem,
      date: envoyDate,
    });

    expect(Buffer.from(signed.headers['x-amz-x509'] ?? '', 'base64')).toEqual(
      new X509Certificate(v.certificatePem).raw,
    );
    expect(Buffer.from(signed.headers['x-amz-x509-chain'] ?? '', 'base64')).toEqual(
      new X509Certificate(v.chainPem).raw,
    );
    expect(signed.headers['x-amz-date']).toBe(v.amzDate);
    expect(signed.headers.host).toBe(v.host);
  });

  it('produces a signature the independent local verifier accepts for both vectors', () => {
    for (const vector of v.cases) {
      const signed = signX509Request({
        method: 'POST',
        url: `https://${v.host}/sessions`,
        headers: { 'content-type': 'application/json' },
        body: vector.body,
        region: v.region,
        certificate: v.certificatePem,
        ...(vector.withChain ? { chain: v.chainPem } : {}),
        privateKey: v.privateKeyPem,
        date: envoyDate,
      });
      const result = verifyX509RequestSignature({
        method: 'POST',
        url: new URL(`https://${v.host}/sessions`),
        headers: signed.headers,
        body: Buffer.from(vector.body),
      });
      expect(result.ok).toBe(true);
    }
  });
});

describe('canonical request', () => {
  it('builds the SigV4 canonical request for a known input', () => {
    const { canonicalRequest, signedHeaders } = buildCanonicalRequest({
      method: 'post',
      path: '/sessions',
      query: new URLSearchParams(),
      headers: new Map([
        ['x-amz-x509', 'MIIBfake'],
        ['host', 'rolesanywhere.us-east-1.amazonaws.com'],
        ['content-type', '  application/json  '],
        ['x-amz-date', '20211103T120000Z'],
      ]),
      payloadHash: '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    });

    expect(canonicalRequest).toBe(
      [
        'POST',
        '/sessions',
        '',
        'content-type:application/json',
        'host:rolesanywhere.us-east-1.amazonaws.com',
        'x-amz-date:20211103T120000Z',
        'x-amz-x509:MIIBfake',
        '',
        'content-type;host;x-amz-date;x-amz-x509',
        '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      ].join('\n'),
    );
    expect(signedHeaders).toBe('content-type;host;x-amz-date;x-amz-x509');
  });

  it('sorts and RFC 3986-encodes the query string and collapses inner spaces of header values', () => {
    const { canonicalRequest } = buildCanonicalRequest({
      method: 'GET',
      path: '/a b/c',
      query: new URLSearchParams([
        ['z', '1'],
        ['a', "it's (x)*"],
        ['a', '0'],
      ]),
      headers: new Map([['x-note', 'one   two  three']]),
      payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });

    const lines = canonicalRequest.split('\n');
    expect(lines[1]).toBe('/a%20b/c');
    expect(lines[2]).toBe('a=0&a=it%27s%20%28x%29%2A&z=1');
    expect(lines[3]).toBe('x-note:one two three');
  });

  it('builds the string to sign from algorithm, date, scope and the canonical request hash', () => {
    const scope = credentialScope('20211103T120000Z', 'us-east-1');

    expect(scope).toBe('20211103/us-east-1/rolesanywhere/aws4_request');
    expect(buildStringToSign('AWS4-X509-RSA-SHA256', '20211103T120000Z', scope, '')).toBe(
      'AWS4-X509-RSA-SHA256\n20211103T120000Z\n20211103/us-east-1/rolesanywhere/aws4_request\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(formatAmzDate(new Date('2021-11-03T12:00:00.987Z'))).toBe('20211103T120000Z');
  });
});

describe('ECDSA signing', () => {
  let pki: Pki;
  beforeAll(async () => {
    pki = await createPki();
  });
  afterAll(async () => {
    await pki.cleanup();
  });

  it('signs with AWS4-X509-ECDSA-SHA256 and a DER signature the certificate key verifies', () => {
    const signed = signX509Request({
      method: 'POST',
      url: 'https://rolesanywhere.eu-west-1.amazonaws.com/sessions',
      headers: { 'content-type': 'application/json' },
      body: '{"profileArn":"p"}',
      region: 'eu-west-1',
      certificate: pki.ecLeaf.certificatePem,
      privateKey: pki.ecLeaf.privateKeyPem,
      date: new Date('2030-06-01T12:00:00Z'),
    });

    expect(signed.algorithm).toBe('AWS4-X509-ECDSA-SHA256');
    expect(
      signed.authorization.startsWith(
        `AWS4-X509-ECDSA-SHA256 Credential=${pki.ecLeaf.serialDecimal}/20300601/eu-west-1/rolesanywhere/aws4_request, `,
      ),
    ).toBe(true);
    const publicKey = new X509Certificate(pki.ecLeaf.certificatePem).publicKey;
    const signature = Buffer.from(signed.signature, 'hex');
    expect(signature[0]).toBe(0x30); // an ASN.1 SEQUENCE: DER, not the raw r||s form
    expect(verify('sha256', Buffer.from(signed.stringToSign), { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(
      true,
    );
    expect(
      verify('sha256', Buffer.from(`${signed.stringToSign}x`), { key: publicKey, dsaEncoding: 'der' }, signature),
    ).toBe(false);
  });

  it('signs with AWS4-X509-RSA-SHA256 for an RSA certificate from the local CA', () => {
    const signed = signX509Request({
      method: 'POST',
      url: 'https://rolesanywhere.eu-west-1.amazonaws.com/sessions',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      region: 'eu-west-1',
      certificate: pki.rsaLeaf.certificatePem,
      privateKey: pki.rsaLeaf.privateKeyPem,
      date: new Date('2030-06-01T12:00:00Z'),
    });

    const publicKey = createPublicKey(pki.rsaLeaf.certificatePem);
    expect(signed.algorithm).toBe('AWS4-X509-RSA-SHA256');
    expect(verify('sha256', Buffer.from(signed.stringToSign), publicKey, Buffer.from(signed.signature, 'hex'))).toBe(
      true,
    );
  });

  it('refuses a private key that does not belong to the certificate', () => {
    const sign = () =>
      signX509Request({
        method: 'POST',
        url: 'https://rolesanywhere.eu-west-1.amazonaws.com/sessions',
        body: '{}',
        region: 'eu-west-1',
        certificate: pki.ecLeaf.certificatePem,
        privateKey: pki.intermediateLeaf.privateKeyPem,
        date: new Date('2030-06-01T12:00:00Z'),
      });

    expect(sign).toThrow(expect.objectContaining({ code: RolesAnywhereErrorCode.KeyCertificateMismatch }));
  });
});

describe('signer input checks', () => {
  const base = {
    method: 'POST',
    url: `https://${v.host}/sessions`,
    body: '{}',
    region: v.region,
    certificate: v.certificatePem,
    privateKey: v.privateKeyPem,
    date: envoyDate,
  };

  function thrown(fn: () => unknown): RolesAnywhereError {
    try {
      fn();
    } catch (error) {
      if (error instanceof RolesAnywhereError) return error;
      throw error;
    }
    throw new Error('expected a RolesAnywhereError');
  }

  it('refuses an Ed25519 key: Roles Anywhere signs with RSA or ECDSA only', () => {
    const { privateKey } = generateKeyPairSync('ed25519');

    const error = thrown(() => signX509Request({ ...base, privateKey }));

    expect(error.code).toBe(RolesAnywhereErrorCode.UnsupportedKeyType);
    expect(error.message).toContain('ed25519');
  });

  it('refuses a caller-supplied Authorization or X-Amz-X509 header', () => {
    expect(thrown(() => signX509Request({ ...base, headers: { Authorization: 'x' } })).code).toBe(
      RolesAnywhereErrorCode.InvalidOption,
    );
    expect(thrown(() => signX509Request({ ...base, headers: { 'X-Amz-X509': 'x' } })).code).toBe(
      RolesAnywhereErrorCode.InvalidOption,
    );
  });

  it('refuses a certificate option holding two certificates, naming the count', () => {
    const error = thrown(() => signX509Request({ ...base, certificate: `${v.certificatePem}${v.chainPem}` }));

    expect(error.code).toBe(RolesAnywhereErrorCode.InvalidCertificate);
    expect(error.message).toContain('found 2');
  });

  it('reports an unreadable private key without quoting it', () => {
    const garbled = v.privateKeyPem.replace('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAAZZ');

    const error = thrown(() => signX509Request({ ...base, privateKey: garbled }));

    expect(error.code).toBe(RolesAnywhereErrorCode.InvalidPrivateKey);
    for (const line of garbled.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
      expect(error.message).not.toContain(line);
      expect(JSON.stringify(error.toJSON())).not.toContain(line);
    }
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentCertificate,
  createLocalCa,
  createRolesAnywhereHandler,
  type EdgeRequest,
  issueAgentCertificate,
  REFUSAL_CODE_HEADER,
  type TrustAnchor,
  verifyCreateSessionRequest,
} from '../../../../tools/local-aws/src/rolesAnywhere/index.js';
import {
  createSession,
  RolesAnywhereError,
  RolesAnywhereErrorCode,
  signX509Request,
} from '../../src/rolesAnywhere/index.js';
import {
  createPki,
  ENDPOINT,
  FAKE_SECRET_ACCESS_KEY,
  FAKE_SESSION_TOKEN,
  fetchTo,
  localHandler,
  NOW,
  OTHER_ROLE_ARN,
  type Pki,
  PROFILE_ARN,
  pemSecrets,
  REGION,
  ROLE_ARN,
  recordingAssumeRole,
  sessionOptions,
  TRUST_ANCHOR_ARN,
} from './rolesAnywhereFixtures.js';

let pki: Pki;
let anchors: TrustAnchor[];
/** Every refusal message the tests see, checked at the end for key material and credentials. */
const messages: string[] = [];

beforeAll(async () => {
  pki = await createPki();
  anchors = [{ arn: TRUST_ANCHOR_ARN, caCertificatePem: pki.root.certificatePem }];
});

afterAll(async () => {
  await pki.cleanup();
});

function body(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ profileArn: PROFILE_ARN, roleArn: ROLE_ARN, trustAnchorArn: TRUST_ANCHOR_ARN, ...fields });
}

/** A signed CreateSession as the edge would receive it; the signer is used directly (no client-side checks). */
function signedRequest(
  leaf: AgentCertificate,
  options: { date?: Date; body?: string; withoutChain?: boolean } = {},
): EdgeRequest {
  const url = new URL('/sessions', ENDPOINT);
  const text = options.body ?? body();
  const chainPem = options.withoutChain === true ? undefined : leaf.chainPem;
  const signed = signX509Request({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    body: text,
    region: REGION,
    certificate: leaf.certificatePem,
    ...(chainPem === undefined ? {} : { chain: chainPem }),
    privateKey: leaf.privateKeyPem,
    date: options.date ?? NOW,
  });
  return { method: 'POST', url, headers: signed.headers, body: Buffer.from(text) };
}

function refusal(req: EdgeRequest, now: Date = NOW) {
  const result = verifyCreateSessionRequest(req, { trustAnchors: anchors, now });
  if (result.ok) throw new Error('expected a refusal');
  messages.push(result.message);
  return result;
}

describe('client → local CreateSession → credentials', () => {
  it('returns the credentials of credentialSet[0] for an RSA certificate', async () => {
    const sts = recordingAssumeRole();
    const fetch = fetchTo(localHandler(pki, { assumeRole: sts.assumeRole }));

    const credentials = await createSession({ ...sessionOptions(pki.rsaLeaf, fetch), durationSeconds: 900 });

    expect(credentials).toEqual({
      accessKeyId: 'ASIAFAKE000000000001',
      secretAccessKey: FAKE_SECRET_ACCESS_KEY,
      sessionToken: FAKE_SESSION_TOKEN,
      expiration: new Date(NOW.getTime() + 900_000),
    });
    expect(fetch.requests).toHaveLength(1);
    expect(fetch.requests[0]?.headers.authorization?.startsWith('AWS4-X509-RSA-SHA256 ')).toBe(true);
  });

  it('assumes the role with the certificate CN as source identity', async () => {
    const sts = recordingAssumeRole();

    await createSession(sessionOptions(pki.ecLeaf, fetchTo(localHandler(pki, { assumeRole: sts.assumeRole }))));

    expect(sts.calls).toEqual([
      { roleArn: ROLE_ARN, sessionName: pki.ecLeaf.serialDecimal, sourceIdentity: 'agent-ec', durationSeconds: 3600 },
    ]);
  });

  it('accepts a certificate issued by an intermediate CA sent in the chain', async () => {
    const sts = recordingAssumeRole();
    const fetch = fetchTo(localHandler(pki, { assumeRole: sts.assumeRole }));

    await createSession(sessionOptions(pki.intermediateLeaf, fetch));

    expect(fetch.requests[0]?.headers['x-amz-x509-chain']).toBeDefined();
    expect(sts.calls[0]?.sourceIdentity).toBe('agent-via-intermediate');
  });

  it('answers 201 with the CreateSession response shape', async () => {
    const handler = localHandler(pki);

    const res = await handler(signedRequest(pki.ecLeaf));

    expect(res?.status).toBe(201);
    const parsed = JSON.parse(String(res?.body));
    expect(parsed).toEqual({
      credentialSet: [
        {
          assumedRoleUser: {
            arn: `arn:aws:sts::111111111111:assumed-role/JitAgentBase/${pki.ecLeaf.serialDecimal}`,
            assumedRoleId: expect.stringMatching(/^AROA[0-9A-F]{17}:\d+$/),
          },
          credentials: {
            accessKeyId: 'ASIAFAKE000000000001',
            expiration: '2030-06-01T13:00:00Z',
            secretAccessKey: FAKE_SECRET_ACCESS_KEY,
            sessionToken: FAKE_SESSION_TOKEN,
          },
          packedPolicySize: 0,
          roleArn: ROLE_ARN,
          sourceIdentity: 'agent-ec',
        },
      ],
      subjectArn: expect.stringMatching(/^arn:aws:rolesanywhere:eu-west-1:111111111111:subject\/[0-9a-f-]{36}$/),
    });
  });

  it('turns a refusal into a RolesAnywhereError with the status and AWS error type', async () => {
    const fetch = fetchTo(localHandler(pki));

    const error = await createSession(sessionOptions(pki.foreignLeaf, fetch)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RolesAnywhereError);
    const e = error as RolesAnywhereError;
    messages.push(e.message);
    expect(e.code).toBe(RolesAnywhereErrorCode.ServiceError);
    expect(e.status).toBe(403);
    expect(e.serviceErrorType).toBe('AccessDeniedException');
    expect(e.message).toContain('does not chain to trust anchor');
  });
});

describe('the local service refuses', () => {
  it('a request whose body was changed after signing', () => {
    const req = signedRequest(pki.ecLeaf);
    const tampered = { ...req, body: Buffer.from(body({ roleArn: OTHER_ROLE_ARN })) };

    const result = refusal(tampered);

    expect(result).toMatchObject({ status: 403, code: 'SIGNATURE_MISMATCH' });
  });

  it('a certificate from a CA that is not the trust anchor', () => {
    const result = refusal(signedRequest(pki.foreignLeaf));

    expect(result).toMatchObject({ status: 403, code: 'UNTRUSTED_CERTIFICATE' });
    expect(result.message).toContain('Somebody else CA');
  });

  it('a certificate from the intermediate CA when the chain is not sent', () => {
    const result = refusal(signedRequest(pki.intermediateLeaf, { withoutChain: true }));

    expect(result).toMatchObject({ status: 403, code: 'UNTRUSTED_CERTIFICATE' });
  });

  it('an expired certificate, naming notAfter and now', () => {
    const result = refusal(signedRequest(pki.expiredLeaf));

    expect(result).toMatchObject({ status: 403, code: 'CERTIFICATE_EXPIRED' });
    expect(result.message).toContain('notAfter 2030-02-01T00:00:00.000Z');
    expect(result.message).toContain('now 2030-06-01T12:00:00.000Z');
  });

  it('a certificate that is not valid yet, naming notBefore and now', () => {
    const result = refusal(signedRequest(pki.notYetValidLeaf));

    expect(result).toMatchObject({ status: 403, code: 'CERTIFICATE_NOT_YET_VALID' });
    expect(result.message).toContain('notBefore 2030-07-01T00:00:00.000Z');
  });

  it('an X-Amz-Date more than 5 minutes from its clock, in either direction', () => {
    const late = refusal(signedRequest(pki.ecLeaf, { date: new Date(NOW.getTime() - 301_000) }));
    const early = refusal(signedRequest(pki.ecLeaf, { date: new Date(NOW.getTime() + 301_000) }));

    expect(late).toMatchObject({ status: 403, code: 'REQUEST_TIME_SKEWED' });
    expect(early).toMatchObject({ status: 403, code: 'REQUEST_TIME_SKEWED' });
  });

  it('accepts an X-Amz-Date exactly 5 minutes off', () => {
    const result = verifyCreateSessionRequest(signedRequest(pki.ecLeaf, { date: new Date(NOW.getTime() - 300_000) }), {
      trustAnchors: anchors,
      now: NOW,
    });

    expect(result.ok).toBe(true);
  });

  it('a credential whose serial is not the certificate serial', () => {
    const req = signedRequest(pki.ecLeaf);
    const authorization = req.headers.authorization ?? '';
    const swapped = authorization.replace(pki.ecLeaf.serialDecimal, pki.rsaLeaf.serialDecimal);

    const result = refusal({ ...req, headers: { ...req.headers, authorization: swapped } });

    expect(result).toMatchObject({ status: 403, code: 'SERIAL_MISMATCH' });
  });

  it('a signature made with another key than the certificate in X-Amz-X509', () => {
    const req = signedRequest(pki.ecLeaf);
    const other = signedRequest(pki.intermediateLeaf, { withoutChain: true });
    const mixed = {
      ...req,
      headers: {
        ...req.headers,
        authorization: (other.headers.authorization ?? '').replace(
          pki.intermediateLeaf.serialDecimal,
          pki.ecLeaf.serialDecimal,
        ),
      },
    };

    expect(refusal(mixed)).toMatchObject({ status: 403, code: 'SIGNATURE_MISMATCH' });
  });

  it('a chain header that was added after signing', () => {
    const req = signedRequest(pki.ecLeaf);
    const withChain = { ...req, headers: { ...req.headers, 'x-amz-x509-chain': req.headers['x-amz-x509'] ?? '' } };

    expect(refusal(withChain)).toMatchObject({ status: 403, code: 'MALFORMED_AUTHORIZATION' });
  });

  it('a trust anchor ARN it does not know', () => {
    const req = signedRequest(pki.ecLeaf, { body: body({ trustAnchorArn: `${TRUST_ANCHOR_ARN}0` }) });

    expect(refusal(req)).toMatchObject({ status: 403, code: 'UNKNOWN_TRUST_ANCHOR' });
  });

  it('a body without roleArn, as a 400', () => {
    const req = signedRequest(pki.ecLeaf, {
      body: JSON.stringify({ profileArn: PROFILE_ARN, trustAnchorArn: TRUST_ANCHOR_ARN }),
    });

    expect(refusal(req)).toMatchObject({ status: 400, code: 'INVALID_BODY' });
  });

  it('a role the profile does not list, with the AWS JSON error shape', async () => {
    const handler = localHandler(pki);

    const res = await handler(signedRequest(pki.ecLeaf, { body: body({ roleArn: OTHER_ROLE_ARN }) }));

    expect(res?.status).toBe(403);
    expect(res?.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(res?.headers[REFUSAL_CODE_HEADER]).toBe('ROLE_NOT_IN_PROFILE');
    const parsed = JSON.parse(String(res?.body));
    expect(parsed.message).toContain(OTHER_ROLE_ARN);
    messages.push(parsed.message);
  });

  it('does not call AssumeRole for any refused request', async () => {
    const sts = recordingAssumeRole();
    const handler = localHandler(pki, { assumeRole: sts.assumeRole });

    for (const leaf of [pki.foreignLeaf, pki.expiredLeaf, pki.notYetValidLeaf]) {
      const res = await handler(signedRequest(leaf));
      expect(res?.status).toBe(403);
      messages.push(JSON.parse(String(res?.body)).message);
    }

    expect(sts.calls).toEqual([]);
  });
});

describe('the client refuses before signing', () => {
  it('an expired certificate, naming notAfter and now, without calling the service', async () => {
    const fetch = fetchTo(localHandler(pki));

    const error = (await createSession(sessionOptions(pki.expiredLeaf, fetch)).catch(
      (e: unknown) => e,
    )) as RolesAnywhereError;

    expect(error.code).toBe(RolesAnywhereErrorCode.CertificateExpired);
    expect(error.message).toBe(
      'certificatePem expired: notAfter 2030-02-01T00:00:00.000Z is before now 2030-06-01T12:00:00.000Z',
    );
    expect(fetch.requests).toEqual([]);
    messages.push(error.message);
  });

  it('a certificate that is not valid yet, naming notBefore and now', async () => {
    const fetch = fetchTo(localHandler(pki));

    const error = (await createSession(sessionOptions(pki.notYetValidLeaf, fetch)).catch(
      (e: unknown) => e,
    )) as RolesAnywhereError;

    expect(error.code).toBe(RolesAnywhereErrorCode.CertificateNotYetValid);
    expect(error.message).toContain('notBefore 2030-07-01T00:00:00.000Z is after now 2030-06-01T12:00:00.000Z');
    expect(fetch.requests).toEqual([]);
    messages.push(error.message);
  });
});

describe('an intermediate CA that expired before its leaf', () => {
  let expiredIntermediateLeaf: AgentCertificate;
  beforeAll(async () => {
    const intermediate = await createLocalCa({
      dir: join(pki.dir, 'short-intermediate'),
      issuer: pki.root,
      commonName: 'Short-lived intermediate',
      notBefore: new Date('2029-01-01T00:00:00Z'),
      notAfter: new Date('2030-03-01T00:00:00Z'),
    });
    expiredIntermediateLeaf = await issueAgentCertificate({
      ca: intermediate,
      commonName: 'agent-short',
      notBefore: new Date('2030-05-01T00:00:00Z'),
      notAfter: new Date('2030-07-01T00:00:00Z'),
    });
  });

  it('is refused by the client, naming the chain entry', async () => {
    const fetch = fetchTo(localHandler(pki));

    const error = (await createSession(sessionOptions(expiredIntermediateLeaf, fetch)).catch(
      (e: unknown) => e,
    )) as RolesAnywhereError;

    expect(error.code).toBe(RolesAnywhereErrorCode.CertificateExpired);
    expect(error.message).toBe(
      'chainPem[0] expired: notAfter 2030-03-01T00:00:00.000Z is before now 2030-06-01T12:00:00.000Z',
    );
    expect(fetch.requests).toEqual([]);
    messages.push(error.message);
  });

  it('is refused by the local service, naming the intermediate', () => {
    const result = refusal(signedRequest(expiredIntermediateLeaf));

    expect(result).toMatchObject({ status: 403, code: 'CERTIFICATE_EXPIRED' });
    expect(result.message).toContain('the intermediate CA "CN=Short-lived intermediate" expired');
  });
});

describe('the handler', () => {
  it('leaves SigV4 requests and other paths to moto', async () => {
    const handler = localHandler(pki);
    const req = signedRequest(pki.ecLeaf);

    const sigv4 = await handler({
      ...req,
      headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/x' },
    });
    const otherPath = await handler({ ...req, url: new URL('/trustanchors', ENDPOINT) });

    expect(sigv4).toBeUndefined();
    expect(otherPath).toBeUndefined();
  });

  it('refuses to start without a trust anchor', () => {
    const create = () =>
      createRolesAnywhereHandler({ trustAnchors: [], profiles: [], assumeRole: recordingAssumeRole().assumeRole });

    expect(create).toThrow(/trustAnchors is empty/);
  });

  it('refuses a trust anchor whose certificate is not a CA', () => {
    const create = () =>
      createRolesAnywhereHandler({
        trustAnchors: [{ arn: TRUST_ANCHOR_ARN, caCertificatePem: pki.ecLeaf.certificatePem }],
        profiles: [],
        assumeRole: recordingAssumeRole().assumeRole,
      });

    expect(create).toThrow(/not a CA/);
  });

  it('answers 500 without the error text when AssumeRole fails', async () => {
    const handler = createRolesAnywhereHandler({
      trustAnchors: anchors,
      profiles: [{ arn: PROFILE_ARN, roleArns: [ROLE_ARN] }],
      assumeRole: async () => {
        throw new Error(`boom ${FAKE_SECRET_ACCESS_KEY}`);
      },
      now: () => NOW,
    });

    const res = await handler(signedRequest(pki.ecLeaf));

    expect(res?.status).toBe(500);
    expect(String(res?.body)).not.toContain(FAKE_SECRET_ACCESS_KEY);
    messages.push(String(res?.body));
  });
});

describe('error messages', () => {
  it('never contain a private key, a secret key or a session token', () => {
    const secrets = [
      FAKE_SECRET_ACCESS_KEY,
      FAKE_SESSION_TOKEN,
      ...pemSecrets(pki.ecLeaf.privateKeyPem),
      ...pemSecrets(pki.rsaLeaf.privateKeyPem),
      ...pemSecrets(pki.expiredLeaf.privateKeyPem),
      ...pemSecrets(pki.notYetValidLeaf.privateKeyPem),
      ...pemSecrets(pki.foreignLeaf.privateKeyPem),
    ];

    expect(messages.length).toBeGreaterThan(15);
    for (const message of messages) {
      for (const secret of secrets) expect(message).not.toContain(secret);
    }
  });
});

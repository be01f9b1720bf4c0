import { describe, expect, it } from 'vitest';
import {
  type CreateSessionOptions,
  createSession,
  type FetchLike,
  RolesAnywhereError,
  RolesAnywhereErrorCode,
} from '../../src/rolesAnywhere/index.js';
import { FAKE_SECRET_ACCESS_KEY, FAKE_SESSION_TOKEN, pemSecrets, envoyVectors as v } from './rolesAnywhereFixtures.js';

// The Envoy test certificate (Envoy proxy test suite, Apache-2.0) is valid 2024-11-17T23:23:37Z to
// 2025-11-18T00:23:37Z; a clock inside that window makes it a usable certificate.
const INSIDE = new Date('2025-06-01T00:00:00Z');

interface Recorded {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** Answers every request with one canned response and records what was sent. */
function answering(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): FetchLike & { sent: Recorded[] } {
  const sent: Recorded[] = [];
  const fn: FetchLike = async (url, init) => {
    sent.push({ url, method: init.method, headers: init.headers, body: init.body });
    return new Response(body, { status, headers });
  };
  return Object.assign(fn, { sent });
}

const okBody = JSON.stringify({
  credentialSet: [
    {
      assumedRoleUser: { arn: 'arn:aws:sts::111111111111:assumed-role/R/s', assumedRoleId: 'AROAX:s' },
      credentials: {
        accessKeyId: 'ASIAFAKE000000000001',
        expiration: '2025-06-01T01:00:00Z',
        secretAccessKey: FAKE_SECRET_ACCESS_KEY,
        sessionToken: FAKE_SESSION_TOKEN,
      },
      packedPolicySize: 0,
      roleArn: 'arn:aws:iam::111111111111:role/R',
      sourceIdentity: 'test-rsa.test',
    },
  ],
  subjectArn: 'arn:aws:rolesanywhere:ap-southeast-2:111111111111:subject/x',
});

function options(fetch: FetchLike, overrides: Partial<CreateSessionOptions> = {}): CreateSessionOptions {
  return {
    region: 'ap-southeast-2',
    certificatePem: v.certificatePem,
    privateKeyPem: v.privateKeyPem,
    trustAnchorArn: 'arn:aws:rolesanywhere:ap-southeast-2:111111111111:trust-anchor/ta-1',
    profileArn: 'arn:aws:rolesanywhere:ap-southeast-2:111111111111:profile/p-1',
    roleArn: 'arn:aws:iam::111111111111:role/R',
    now: () => INSIDE,
    fetch,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<RolesAnywhereError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof RolesAnywhereError) return error;
  throw new Error(`expected a RolesAnywhereError, got ${String(error)}`);
}

describe('createSession request', () => {
  it('POSTs the CreateSession body to the regional endpoint, signed with the certificate', async () => {
    const fetch = answering(201, okBody);

    await createSession(options(fetch, { durationSeconds: 1800, chainPem: v.chainPem }));

    const [sent] = fetch.sent;
    expect(sent?.url).toBe('https://rolesanywhere.ap-southeast-2.amazonaws.com/sessions');
    expect(sent?.method).toBe('POST');
    expect(JSON.parse(sent?.body ?? '')).toEqual({
      durationSeconds: 1800,
      profileArn: 'arn:aws:rolesanywhere:ap-southeast-2:111111111111:profile/p-1',
      roleArn: 'arn:aws:iam::111111111111:role/R',
      trustAnchorArn: 'arn:aws:rolesanywhere:ap-southeast-2:111111111111:trust-anchor/ta-1',
    });
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.headers['x-amz-date']).toBe('20250601T000000Z');
    expect(sent?.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-X509-RSA-SHA256 Credential=${v.serialDecimal}/20250601/ap-southeast-2/rolesanywhere/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain, Signature=[0-9a-f]{512}$`,
      ),
    );
  });

  it('returns the first credential set with expiration as a Date', async () => {
    const credentials = await createSession(options(answering(201, okBody)));

    expect(credentials).toEqual({
      accessKeyId: 'ASIAFAKE000000000001',
      secretAccessKey: FAKE_SECRET_ACCESS_KEY,
      sessionToken: FAKE_SESSION_TOKEN,
      expiration: new Date('2025-06-01T01:00:00Z'),
    });
  });
});

describe('createSession refuses bad options before any request', () => {
  const cases: [string, Partial<CreateSessionOptions>, RegExp][] = [
    ['a region that is not a region name', { region: 'EU West' }, /region "EU West" is not a region name/],
    [
      'a trust anchor ARN of the wrong kind',
      { trustAnchorArn: 'arn:aws:iam::111111111111:role/R' },
      /trustAnchorArn .* expected arn:aws:rolesanywhere:.*trust-anchor/,
    ],
    ['a profile ARN that is not an ARN', { profileArn: 'profile-1' }, /profileArn "profile-1" is not a valid ARN/],
    [
      'a role ARN of the wrong kind',
      { roleArn: 'arn:aws:iam::111111111111:user/u' },
      /roleArn .* expected arn:aws:iam::111111111111:role/,
    ],
    [
      'a 10-minute duration (below 900 s)',
      { durationSeconds: 600 },
      /durationSeconds 600 is out of range; allowed: an integer from 900 to 43200/,
    ],
    ['a 13-hour duration', { durationSeconds: 46_800 }, /durationSeconds 46800 is out of range/],
    ['a role session name with spaces', { roleSessionName: 'my agent' }, /roleSessionName "my agent" is invalid/],
    ['an endpoint that is not a URL', { endpoint: 'not a url' }, /endpoint "not a url" is not a URL/],
  ];
  for (const [what, overrides, message] of cases) {
    it(`refuses ${what}`, async () => {
      const fetch = answering(201, okBody);

      const error = await rejection(createSession(options(fetch, overrides)));

      expect(error.code).toBe(RolesAnywhereErrorCode.InvalidOption);
      expect(error.message).toMatch(message);
      expect(fetch.sent).toEqual([]);
    });
  }

  it('refuses the certificate on the day after it expired', async () => {
    const fetch = answering(201, okBody);

    const error = await rejection(createSession(options(fetch, { now: () => new Date('2025-11-19T00:00:00Z') })));

    expect(error.code).toBe(RolesAnywhereErrorCode.CertificateExpired);
    expect(error.message).toBe(
      'certificatePem expired: notAfter 2025-11-18T00:23:37.000Z is before now 2025-11-19T00:00:00.000Z',
    );
    expect(error.suggestion).toBeDefined();
    expect(fetch.sent).toEqual([]);
  });

  it('refuses a private key in a format it cannot read, without quoting the key', async () => {
    const notAKey = v.privateKeyPem.replace('PRIVATE KEY', 'PUBLIC KEY');

    const error = await rejection(createSession(options(answering(201, okBody), { privateKeyPem: notAKey })));

    expect(error.code).toBe(RolesAnywhereErrorCode.InvalidPrivateKey);
    for (const line of pemSecrets(v.privateKeyPem)) expect(error.message).not.toContain(line);
  });
});

describe('createSession maps service answers', () => {
  it('turns an AWS JSON error into a ServiceError with status, type and message', async () => {
    const fetch = answering(403, JSON.stringify({ message: 'Untrusted certificate. Insufficient certificate' }), {
      'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/',
    });

    const error = await rejection(createSession(options(fetch)));

    expect(error.code).toBe(RolesAnywhereErrorCode.ServiceError);
    expect(error.status).toBe(403);
    expect(error.serviceErrorType).toBe('AccessDeniedException');
    expect(error.message).toBe(
      'CreateSession at https://rolesanywhere.ap-southeast-2.amazonaws.com was refused: HTTP 403 AccessDeniedException: Untrusted certificate. Insufficient certificate',
    );
  });

  it('does not echo a non-JSON error body', async () => {
    const error = await rejection(createSession(options(answering(502, '<html>proxy secret page</html>'))));

    expect(error.message).toBe(
      'CreateSession at https://rolesanywhere.ap-southeast-2.amazonaws.com was refused: HTTP 502 UnknownError',
    );
  });

  it('reports a success body without credentials as malformed, without quoting it', async () => {
    const body = JSON.stringify({
      credentialSet: [{ credentials: { accessKeyId: 'ASIAX', secretAccessKey: FAKE_SECRET_ACCESS_KEY } }],
    });

    const error = await rejection(createSession(options(answering(201, body))));

    expect(error.code).toBe(RolesAnywhereErrorCode.InvalidResponse);
    expect(error.message).toBe(
      'CreateSession response is malformed: credentialSet[0].credentials.sessionToken is not a string',
    );
    expect(error.message).not.toContain(FAKE_SECRET_ACCESS_KEY);
  });

  it('reports a network failure as RequestFailed naming the endpoint', async () => {
    const failing: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };

    const error = await rejection(createSession(options(failing, { endpoint: 'http://127.0.0.1:9' })));

    expect(error.code).toBe(RolesAnywhereErrorCode.RequestFailed);
    expect(error.message).toBe('CreateSession request to http://127.0.0.1:9 failed: fetch failed');
  });
});

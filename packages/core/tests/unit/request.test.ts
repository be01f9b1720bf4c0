import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ElevationRequest,
  parseElevationRequest,
  RequestError,
  RequestErrorCode,
  reasonProblem,
  serializeElevationRequest,
} from '../../src/request.js';

const NOW = new Date('2026-03-25T12:30:00Z');

/** A ULID made at `at`, with zero randomness: request ids must agree with createdAt. */
function idAt(at: string): string {
  const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let ms = Date.parse(at);
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = crockford[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  return `${time}${'0'.repeat(16)}`;
}

function sample(overrides: Partial<ElevationRequest> = {}): ElevationRequest {
  const createdAt = overrides.createdAt ?? '2026-03-25T12:29:00Z';
  return {
    kind: 'jit-elevation-request',
    version: 1,
    id: idAt(createdAt),
    createdAt,
    expiresAt: '2026-03-25T12:45:00Z',
    account: 'production',
    tier: 'ops',
    minutes: 15,
    reason: 'restart the api service',
    plan: 'ecs:UpdateService --force-new-deployment\nthen watch the logs',
    agent: { arn: 'arn:aws:iam::444444444444:user/jit-agent' },
    ...overrides,
  };
}

function refusal(text: unknown, now = NOW): RequestError {
  try {
    parseElevationRequest(text, now);
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected a RequestError');
}

describe('parseElevationRequest: the id dates the grant', () => {
  it('refuses an id whose time disagrees with createdAt (a forged, back-dated grant id)', () => {
    const error = refusal(JSON.stringify(sample({ id: '00000000000000000000000000' })));
    expect(error.code).toBe(RequestErrorCode.Invalid);
    expect(error.message).toMatch(/was made at 1970-01-01T00:00:00.000Z, but createdAt is 2026-03-25T12:29:00Z/);
  });
});

describe('parseElevationRequest', () => {
  it('reads what serializeElevationRequest wrote', () => {
    expect(parseElevationRequest(serializeElevationRequest(sample()), NOW)).toEqual(sample());
  });

  it('refuses an expired request', () => {
    const error = refusal(JSON.stringify(sample()), new Date('2026-03-25T12:45:00Z'));
    expect(error.code).toBe(RequestErrorCode.Expired);
    expect(error.message).toBe(
      `request ${sample().id} expired at 2026-03-25T12:45:00Z; it cannot be approved any more`,
    );
  });

  it('refuses a request dated in the future beyond the clock skew', () => {
    expect(refusal(JSON.stringify(sample({ createdAt: '2026-03-25T12:31:00Z' }))).code).toBe(
      RequestErrorCode.NotYetValid,
    );
  });

  it('accepts a request dated within the clock skew', () => {
    const request = sample({ createdAt: '2026-03-25T12:30:20Z' });
    expect(parseElevationRequest(JSON.stringify(request), NOW).id).toBe(request.id);
  });

  it.each([
    ['not JSON', 'kind=request', RequestErrorCode.NotJson, /request is not JSON \(12 bytes\)/],
    [
      'an unknown field',
      JSON.stringify({ ...sample(), role: 'admin' }),
      RequestErrorCode.Invalid,
      /unknown field\(s\) role/,
    ],
    [
      'another kind',
      JSON.stringify({ ...sample(), kind: 'x' }),
      RequestErrorCode.Invalid,
      /kind: must be "jit-elevation-request"/,
    ],
    ['version 2', JSON.stringify({ ...sample(), version: 2 }), RequestErrorCode.Invalid, /version: must be 1/],
    [
      'a lower-case id',
      JSON.stringify(sample({ id: '01jq0000000000000000000000' })),
      RequestErrorCode.Invalid,
      /id: must be a ULID/,
    ],
    [
      'a newline in the reason',
      JSON.stringify(sample({ reason: 'a\nb' })),
      RequestErrorCode.Invalid,
      /reason: must be printable/,
    ],
    [
      'a control character in the plan',
      JSON.stringify(sample({ plan: 'a\u001bb' })),
      RequestErrorCode.Invalid,
      /plan: must be printable/,
    ],
    [
      'minutes as text',
      JSON.stringify({ ...sample(), minutes: '15' }),
      RequestErrorCode.Invalid,
      /minutes: expected number/,
    ],
    [
      'expiry before creation',
      JSON.stringify(sample({ expiresAt: '2026-03-25T12:00:00Z' })),
      RequestErrorCode.Invalid,
      /expiresAt .* must be after createdAt/,
    ],
    [
      'a 20 kB body',
      JSON.stringify(sample({ plan: 'x'.repeat(20_000) })),
      RequestErrorCode.TooLarge,
      /at most 16384 are allowed/,
    ],
    ['null', null, RequestErrorCode.Invalid, /request must be text, got null/],
  ])('refuses %s', (_name, text, code, message) => {
    const error = refusal(text);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('throws nothing but RequestErrors for arbitrary text (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) =>
            JSON.stringify({
              ...sample(),
              ...(typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { plan: v }),
            }),
          ),
        ),
        (text) => {
          try {
            parseElevationRequest(text, NOW);
          } catch (error) {
            expect(error).toBeInstanceOf(RequestError);
          }
        },
      ),
    );
  });
});

describe('reasonProblem', () => {
  it.each([
    ['', /is required/],
    ['   ', /is required/],
    ['line\nbreak', /must be printable/],
    ['bell\u0007', /must be printable/],
    ['line\u2028separator', /must be printable/],
    ['x'.repeat(257), /is 257 characters; at most 256/],
  ])('refuses %j', (reason, message) => {
    expect(reasonProblem(reason)).toMatch(message);
  });

  it('accepts 256 characters of any script', () => {
    expect(reasonProblem('é'.repeat(256))).toBeUndefined();
    expect(reasonProblem('再起動 ECS service (ticket #42)')).toBeUndefined();
  });
});

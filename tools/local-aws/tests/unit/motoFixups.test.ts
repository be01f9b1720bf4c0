import { describe, expect, it } from 'vitest';
import { fixJsonProtocolError } from '../../src/index.js';

// The body moto 5.2 sends when IAM enforcement refuses a Secrets Manager call.
const MOTO_DENIAL =
  '<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::444444444444:user/jit-agent is not authorized to perform: secretsmanager:PutSecretValue</Message><Type>Sender</Type></Error></Errors></ErrorResponse>';

describe('fixJsonProtocolError', () => {
  it("rewrites moto's XML refusal into the JSON error a JSON-protocol client expects", () => {
    const fixed = fixJsonProtocolError({
      status: 403,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(MOTO_DENIAL.length),
        'x-amzn-requestid': 'r1',
      },
      body: Buffer.from(MOTO_DENIAL),
    });

    expect(fixed.status).toBe(403);
    expect(fixed.headers).toEqual({
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': 'AccessDeniedException',
      'x-amzn-requestid': 'r1',
    });
    expect(JSON.parse(String(fixed.body))).toEqual({
      __type: 'AccessDeniedException',
      message:
        'User: arn:aws:iam::444444444444:user/jit-agent is not authorized to perform: secretsmanager:PutSecretValue',
    });
  });

  it('keeps other error codes as they are and unescapes the message', () => {
    const body =
      '<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>a &amp; b &lt;c&gt;</Message></Error></ErrorResponse>';

    const fixed = fixJsonProtocolError({ status: 403, headers: {}, body });

    expect(JSON.parse(String(fixed.body))).toEqual({ __type: 'InvalidClientTokenId', message: 'a & b <c>' });
  });

  it('passes successes and JSON errors through unchanged', () => {
    const ok = { status: 200, headers: {}, body: '<ErrorResponse><Code>X</Code></ErrorResponse>' };
    const jsonError = { status: 400, headers: {}, body: '{"__type":"ResourceNotFoundException","message":"no"}' };

    expect(fixJsonProtocolError(ok)).toBe(ok);
    expect(fixJsonProtocolError(jsonError)).toBe(jsonError);
  });
});

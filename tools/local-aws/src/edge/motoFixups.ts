import type { EdgeResponse } from './types.js';

// JSON-protocol services name the query protocol's AccessDenied differently.
const JSON_ERROR_CODES: Record<string, string> = { AccessDenied: 'AccessDeniedException' };

/**
 * moto answers an IAM-enforcement refusal with a query-protocol XML `<ErrorResponse>` even for
 * JSON-protocol services (Secrets Manager, KMS, CloudTrail, ...). The AWS SDKs cannot read an
 * error code out of that, so callers would see an unnamed 403. This rewrites such a response
 * into the JSON error shape AWS sends (`__type` plus `message`, `x-amzn-errortype` header), so
 * callers and the CloudTrail recorder see `AccessDeniedException`. Anything else passes unchanged.
 */
export function fixJsonProtocolError(response: EdgeResponse): EdgeResponse {
  if (response.status < 400) return response;
  const text = typeof response.body === 'string' ? response.body : response.body.toString('utf8');
  if (!/^\s*(<\?xml[^>]*>\s*)?<ErrorResponse[\s>]/.test(text)) return response;
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  if (code === undefined || code === '') return response;
  const message = unescapeXml(/<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '');
  const type = JSON_ERROR_CODES[code] ?? code;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (name !== 'content-type' && name !== 'content-length') headers[name] = value;
  }
  headers['content-type'] = 'application/x-amz-json-1.1';
  headers['x-amzn-errortype'] = type;
  return { status: response.status, headers, body: JSON.stringify({ __type: type, message }) };
}

function unescapeXml(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

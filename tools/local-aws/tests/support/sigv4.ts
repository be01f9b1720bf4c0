import { createHash, createHmac } from 'node:crypto';
import type { LocalCredentials } from '../../src/index.js';

/**
 * A minimal AWS SigV4 signer for the few calls no installed SDK client covers (EC2). moto verifies
 * the signature, so a mistake here makes the calls fail rather than pass.
 */
export function signQueryRequest(options: {
  url: string;
  service: string;
  region: string;
  credentials: LocalCredentials;
  body: string;
  now?: Date;
}): { url: string; method: 'POST'; headers: Record<string, string>; body: string } {
  const url = new URL(options.url);
  const now = options.now ?? new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: url.host,
    'x-amz-date': amzDate,
    ...(options.credentials.sessionToken === undefined
      ? {}
      : { 'x-amz-security-token': options.credentials.sessionToken }),
  };
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    'POST',
    url.pathname || '/',
    '',
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    names.join(';'),
    sha256(options.body),
  ].join('\n');
  const scope = `${date}/${options.region}/${options.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${options.credentials.secretAccessKey}`, date);
  for (const part of [options.region, options.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${options.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return { url: url.toString(), method: 'POST', headers, body: options.body };
}

/** Sends an EC2 query call through `endpoint`; resolves the HTTP status and body. */
export async function ec2Call(
  endpoint: string,
  region: string,
  credentials: LocalCredentials,
  params: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({ ...params, Version: '2016-11-15' }).toString();
  const signed = signQueryRequest({ url: `${endpoint}/`, service: 'ec2', region, credentials, body });
  const { host: _host, ...headers } = signed.headers;
  const response = await fetch(signed.url, { method: signed.method, headers, body: signed.body });
  return { status: response.status, body: await response.text() };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

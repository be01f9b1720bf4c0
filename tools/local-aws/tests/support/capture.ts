import type { EdgeRequest } from '../../src/index.js';

interface CapturedHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

class Captured extends Error {}

/** Test credentials for signing captured requests; nothing is ever sent. */
export const CAPTURE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

/**
 * Config for an AWS SDK v3 client whose requests are signed and serialised as for real, then
 * captured instead of sent: real-shaped input for the edge's parser, without a network.
 */
export function capturingConfig(region: string): {
  region: string;
  endpoint: string;
  credentials: typeof CAPTURE_CREDENTIALS;
  forcePathStyle: true;
  maxAttempts: 1;
  requestHandler: { handle: (request: CapturedHttpRequest) => Promise<never> };
  last: () => EdgeRequest;
} {
  let captured: CapturedHttpRequest | undefined;
  return {
    region,
    endpoint: 'http://127.0.0.1:4566',
    credentials: CAPTURE_CREDENTIALS,
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: {
      handle: async (request) => {
        captured = request;
        throw new Captured('captured');
      },
    },
    last: () => {
      if (captured === undefined) throw new Error('no request captured');
      return toEdgeRequest(captured);
    },
  };
}

/** Sends through a capturing client and returns the request it would have sent. */
export async function capture(
  config: ReturnType<typeof capturingConfig>,
  send: () => Promise<unknown>,
): Promise<EdgeRequest> {
  try {
    await send();
  } catch (error) {
    if (!(error instanceof Captured)) throw error;
  }
  return config.last();
}

function toEdgeRequest(request: CapturedHttpRequest): EdgeRequest {
  const url = new URL(
    `${request.protocol}//${request.hostname}${request.port === undefined ? '' : `:${request.port}`}${request.path}`,
  );
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value === null) url.searchParams.append(name, '');
    else for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(name, v);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const body =
    request.body === undefined || request.body === null
      ? Buffer.alloc(0)
      : typeof request.body === 'string'
        ? Buffer.from(request.body)
        : request.body instanceof Uint8Array
          ? Buffer.from(request.body)
          : Buffer.alloc(0);
  return { method: request.method, url, headers, body };
}

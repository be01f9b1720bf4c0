/**
 * The edge's plugin contract. The edge forwards every request to moto unless a plugin's
 * `handle` answers it; every plugin's `observe` sees every exchange afterwards.
 */

/** A request as the edge received it; `body` is complete (the edge buffers request bodies). */
export interface EdgeRequest {
  method: string;
  url: URL;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface EdgeResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string | Buffer;
}

/** Answers a request, or returns `undefined` to let the next plugin (and finally moto) have it. */
export type EdgeHandler = (req: EdgeRequest) => Promise<EdgeResponse | undefined>;

export interface EdgeExchange {
  req: EdgeRequest;
  res: EdgeResponse;
  call: AwsCallInfo;
  startedAt: Date;
  finishedAt: Date;
  /** 'moto' or the name of the plugin that answered. */
  handledBy: string;
}

/** What the edge could tell about an AWS call from the request alone (see parseAwsCall). */
export interface AwsCallInfo {
  /** The signing name from the credential scope (e.g. `sts`, `s3`, `ses`), or a best guess. */
  service: string;
  region: string;
  action: string | undefined;
  accessKeyId: string | undefined;
  signingScheme: 'sigv4' | 'x509' | 'none';
}

export interface EdgePlugin {
  name: string;
  handle?: EdgeHandler;
  /** Runs after the response went out; errors are logged and never affect the request. */
  observe?: (x: EdgeExchange) => void | Promise<void>;
  stop?: () => Promise<void>;
}

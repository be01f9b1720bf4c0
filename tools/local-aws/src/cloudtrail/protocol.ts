import type { EdgeRequest, EdgeResponse } from '../edge/types.js';
import { findText, lowerFirst, parseXml, type XmlElement, xmlToJson } from './xml.js';

/** How a service puts parameters on the wire; decides how a request and a response are read. */
export type WireProtocol = 'query' | 'json' | 'rest-xml' | 'rest-json';

export function wireProtocol(req: EdgeRequest, service: string): WireProtocol {
  if (req.headers['x-amz-target'] !== undefined) return 'json';
  if (service === 's3') return 'rest-xml';
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/x-www-form-urlencoded') || req.url.searchParams.has('Action')) {
    return 'query';
  }
  return 'rest-json';
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// Query strings carry no types. CloudTrail shows the service model's types; without the model,
// numbers are recognised by parameter name (DurationSeconds, MaxItems, FromPort, ...), so that
// digit-only identifiers such as account ids stay strings.
const NUMERIC_NAME = /(seconds|duration|count|size|port|limit|days|^max[a-z]*|^min[a-z]*)$/i;

function queryScalar(name: string, value: string): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^-?\d{1,15}$/.test(value) && NUMERIC_NAME.test(name)) return Number(value);
  return value;
}

type Segment = string | number;

/**
 * Query-protocol parameters (`Tags.member.1.Key=a`) as the nested JSON CloudTrail shows
 * (`tags: [{ key: 'a' }]`). `Action` and `Version` are the call itself, not parameters.
 */
export function decodeQueryParameters(params: URLSearchParams): Record<string, unknown> | null {
  const root: Record<string, unknown> = {};
  let any = false;
  for (const [name, value] of params) {
    if (name === 'Action' || name === 'Version' || name.startsWith('X-Amz-')) continue;
    const path: Segment[] = [];
    for (const part of name.split('.')) {
      if (part === 'member' || part === 'entry' || part === 'item') continue;
      if (/^\d{1,4}$/.test(part)) path.push(Number(part) - 1);
      else path.push(lowerFirst(part));
    }
    const leafName = [...path].reverse().find((segment): segment is string => typeof segment === 'string');
    if (setPath(root, path, queryScalar(leafName ?? '', value))) any = true;
  }
  return any ? (compact(root) as Record<string, unknown>) : null;
}

function setPath(root: Record<string, unknown>, path: Segment[], value: unknown): boolean {
  if (path.length === 0 || typeof path[0] !== 'string') return false;
  let node: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as Segment;
    if (typeof segment === 'string' && UNSAFE_KEYS.has(segment)) return false;
    if (typeof segment === 'number' && (segment < 0 || !Array.isArray(node))) return false;
    if (typeof segment === 'string' && Array.isArray(node)) return false;
    const container = node as Record<string | number, unknown>;
    if (i === path.length - 1) {
      if (container[segment] !== undefined) return false;
      container[segment] = value;
      return true;
    }
    const next = path[i + 1];
    let child = container[segment];
    if (child === undefined) {
      child = typeof next === 'number' ? [] : {};
      container[segment] = child;
    }
    if (typeof child !== 'object' || child === null) return false;
    node = child as Record<string, unknown> | unknown[];
  }
  return false;
}

/** Drops the holes that 1-based or sparse list indexes leave. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compact);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, compact(item)]));
  }
  return value;
}

/** JSON-protocol bodies with keys in lower camel case, as CloudTrail shows them. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !UNSAFE_KEYS.has(key))
        .map(([key, item]) => [lowerFirst(key), camelKeys(item)]),
    );
  }
  return value;
}

export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  if (body.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function bodyText(body: string | Buffer): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

/** The parameters of a Query-protocol call: the form body for POST, the query string otherwise. */
export function queryParams(req: EdgeRequest): URLSearchParams {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/x-www-form-urlencoded') && req.body.length > 0) {
    return new URLSearchParams(req.body.toString('utf8'));
  }
  return req.url.searchParams;
}

export interface DecodedResponse {
  errorCode: string | undefined;
  errorMessage: string | undefined;
  requestId: string | undefined;
  /** The response body decoded (JSON as sent; XML as lower-camel JSON); `undefined` when empty or unreadable. */
  result: unknown;
}

// IAM and STS name their modelled errors `NoSuchEntity` on the wire; CloudTrail shows the shape
// name (`NoSuchEntityException`). Unmodelled codes (AccessDenied) stay as they are.
const MODELLED_QUERY_ERRORS: Record<string, ReadonlySet<string>> = {
  iam: new Set([
    'ConcurrentModification',
    'DeleteConflict',
    'DuplicateCertificate',
    'DuplicateSSHPublicKey',
    'EntityAlreadyExists',
    'EntityTemporarilyUnmodifiable',
    'InvalidAuthenticationCode',
    'InvalidCertificate',
    'InvalidInput',
    'InvalidPublicKey',
    'InvalidUserType',
    'KeyPairMismatch',
    'LimitExceeded',
    'MalformedCertificate',
    'MalformedPolicyDocument',
    'NoSuchEntity',
    'PasswordPolicyViolation',
    'PolicyEvaluation',
    'PolicyNotAttachable',
    'ServiceFailure',
    'ServiceNotSupported',
    'UnmodifiableEntity',
    'UnrecognizedPublicKeyEncoding',
  ]),
  sts: new Set(['MalformedPolicyDocument', 'PackedPolicyTooLarge', 'IDPRejectedClaim', 'InvalidIdentityToken']),
};

function cloudTrailErrorCode(service: string, code: string, status: number): string {
  if (service === 'ec2') return `${status >= 500 ? 'Server' : 'Client'}.${code}`;
  if (MODELLED_QUERY_ERRORS[service]?.has(code)) return `${code}Exception`;
  return code;
}

/** `aws.protocols#Foo:http://...` and `com.amazonaws.x#Foo` both mean `Foo`. */
function bareErrorType(type: string): string {
  const hash = type.lastIndexOf('#');
  const withoutNamespace = hash === -1 ? type : type.slice(hash + 1);
  const colon = withoutNamespace.indexOf(':');
  return colon === -1 ? withoutNamespace : withoutNamespace.slice(0, colon);
}

function stringField(object: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = object[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function looksLikeXml(text: string): boolean {
  return text.trimStart().startsWith('<');
}

/** Reads what CloudTrail takes from a response: error code and message, request id, the result. */
export function decodeResponse(res: EdgeResponse, service: string, protocol: WireProtocol): DecodedResponse {
  const text = bodyText(res.body);
  const headerRequestId = res.headers['x-amz-request-id'] ?? res.headers['x-amzn-requestid'];
  const failed = res.status >= 400;

  if (looksLikeXml(text)) {
    const root = parseXml(text);
    const requestId =
      headerRequestId ?? (root ? (findText(root, 'RequestId') ?? findText(root, 'RequestID')) : undefined);
    if (failed) {
      const code = root ? findText(root, 'Code') : undefined;
      const message = root ? findText(root, 'Message') : undefined;
      return {
        errorCode: cloudTrailErrorCode(service, code ?? `HTTP${res.status}`, res.status),
        errorMessage: message,
        requestId,
        result: undefined,
      };
    }
    return {
      errorCode: undefined,
      errorMessage: undefined,
      requestId,
      result: root ? xmlResult(root, protocol) : undefined,
    };
  }

  const json = parseJsonObject(text);
  if (failed) {
    const headerType = res.headers['x-amzn-errortype'];
    const type = (json ? stringField(json, '__type', 'code', 'Code') : undefined) ?? headerType;
    return {
      errorCode: type === undefined ? `HTTP${res.status}` : bareErrorType(type),
      errorMessage: json ? stringField(json, 'message', 'Message', 'errorMessage') : undefined,
      requestId: headerRequestId,
      result: undefined,
    };
  }
  return { errorCode: undefined, errorMessage: undefined, requestId: headerRequestId, result: json };
}

function xmlResult(root: XmlElement, protocol: WireProtocol): unknown {
  if (protocol !== 'query') return xmlToJson(root);
  // <XResponse><XResult>...</XResult><ResponseMetadata/></XResponse>; EC2 has no Result wrapper.
  const result = root.children.find((child) => child.name.endsWith('Result'));
  if (result !== undefined) return xmlToJson(result);
  const withoutMetadata: XmlElement = {
    ...root,
    children: root.children.filter((child) => child.name !== 'ResponseMetadata'),
  };
  return withoutMetadata.children.length === 0 ? undefined : xmlToJson(withoutMetadata);
}

/** The XML document of a request body (S3 configuration PUTs), or `undefined`. */
export function requestXml(req: EdgeRequest): XmlElement | undefined {
  if (req.body.length === 0) return undefined;
  const text = req.body.toString('utf8');
  return looksLikeXml(text) ? parseXml(text) : undefined;
}

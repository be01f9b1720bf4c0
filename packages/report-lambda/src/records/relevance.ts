import { SESSION_PREFIX, SESSION_TAG } from '@jit-access/core';

/**
 * Which records can belong to an elevated session. The correlator keeps every AssumedRole call it is given
 * (the AssumeRole event that explains a call may come later), so an organization trail's service-role
 * traffic would fill memory; only records that can matter are parsed and handed on:
 *
 * - AssumeRole events that name a `jit-` session, source identity or `jit:` tag (the grants);
 * - calls of an assumed-role session whose session name or source identity starts with `jit-`, or whose
 *   role is one of the tier roles (configured), so that a tier role used outside a grant still shows.
 *
 * A grant always sets both names (BRIEF §3), so every call of a jit session carries one of them.
 */
export interface RelevanceFilter {
  /** Cheap test on a record's JSON text: false means the record cannot matter and is not parsed. */
  mayMatter(text: string): boolean;
  /** Test on the parsed record, before schema validation. Malformed records pass, to become findings. */
  matters(record: unknown): boolean;
}

const ASSUMED_ROLE_ARN = /^arn:[\w-]+:sts::[^:]*:assumed-role\/([^/]+)\/(.+)$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function startsJit(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(SESSION_PREFIX);
}

function isJitAssumeRole(record: Record<string, unknown>): boolean {
  const params = record.requestParameters;
  if (!isObject(params)) return false;
  if (startsJit(params.roleSessionName) || startsJit(params.sourceIdentity)) return true;
  const tags = params.tags;
  if (!Array.isArray(tags)) return false;
  return tags.some((tag) => isObject(tag) && (tag.key ?? tag.Key) === SESSION_TAG.grant);
}

export function relevanceFilter(tierRoles: readonly string[] = []): RelevanceFilter {
  const roles = new Set(tierRoles);
  // Text every relevant record contains: a `jit-` name, the `jit:grant` tag, or a tier role's name.
  const markers = [SESSION_PREFIX, SESSION_TAG.grant, ...tierRoles];
  return {
    mayMatter(text) {
      for (const marker of markers) if (text.includes(marker)) return true;
      return false;
    },
    matters(record) {
      if (!isObject(record)) return true;
      const identity = record.userIdentity;
      if (!isObject(identity)) return true;
      if (record.eventName === 'AssumeRole' && record.eventSource === 'sts.amazonaws.com') {
        if (isJitAssumeRole(record)) return true;
        const roleArn = isObject(record.requestParameters) ? record.requestParameters.roleArn : undefined;
        if (typeof roleArn === 'string' && roles.has(roleArn.slice(roleArn.lastIndexOf('/') + 1))) return true;
      }
      if (identity.type !== 'AssumedRole') return false;
      const context = identity.sessionContext;
      if (isObject(context) && startsJit(context.sourceIdentity)) return true;
      const match = typeof identity.arn === 'string' ? ASSUMED_ROLE_ARN.exec(identity.arn) : null;
      if (match === null) return false;
      const [, role = '', session = ''] = match;
      return session.startsWith(SESSION_PREFIX) || roles.has(role);
    },
  };
}

import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { SESSION_PREFIX } from '@jit-access/core';
import { CorrelationMode, grantFromAssumeRole, isJitGrant } from '../correlate.js';
import type { RecordSource } from '../types.js';
import {
  assertLookupWindow,
  LOOKUP_MIN_INTERVAL_MS,
  type LookupAttributeFilter,
  lookupEventsSource,
  RateLimiter,
  realSleep,
  type Sleep,
} from './lookup.js';

export interface LookupSessionsOptions {
  /** One client per region to search; LookupEvents is regional. */
  readonly clients: readonly Pick<CloudTrailClient, 'send'>[];
  readonly since: Date;
  readonly until: Date;
  readonly mode?: CorrelationMode;
  /** A grant id, `jit-<grantId>` or an access key id: narrows the lookups to that session. */
  readonly session?: string;
  /** Replaces the discovery below with exactly these lookups. */
  readonly attributes?: readonly LookupAttributeFilter[];
  readonly now?: () => Date;
  /** Milliseconds for request pacing. @default Date.now */
  readonly clock?: () => number;
  readonly sleep?: Sleep;
  readonly maxRetries?: number;
  readonly random?: () => number;
}

const ACCESS_KEY = /^(AKIA|ASIA)[A-Z0-9]{12,124}$/;

/**
 * The records a session report needs, from LookupEvents alone (one attribute per request): first every
 * `AssumeRole` event in the window (they carry the grants' tags and the access keys STS returned), then the
 * calls of each returned access key (`AccessKeyId=`), and for a named session also `Username=jit-<id>` (the
 * session name is the user name of an assumed-role call). Events that two lookups both return are yielded twice
 * and deduplicated by eventID downstream.
 */
export async function* lookupSessionRecords(options: LookupSessionsOptions): RecordSource {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? realSleep;
  assertLookupWindow(options.since, options.until, now());
  const mode = options.mode ?? CorrelationMode.Jit;
  for (const client of options.clients) {
    const limiter = new RateLimiter(LOOKUP_MIN_INTERVAL_MS, options.clock ?? Date.now, sleep);
    const base = {
      client,
      since: options.since,
      until: options.until,
      now,
      sleep,
      limiter,
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      ...(options.random === undefined ? {} : { random: options.random }),
    };
    if (options.attributes !== undefined) {
      for (const attribute of options.attributes) yield* lookupEventsSource({ ...base, attribute });
      continue;
    }
    const keys = new Set<string>();
    const wanted = options.session;
    if (wanted !== undefined && ACCESS_KEY.test(wanted)) keys.add(wanted);
    for await (const item of lookupEventsSource({ ...base, attribute: { key: 'EventName', value: 'AssumeRole' } })) {
      yield item;
      if (item.type !== 'records') continue;
      for (const record of item.records) {
        const grant = grantFromAssumeRole(record);
        if (grant?.accessKeyId === undefined) continue;
        if (mode === CorrelationMode.Jit && !isJitGrant(grant)) continue;
        if (wanted !== undefined && !grantNames(grant).includes(wanted)) continue;
        keys.add(grant.accessKeyId);
      }
    }
    if (wanted !== undefined && !ACCESS_KEY.test(wanted)) {
      const user =
        wanted.startsWith(SESSION_PREFIX) || mode !== CorrelationMode.Jit ? wanted : `${SESSION_PREFIX}${wanted}`;
      yield* lookupEventsSource({ ...base, attribute: { key: 'Username', value: user } });
    }
    for (const key of [...keys].sort()) {
      yield* lookupEventsSource({ ...base, attribute: { key: 'AccessKeyId', value: key } });
    }
  }
}

function grantNames(grant: NonNullable<ReturnType<typeof grantFromAssumeRole>>): string[] {
  const names: string[] = [];
  for (const name of [grant.sourceIdentity, grant.roleSessionName, grant.tags['jit:grant'], grant.accessKeyId]) {
    if (name === undefined) continue;
    names.push(name);
    if (name.startsWith(SESSION_PREFIX)) names.push(name.slice(SESSION_PREFIX.length));
  }
  return names;
}

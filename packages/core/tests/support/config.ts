import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type JitConfig, parseConfig } from '../../src/index.js';

/** A configuration file a test may edit. */
export interface EditableSource {
  file: string;
  text: string;
}

export const ACCOUNTS_DIR = path.resolve(import.meta.dirname, '../../../../accounts');

/** The example accounts/ folder as sources, to be mutated by a test. */
export function exampleSources(): { org: EditableSource; tiers: EditableSource; workloads: EditableSource[] } {
  const read = (rel: string): EditableSource => ({
    file: rel,
    text: readFileSync(path.join(ACCOUNTS_DIR, rel), 'utf8'),
  });
  const workloads = readdirSync(path.join(ACCOUNTS_DIR, 'workloads'))
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => read(`workloads/${n}`));
  return { org: read('jit.yaml'), tiers: read('tiers.yaml'), workloads };
}

export function exampleConfig(): JitConfig {
  return parseConfig(exampleSources());
}

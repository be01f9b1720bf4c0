#!/usr/bin/env node
// Bundles the Lambda handler (src/lambda.ts) into one ES module, dist-bundle/index.mjs, with the AWS SDK v3
// clients inside (tree-shaken ESM builds, not the runtime's copy: the function runs the versions we tested)
// and the workspace packages from their TypeScript sources. Prints the size; fails above the limit.
//
//   node scripts/bundle.mjs [--max-bytes 1048576] [--outdir dist-bundle]   (nx run report-lambda:bundle)
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'max-bytes': { type: 'string', default: String(1024 * 1024) },
    outdir: { type: 'string', default: path.join(root, 'dist-bundle') },
  },
});
const outdir = path.resolve(values.outdir);
const maxBytes = Number(values['max-bytes']);

const workspace = path.resolve(root, '..');

/**
 * Two things esbuild cannot know about our sources: they have no import-time side effects (so modules the
 * handler does not use, e.g. the config loader and its YAML parser, drop out), and `import { z } from 'zod'`
 * only ever reads properties of `z` (so a namespace import lets zod tree-shake instead of pulling in every
 * locale).
 */
const workspaceSources = {
  name: 'workspace-sources',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.inner === true || !args.importer.startsWith(workspace)) return undefined;
      const resolved = await pluginBuild.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { inner: true },
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      const ours = resolved.path.startsWith(workspace) && !resolved.path.includes(`${path.sep}node_modules${path.sep}`);
      return { ...resolved, sideEffects: ours ? false : resolved.sideEffects };
    });
    pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(workspace) || args.path.includes(`${path.sep}node_modules${path.sep}`))
        return undefined;
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      return {
        contents: source.replace(/import\s*\{\s*z\s*\}\s*from\s*'zod';/g, "import * as z from 'zod';"),
        loader: 'ts',
      };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  entryPoints: [path.join(root, 'src/lambda.ts')],
  outfile: path.join(outdir, 'index.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  treeShaking: true,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  // Workspace packages from source; third-party packages through their ESM builds, which tree-shake.
  conditions: ['@jit-access/source', 'module', 'import'],
  mainFields: ['module', 'main'],
  // Some dependencies are CommonJS and call require() for Node builtins.
  banner: {
    js: "import { createRequire as __jitCreateRequire } from 'node:module'; const require = __jitCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [workspaceSources],
});
await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));

const bytes = (await stat(path.join(outdir, 'index.mjs'))).size;
const byPackage = new Map();
const output = Object.values(result.metafile.outputs)[0];
for (const [file, info] of Object.entries(output?.inputs ?? {})) {
  const absolute = path.resolve(file);
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(absolute);
  const name = match?.[1] ?? `workspace ${path.relative(workspace, absolute).split(path.sep)[0]}`;
  byPackage.set(name, (byPackage.get(name) ?? 0) + info.bytesInOutput);
}
const top = [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
console.log(
  `${path.relative(process.cwd(), path.join(outdir, 'index.mjs'))}: ${(bytes / 1024).toFixed(1)} KiB (${bytes} bytes; limit ${(maxBytes / 1024).toFixed(0)} KiB)`,
);
for (const [name, size] of top) console.log(`  ${(size / 1024).toFixed(1).padStart(7)} KiB  ${name}`);
if (bytes > maxBytes) {
  console.error(`the bundle is larger than ${maxBytes} bytes`);
  process.exitCode = 1;
}

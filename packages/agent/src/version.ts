import { readFileSync } from 'node:fs';

// src/ and dist/ both sit one level below package.json, so one relative URL serves both.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** This package's version, from its package.json. */
export const version: string = pkg.version;

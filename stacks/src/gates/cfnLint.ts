import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { StacksError, StacksErrorCode } from '../errors.js';

/** One cfn-lint finding (errors and warnings fail the gate; informational ones are kept for reading). */
export interface CfnLintFinding {
  readonly file: string;
  readonly rule: string;
  readonly level: 'Error' | 'Warning' | 'Informational';
  readonly message: string;
  readonly line?: number;
}

interface RawFinding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location?: { readonly Start?: { readonly LineNumber?: number } };
}

function runOnce(executable: string, files: readonly string[]): Promise<CfnLintFinding[]> {
  return new Promise((resolve, reject) => {
    execFile(
      executable,
      ['--format', 'json', '--', ...files],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        // Exit codes 2, 4, 6, 8 (and sums) report findings; anything else with no JSON is a crash.
        let raw: RawFinding[];
        try {
          raw = JSON.parse(stdout || '[]') as RawFinding[];
        } catch (cause) {
          reject(
            new StacksError(
              StacksErrorCode.LintUnavailable,
              `cfn-lint did not produce a report: ${stderr.trim() || String(error)}`,
              {
                suggestion: 'install it with pip install cfn-lint (version 1.x)',
                cause,
              },
            ),
          );
          return;
        }
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new StacksError(StacksErrorCode.LintUnavailable, `cfn-lint is not installed (${executable})`, {
              cause: error,
            }),
          );
          return;
        }
        resolve(
          raw.map((f) => ({
            file: f.Filename,
            rule: f.Rule.Id,
            level: f.Level === 'Error' ? 'Error' : f.Level === 'Warning' ? 'Warning' : 'Informational',
            message: f.Message,
            ...(f.Location?.Start?.LineNumber === undefined ? {} : { line: f.Location.Start.LineNumber }),
          })),
        );
      },
    );
  });
}

/**
 * Runs cfn-lint on templates, split across parallel processes (it lints one file at a time and
 * most of its time per file is its own). Returns every finding; the caller decides what fails.
 */
export async function runCfnLint(
  files: readonly string[],
  options: { readonly executable?: string; readonly processes?: number } = {},
): Promise<CfnLintFinding[]> {
  if (files.length === 0) return [];
  const executable = options.executable ?? 'cfn-lint';
  const processes = Math.max(1, Math.min(options.processes ?? availableParallelism(), files.length));
  const batches: string[][] = Array.from({ length: processes }, () => []);
  files.forEach((file, i) => {
    batches[i % processes]?.push(file);
  });
  const results = await Promise.all(batches.filter((b) => b.length > 0).map((b) => runOnce(executable, b)));
  return results.flat();
}

export function formatCfnLintFindings(findings: readonly CfnLintFinding[]): string {
  return findings.map((f) => `${f.level} ${f.rule} ${f.file}${f.line ? `:${f.line}` : ''}: ${f.message}`).join('\n');
}

import { spawn } from 'node:child_process';
import { LocalRolesAnywhereError, LocalRolesAnywhereErrorCode } from './errors.js';

/**
 * Runs the openssl CLI (node:crypto can sign and verify but cannot create certificates).
 */
export function runOpenssl(args: readonly string[], options: { cwd: string; binary?: string }): Promise<string> {
  const binary = options.binary ?? 'openssl';
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      // A user's OPENSSL_CONF must not change what we issue; every command gets -config where it reads one.
      env: { PATH: process.env.PATH ?? '', OPENSSL_CONF: '/dev/null' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (cause) => {
      reject(
        new LocalRolesAnywhereError(
          LocalRolesAnywhereErrorCode.OpensslFailed,
          `could not run ${binary}: ${cause.message}`,
          {
            cause,
            suggestion: 'Install the openssl command-line tool (e.g. `apt-get install openssl`) or put it on PATH.',
          },
        ),
      );
    });
    child.on('close', (code) => {
      if (code === 0) {
        resolve(Buffer.concat(out).toString('utf8'));
        return;
      }
      const stderr = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-4).join(' | ');
      reject(
        new LocalRolesAnywhereError(
          LocalRolesAnywhereErrorCode.OpensslFailed,
          `${binary} ${args[0] ?? ''} exited with code ${String(code)}: ${stderr.slice(0, 600)}`,
        ),
      );
    });
    child.stdin.end();
  });
}

import type { CliIo } from '../../src/index.js';

/** A CliIo that records everything the CLI writes. */
export interface CapturedIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
  readonly asked: string[];
}

export function captureIo(
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    stdin?: string;
    answers?: string[];
    now?: () => Date;
    fetch?: typeof fetch;
    tty?: { stdout?: boolean; stderr?: boolean };
  } = {},
): CapturedIo {
  let out = '';
  let err = '';
  const asked: string[] = [];
  const answers = [...(options.answers ?? [])];
  return {
    stdout: { write: (text: string) => (out += text), isTTY: options.tty?.stdout === true },
    stderr: { write: (text: string) => (err += text), isTTY: options.tty?.stderr === true },
    readStdin: async () => options.stdin ?? '',
    ask:
      options.answers === undefined
        ? undefined
        : async (question: string) => {
            asked.push(question);
            return answers.shift() ?? '';
          },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    sleep: async () => {},
    ...(options.now ? { now: options.now } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    out: () => out,
    err: () => err,
    asked,
  };
}

/** Credential-shaped strings: access key ids, and (when known) the exact secret values. */
export function findCredentials(text: string, known: readonly string[] = []): string[] {
  const found = [...text.matchAll(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g)].map((m) => m[0]);
  for (const value of known) if (value.length >= 8 && text.includes(value)) found.push(value);
  return found;
}

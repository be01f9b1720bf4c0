import { JitError } from '@jit-access/core';

/**
 * Stable codes of everything jit-agent refuses or fails at. Scripts and LLM agents branch on
 * these (and on the exit codes below), so they never change meaning.
 */
export const AgentErrorCode = {
  Usage: 'AGENT_USAGE',
  Config: 'AGENT_CONFIG',
  NoGrant: 'AGENT_NO_GRANT',
  Revoked: 'AGENT_REVOKED',
  Expired: 'AGENT_EXPIRED',
  WindowClosed: 'AGENT_WINDOW_CLOSED',
  Malformed: 'AGENT_MALFORMED',
  WrongAccount: 'AGENT_WRONG_ACCOUNT',
  Unreadable: 'AGENT_UNREADABLE',
  Identity: 'AGENT_IDENTITY',
  ForeignCredentials: 'AGENT_FOREIGN_CREDENTIALS',
  RequestInvalid: 'AGENT_REQUEST_INVALID',
  NotDelivered: 'AGENT_NOT_DELIVERED',
  WaitTimeout: 'AGENT_WAIT_TIMEOUT',
  ListenFailed: 'AGENT_LISTEN_FAILED',
  CommandNotFound: 'AGENT_COMMAND_NOT_FOUND',
  CommandNotExecutable: 'AGENT_COMMAND_NOT_EXECUTABLE',
  Journal: 'AGENT_JOURNAL',
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

/**
 * Exit codes of the CLI, one per refusal so that a caller can tell them apart without parsing
 * text. `exec` otherwise returns its child's code; a child that uses one of these codes itself is
 * told apart by the message on stderr (or `--json`). 126/127 follow the shell's convention.
 */
export const EXIT_CODES = {
  ok: 0,
  error: 1,
  [AgentErrorCode.Usage]: 2,
  [AgentErrorCode.Config]: 3,
  [AgentErrorCode.NoGrant]: 10,
  [AgentErrorCode.Revoked]: 11,
  [AgentErrorCode.Expired]: 12,
  [AgentErrorCode.WindowClosed]: 13,
  [AgentErrorCode.Malformed]: 14,
  [AgentErrorCode.WrongAccount]: 15,
  [AgentErrorCode.Unreadable]: 16,
  [AgentErrorCode.Identity]: 17,
  [AgentErrorCode.ForeignCredentials]: 18,
  [AgentErrorCode.RequestInvalid]: 20,
  [AgentErrorCode.NotDelivered]: 21,
  [AgentErrorCode.WaitTimeout]: 22,
  [AgentErrorCode.ListenFailed]: 23,
  [AgentErrorCode.Journal]: 24,
  [AgentErrorCode.CommandNotExecutable]: 126,
  [AgentErrorCode.CommandNotFound]: 127,
} as const;

export class AgentError extends JitError {
  declare readonly code: AgentErrorCode;

  constructor(code: AgentErrorCode, message: string, options: { suggestion?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/**
 * The documented exit code for any error: AgentError by code, the core's configuration errors as
 * AGENT_CONFIG, Roles Anywhere failures (the base identity) as AGENT_IDENTITY, anything else 1.
 */
export function exitCodeFor(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return EXIT_CODES.error;
  if (error instanceof JitError && code in EXIT_CODES) return EXIT_CODES[code as AgentErrorCode];
  if (code === 'CONFIG_NOT_FOUND' || code === 'CONFIG_INVALID') return EXIT_CODES[AgentErrorCode.Config];
  if (code.startsWith('ROLES_ANYWHERE_')) return EXIT_CODES[AgentErrorCode.Identity];
  return EXIT_CODES.error;
}

/**
 * What a notification says. Built from the grant's metadata only: the type has no field that
 * could carry a credential, so no notifier can leak one.
 */
export interface GrantEvent {
  readonly kind: 'jit-grant-event';
  readonly version: 1;
  readonly event: 'granted' | 'revoked';
  readonly grantId: string | undefined;
  readonly account: { readonly id: string; readonly name: string };
  /** Where the agent reads its credentials (the hub's secret name). */
  readonly secretName: string;
  readonly approver: string;
  readonly at: string;
  readonly tier?: string;
  readonly roleArn?: string;
  readonly reason?: string;
  readonly effectiveUntil?: string;
  readonly expiration?: string;
  readonly scope?: readonly string[];
  /** For `revoked`: every session issued before `at` is denied, not only one grant. */
  readonly allSessions?: boolean;
}

/** One line for humans (Slack's fallback text, SNS's subject). */
export function eventSummary(event: GrantEvent): string {
  const where = `${event.account.name} (${event.account.id})`;
  if (event.event === 'granted') {
    return `JIT elevation granted: ${event.tier ?? '?'} on ${where} until ${event.effectiveUntil ?? '?'}`;
  }
  return `JIT elevation revoked on ${where}${event.allSessions ? ' (all sessions)' : ''}`;
}

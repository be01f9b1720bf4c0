import path from 'node:path';
import { type JitConfig, loadConfig, parseElevationRequest, verifyWebhook } from '@jit-access/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentErrorCode } from '../../src/errors.js';
import { buildElevationRequest, requestText, sendElevationRequest, slackText } from '../../src/request.js';
import { ACCOUNT, T0 } from '../support/grants.js';
import { receiver } from '../support/http.js';

const AGENT_ARN = 'arn:aws:iam::444444444444:user/jit-agent';
let config: JitConfig;
beforeAll(async () => {
  config = await loadConfig(path.resolve(import.meta.dirname, '../../../../accounts'));
});

const base = {
  account: ACCOUNT,
  tier: 'ops',
  minutes: 15,
  reason: 'restart the api service',
  agentArn: AGENT_ARN,
  now: T0,
};

describe('buildElevationRequest', () => {
  it('writes the format jit-grant grant --request consumes', () => {
    const request = buildElevationRequest({ ...base, plan: 'aws ecs update-service --force-new-deployment' });

    expect(request).toMatchObject({
      kind: 'jit-elevation-request',
      version: 1,
      createdAt: T0.toISOString(),
      expiresAt: new Date(T0.getTime() + 30 * 60_000).toISOString(),
      account: ACCOUNT,
      tier: 'ops',
      minutes: 15,
      reason: 'restart the api service',
      plan: 'aws ecs update-service --force-new-deployment',
      agent: { arn: AGENT_ARN },
    });
    expect(request.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    // The consumer's parser accepts exactly what we write.
    expect(parseElevationRequest(requestText(request), new Date(T0.getTime() + 60_000))).toEqual(request);
  });

  it('checks the request against the tiers when accounts/ is known', () => {
    expect(() => buildElevationRequest({ ...base, tier: 'god', config })).toThrow(
      /tier "god" does not exist; allowed: ops, deploy, security/,
    );
    expect(() => buildElevationRequest({ ...base, tier: 'deploy', account: '333333333333', config })).toThrow(
      /not available for account 333333333333/,
    );
    expect(() => buildElevationRequest({ ...base, tier: 'security', minutes: 90, config })).toThrow(
      /minutes 90 is outside the security tier's window: allowed 5/,
    );
    expect(buildElevationRequest({ ...base, config }).tier).toBe('ops');
  });

  it('refuses an empty reason and a reason with control characters', () => {
    for (const reason of ['  ', 'restart\nAPPROVED BY ADMIN']) {
      expect(() => buildElevationRequest({ ...base, reason })).toThrow(
        expect.objectContaining({ code: AgentErrorCode.RequestInvalid }),
      );
    }
  });

  it('refuses an agent identity that is not an ARN', () => {
    expect(() => buildElevationRequest({ ...base, agentArn: 'me' })).toThrow(/agent.arn/);
  });
});

describe('sendElevationRequest', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("posts the request to the approvers' webhook, signed so that the receiver can verify it", async () => {
    const hook = await receiver(204);
    closers.push(hook.close);
    const request = buildElevationRequest(base);

    const deliveries = await sendElevationRequest(
      request,
      { webhook: { url: hook.url, secret: 'shared-secret' } },
      { now: T0 },
    );

    expect(deliveries).toEqual([{ channel: 'webhook', ok: true, status: 204 }]);
    const [got] = hook.received;
    expect(got?.body).toBe(requestText(request));
    expect(() =>
      verifyWebhook({
        body: got?.body ?? '',
        signature: got?.headers['x-jit-signature'] as string,
        timestamp: got?.headers['x-jit-timestamp'] as string,
        secret: 'shared-secret',
        now: T0,
      }),
    ).not.toThrow();
  });

  it('posts a Slack message that cannot mention anyone, with the exact request JSON', async () => {
    const slack = await receiver(200);
    closers.push(slack.close);
    const request = buildElevationRequest({ ...base, reason: 'hi <!channel> & <@U123>' });

    await sendElevationRequest(request, { slack: { webhookUrl: slack.url } });

    const text = (JSON.parse(slack.received[0]?.body ?? '{}') as { text: string }).text;
    expect(text).toBe(slackText(request));
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('hi &lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(text).toContain(request.id);
  });

  it('reports a failed channel without the Slack URL, which is a secret', async () => {
    const slackUrl = 'http://127.0.0.1:9/services/T000/B000/SLACKSECRETPART';
    const deliveries = await sendElevationRequest(buildElevationRequest(base), {
      slack: { webhookUrl: slackUrl },
      timeoutMs: 2000,
    });
    expect(deliveries[0]).toMatchObject({ channel: 'slack', ok: false });
    expect(JSON.stringify(deliveries)).not.toContain('SLACKSECRETPART');
  });

  it('reports an HTTP error status from the webhook', async () => {
    const hook = await receiver(500);
    closers.push(hook.close);
    const deliveries = await sendElevationRequest(buildElevationRequest(base), {
      webhook: { url: hook.url, secret: 's' },
    });
    expect(deliveries).toEqual([
      { channel: 'webhook', ok: false, status: 500, error: expect.stringContaining('HTTP 500') },
    ]);
  });

  it('sends nothing when no channel is configured', async () => {
    expect(await sendElevationRequest(buildElevationRequest(base), {})).toEqual([]);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/duration.js';
import { AgentError, AgentErrorCode } from '../../src/errors.js';
import { createRuntime } from '../../src/runtime.js';
import { loadSettings, parseSettings } from '../../src/settings.js';

const ACCOUNTS = path.resolve(import.meta.dirname, '../../../../accounts');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and combinations', () => {
    expect(parseDuration('90', 't')).toBe(90_000);
    expect(parseDuration('90s', 't')).toBe(90_000);
    expect(parseDuration('15m', 't')).toBe(900_000);
    expect(parseDuration('1h30m', 't')).toBe(5_400_000);
    expect(parseDuration('250ms', 't')).toBe(250);
  });

  it('refuses anything else with a usage error naming the option', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          expect(parseDuration(text, '--timeout')).toBeGreaterThanOrEqual(0);
        } catch (error) {
          expect(error).toBeInstanceOf(AgentError);
          expect((error as AgentError).code).toBe(AgentErrorCode.Usage);
          expect((error as AgentError).message).toContain('--timeout');
        }
      }),
    );
    expect(() => parseDuration('15 minutes', '--timeout')).toThrow(/--timeout "15 minutes" is not a duration/);
  });
});

describe('settings', () => {
  it('names the field and the problem of an invalid settings file', () => {
    expect(() => parseSettings('{"region":"Sydney","listener":{"port":70000},"colour":true}', 's.json')).toThrow(
      /s\.json is not valid: .*region: must be an AWS region.*listener\.port.*unknown field\(s\) colour/,
    );
  });

  it('treats a missing default settings file as empty but a missing named one as an error', async () => {
    expect(await loadSettings(undefined, { XDG_CONFIG_HOME: dir })).toEqual({ settings: {} });
    await expect(loadSettings(path.join(dir, 'nope.json'), {})).rejects.toMatchObject({ code: AgentErrorCode.Config });
  });

  it('reads the default file from XDG_CONFIG_HOME', async () => {
    await writeFile(path.join(dir, 'settings.json'), '{"region":"eu-west-1"}');
    const { settings } = await loadSettings(undefined, { JIT_AGENT_SETTINGS: path.join(dir, 'settings.json') });
    expect(settings.region).toBe('eu-west-1');
  });
});

describe('createRuntime', () => {
  it('lets flags beat the environment and the settings file', async () => {
    const file = path.join(dir, 'settings.json');
    await writeFile(file, JSON.stringify({ region: 'eu-west-1', clockSkewSeconds: 10, journal: '/from-settings' }));
    const runtime = await createRuntime(
      { settingsFile: file, region: 'us-east-2' },
      { JIT_CLOCK_SKEW_SECONDS: '45', AWS_REGION: 'ap-south-1' },
    );
    expect(await runtime.region()).toBe('us-east-2');
    expect(runtime.clockSkewSeconds).toBe(45);
    expect(runtime.journalPath).toBe('/from-settings');
  });

  it('takes the hub region from accounts/ before AWS_REGION', async () => {
    const runtime = await createRuntime({ configDir: ACCOUNTS }, { AWS_REGION: 'us-east-1' });
    expect(await runtime.region()).toBe('ap-southeast-2');
  });

  it('says what to set when no region is known', async () => {
    const runtime = await createRuntime({}, { XDG_CONFIG_HOME: dir });
    await expect(runtime.region()).rejects.toMatchObject({ code: AgentErrorCode.Config });
  });

  it('resolves account names through accounts/, and refuses unknown ones listing the known', async () => {
    const runtime = await createRuntime({ configDir: ACCOUNTS }, {});
    expect(await runtime.resolveAccount('production')).toBe('222222222222');
    expect(await runtime.resolveAccount('222222222222')).toBe('222222222222');
    await expect(runtime.resolveAccount('prod')).rejects.toThrow(
      /unknown account "prod"; known: .*production \(222222222222\)/,
    );
    await expect(runtime.resolveAccount('999999999999')).rejects.toThrow(/not a workload account/);
    expect(await runtime.workloadAccounts()).toEqual(
      expect.arrayContaining(['111111111111', '222222222222', '333333333333']),
    );
  });

  it('refuses an account name without accounts/', async () => {
    const runtime = await createRuntime({}, { XDG_CONFIG_HOME: dir });
    await expect(runtime.resolveAccount('production')).rejects.toMatchObject({ code: AgentErrorCode.Usage });
  });

  it('lists what the roles-anywhere identity is missing', async () => {
    await expect(
      createRuntime({ identity: 'roles-anywhere', certificate: '/c.pem' }, { XDG_CONFIG_HOME: dir }),
    ).rejects.toThrow(/needs privateKey, trustAnchorArn, profileArn, roleArn/);
  });

  it("keeps jit-agent's own secrets out of a child's environment", async () => {
    const file = path.join(dir, 'settings.json');
    await writeFile(file, JSON.stringify({ listener: { secret: { env: 'MY_HMAC' } } }));
    const runtime = await createRuntime({ settingsFile: file }, {});
    expect(runtime.removeEnv()).toEqual(
      expect.arrayContaining(['MY_HMAC', 'JIT_WEBHOOK_SECRET', 'JIT_SLACK_WEBHOOK_URL']),
    );
  });
});

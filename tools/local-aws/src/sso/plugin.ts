import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { EdgePlugin } from '../edge/types.js';
import type { LocalAwsPluginContext } from '../plugins.js';
import { createSsoPortalHandler, type SsoRoleCredentials } from './portal.js';

/**
 * The IAM Identity Center portal (`GetRoleCredentials`) for tokens issued with
 * `issueLocalSsoToken`. Credentials are an STS session of the assigned role, asked of moto
 * directly with the local admin of the role's account, so that call is not recorded; the
 * recorder learns the session from moto when it is first used.
 */
export function createSsoPortalPlugin(
  pluginContext: Pick<
    LocalAwsPluginContext,
    'stateDir' | 'region' | 'motoEndpoint' | 'adminCredentials' | 'adminCredentialsFor' | 'accounts'
  >,
): EdgePlugin {
  const context = { ...pluginContext, hubAccountId: pluginContext.accounts.hub.id };
  const handle = createSsoPortalHandler({
    stateDir: context.stateDir,
    assumeRole: async ({ accountId, roleName, sessionName, durationSeconds }): Promise<SsoRoleCredentials> => {
      const sts = new STSClient({
        region: context.region,
        endpoint: context.motoEndpoint,
        // moto checks trust policies against the caller's exact ARN: the hub's approver role
        // trusts the admin user, so its own keys are used there, and the admin role elsewhere.
        credentials:
          accountId === context.hubAccountId ? context.adminCredentials : await context.adminCredentialsFor(accountId),
        maxAttempts: 1,
      });
      try {
        const out = await sts.send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
            RoleSessionName: sessionName,
            DurationSeconds: durationSeconds,
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
          throw new Error('moto returned no credentials');
        }
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        };
      } finally {
        sts.destroy();
      }
    },
  });
  return { name: 'sso-portal', handle };
}

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { localRolesAnywhere } from './plugins.js';
import type { LocalAccounts } from './provision/provision.js';
import { createLocalCa, issueAgentCertificate } from './rolesAnywhere/index.js';

export interface IssuedLocalCertificate {
  readonly certificateFile: string;
  readonly privateKeyFile: string;
  readonly commonName: string;
  readonly serialDecimal: string;
  readonly notAfter: string;
  readonly trustAnchorArn: string;
  readonly profileArn: string;
  readonly roleArn: string;
}

/**
 * Issues an agent certificate from a local environment's Roles Anywhere CA (the one its edge
 * trusts) and writes it with its key to `outDir`. Returns where, and the ARNs to use; never the key.
 */
export async function issueLocalAgentCertificate(options: {
  stateDir: string;
  region: string;
  accounts: LocalAccounts;
  outDir: string;
  commonName: string;
  keyType: 'rsa' | 'ec';
  days: number;
}): Promise<IssuedLocalCertificate> {
  const local = localRolesAnywhere({ stateDir: options.stateDir, region: options.region, accounts: options.accounts });
  const ca = await createLocalCa({ dir: local.caDir, commonName: 'JIT Access local agent CA' });
  const issued = await issueAgentCertificate({
    ca,
    commonName: options.commonName,
    days: options.days,
    keyType: options.keyType,
  });
  await mkdir(options.outDir, { recursive: true, mode: 0o700 });
  const certificateFile = path.join(options.outDir, 'agent.crt');
  const privateKeyFile = path.join(options.outDir, 'agent.key');
  await writeFile(certificateFile, issued.certificatePem + (issued.chainPem ?? ''));
  await writeFile(privateKeyFile, issued.privateKeyPem, { mode: 0o600 });
  await chmod(privateKeyFile, 0o600);
  return {
    certificateFile,
    privateKeyFile,
    commonName: options.commonName,
    serialDecimal: issued.serialDecimal,
    notAfter: issued.notAfter.toISOString(),
    trustAnchorArn: local.trustAnchorArn,
    profileArn: local.profileArn,
    roleArn: local.roleArn,
  };
}

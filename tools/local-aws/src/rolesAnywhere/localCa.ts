import { createPrivateKey, generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRolesAnywhereError, LocalRolesAnywhereErrorCode } from './errors.js';
import { runOpenssl } from './openssl.js';
import { commonNameOf, pemBlocks, serialDecimalOf, validityOf } from './x509.js';

export type LocalKeyType = 'rsa' | 'ec';

export interface CreateLocalCaOptions {
  /** Where the CA lives: `ca.key` (0600), `ca.pem`, and `chain.pem` for an intermediate. Created 0700. */
  dir: string;
  /** @default 'ec' (P-256); 'rsa' is RSA-2048 */
  keyType?: LocalKeyType;
  /** @default 'JIT Access local CA' (or '... intermediate CA' when `issuer` is given) */
  commonName?: string;
  /** Validity from now when notBefore/notAfter are not given. @default 3650 */
  days?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** Sign this CA with another one: an intermediate CA. @default self-signed root */
  issuer?: LocalCa;
  /** @default 'openssl' on PATH */
  opensslBinary?: string;
}

export interface LocalCa {
  dir: string;
  certificatePath: string;
  keyPath: string;
  certificatePem: string;
  keyType: LocalKeyType;
  commonName: string;
  serialDecimal: string;
  notBefore: Date;
  notAfter: Date;
  /** Intermediates from this CA up to the root (root excluded), PEM; '' for a root CA. */
  chainPem: string;
  opensslBinary: string;
}

export interface IssueAgentCertificateOptions {
  ca: LocalCa;
  /** Becomes the session's source identity: 2-64 characters of [A-Za-z0-9_+=,.@-]. */
  commonName: string;
  /** Validity from now when notBefore/notAfter are not given. @default 30 */
  days?: number;
  /** @default 'ec' */
  keyType?: LocalKeyType;
  /** For tests of not-yet-valid certificates. @default now */
  notBefore?: Date;
  /** For tests of expired certificates. @default notBefore + days */
  notAfter?: Date;
}

export interface AgentCertificate {
  certificatePem: string;
  /** PKCS#8 PEM. Generated in memory, never written by this function. */
  privateKeyPem: string;
  serialDecimal: string;
  /** Present when the CA is an intermediate: send it as the chain. */
  chainPem?: string;
  notBefore: Date;
  notAfter: Date;
}

const DEFAULT_CA_NAME = 'JIT Access local CA';
const CA_COMMON_NAME = /^[\w .@-]{2,64}$/;
const AGENT_COMMON_NAME = /^[\w+=,.@-]{2,64}$/;
const DAY_MS = 86_400_000;

function invalid(message: string): LocalRolesAnywhereError {
  return new LocalRolesAnywhereError(LocalRolesAnywhereErrorCode.InvalidOption, message);
}

function generateKey(keyType: LocalKeyType): string {
  const { privateKey } =
    keyType === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function keyTypeOf(key: KeyObject, path: string): LocalKeyType {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ec') return key.asymmetricKeyType;
  throw new LocalRolesAnywhereError(
    LocalRolesAnywhereErrorCode.CaIncomplete,
    `${path} holds a ${key.asymmetricKeyType ?? 'unknown'} key; the local CA uses rsa or ec`,
  );
}

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate/-enddate` takes. */
function opensslTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function validityWindow(
  options: { days?: number; notBefore?: Date; notAfter?: Date },
  defaultDays: number,
): { notBefore: Date; notAfter: Date } {
  const days = options.days ?? defaultDays;
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    throw invalid(`days ${String(days)} is out of range; allowed: an integer from 1 to 36500`);
  }
  const notBefore = options.notBefore ?? new Date();
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime()))
    throw invalid('notBefore/notAfter must be valid Dates');
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw invalid(`notAfter ${notAfter.toISOString()} must be after notBefore ${notBefore.toISOString()}`);
  }
  return { notBefore, notAfter };
}

/** Escapes a value for `openssl req -subj`, where '/', '+' and '=' are separators. */
function subj(commonName: string): string {
  return `/CN=${commonName.replace(/[\\/+=]/g, (c) => `\\${c}`)}`;
}

/** One openssl config for both the CA and leaf profiles; the database is per call and thrown away. */
function opensslConfig(work: string): string {
  return [
    '[ req ]',
    'distinguished_name = dn',
    'prompt = no',
    '[ dn ]',
    'CN = placeholder',
    '[ ca ]',
    'default_ca = local',
    '[ local ]',
    `database = ${join(work, 'index.txt')}`,
    `serial = ${join(work, 'serial')}`,
    'rand_serial = yes',
    `new_certs_dir = ${work}`,
    'default_md = sha256',
    'policy = policy_any',
    'unique_subject = no',
    'copy_extensions = none',
    'email_in_dn = no',
    '[ policy_any ]',
    'commonName = supplied',
    '[ ca_ext ]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    '[ root_ext ]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    '[ leaf_ext ]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = clientAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    '',
  ].join('\n');
}

/**
 * Signs `csr` in a throw-away openssl database. With `signer` undefined the CSR's own key signs it
 * (a self-signed root); `keyPath` is then that key.
 */
async function signCsr(args: {
  binary: string;
  work: string;
  csrPem: string;
  signer: { certificatePath: string; keyPath: string } | undefined;
  selfKeyPath?: string;
  extensions: 'root_ext' | 'ca_ext' | 'leaf_ext';
  notBefore: Date;
  notAfter: Date;
}): Promise<string> {
  const { work, binary } = args;
  await writeFile(join(work, 'openssl.cnf'), opensslConfig(work));
  await writeFile(join(work, 'index.txt'), '');
  await writeFile(join(work, 'request.csr'), args.csrPem);
  const signerArgs =
    args.signer === undefined
      ? ['-selfsign', '-keyfile', args.selfKeyPath ?? '']
      : ['-cert', args.signer.certificatePath, '-keyfile', args.signer.keyPath];
  await runOpenssl(
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      join(work, 'openssl.cnf'),
      ...signerArgs,
      '-in',
      join(work, 'request.csr'),
      '-extensions',
      args.extensions,
      '-startdate',
      opensslTime(args.notBefore),
      '-enddate',
      opensslTime(args.notAfter),
      '-out',
      join(work, 'issued.pem'),
    ],
    { cwd: work, binary },
  );
  const issued = await readFile(join(work, 'issued.pem'), 'utf8');
  const [block] = pemBlocks(issued);
  if (block === undefined) {
    throw new LocalRolesAnywhereError(LocalRolesAnywhereErrorCode.OpensslFailed, 'openssl ca wrote no certificate');
  }
  return `${block}\n`;
}

async function csrFor(binary: string, work: string, keyPem: string, commonName: string): Promise<string> {
  await writeFile(join(work, 'openssl.cnf'), opensslConfig(work));
  // openssl cannot read a key from Node's stdin (a socket, not a pipe), so the key sits in the 0700
  // work directory, mode 0600, until withWorkDir removes it a moment later.
  const keyFile = join(work, 'request.key');
  await writeFile(keyFile, keyPem, { mode: 0o600 });
  try {
    return await runOpenssl(
      ['req', '-new', '-config', join(work, 'openssl.cnf'), '-key', keyFile, '-subj', subj(commonName), '-sha256'],
      { cwd: work, binary },
    );
  } finally {
    await rm(keyFile, { force: true });
  }
}

async function withWorkDir<T>(fn: (work: string) => Promise<T>): Promise<T> {
  const work = await mkdtemp(join(tmpdir(), 'jit-local-ca-'));
  try {
    return await fn(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function loadCa(dir: string, binary: string): Promise<LocalCa> {
  const certificatePath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key');
  const certificatePem = await readFile(certificatePath, 'utf8');
  const keyPem = await readFile(keyPath, 'utf8');
  const certificate = new X509Certificate(certificatePem);
  const key = createPrivateKey(keyPem);
  if (!certificate.checkPrivateKey(key)) {
    throw new LocalRolesAnywhereError(
      LocalRolesAnywhereErrorCode.CaIncomplete,
      `${keyPath} does not belong to ${certificatePath}`,
      { suggestion: `Remove ${dir} to create a new local CA (certificates it issued stop working).` },
    );
  }
  const chainPath = join(dir, 'chain.pem');
  const chainPem = (await exists(chainPath)) ? await readFile(chainPath, 'utf8') : '';
  const { notBefore, notAfter } = validityOf(certificate);
  const cn = commonNameOf(certificate) ?? '';
  return {
    dir,
    certificatePath,
    keyPath,
    certificatePem,
    keyType: keyTypeOf(key, keyPath),
    commonName: cn,
    serialDecimal: serialDecimalOf(certificate),
    notBefore,
    notAfter,
    chainPem,
    opensslBinary: binary,
  };
}

/**
 * Creates the local CA under `dir`, or loads it when `dir` already holds one (so certificates issued
 * earlier keep working). The CA key is written with mode 0600 in a 0700 directory.
 */
export async function createLocalCa(options: CreateLocalCaOptions): Promise<LocalCa> {
  const binary = options.opensslBinary ?? options.issuer?.opensslBinary ?? 'openssl';
  const { dir } = options;
  const certificatePath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key');
  const [hasCertificate, hasKey] = await Promise.all([exists(certificatePath), exists(keyPath)]);
  if (hasCertificate && hasKey) return loadCa(dir, binary);

  const keyType = options.keyType ?? 'ec';
  if (keyType !== 'rsa' && keyType !== 'ec')
    throw invalid(`keyType "${String(keyType)}" is not allowed; allowed: rsa, ec`);
  const commonName =
    options.commonName ?? (options.issuer === undefined ? DEFAULT_CA_NAME : `${DEFAULT_CA_NAME} intermediate`);
  if (!CA_COMMON_NAME.test(commonName)) {
    throw invalid(
      `commonName "${commonName}" is not allowed; allowed: 2-64 characters of letters, digits, space and _.@-`,
    );
  }
  const window = validityWindow(options, 3650);

  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const keyPem = generateKey(keyType);
  // Write to a temporary name and rename: a crash never leaves a key without its certificate in place.
  const keyTemp = `${keyPath}.${process.pid}.tmp`;
  await writeFile(keyTemp, keyPem, { mode: 0o600 });
  try {
    const certificatePem = await withWorkDir(async (work) => {
      const csrPem = await csrFor(binary, work, keyPem, commonName);
      return signCsr({
        binary,
        work,
        csrPem,
        signer:
          options.issuer === undefined
            ? undefined
            : { certificatePath: options.issuer.certificatePath, keyPath: options.issuer.keyPath },
        selfKeyPath: keyTemp,
        extensions: options.issuer === undefined ? 'root_ext' : 'ca_ext',
        ...window,
      });
    });
    if (options.issuer !== undefined) {
      await writeFile(join(dir, 'chain.pem'), `${certificatePem}${options.issuer.chainPem}`, { mode: 0o644 });
    }
    await writeFile(certificatePath, certificatePem, { mode: 0o644 });
    await rename(keyTemp, keyPath);
  } catch (error) {
    await rm(keyTemp, { force: true });
    throw error;
  }
  return loadCa(dir, binary);
}

/** Issues an end-entity certificate for an agent (CA:FALSE, digitalSignature, clientAuth). */
export async function issueAgentCertificate(options: IssueAgentCertificateOptions): Promise<AgentCertificate> {
  const { ca, commonName } = options;
  if (!AGENT_COMMON_NAME.test(commonName)) {
    throw invalid(
      `commonName "${commonName.slice(0, 80)}" is not allowed; allowed: 2-64 characters of [A-Za-z0-9_+=,.@-] (it becomes the session's source identity)`,
    );
  }
  const keyType = options.keyType ?? 'ec';
  if (keyType !== 'rsa' && keyType !== 'ec')
    throw invalid(`keyType "${String(keyType)}" is not allowed; allowed: rsa, ec`);
  const window = validityWindow(options, 30);
  const privateKeyPem = generateKey(keyType);
  const certificatePem = await withWorkDir(async (work) => {
    const csrPem = await csrFor(ca.opensslBinary, work, privateKeyPem, commonName);
    return signCsr({
      binary: ca.opensslBinary,
      work,
      csrPem,
      signer: { certificatePath: ca.certificatePath, keyPath: ca.keyPath },
      extensions: 'leaf_ext',
      ...window,
    });
  });
  const certificate = new X509Certificate(certificatePem);
  const { notBefore, notAfter } = validityOf(certificate);
  return {
    certificatePem,
    privateKeyPem,
    serialDecimal: serialDecimalOf(certificate),
    ...(ca.chainPem === '' ? {} : { chainPem: ca.chainPem }),
    notBefore,
    notAfter,
  };
}

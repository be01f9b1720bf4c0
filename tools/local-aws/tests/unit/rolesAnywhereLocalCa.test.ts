import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCa, issueAgentCertificate, type LocalCa } from '../../src/rolesAnywhere/index.js';
import { commonNameOf } from '../../src/rolesAnywhere/x509.js';

const caWindow = { notBefore: new Date('2029-01-01T00:00:00Z'), notAfter: new Date('2039-01-01T00:00:00Z') };
let dir: string;
let rsaCa: LocalCa;
let ecCa: LocalCa;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jit-local-ca-test-'));
  [rsaCa, ecCa] = await Promise.all([
    createLocalCa({ dir: join(dir, 'rsa'), keyType: 'rsa', ...caWindow }),
    createLocalCa({ dir: join(dir, 'ec'), keyType: 'ec', ...caWindow }),
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createLocalCa', () => {
  it('creates a self-signed RSA-2048 CA certificate with CA:TRUE', () => {
    const certificate = new X509Certificate(rsaCa.certificatePem);

    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toBe('CN=JIT Access local CA');
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.publicKey.asymmetricKeyType).toBe('rsa');
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new Date(certificate.validFrom)).toEqual(caWindow.notBefore);
    expect(new Date(certificate.validTo)).toEqual(caWindow.notAfter);
  });

  it('creates an EC P-256 CA', () => {
    const certificate = new X509Certificate(ecCa.certificatePem);

    expect(certificate.publicKey.asymmetricKeyType).toBe('ec');
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('keeps the key in a 0600 file inside a 0700 directory', async () => {
    expect((await stat(rsaCa.keyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(rsaCa.dir)).mode & 0o777).toBe(0o700);
    expect((await readdir(rsaCa.dir)).sort()).toEqual(['ca.key', 'ca.pem']);
  });

  it('loads the existing CA instead of replacing it', async () => {
    const again = await createLocalCa({ dir: rsaCa.dir, keyType: 'ec' });

    expect(again.certificatePem).toBe(rsaCa.certificatePem);
    expect(again.keyType).toBe('rsa');
  });

  it('creates an intermediate signed by its issuer, with the chain to send', async () => {
    const intermediate = await createLocalCa({ dir: join(dir, 'intermediate'), issuer: rsaCa, ...caWindow });
    const certificate = new X509Certificate(intermediate.certificatePem);

    expect(certificate.ca).toBe(true);
    expect(certificate.checkIssued(new X509Certificate(rsaCa.certificatePem))).toBe(true);
    expect(certificate.verify(new X509Certificate(rsaCa.certificatePem).publicKey)).toBe(true);
    expect(intermediate.chainPem).toBe(intermediate.certificatePem);
    expect(await readFile(join(intermediate.dir, 'chain.pem'), 'utf8')).toBe(intermediate.chainPem);
  });

  it('refuses a validity that ends before it starts', async () => {
    const create = createLocalCa({
      dir: join(dir, 'never'),
      notBefore: caWindow.notAfter,
      notAfter: caWindow.notBefore,
    });

    await expect(create).rejects.toMatchObject({ code: 'LOCAL_ROLES_ANYWHERE_INVALID_OPTION' });
  });
});

describe('issueAgentCertificate', () => {
  it('issues an end-entity certificate for clientAuth with the given CN, dates and key type', async () => {
    const issued = await issueAgentCertificate({
      ca: rsaCa,
      commonName: 'agent-7',
      keyType: 'rsa',
      notBefore: new Date('2030-01-01T00:00:00Z'),
      notAfter: new Date('2030-01-31T00:00:00Z'),
    });
    const certificate = new X509Certificate(issued.certificatePem);

    expect(certificate.subject).toBe('CN=agent-7');
    expect(certificate.ca).toBe(false);
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(certificate.checkIssued(new X509Certificate(rsaCa.certificatePem))).toBe(true);
    expect(certificate.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    expect(issued.serialDecimal).toBe(BigInt(`0x${certificate.serialNumber}`).toString(10));
    expect(issued.notBefore).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect(issued.notAfter).toEqual(new Date('2030-01-31T00:00:00Z'));
    expect(issued.chainPem).toBeUndefined();
  });

  it('gives each certificate a different random serial', async () => {
    const [a, b] = await Promise.all([
      issueAgentCertificate({ ca: ecCa, commonName: 'agent-a' }),
      issueAgentCertificate({ ca: ecCa, commonName: 'agent-a' }),
    ]);

    expect(a.serialDecimal).not.toBe(b.serialDecimal);
  });

  it('issues a certificate whose CN carries the source-identity characters +=,', async () => {
    const issued = await issueAgentCertificate({ ca: ecCa, commonName: 'agent+ops=1,eu@x.y_z-1' });

    expect(commonNameOf(new X509Certificate(issued.certificatePem))).toBe('agent+ops=1,eu@x.y_z-1');
  });

  it('refuses a CN that cannot be a source identity, naming what is allowed', async () => {
    const issue = issueAgentCertificate({ ca: ecCa, commonName: 'agent one/../x' });

    await expect(issue).rejects.toThrow(
      'commonName "agent one/../x" is not allowed; allowed: 2-64 characters of [A-Za-z0-9_+=,.@-] (it becomes the session\'s source identity)',
    );
  });

  it('writes nothing into the CA directory when issuing (the agent key exists only in the result)', async () => {
    await issueAgentCertificate({ ca: ecCa, commonName: 'agent-b' });

    expect((await readdir(ecCa.dir)).sort()).toEqual(['ca.key', 'ca.pem']);
  });
});

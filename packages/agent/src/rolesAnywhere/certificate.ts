import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { RolesAnywhereError, RolesAnywhereErrorCode } from './errors.js';

export type X509SigningAlgorithm = 'AWS4-X509-RSA-SHA256' | 'AWS4-X509-ECDSA-SHA256';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate block of a PEM bundle, in order. */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(PEM_CERTIFICATE) ?? [];
}

/** One certificate from PEM; `field` names the option in error messages. */
export function parseCertificate(pem: string | X509Certificate, field: string): X509Certificate {
  if (pem instanceof X509Certificate) return pem;
  const blocks = typeof pem === 'string' ? splitPemCertificates(pem) : [];
  if (blocks.length !== 1) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.InvalidCertificate,
      `${field} must hold exactly one PEM certificate (-----BEGIN CERTIFICATE-----); found ${blocks.length}`,
      { suggestion: 'Pass the end-entity certificate alone; put intermediates in the chain.' },
    );
  }
  return toX509(blocks[0] as string, field);
}

/** A chain bundle: one or more PEM certificates, leaf excluded, closest issuer first. */
export function parseChain(pem: string | readonly X509Certificate[], field: string): X509Certificate[] {
  if (typeof pem !== 'string') return [...pem];
  const blocks = splitPemCertificates(pem);
  if (blocks.length === 0) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.InvalidCertificate,
      `${field} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      { suggestion: 'Omit the chain when the certificate is issued directly by the trust anchor.' },
    );
  }
  return blocks.map((block, index) => toX509(block, `${field}[${index}]`));
}

function toX509(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.InvalidCertificate,
      `${field} is not a valid X.509 certificate`,
      { cause },
    );
  }
}

/** The serial number in decimal, which Roles Anywhere uses as the credential's identifier. */
export function serialNumberDecimal(certificate: X509Certificate): string {
  const hex = certificate.serialNumber.replace(/:/g, '');
  const negative = hex.startsWith('-');
  const value = BigInt(`0x${negative ? hex.slice(1) : hex}`);
  return (negative ? -value : value).toString(10);
}

export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
}

export function certificateValidity(certificate: X509Certificate): CertificateValidity {
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
}

/** Refuses a certificate outside its validity period at `now`, naming both dates. */
export function assertCertificateValidAt(certificate: X509Certificate, now: Date, field: string): void {
  const { notBefore, notAfter } = certificateValidity(certificate);
  if (now.getTime() > notAfter.getTime()) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.CertificateExpired,
      `${field} expired: notAfter ${notAfter.toISOString()} is before now ${now.toISOString()}`,
      { suggestion: 'Issue a new certificate (e.g. `npm run local -- issue-agent-certificate` locally).' },
    );
  }
  if (now.getTime() < notBefore.getTime()) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.CertificateNotYetValid,
      `${field} is not valid yet: notBefore ${notBefore.toISOString()} is after now ${now.toISOString()}`,
      { suggestion: "Check this machine's clock, or wait until the certificate's notBefore." },
    );
  }
}

export function parsePrivateKey(pem: string | KeyObject, field: string, passphrase?: string): KeyObject {
  if (typeof pem !== 'string') {
    if (pem.type !== 'private') {
      throw new RolesAnywhereError(
        RolesAnywhereErrorCode.InvalidPrivateKey,
        `${field} is a ${pem.type} key; a private key is required`,
      );
    }
    return pem;
  }
  try {
    return createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
  } catch (cause) {
    // The cause comes from OpenSSL's decoder and names no key material; our message names only the field.
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.InvalidPrivateKey,
      `${field} is not a readable PEM private key (PKCS#8, PKCS#1 or SEC1${passphrase === undefined ? ', unencrypted' : ''})`,
      { cause, suggestion: 'Pass the key that belongs to the certificate; give its passphrase if it is encrypted.' },
    );
  }
}

/** The signing algorithm for a key: RSA (PKCS#1 v1.5) or ECDSA; anything else is refused. */
export function signingAlgorithmFor(key: KeyObject, field: string): X509SigningAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'AWS4-X509-RSA-SHA256';
    case 'ec':
      return 'AWS4-X509-ECDSA-SHA256';
    default:
      throw new RolesAnywhereError(
        RolesAnywhereErrorCode.UnsupportedKeyType,
        `${field} is a ${key.asymmetricKeyType ?? 'unknown'} key; Roles Anywhere accepts rsa or ec keys`,
      );
  }
}

/** Refuses a key that does not belong to the certificate, before anything is signed or sent. */
export function assertKeyMatchesCertificate(key: KeyObject, certificate: X509Certificate, field: string): void {
  if (!certificate.checkPrivateKey(key)) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.KeyCertificateMismatch,
      `${field} does not belong to the certificate (serial ${serialNumberDecimal(certificate)})`,
      { suggestion: 'Pass the private key that was used to request this certificate.' },
    );
  }
}

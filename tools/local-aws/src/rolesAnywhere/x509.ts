import { X509Certificate } from 'node:crypto';

/** Small X.509 helpers over node:crypto; no parsing of our own beyond what Node exposes. */

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export function pemBlocks(pem: string): string[] {
  return pem.match(PEM_CERTIFICATE) ?? [];
}

export function serialDecimalOf(certificate: X509Certificate): string {
  const hex = certificate.serialNumber.replace(/:/g, '');
  const negative = hex.startsWith('-');
  const value = BigInt(`0x${negative ? hex.slice(1) : hex}`);
  return (negative ? -value : value).toString(10);
}

export function validityOf(certificate: X509Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
}

/**
 * The subject's common name. Node prints one `key=value` per line, escaping RFC 4514 specials with a
 * backslash (`a\\+b`) or quoting the value as a JSON string; both are undone here. With several CNs,
 * the last (most specific) wins.
 */
export function commonNameOf(certificate: X509Certificate): string | undefined {
  let found: string | undefined;
  for (const line of certificate.subject.split('\n')) {
    if (!line.startsWith('CN=')) continue;
    const raw = line.slice(3);
    if (raw.startsWith('"')) {
      try {
        const decoded: unknown = JSON.parse(raw);
        if (typeof decoded === 'string') found = decoded;
      } catch {
        found = undefined;
      }
    } else {
      found = raw.replace(/\\(.)/g, '$1');
    }
  }
  return found;
}

/** Whether `child` names `parent` as its issuer and carries a valid signature by `parent`'s key. */
export function isIssuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

export function x509FromBase64Der(value: string): X509Certificate | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  try {
    return new X509Certificate(Buffer.from(value, 'base64'));
  } catch {
    return undefined;
  }
}

/** The first PEM certificate of `pem`, parsed; undefined when there is none or it does not parse. */
export function x509FromPem(pem: string): X509Certificate | undefined {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  return match === null ? undefined : x509FromBase64Der((match[1] ?? '').replace(/\s+/g, ''));
}

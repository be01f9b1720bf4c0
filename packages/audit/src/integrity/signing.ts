import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { IntegrityError, IntegrityErrorCode } from './errors.js';
import { formatIsoSeconds } from './keys.js';

/**
 * Digest signatures: SHA256withRSA (RSA PKCS#1 v1.5 over SHA-256) of
 *
 *     digestEndTime + "\n" + bucket + "/" + key + "\n" + hex(sha256(uncompressed digest)) + "\n" + previousDigestSignature
 *
 * where a chain's first digest uses the literal `null` for the previous signature (as the AWS CLI's
 * validation does, "to match the Java implementation"). The signature is stored hex-encoded in the
 * digest object's `signature` metadata (`x-amz-meta-signature`).
 */

export interface StringToSignInput {
  /** The digest's `digestEndTime` field, verbatim. */
  readonly digestEndTime: string;
  readonly bucket: string;
  readonly key: string;
  /** The uncompressed digest bytes (or its text, hashed as UTF-8). */
  readonly digest: Uint8Array | string;
  /** The digest's `previousDigestSignature` field; null or undefined for a chain's first digest. */
  readonly previousSignature: string | null | undefined;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestStringToSign(input: StringToSignInput): string {
  const previous = input.previousSignature ?? 'null';
  return `${input.digestEndTime}\n${input.bucket}/${input.key}\n${sha256Hex(input.digest)}\n${previous}`;
}

export interface SignDigestInput {
  /** The exact uncompressed digest text that will be stored (gzipped). */
  readonly digestText: string;
  readonly digestEndTime: Date | string;
  readonly bucket: string;
  readonly key: string;
  readonly previousSignature: string | null | undefined;
  /** PEM (PKCS#8 or PKCS#1) RSA private key. */
  readonly privateKeyPem: string;
}

function loadPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new IntegrityError(IntegrityErrorCode.InvalidKey, 'privateKeyPem: not a readable PEM private key', {
      cause: error,
      suggestion: 'Pass the `privateKeyPem` returned by createDigestKeyPair(), or an RSA key in PEM.',
    });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidKey,
      `privateKeyPem: key type ${String(key.asymmetricKeyType)} cannot sign digests; allowed: rsa`,
    );
  }
  return key;
}

/** Signs a digest as CloudTrail does; returns the lowercase hex signature for the `signature` metadata. */
export function signDigest(input: SignDigestInput): string {
  const endTime = input.digestEndTime instanceof Date ? formatIsoSeconds(input.digestEndTime) : input.digestEndTime;
  const toSign = digestStringToSign({
    digestEndTime: endTime,
    bucket: input.bucket,
    key: input.key,
    digest: input.digestText,
    previousSignature: input.previousSignature,
  });
  return sign('sha256', Buffer.from(toSign, 'utf8'), loadPrivateKey(input.privateKeyPem)).toString('hex');
}

/**
 * The fingerprint this product writes into `digestPublicKeyFingerprint`: hex MD5 of the DER (PKCS#1)
 * public key. CloudTrail's fingerprints are 32 hex digits too, but neither AWS's documentation nor the
 * AWS CLI defines how they are computed: the CLI only uses the fingerprint to pick a key from
 * `ListPublicKeys`, and so does our verifier. Nothing depends on matching AWS's derivation.
 */
export function publicKeyFingerprint(publicKeyDer: Uint8Array): string {
  return createHash('md5').update(publicKeyDer).digest('hex');
}

export interface DigestKeyPair {
  /** PKCS#8 PEM. Keep it secret: whoever has it can forge digests. */
  readonly privateKeyPem: string;
  /** DER PKCS#1 RSAPublicKey: what `ListPublicKeys` returns as `Value`. */
  readonly publicKeyDer: Buffer;
  readonly fingerprint: string;
}

/** A fresh RSA-2048 key pair for signing digests (the local environment's stand-in for CloudTrail's key). */
export function createDigestKeyPair(): DigestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'pkcs1', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyDer: publicKey, fingerprint: publicKeyFingerprint(publicKey) };
}

/** The DER public key of a private key, e.g. to publish a key loaded from disk. */
export function publicKeyDerFromPrivateKey(privateKeyPem: string): Buffer {
  return createPublicKey(loadPrivateKey(privateKeyPem)).export({ type: 'pkcs1', format: 'der' });
}

const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/;

/**
 * `ListPublicKeys` returns `Value` as a JSON blob (base64 on the wire). The JavaScript SDK decodes it to
 * the DER bytes. (The AWS CLI keeps blobs as base64 text, which is why its validation base64-decodes the
 * value itself.) Accept base64 text as well so a value copied from CLI output works; a DER SEQUENCE
 * always holds bytes outside the base64 alphabet, so the two cannot be confused.
 */
export function decodePublicKeyValue(value: Uint8Array): Buffer {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const text = bytes.toString('latin1');
  if (bytes.length > 0 && BASE64_TEXT.test(text)) return Buffer.from(text.replace(/\s+/g, ''), 'base64');
  return Buffer.from(bytes);
}

export type SignatureCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /**
       * `malformed-signature`: the metadata is not hex (the CLI fails in `unhexlify`);
       * `invalid-key`: the public key is not a DER PKCS#1 RSA key (`Unable to load PKCS #1 key`);
       * `invalid-signature`: the signature does not verify (`signature verification failed`).
       */
      readonly reason: 'malformed-signature' | 'invalid-key' | 'invalid-signature';
      readonly detail: string;
    };

/** Verifies a digest signature. Never throws on bad input. */
export function verifyDigestSignature(input: {
  readonly publicKeyDer: Uint8Array;
  readonly stringToSign: string;
  readonly signatureHex: string;
}): SignatureCheck {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(input.publicKeyDer), format: 'der', type: 'pkcs1' });
  } catch {
    return { ok: false, reason: 'invalid-key', detail: 'Unable to load PKCS #1 key' };
  }
  // Same order as the CLI: the key is loaded before the signature is decoded.
  if (input.signatureHex.length % 2 !== 0) {
    return { ok: false, reason: 'malformed-signature', detail: 'Odd-length string' };
  }
  if (!/^[0-9a-fA-F]*$/.test(input.signatureHex)) {
    return { ok: false, reason: 'malformed-signature', detail: 'Non-hexadecimal digit found' };
  }
  let signature = Buffer.from(input.signatureHex, 'hex');
  const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  // python-rsa (the CLI's verifier) treats the signature as an integer, so a signature whose leading
  // zero bytes were dropped still verifies there; left-pad to keep the same verdict.
  if (signature.length < modulusBytes) {
    signature = Buffer.concat([Buffer.alloc(modulusBytes - signature.length), signature]);
  }
  let valid = false;
  try {
    valid = verify('sha256', Buffer.from(input.stringToSign, 'utf8'), key, signature);
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, reason: 'invalid-signature', detail: 'signature verification failed' };
}

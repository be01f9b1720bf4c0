export {
  buildCanonicalRequest,
  buildStringToSign,
  type CanonicalRequest,
  type CanonicalRequestInput,
  credentialScope,
  formatAmzDate,
} from './canonical.js';
export { serialNumberDecimal, splitPemCertificates, type X509SigningAlgorithm } from './certificate.js';
export {
  type CreateSessionOptions,
  createSession,
  type FetchLike,
  type RolesAnywhereCredentials,
} from './client.js';
export { RolesAnywhereError, RolesAnywhereErrorCode, type RolesAnywhereErrorOptions } from './errors.js';
export {
  type FromRolesAnywhereOptions,
  fromRolesAnywhere,
  type RolesAnywhereCredentialProvider,
} from './provider.js';
export { type SignedX509Request, type SignX509RequestInput, signX509Request } from './signer.js';

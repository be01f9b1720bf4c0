export type {
  BuildDigestInput,
  DecodedDigest,
  DigestDecodeFailure,
  DigestDecodeResult,
  DigestDocument,
  DigestLogFile,
  DigestLogFileInput,
  PreviousDigestInput,
} from './digest.js';
export {
  buildDigest,
  decodeDigest,
  decodeDigestText,
  HASH_ALGORITHM,
  parseDigest,
  REQUIRED_DIGEST_FIELDS,
  SIGNATURE_ALGORITHM,
} from './digest.js';
export { IntegrityError, IntegrityErrorCode, type IntegrityErrorOptions } from './errors.js';
export { type ExportBucketOptions, type ExportBucketResult, exportBucket } from './export.js';
export { EXPORT_HELP, runExportCommand } from './exportCommand.js';
export {
  EXPORT_FORMAT_VERSION,
  EXPORT_MANIFEST_FILE,
  type ExportManifest,
  type ExportManifestPublicKey,
  type ExportManifestTrail,
  parseExportManifest,
} from './exportManifest.js';
export { type FirstMemberResult, inflateFirstGzipMember } from './gzip.js';
export {
  cloudTrailDigestKey,
  cloudTrailDigestPrefix,
  cloudTrailLogKey,
  type DigestKeyInput,
  formatDigestKeyTime,
  formatIsoSeconds,
  formatLogKeyTime,
  type LogKeyInput,
  type ParsedDigestKey,
  type ParsedLogKey,
  type ParsedTrailArn,
  parseCloudTrailDigestKey,
  parseCloudTrailLogKey,
  parseTrailArn,
} from './keys.js';
export { createLocalFolderSource, type LocalFolderSource } from './localSource.js';
export { digestLine, gapLine, logLine, renderVerifyText, resultLines, summaryText } from './render.js';
export { createS3IntegritySource, type S3IntegritySourceOptions } from './s3Source.js';
export {
  createDigestKeyPair,
  type DigestKeyPair,
  decodePublicKeyValue,
  digestStringToSign,
  publicKeyDerFromPrivateKey,
  publicKeyFingerprint,
  type SignatureCheck,
  type SignDigestInput,
  sha256Hex,
  signDigest,
  verifyDigestSignature,
} from './signing.js';
export { compareKeys, type IntegritySource, type PublicKeyInfo, type SourceObject, type TrailInfo } from './source.js';
export {
  type ChainGap,
  type DigestResult,
  type DigestVerdict,
  type FileCounts,
  type Finding,
  type FindingCode,
  type LogResult,
  type LogVerdict,
  type VerifyProgress,
  type VerifyResult,
  type VerifyTrailOptions,
  verifyTrail,
} from './verify.js';
export { runVerifyCommand, VERIFY_HELP, type VerifyCommandIo, VerifyExitCode } from './verifyCommand.js';
export {
  type CreateDigestFileInput,
  type CreateLogFileInput,
  createDigestFile,
  createLogFile,
  type DigestFileObject,
  type LogFileObject,
  type TrailLocation,
} from './writer.js';

/**
 * PII redaction for transcripts, chats and e-mails in Spanish, Portuguese and English: detectors
 * (checksums via src/documents, context words, libphonenumber-js, a name gazetteer), operators,
 * and a streaming redactor. The only door other domains use. See docs/redaction.md.
 *
 * @example
 * ```ts
 * import { redactSync } from '../redaction/index.js';
 * redactSync('Mi DNI es 12345678Z', { language: 'es' }).text; // 'Mi DNI es <DNI>'
 * ```
 */
export { type Language, type EntityType, type Span, ENTITY_TYPES, LANGUAGES } from './types.js';
export { detect, type DetectOptions, DEFAULT_MIN_CONFIDENCE, resolveOverlaps } from './detect.js';
export { detectLanguage } from './language.js';
export {
  type Operator,
  type RedactionPolicy,
  DEFAULT_REDACTION_POLICY,
  redactionPolicySchema,
  operatorSchema,
  entityTypeSchema,
  MASK_KEEP_MAX,
} from './policy.js';
export { type OperatorBackend, createHmacBackend, canonicalValue, maskText } from './operators.js';
export { type Replacement, type RedactOptions, type RedactResult, redact, redactSync } from './redact.js';
export {
  type StreamRedactor,
  type StreamRedactorOptions,
  createStreamRedactor,
  DEFAULT_MAX_HOLD_BACK,
  MIN_MAX_HOLD_BACK,
} from './stream.js';
export { RedactionErrors } from './errors.js';
// Server wiring (API, tenant policy, vault backend): added by the API/ingest work.
export { CONTEXT_CHARS } from './stream.js';
export {
  type TenantRedactionSettings,
  type RedactionOverride,
  DEFAULT_REDACTION_SETTINGS,
  activeRedactionSettings,
  saveRedactionSettings,
  parseRedactionPolicy,
  applyOverride,
  policyUses,
} from './policy-store.js';
export { type VaultBackend, createVaultBackend, decryptValue, parseEncryptedValue } from './vault-backend.js';
export { RedactionApiErrors } from './routes-errors.js';
export { type RedactionRouteDeps, registerRedactionRoutes, countDetails, MAX_REDACT_BYTES } from './routes.js';

import { defineErrors } from '../platform/errors.js';

/**
 * Failures of the redaction API, the tenant's redaction policy and message ingest (the caller's
 * side: 4xx). The core library's own codes are in errors.ts.
 */
export const RedactionApiErrors = defineErrors('redaction', {
  /** The text is longer than the endpoint accepts (POST /v1/redact: 1 MiB of UTF-8). */
  text_too_large: { status: 413, title: 'The text is too large to redact in one request' },
  /** A policy override names an operator the tenant's redaction policy does not let callers choose. */
  override_not_allowed: { status: 403, title: 'The redaction policy does not allow this override' },
  /** A redaction policy document (PUT /v1/redaction/policy, `custodia redact --policy`) is not valid. */
  invalid_policy: { status: 400, title: 'The redaction policy is not valid' },
  /** POST /v1/redaction/decrypt: not an encrypted value of this tenant (malformed, altered, another tenant's, or shredded). */
  not_decryptable: { status: 404, title: 'No encrypted value of this contact center matches' },
});

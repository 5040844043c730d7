import { defineErrors } from '../platform/errors.js';

/**
 * Redaction failures. Both are configuration problems on the server's side (a tenant policy that
 * asks for an operator the running redactor cannot perform), hence 500: the caller's text is fine.
 */
export const RedactionErrors = defineErrors('redaction', {
  /** `redactSync` was given a policy with `encrypt` or `tokenize`, which need the vault (async). */
  async_operator: { status: 500, title: 'The redaction policy needs an asynchronous operator' },
  /** `hash`, `encrypt` or `tokenize` was asked for without a backend that can perform it. */
  backend_unavailable: { status: 500, title: 'The redaction operator has no backend to perform it' },
});

import { defineErrors } from '../../platform/errors.js';

/**
 * Failures of email over SMTP. Never the address, the text (it may carry a one-time code) or the
 * server's credentials: `details` hold a reason, the SMTP reply code and the caller's reference.
 * `email_unavailable` is transient (connection, TLS, timeouts) and `details.maybeAccepted` says
 * whether the server may have taken the message before the failure (then it is not retried).
 */
export const EmailErrors = defineErrors('channels', {
  invalid_email: { status: 400, title: 'The destination is not an email address' },
  email_unavailable: { status: 503, title: 'The mail server is unavailable' },
  email_rejected: { status: 502, title: 'The mail server rejected the message' },
});

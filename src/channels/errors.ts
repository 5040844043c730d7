import { defineErrors } from '../platform/errors.js';

/**
 * Failures of the outbound channels. The text of a message never appears in one of these (it
 * may carry a one-time code), nor the destination (personal data), nor a gateway's credentials:
 * `details` hold only reasons, gateway status names and the caller's own reference.
 *
 * `sms_unavailable` is the transient kind (connection refused or lost, timeouts, back-off after
 * failed attempts): retry later. `sms_rejected` means the SMSC answered and refused this message;
 * its `details.status` names the SMPP status (`ESME_RINVDSTADR`), and `details.retryable` says
 * whether trying again later can help (`ESME_RTHROTTLED`, `ESME_RMSGQFUL`).
 */
export const ChannelErrors = defineErrors('channels', {
  invalid_destination: { status: 400, title: 'The destination is not a phone number in international (E.164) format' },
  sms_too_long: { status: 400, title: 'The SMS text is too long' },
  sms_unavailable: { status: 503, title: 'The SMS gateway is unavailable' },
  // 503, not 401: the credentials are the server's own (configuration), not the caller's.
  sms_bind_failed: { status: 503, title: 'The SMS gateway refused the connection (check the SMPP system id and password)' },
  sms_rejected: { status: 502, title: 'The SMS gateway rejected the message' },
});

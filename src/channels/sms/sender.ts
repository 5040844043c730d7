/**
 * What every SMS transport offers (SMPP today, an HTTP provider later), so the agent sign-in
 * fallback and customer one-time codes depend on this interface and not on a protocol.
 *
 * The text of a message may be a one-time code: implementations never put it in an error, a log
 * line or anything they keep. Nor the destination, which is personal data.
 */
import { AppError } from '../../platform/errors.js';
import { ChannelErrors } from '../errors.js';

export interface SmsMessage {
  /** The destination in E.164: `+` and 8 to 15 digits, the first not 0 (`+34600123456`). */
  readonly to: string;
  readonly text: string;
  /**
   * The caller's own identifier for this message (a job id), repeated in the `details` of any
   * error so logs can be correlated. Never sent to the gateway. Printable ASCII, at most 128.
   */
  readonly reference?: string;
}

export interface SmsSendResult {
  /** The gateway's identifier of the accepted message (what delivery receipts refer to). */
  readonly messageId: string;
}

export interface SmsSender {
  /**
   * Hands the message to the gateway; resolves once the gateway has accepted it (not once the
   * phone has it). Rejects with an {@link AppError} of {@link ChannelErrors}.
   */
  send(message: SmsMessage): Promise<SmsSendResult>;
  /** Releases the connection. Sends after `close` fail with `channels.sms_unavailable`. Idempotent. */
  close(): Promise<void>;
}

/** E.164: a country code never starts with 0, and a number has at most 15 digits. */
const E164 = /^\+[1-9][0-9]{7,14}$/;
const REFERENCE = /^[\x21-\x7e]{1,128}$/;

/** Whether `value` is a phone number in E.164 form: `+`, then 8 to 15 digits, the first not 0. */
export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164.test(value);
}

/**
 * Checks what every transport requires of a message before anything goes on the wire. A bad
 * destination is a `channels.invalid_destination` (it comes from stored contact data); an empty
 * text or a malformed reference is the caller's bug, a `TypeError`. Neither echoes the value.
 */
export function assertSmsMessage(message: SmsMessage): void {
  if (typeof message !== 'object' || message === null) throw new TypeError('SMS message must be an object');
  if (typeof message.text !== 'string' || message.text.length === 0) throw new TypeError('SMS text must be a non-empty string');
  if (message.reference !== undefined && (typeof message.reference !== 'string' || !REFERENCE.test(message.reference))) {
    throw new TypeError('SMS reference must be 1 to 128 printable ASCII characters without spaces');
  }
  if (!isE164(message.to)) {
    throw new AppError(ChannelErrors.invalid_destination, {
      details: referenceDetails(message.reference),
    });
  }
}

/** `{ reference }` when the caller gave one, for the `details` of an error; else nothing. */
export function referenceDetails(reference: string | undefined): Record<string, unknown> {
  return reference === undefined ? {} : { reference };
}

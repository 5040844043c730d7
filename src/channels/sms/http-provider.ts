/**
 * An SMS provider reached over HTTP (the usual REST "send message" API), behind the same
 * {@link SmsSender} interface as SMPP. The request is
 *
 * ```
 * POST <url>
 * Authorization: Bearer <token>
 * Idempotency-Key: <the message's reference, or a fresh UUID>
 * {"to": "+34600123456", "text": "...", "reference": "..."}
 * ```
 *
 * and a 2xx answer's `messageId` (or `id`) is the provider's id. A provider with another shape is
 * adapted by a small proxy or a subclass overriding {@link HttpSmsSender.bodyOf}. Retries share
 * the idempotency key (http-provider-client.ts), so a message is sent once however often it is
 * retried, provided the caller passes a stable `reference` (the dispatch job does).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors.js';
import { ChannelErrors } from '../errors.js';
import { postToProvider } from './http-provider-client.js';
import { assertSmsMessage, referenceDetails, type SmsMessage, type SmsSender, type SmsSendResult } from './sender.js';

export interface HttpSmsSenderConfig {
  /** The provider's send endpoint, `https://...` (plain `http://` only to a loopback address). */
  readonly url: string;
  readonly token?: string | undefined;
  readonly maxAttempts?: number | undefined;
  readonly baseDelayMs?: number | undefined;
  readonly maxDelayMs?: number | undefined;
  readonly timeoutMs?: number | undefined;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

function isLoopbackUrl(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
}

/** Throws a TypeError (never repeating the URL, which may carry a key) when the URL is unusable. */
export function assertProviderUrl(value: string, what: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${what}: not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) throw new TypeError(`${what}: must be https:// (http:// only to a loopback address)`);
  if (url.username !== '' || url.password !== '') throw new TypeError(`${what}: put credentials in the token setting, not in the URL`);
}

export class HttpSmsSender implements SmsSender {
  /** Retrying a message with the same reference cannot send it twice (the idempotency key). */
  readonly idempotent = true;
  readonly #config: HttpSmsSenderConfig;
  #closed = false;

  constructor(config: HttpSmsSenderConfig) {
    assertProviderUrl(config.url, 'SMS provider URL');
    this.#config = config;
  }

  /** The JSON body for a message; override for a provider with another shape. */
  protected bodyOf(message: SmsMessage): Record<string, unknown> {
    return { to: message.to, text: message.text, ...(message.reference === undefined ? {} : { reference: message.reference }) };
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    assertSmsMessage(message);
    const details = referenceDetails(message.reference);
    if (this.#closed) throw new AppError(ChannelErrors.sms_unavailable, { detail: 'The SMS sender is closed', details: { reason: 'closed', ...details } });
    const result = await postToProvider({ ...this.#config, body: this.bodyOf(message), idempotencyKey: message.reference ?? randomUUID() });
    if (result.kind === 'accepted') {
      const id = result.json.messageId ?? result.json.id;
      return { messageId: typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : `http-${result.status}` };
    }
    if (result.kind === 'rejected') {
      throw new AppError(ChannelErrors.sms_rejected, { detail: `The SMS provider refused the message (HTTP ${result.status})`, details: { httpStatus: result.status, retryable: false, ...details } });
    }
    throw new AppError(ChannelErrors.sms_unavailable, {
      detail: 'The SMS provider could not be reached',
      details: { reason: `provider_${result.reason}`, attempts: result.attempts, maybeAccepted: result.maybeAccepted, ...(result.status === undefined ? {} : { httpStatus: result.status }), ...details },
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

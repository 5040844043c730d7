/**
 * Codes read out by a phone call: the hook a telephony platform plugs into. Custodia does not
 * place calls itself; it asks a provider to call a number and speak a text in a language, and
 * the provider's text-to-speech does the rest. {@link VoiceCallSender} is the interface;
 * {@link HttpVoiceCallSender} POSTs the request to a webhook (the platform's, or a small adapter
 * in front of a vendor API), with retries under one idempotency key per call.
 *
 * ```
 * POST <url>     Idempotency-Key: <reference>
 * {"to": "+34600123456", "text": "...", "language": "es", "reference": "..."}
 * ```
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors.js';
import { assertProviderUrl } from '../sms/http-provider.js';
import { postToProvider } from '../sms/http-provider-client.js';
import { isE164, referenceDetails } from '../sms/sender.js';
import { ChannelErrors } from '../errors.js';
import { VoiceErrors } from './errors.js';

export interface VoiceCall {
  /** E.164. */
  readonly to: string;
  /** What to say. It may hold a one-time code: never logged. */
  readonly text: string;
  /** BCP 47 primary language (`es`, `pt`, `en`) for the text-to-speech voice. */
  readonly language: string;
  /** The caller's id of this call (a job id): the idempotency key, and in error details. */
  readonly reference?: string;
}

export interface VoiceCallSender {
  /** Resolves once the provider accepted the call request (not once the phone rang). */
  call(call: VoiceCall): Promise<{ readonly callId: string }>;
  close(): Promise<void>;
}

export interface HttpVoiceCallSenderConfig {
  readonly url: string;
  readonly token?: string | undefined;
  readonly maxAttempts?: number | undefined;
  readonly baseDelayMs?: number | undefined;
  readonly timeoutMs?: number | undefined;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

export class HttpVoiceCallSender implements VoiceCallSender {
  readonly idempotent = true;
  readonly #config: HttpVoiceCallSenderConfig;

  constructor(config: HttpVoiceCallSenderConfig) {
    assertProviderUrl(config.url, 'voice-call hook URL');
    this.#config = config;
  }

  async call(call: VoiceCall): Promise<{ callId: string }> {
    const details = referenceDetails(call.reference);
    if (!isE164(call.to)) throw new AppError(ChannelErrors.invalid_destination, { details });
    if (typeof call.text !== 'string' || call.text.length === 0) throw new TypeError('voice text must be a non-empty string');
    const result = await postToProvider({
      ...this.#config,
      body: { to: call.to, text: call.text, language: call.language, ...(call.reference === undefined ? {} : { reference: call.reference }) },
      idempotencyKey: call.reference ?? randomUUID(),
    });
    if (result.kind === 'accepted') {
      const id = result.json.callId ?? result.json.id;
      return { callId: typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : `http-${result.status}` };
    }
    if (result.kind === 'rejected') throw new AppError(VoiceErrors.voice_rejected, { details: { httpStatus: result.status, ...details } });
    throw new AppError(VoiceErrors.voice_unavailable, { details: { reason: `provider_${result.reason}`, attempts: result.attempts, maybeAccepted: result.maybeAccepted, ...details } });
  }

  async close(): Promise<void> {
    // Nothing held open: each call is its own request.
  }
}

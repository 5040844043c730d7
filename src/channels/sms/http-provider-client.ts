/**
 * POSTs one JSON message to a provider's HTTP API with retries, shared by the HTTP SMS provider
 * and the voice-call hook. Every attempt of one message carries the same `Idempotency-Key`
 * (the IETF httpapi draft's header, as Stripe and most SMS APIs accept it), so a retry after a
 * lost answer cannot make the provider send twice.
 *
 * Retried: network failures, timeouts, 408, 425, 429 and 5xx, with exponential back-off and full
 * jitter (a `Retry-After` in seconds is honoured up to the cap). Not retried: other 4xx (the
 * provider refused this message; trying again will not change its mind).
 *
 * Nothing here logs or returns the body: it holds a one-time code and a phone number.
 */
import { randomInt } from 'node:crypto';

export interface ProviderPostOptions {
  readonly url: string;
  /** Sent as `Authorization: Bearer ...` when set. */
  readonly token?: string | undefined;
  readonly body: Readonly<Record<string, unknown>>;
  readonly idempotencyKey: string;
  /** Attempts in all (default 4). */
  readonly maxAttempts?: number | undefined;
  /** First back-off (default 250 ms), doubled per attempt, randomised down to 0 (full jitter). */
  readonly baseDelayMs?: number | undefined;
  readonly maxDelayMs?: number | undefined;
  /** Per attempt (default 10 s). */
  readonly timeoutMs?: number | undefined;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

export type ProviderPostResult =
  | { readonly kind: 'accepted'; readonly status: number; readonly json: Record<string, unknown> }
  | { readonly kind: 'rejected'; readonly status: number; readonly attempts: number }
  /** Every attempt failed transiently; `maybeAccepted` when an attempt may have reached the provider. */
  | { readonly kind: 'unavailable'; readonly reason: 'network' | 'timeout' | 'status'; readonly status?: number; readonly attempts: number; readonly maybeAccepted: boolean };

const RETRYABLE_STATUS = new Set([408, 425, 429]);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^[0-9]{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1_000;
}

export async function postToProvider(options: ProviderPostOptions): Promise<ProviderPostResult> {
  const maxAttempts = options.maxAttempts ?? 4;
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sleep = options.sleep ?? defaultSleep;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': options.idempotencyKey };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const payload = JSON.stringify(options.body);
  let last: ProviderPostResult = { kind: 'unavailable', reason: 'network', attempts: 0, maybeAccepted: false };
  let maybeAccepted = false;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    let wait: number | undefined;
    try {
      const response = await fetch(options.url, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      const text = await response.text();
      if (response.ok) {
        let json: Record<string, unknown> = {};
        try {
          const parsed: unknown = text.length === 0 ? {} : JSON.parse(text);
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
        } catch {
          // An accepted message with a body we cannot read is still accepted.
        }
        return { kind: 'accepted', status: response.status, json };
      }
      if (!RETRYABLE_STATUS.has(response.status) && response.status < 500) return { kind: 'rejected', status: response.status, attempts: attempt };
      // A 5xx may come after the provider acted; the idempotency key covers the retry.
      if (response.status >= 500) maybeAccepted = true;
      last = { kind: 'unavailable', reason: 'status', status: response.status, attempts: attempt, maybeAccepted };
      wait = retryAfterMs(response.headers.get('retry-after'));
    } catch (error) {
      const timeout = (error as { name?: unknown }).name === 'TimeoutError';
      // A timeout may have left the request with the provider; a refused connection did not.
      if (timeout) maybeAccepted = true;
      last = { kind: 'unavailable', reason: timeout ? 'timeout' : 'network', attempts: attempt, maybeAccepted };
    }
    if (attempt < maxAttempts) {
      const backoff = randomInt(0, Math.min(cap, base * 2 ** (attempt - 1)) + 1);
      await sleep(Math.min(cap, Math.max(backoff, wait ?? 0)));
    }
  }
  return last;
}

/**
 * SMS over SMPP 3.4 (the `smpp` package): one session to one SMSC, opened on the first send and
 * kept for the next ones.
 *
 * - **Bind**: `bind_transmitter`, or `bind_transceiver` when delivery receipts are consumed
 *   (`onDeliveryReceipt`), since only a receiving session gets deliver_sm. `interface_version` is
 *   0x34: the package defaults to 5.0, which 3.4 SMSCs may refuse.
 * - **Reconnect**: a lost session is reopened by the next send. After a failed attempt (connect,
 *   TLS, bind or its timeout) the next one waits `reconnectBaseMs`, doubling per further failure up
 *   to `reconnectMaxMs`; a send during that wait fails at once with `channels.sms_unavailable`
 *   (`details.retryAfterMs`, and a `Retry-After` header) rather than hammering the SMSC.
 * - **Throttle**: at most `maxPerSecond` submit_sm in any second, taken once the session is bound,
 *   so messages queued during an outage do not leave in one burst when it ends.
 * - **Timeouts**: a bind or a submit_sm_resp that does not come in time is `sms_unavailable`, and
 *   the session is dropped: an SMSC that stops answering is usually a half-open connection.
 * - **Receipts**: `registered_delivery` asks for them; each deliver_sm is answered, and a receipt
 *   goes to `onDeliveryReceipt`. Nothing is stored here.
 *
 * What never leaves this module in an error or a log line: the text (it may be a one-time code),
 * the destination, and the password (kept in a private field, so it does not show up in
 * `util.inspect` either).
 *
 * @example
 * ```ts
 * const sms = new SmppSmsSender({ ...parseSmppUrl(config.smppUrl), logger });
 * const { messageId } = await sms.send({ to: '+34600123456', text: 'Código: 123456', reference: jobId });
 * await sms.close();
 * ```
 */
import smpp, { type PDU, type Session } from 'smpp';
import { systemClock, type Clock } from '../../platform/clock.js';
import { AppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { exponentialBackoffMs } from '../../platform/rate-limit.js';
import { ChannelErrors } from '../errors.js';
import { parseDeliveryReceipt, type DeliveryReceipt } from './delivery-receipt.js';
import { encodeSmsText } from './encoding.js';
import { assertSmsMessage, referenceDetails, type SmsMessage, type SmsSender, type SmsSendResult } from './sender.js';
import { assertSmppConfig, NPI_ISDN, resolveSource, SMPP_DEFAULTS, TON_INTERNATIONAL, type ResolvedSource, type SmppSmsSenderConfig } from './smpp-config.js';
import { createThrottle, type Throttle } from './throttle.js';

const INTERFACE_VERSION_3_4 = 0x34;
/** registered_delivery: an SMSC delivery receipt on the final outcome, success or failure. */
const RECEIPT_ON_FINAL_OUTCOME = 0x01;
/** Statuses after which the same message may well be accepted later. */
const RETRYABLE_STATUSES = new Set(['ESME_RTHROTTLED', 'ESME_RMSGQFUL']);

const statusNames = new Map<number, string>(Object.entries(smpp.errors).map(([name, value]) => [value, name]));

/** The SMPP name of a command_status (`ESME_RINVPASWD`), or its hex value when it has none. */
export function smppStatusName(status: number): string {
  return statusNames.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`;
}

/** One connection to the SMSC, from connect to close. */
interface Link {
  readonly session: Session;
  /** Resolves once bound; rejects with the AppError that ended the attempt. */
  readonly ready: Promise<Session>;
  /** Rejecters of the submits waiting for their response, called when the connection goes. */
  readonly pending: Set<(error: AppError) => void>;
  bound: boolean;
  /** No new submission goes over it: it failed, timed out, closed, or is closing. */
  retired: boolean;
}

/** A submit_sm that never reached the socket (it was no longer writable): safe to send again. */
const NOT_SENT = Symbol('not sent');

export class SmppSmsSender implements SmsSender {
  readonly #host: string;
  readonly #port: number;
  readonly #tls: SmppSmsSenderConfig['tls'];
  readonly #systemId: string;
  readonly #password: string;
  readonly #systemType: string;
  readonly #source: ResolvedSource;
  readonly #bindTimeoutMs: number;
  readonly #submitTimeoutMs: number;
  readonly #reconnectBaseMs: number;
  readonly #reconnectMaxMs: number;
  readonly #enquireLinkMs: number;
  readonly #registeredDelivery: number;
  readonly #onDeliveryReceipt: ((receipt: DeliveryReceipt) => void | Promise<void>) | undefined;
  readonly #logger: Logger | undefined;
  readonly #clock: Clock;
  readonly #throttle: Throttle;

  #link: Link | undefined;
  /** Failed connection attempts in a row; 0 once a bind succeeds. */
  #failures = 0;
  /** No new connection attempt before this instant (clock milliseconds). */
  #nextAttemptAt = 0;
  #closed = false;

  constructor(config: SmppSmsSenderConfig) {
    assertSmppConfig(config);
    this.#host = config.host;
    this.#tls = config.tls ?? false;
    this.#port = config.port ?? (this.#tls === false ? SMPP_DEFAULTS.port : SMPP_DEFAULTS.tlsPort);
    this.#systemId = config.systemId;
    this.#password = config.password;
    this.#systemType = config.systemType ?? '';
    this.#source = resolveSource(config.sourceAddr, config.sourceTon, config.sourceNpi);
    this.#bindTimeoutMs = config.bindTimeoutMs ?? SMPP_DEFAULTS.bindTimeoutMs;
    this.#submitTimeoutMs = config.submitTimeoutMs ?? SMPP_DEFAULTS.submitTimeoutMs;
    this.#reconnectBaseMs = config.reconnectBaseMs ?? SMPP_DEFAULTS.reconnectBaseMs;
    this.#reconnectMaxMs = Math.max(this.#reconnectBaseMs, config.reconnectMaxMs ?? SMPP_DEFAULTS.reconnectMaxMs);
    this.#enquireLinkMs = config.enquireLinkMs ?? SMPP_DEFAULTS.enquireLinkMs;
    this.#registeredDelivery = config.requestDeliveryReceipts === false ? 0 : RECEIPT_ON_FINAL_OUTCOME;
    this.#onDeliveryReceipt = config.onDeliveryReceipt;
    this.#logger = config.logger;
    this.#clock = config.clock ?? systemClock;
    this.#throttle = createThrottle({
      maxPerSecond: config.maxPerSecond ?? SMPP_DEFAULTS.maxPerSecond,
      clock: this.#clock,
      ...(config.sleep === undefined ? {} : { sleep: config.sleep }),
    });
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    assertSmsMessage(message);
    const reference = message.reference;
    const encoded = encodeSmsText(message.text);
    if (encoded === undefined) throw new AppError(ChannelErrors.sms_too_long, { details: referenceDetails(reference) });

    const params: Record<string, unknown> = {
      source_addr_ton: this.#source.ton,
      source_addr_npi: this.#source.npi,
      source_addr: this.#source.addr,
      dest_addr_ton: TON_INTERNATIONAL,
      dest_addr_npi: NPI_ISDN,
      destination_addr: message.to.slice(1),
      registered_delivery: this.#registeredDelivery,
      data_coding: encoded.dataCoding,
      // Bytes, not the string: see encoding.ts for why the package's own choice is not used.
      [encoded.field]: encoded.bytes,
    };

    // Bound first, throttled second: the throttle paces submissions, not waits for a bind.
    await this.#bound(reference);
    await this.#throttle.take();
    // The session may have gone while the throttle held us; #bound reopens it if so. A submit
    // that could not even be written is sent once more over a new session: it cannot have arrived.
    for (let attempt = 1; ; attempt += 1) {
      const link = await this.#bound(reference);
      try {
        return await this.#submit(link, params, reference);
      } catch (error) {
        if (error !== NOT_SENT) throw error;
        this.#retire(link);
        if (attempt === 2) throw this.#unavailable('connection_lost', reference, 'The connection to the SMS gateway was lost');
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const link = this.#link;
    this.#link = undefined;
    if (link === undefined || link.retired) return;
    link.retired = true;
    if (!link.bound) {
      // Mid-bind: nothing to unbind; the sends waiting for it fail with connection_closed.
      await new Promise<void>((resolve) => link.session.destroy(resolve));
      return;
    }
    // A polite unbind lets the SMSC finish what it is doing; a bounded wait, then the socket goes.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => link.session.destroy(), this.#bindTimeoutMs);
      link.session.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      const sent = link.session.unbind({}, () => link.session.close());
      if (!sent) link.session.destroy();
    });
  }

  /** The bound link: the current one, or a new connection when there is none and no back-off holds. */
  async #bound(reference: string | undefined): Promise<Link> {
    if (this.#closed) throw this.#unavailable('closed', reference, 'The SMS sender is closed');
    let link = this.#link;
    if (link === undefined || link.retired) {
      const wait = this.#nextAttemptAt - this.#clock.now().getTime();
      if (wait > 0) {
        throw new AppError(ChannelErrors.sms_unavailable, {
          detail: 'The SMS gateway could not be reached; the next attempt is after a back-off',
          details: { reason: 'backing_off', retryAfterMs: wait, ...referenceDetails(reference) },
          headers: { 'Retry-After': String(Math.max(1, Math.ceil(wait / 1_000))) },
        });
      }
      link = this.#connect();
      this.#link = link;
    }
    try {
      await link.ready;
    } catch (error) {
      throw withReference(error, reference);
    }
    return link;
  }

  #connect(): Link {
    const tlsOptions = typeof this.#tls === 'object' ? this.#tls : {};
    const session = smpp.connect({
      host: this.#host,
      port: this.#port,
      ...(this.#tls === false ? {} : { tls: true }),
      ...(tlsOptions.ca === undefined ? {} : { ca: tlsOptions.ca as string | Buffer | Array<string | Buffer> }),
      ...(tlsOptions.servername === undefined ? {} : { servername: tlsOptions.servername }),
      ...(this.#enquireLinkMs > 0 ? { auto_enquire_link_period: this.#enquireLinkMs } : {}),
    });
    const pending = new Set<(error: AppError) => void>();
    let settle: { resolve: (s: Session) => void; reject: (e: AppError) => void } | undefined;
    const ready = new Promise<Session>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const link: Link = { session, ready, pending, bound: false, retired: false };
    // Nobody may be awaiting `ready` yet when it rejects (close() during a bind): not unhandled.
    ready.catch(() => undefined);

    const bindTimer = setTimeout(() => fail(this.#unavailable('bind_timeout', undefined, 'The SMS gateway did not complete the bind in time')), this.#bindTimeoutMs);

    const succeed = () => {
      if (settle === undefined) return;
      clearTimeout(bindTimer);
      settle.resolve(session);
      settle = undefined;
      link.bound = true;
      this.#failures = 0;
      this.#nextAttemptAt = 0;
      this.#logger?.info({ host: this.#host, port: this.#port }, 'smpp session bound');
    };
    const fail = (error: AppError) => {
      if (settle === undefined) return;
      clearTimeout(bindTimer);
      settle.reject(error);
      settle = undefined;
      this.#failures += 1;
      this.#nextAttemptAt = this.#clock.now().getTime() + exponentialBackoffMs(this.#failures, { threshold: 1, baseMs: this.#reconnectBaseMs, maxMs: this.#reconnectMaxMs });
      this.#logger?.warn({ host: this.#host, port: this.#port, code: error.code, reason: error.details?.reason, smppStatus: error.details?.smppStatus, failures: this.#failures }, 'smpp connection attempt failed');
      this.#retire(link);
    };

    session.on('error', (error: Error & { code?: string }) => {
      // Socket errors name the address and an errno, nothing of ours; the cause is for the log.
      fail(
        new AppError(ChannelErrors.sms_unavailable, {
          detail: 'The SMS gateway could not be reached',
          details: { reason: 'connect_failed', ...(typeof error.code === 'string' ? { errno: error.code } : {}) },
          cause: error,
        }),
      );
      // After the bind too: the package reports an unparsable PDU as an error and keeps the socket
      // open, with the stream out of step; closing is the only way back to a sane session.
      if (link.bound) this.#logger?.warn({ host: this.#host, port: this.#port, err: { message: error.message, code: error.code } }, 'smpp session error');
      this.#retire(link);
    });
    session.on('close', () => {
      clearTimeout(bindTimer);
      fail(this.#unavailable('connection_closed', undefined, 'The SMS gateway closed the connection during the bind'));
      link.retired = true;
      if (this.#link === link) this.#link = undefined;
      if (link.bound) this.#logger?.info({ host: this.#host, port: this.#port }, 'smpp session closed');
      if (pending.size > 0) this.#logger?.warn({ host: this.#host, port: this.#port, inFlight: pending.size }, 'smpp session lost with submissions in flight');
      for (const reject of [...pending]) {
        reject(this.#unavailable('connection_lost', undefined, 'The connection to the SMS gateway was lost before it answered; the message may or may not have been accepted'));
      }
    });
    session.once(this.#tls === false ? 'connect' : 'secureConnect', () => {
      const bind = this.#onDeliveryReceipt === undefined ? 'bind_transmitter' : 'bind_transceiver';
      session[bind](
        { system_id: this.#systemId, password: this.#password, system_type: this.#systemType, interface_version: INTERFACE_VERSION_3_4 },
        (pdu) => {
          if (pdu.command_status === 0) {
            succeed();
            return;
          }
          const status = smppStatusName(pdu.command_status);
          fail(new AppError(ChannelErrors.sms_bind_failed, { detail: `The SMS gateway refused the bind (${status})`, details: { smppStatus: status } }));
        },
      );
    });

    // What the SMSC may send us: every request gets its response, or the SMSC retries and stalls.
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('deliver_sm', (pdu: PDU) => {
      session.send(pdu.response());
      this.#deliverReceipt(pdu);
    });
    session.on('unknown', (pdu: PDU) => session.send(pdu.response()));
    return link;
  }

  #submit(link: Link, params: Record<string, unknown>, reference: string | undefined): Promise<SmsSendResult> {
    return new Promise<SmsSendResult>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        link.pending.delete(abort);
      };
      const abort = (error: AppError) => {
        finish();
        reject(withReference(error, reference));
      };
      const timer = setTimeout(() => {
        abort(this.#unavailable('submit_timeout', undefined, 'The SMS gateway did not answer in time; the message may or may not have been accepted'));
        this.#retire(link);
      }, this.#submitTimeoutMs);
      link.pending.add(abort);

      const sent = link.session.submit_sm(params, (pdu) => {
        finish();
        if (pdu.command_status === 0) {
          resolve({ messageId: pdu.message_id ?? '' });
          return;
        }
        const status = smppStatusName(pdu.command_status);
        reject(
          new AppError(ChannelErrors.sms_rejected, {
            detail: `The SMS gateway rejected the message (${status})`,
            details: { smppStatus: status, commandStatus: pdu.command_status, retryable: RETRYABLE_STATUSES.has(status), ...referenceDetails(reference) },
          }),
        );
      });
      if (!sent) {
        finish();
        reject(NOT_SENT);
      }
    });
  }

  /** Stops using `link` and destroys its connection; the next send opens a new one. */
  #retire(link: Link): void {
    link.retired = true;
    if (this.#link === link) this.#link = undefined;
    link.session.destroy();
  }

  #deliverReceipt(pdu: PDU): void {
    const handler = this.#onDeliveryReceipt;
    if (handler === undefined) return;
    const receipt = parseDeliveryReceipt(pdu);
    if (receipt === undefined) return;
    const failed = (error: unknown) => this.#logger?.error({ err: error }, 'delivery receipt handler failed');
    try {
      const result = handler(receipt);
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  #unavailable(reason: string, reference: string | undefined, detail: string): AppError {
    return new AppError(ChannelErrors.sms_unavailable, { detail, details: { reason, ...referenceDetails(reference) } });
  }
}

/** The same error with the caller's reference added to its details (errors of a shared bind have none). */
function withReference(error: unknown, reference: string | undefined): unknown {
  if (reference === undefined || !(error instanceof AppError)) return error;
  return new AppError(
    { code: error.code, status: error.status, title: error.title },
    {
      detail: error.detail,
      details: { ...error.details, reference },
      ...(error.cause === undefined ? {} : { cause: error.cause }),
      ...(error.headers === undefined ? {} : { headers: error.headers }),
    },
  );
}

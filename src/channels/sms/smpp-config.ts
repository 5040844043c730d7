/**
 * The settings of an SMPP sender, their defaults in one place, and their validation. A bad
 * setting is the operator's mistake, found at start-up: a `TypeError` naming the setting, never
 * repeating a credential.
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { DeliveryReceipt } from './delivery-receipt.js';
import type { Sleep } from './throttle.js';

export interface SmppTlsOptions {
  /** Certificate authorities to trust instead of Node's bundle (a private SMSC's own CA). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** The name the SMSC's certificate must carry, when it is not `host`. */
  readonly servername?: string;
}

export interface SmppSmsSenderConfig {
  readonly host: string;
  /** Default 2775, or 3550 with TLS. */
  readonly port?: number;
  /** TLS to the SMSC (certificate verified against Node's CAs or `ca`). Default off. */
  readonly tls?: boolean | SmppTlsOptions;
  readonly systemId: string;
  readonly password: string;
  readonly systemType?: string;
  /** The sender shown to recipients: a name (`Custodia`, at most 11 characters) or a number. */
  readonly sourceAddr: string;
  /** Default: 5 (alphanumeric) for a name, 1 (international) for a number. */
  readonly sourceTon?: number;
  /** Default: 0 (unknown) for a name, 1 (ISDN/E.164) for a number. */
  readonly sourceNpi?: number;
  /** Connecting, TLS and bind together. Default 10 s. */
  readonly bindTimeoutMs?: number;
  /** Waiting for a submit_sm_resp. Default 10 s. */
  readonly submitTimeoutMs?: number;
  /** Submissions in any one-second interval. Default 10. */
  readonly maxPerSecond?: number;
  /** Back-off after the first failed connection attempt; doubles with each further one. Default 1 s. */
  readonly reconnectBaseMs?: number;
  /** The longest back-off. Default 60 s. */
  readonly reconnectMaxMs?: number;
  /** `enquire_link` keep-alive period on an idle session; 0 turns it off. Default 30 s. */
  readonly enquireLinkMs?: number;
  /** Ask the SMSC for a delivery receipt with each message (`registered_delivery`). Default true. */
  readonly requestDeliveryReceipts?: boolean;
  /**
   * Called with each delivery receipt. Given, the sender binds as a transceiver (a transmitter
   * session cannot receive deliver_sm); otherwise as a transmitter.
   */
  readonly onDeliveryReceipt?: (receipt: DeliveryReceipt) => void | Promise<void>;
  /** Connection events (never message text, destinations or credentials). Default: none. */
  readonly logger?: Logger;
  /** Time for the throttle and the back-off; tests pass a fake one. Default the system clock. */
  readonly clock?: Clock;
  /** How the throttle waits; tests pass one driven by their fake clock. */
  readonly sleep?: Sleep;
}

export const SMPP_DEFAULTS = {
  port: 2775,
  tlsPort: 3550,
  bindTimeoutMs: 10_000,
  submitTimeoutMs: 10_000,
  maxPerSecond: 10,
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 60_000,
  enquireLinkMs: 30_000,
} as const;

/** SMPP 3.4 type-of-number and numbering-plan values used for addresses. */
export const TON_INTERNATIONAL = 1;
export const TON_ALPHANUMERIC = 5;
export const NPI_UNKNOWN = 0;
export const NPI_ISDN = 1;

/** C-Octet Strings go on the wire as ASCII: anything else would be mangled, a NUL would cut them. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** A name shown as the sender: GSM phones display at most 11 characters. */
const ALPHANUMERIC_SOURCE = /^[\x20-\x7e]{1,11}$/;
/** source_addr holds 20 characters (21 octets with the NUL). */
const NUMERIC_SOURCE = /^\+?[0-9]{1,20}$/;

export interface ResolvedSource {
  readonly addr: string;
  readonly ton: number;
  readonly npi: number;
}

/**
 * The source address with its TON and NPI: a number (optionally with `+`) is international
 * (1/1, sent without the `+`), anything else an alphanumeric name (5/0). Explicit values win, for
 * short codes and national numbers.
 */
export function resolveSource(sourceAddr: string, ton?: number, npi?: number): ResolvedSource {
  if (typeof sourceAddr !== 'string') throw new TypeError('sourceAddr must be a string');
  if (NUMERIC_SOURCE.test(sourceAddr)) {
    return { addr: sourceAddr.replace(/^\+/, ''), ton: ton ?? TON_INTERNATIONAL, npi: npi ?? NPI_ISDN };
  }
  if (!ALPHANUMERIC_SOURCE.test(sourceAddr)) {
    throw new TypeError('sourceAddr must be a number of at most 20 digits or a name of 1 to 11 printable ASCII characters');
  }
  return { addr: sourceAddr, ton: ton ?? TON_ALPHANUMERIC, npi: npi ?? NPI_UNKNOWN };
}

function assertInteger(name: string, value: unknown, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`);
  }
}

function assertAscii(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'string' || value.length < min || value.length > max || !PRINTABLE_ASCII.test(value)) {
    throw new TypeError(`${name} must be ${min === 0 ? 'at most' : `${min} to`} ${max} printable ASCII characters`);
  }
}

/**
 * Checks every setting, with messages that name the setting and never repeat its value.
 * SMPP 3.4 limits system_id to 15 characters and password to 8; some SMSCs issue longer ones and
 * accept them, so only a sanity bound is enforced here and the SMSC has the last word.
 */
export function assertSmppConfig(config: SmppSmsSenderConfig): void {
  if (typeof config !== 'object' || config === null) throw new TypeError('SMPP configuration must be an object');
  if (typeof config.host !== 'string' || config.host.length === 0 || config.host.length > 253 || /[\s/@?#]/.test(config.host)) {
    throw new TypeError('host must be a host name or IP address');
  }
  if (config.port !== undefined) assertInteger('port', config.port, 1, 65_535);
  if (config.tls !== undefined && typeof config.tls !== 'boolean' && (typeof config.tls !== 'object' || config.tls === null)) {
    throw new TypeError('tls must be a boolean or TLS options');
  }
  assertAscii('systemId', config.systemId, 1, 64);
  assertAscii('password', config.password, 0, 64);
  if (config.systemType !== undefined) assertAscii('systemType', config.systemType, 0, 12);
  if (config.sourceTon !== undefined) assertInteger('sourceTon', config.sourceTon, 0, 255);
  if (config.sourceNpi !== undefined) assertInteger('sourceNpi', config.sourceNpi, 0, 255);
  resolveSource(config.sourceAddr, config.sourceTon, config.sourceNpi);
  if (config.bindTimeoutMs !== undefined) assertInteger('bindTimeoutMs', config.bindTimeoutMs, 1, 600_000);
  if (config.submitTimeoutMs !== undefined) assertInteger('submitTimeoutMs', config.submitTimeoutMs, 1, 600_000);
  if (config.maxPerSecond !== undefined) assertInteger('maxPerSecond', config.maxPerSecond, 1, 10_000);
  if (config.reconnectBaseMs !== undefined) assertInteger('reconnectBaseMs', config.reconnectBaseMs, 0, 3_600_000);
  if (config.reconnectMaxMs !== undefined) assertInteger('reconnectMaxMs', config.reconnectMaxMs, 0, 3_600_000);
  if (config.enquireLinkMs !== undefined) assertInteger('enquireLinkMs', config.enquireLinkMs, 0, 3_600_000);
  if (config.onDeliveryReceipt !== undefined && typeof config.onDeliveryReceipt !== 'function') {
    throw new TypeError('onDeliveryReceipt must be a function');
  }
}

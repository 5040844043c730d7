/**
 * Delivery receipts: the deliver_sm an SMSC sends back for a message submitted with
 * `registered_delivery`. SMPP 3.4 carries the outcome twice: in the `receipted_message_id` and
 * `message_state` TLVs (section 5.3.2), and in the text of the short message (Appendix B,
 * `id:... sub:... dlvrd:... submit date:... done date:... stat:DELIVRD err:000 text:...`); SMSCs
 * fill one or both, so the TLVs are read first and the text is the fallback.
 *
 * The receipt text ends with the first characters of the original message, which may be a
 * one-time code: only `id`, `stat` and `err` are read from it, and the text itself is never kept.
 */
import type { PDU } from 'smpp';

export type DeliveryState = 'enroute' | 'delivered' | 'expired' | 'deleted' | 'undeliverable' | 'accepted' | 'unknown' | 'rejected' | 'skipped';

export interface DeliveryReceipt {
  /** The `messageId` that {@link SmsSender.send} resolved with for this message. */
  readonly messageId: string;
  readonly state: DeliveryState;
  /** The network's error code from the receipt text (`err:`), when it gave one. */
  readonly errorCode?: string;
}

/** `message_state` values (SMPP 3.4 section 5.2.28). */
const STATES_BY_VALUE: Readonly<Record<number, DeliveryState>> = {
  1: 'enroute',
  2: 'delivered',
  3: 'expired',
  4: 'deleted',
  5: 'undeliverable',
  6: 'accepted',
  7: 'unknown',
  8: 'rejected',
  9: 'skipped',
};

/** `stat:` words (Appendix B, plus SKIPPED from SMPP 5.0). */
const STATES_BY_WORD: Readonly<Record<string, DeliveryState>> = {
  ENROUTE: 'enroute',
  DELIVRD: 'delivered',
  EXPIRED: 'expired',
  DELETED: 'deleted',
  UNDELIV: 'undeliverable',
  ACCEPTD: 'accepted',
  UNKNOWN: 'unknown',
  REJECTD: 'rejected',
  SKIPPED: 'skipped',
};

/** esm_class bits 2-5 give the message type; 0x04 is "SMSC delivery receipt". */
const MESSAGE_TYPE_MASK = 0x3c;
const DELIVERY_RECEIPT = 0x04;

export function isDeliveryReceipt(pdu: PDU): boolean {
  return ((pdu.esm_class ?? 0) & MESSAGE_TYPE_MASK) === DELIVERY_RECEIPT;
}

function receiptText(pdu: PDU): string {
  const body = pdu.short_message ?? pdu.message_payload;
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('latin1');
  return typeof body.message === 'string' ? body.message : body.message.toString('latin1');
}

/** The receipt in a deliver_sm, or undefined when it is not one or names no message. */
export function parseDeliveryReceipt(pdu: PDU): DeliveryReceipt | undefined {
  if (!isDeliveryReceipt(pdu)) return undefined;
  const text = receiptText(pdu);
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}:(\\S+)`, 'i').exec(text)?.[1];

  const messageId = pdu.receipted_message_id || field('id');
  if (messageId === undefined || messageId === '') return undefined;
  const fromTlv = pdu.message_state === undefined ? undefined : STATES_BY_VALUE[pdu.message_state];
  const word = field('stat')?.toUpperCase();
  const state = fromTlv ?? (word === undefined ? undefined : STATES_BY_WORD[word]) ?? 'unknown';
  const errorCode = field('err');
  return errorCode === undefined ? { messageId, state } : { messageId, state, errorCode };
}

/**
 * How an SMS text goes into a submit_sm: the GSM 03.38 default alphabet when every character is
 * in it (basic table or extension table), UCS-2 otherwise, and the body in `short_message` when it
 * fits one SMS, in the `message_payload` TLV when it does not (the SMSC then splits it).
 *
 * The bytes come from the `smpp` package's own encoders, called by name: its automatic choice
 * depends on `smpp.encodings.default`, a global any other module may change, and labels GSM text
 * `data_coding` 0x01 (IA5), which some SMSCs take literally. We send GSM as 0x00, the SMSC
 * default alphabet, which is GSM 03.38 on every mobile network, one septet per octet (unpacked,
 * as SMPP carries it).
 */
import smpp from 'smpp';

export const DATA_CODING_GSM = 0x00;
export const DATA_CODING_UCS2 = 0x08;

/** One SMS carries 140 octets: 160 GSM septets (sent unpacked, one per octet) or 70 UCS-2 characters. */
const SINGLE_SMS_OCTETS = { gsm: 160, ucs2: 140 } as const;
/**
 * The longest text accepted: what ten concatenated SMS carry (153 septets or 67 UCS-2 characters
 * each, after the concatenation header). Operators bill per part; longer is a template's mistake.
 */
export const MAX_SMS_OCTETS = { gsm: 10 * 153, ucs2: 10 * 67 * 2 } as const;

export interface EncodedSms {
  readonly alphabet: 'gsm' | 'ucs2';
  readonly dataCoding: number;
  readonly bytes: Buffer;
  /** Where the bytes go: `short_message` when they fit one SMS, else the `message_payload` TLV. */
  readonly field: 'short_message' | 'message_payload';
}

/** Whether every character of `text` is in the GSM 03.38 default alphabet or its extension table. */
export function fitsGsmAlphabet(text: string): boolean {
  return smpp.encodings.ASCII.match(text);
}

/** Encodes `text`; returns undefined when it is longer than {@link MAX_SMS_OCTETS} allows. */
export function encodeSmsText(text: string): EncodedSms | undefined {
  const alphabet = fitsGsmAlphabet(text) ? 'gsm' : 'ucs2';
  const bytes = alphabet === 'gsm' ? smpp.encodings.ASCII.encode(text) : smpp.encodings.UCS2.encode(text);
  if (bytes.length > MAX_SMS_OCTETS[alphabet]) return undefined;
  return {
    alphabet,
    dataCoding: alphabet === 'gsm' ? DATA_CODING_GSM : DATA_CODING_UCS2,
    bytes,
    field: bytes.length <= SINGLE_SMS_OCTETS[alphabet] ? 'short_message' : 'message_payload',
  };
}

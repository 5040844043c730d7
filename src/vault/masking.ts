/**
 * Masked views of vault fields: what every screen, export and API answer shows unless the value
 * is being revealed (a just-in-time reveal goes through the vault service, never through here).
 *
 * Masking never throws and never echoes its input: a value that does not look like its type
 * (wrong shape, unparseable, too short to hide anything) becomes {@link MASK_PLACEHOLDER}. What
 * each type shows, and nothing more:
 *
 * | type | shows | example |
 * |---|---|---|
 * | `card_token` | last 4 digits, fixed layout (length hidden) | `**** **** **** 1111` |
 * | `phone` | country calling code and last 4 digits, fixed layout | `+57 *** *** 4567` |
 * | `email` | 1st character of the local part, 1st character and length of the domain name, top-level label | `j***@e******.com` |
 * | `document` | last 3 characters and the length | `********909` |
 * | `name` | initials | `M. J. G.` |
 * | `address` | city | `Bogotá` |
 * | `date` | nothing (a recognisable date mask) | `****-**-**` |
 * | `number` | nothing | `***` |
 * | `free_text` | nothing | `[redacted]` |
 *
 * @example
 * ```ts
 * maskValue('phone', '+573001234567'); // '+57 *** *** 4567'
 * maskValue('email', 'jane@example.com'); // 'j***@e******.com'
 * maskValue('card_token', 'not a card'); // '***'
 * ```
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { normalizeDocument } from './normalize.js';

/** The closed set of field types the vault knows how to mask. */
export type MaskFieldType = 'name' | 'phone' | 'email' | 'document' | 'address' | 'date' | 'card_token' | 'free_text' | 'number';

export const MASK_FIELD_TYPES: readonly MaskFieldType[] = Object.freeze([
  'name',
  'phone',
  'email',
  'document',
  'address',
  'date',
  'card_token',
  'free_text',
  'number',
]);

/** Structured postal address as the vault stores it. */
export interface PostalAddress {
  readonly street?: string;
  readonly number?: string;
  readonly city: string;
  readonly region?: string;
  readonly postalCode?: string;
  readonly country?: string;
}

/** What any value masks to when it cannot be masked by its type's rule. Constant, input-free. */
export const MASK_PLACEHOLDER = '***';
/** Free text is never shown in part: it may contain anything. */
export const FREE_TEXT_MASK = '[redacted]';
/** Every well-formed date, whatever it is. */
export const DATE_MASK = '****-**-**';

/** Values longer than this are not parsed for masking at all (placeholder). */
const MAX_INPUT = 512;

/**
 * Masks one value for display by its field type. Never throws; anything that does not fit the
 * type's rule masks to {@link MASK_PLACEHOLDER}.
 */
export function maskValue(type: MaskFieldType, value: unknown): string {
  try {
    switch (type) {
      case 'card_token':
        return maskCard(value);
      case 'phone':
        return maskPhone(value);
      case 'email':
        return maskEmail(value);
      case 'document':
        return maskDocument(value);
      case 'name':
        return maskName(value);
      case 'address':
        return maskAddress(value);
      case 'date':
        return maskDate(value);
      case 'number':
        return MASK_PLACEHOLDER;
      case 'free_text':
        return FREE_TEXT_MASK;
      default:
        // A type outside the union (from untyped JavaScript or stale data): show nothing.
        return MASK_PLACEHOLDER;
    }
  } catch {
    return MASK_PLACEHOLDER;
  }
}

function boundedString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_INPUT ? value : undefined;
}

/**
 * PCI DSS v4.0 3.4.1 allows at most the first six and last four digits on display; we show the
 * last four only, in a fixed 4-4-4-4 layout so that the length (and with it the brand) is not
 * shown either. Accepts a PAN or a token (tokens fail Luhn by design, so Luhn is not checked).
 */
function maskCard(value: unknown): string {
  const s = boundedString(value);
  if (s === undefined || !/^[0-9][0-9 -]*$/.test(s.trim())) return MASK_PLACEHOLDER;
  const digits = s.replace(/[^0-9]/g, '');
  if (digits.length < 13 || digits.length > 19) return MASK_PLACEHOLDER;
  return `**** **** **** ${digits.slice(-4)}`;
}

/**
 * Country calling code and last four digits, the middle as a fixed `*** ***` whatever its length.
 * Expects an international number (E.164, as the vault stores phones). Numbers whose national
 * part has fewer than 7 digits mask to the placeholder: showing 4 of them would show most.
 */
function maskPhone(value: unknown): string {
  const s = boundedString(value);
  if (s === undefined) return MASK_PLACEHOLDER;
  const parsed = parsePhoneNumberFromString(s.trim(), { extract: false });
  if (parsed === undefined || !parsed.isPossible()) return MASK_PLACEHOLDER;
  const national = String(parsed.nationalNumber);
  if (!/^[0-9]{7,}$/.test(national)) return MASK_PLACEHOLDER;
  return `+${parsed.countryCallingCode} *** *** ${national.slice(-4)}`;
}

/**
 * First character of the local part and three stars (its length hidden); the domain without its
 * last label keeps its first character and its length; the last label (the TLD) is shown:
 * `jane@example.com` → `j***@e******.com`, `ana@mail.empresa.com.br` → `a***@m***************.br`.
 * Characters are counted as code points, after NFC.
 */
function maskEmail(value: unknown): string {
  const s = boundedString(value);
  if (s === undefined) return MASK_PLACEHOLDER;
  const email = s.trim().normalize('NFC');
  if (email.length > 254 || /[\s\p{C}]/u.test(email)) return MASK_PLACEHOLDER;
  const parts = email.split('@');
  if (parts.length !== 2) return MASK_PLACEHOLDER;
  const [local = '', domain = ''] = parts;
  const localChars = Array.from(local);
  const first = localChars[0];
  if (first === undefined || domain.length === 0) return MASK_PLACEHOLDER;
  const labels = domain.split('.');
  if (labels.some((l) => l.length === 0)) return MASK_PLACEHOLDER;
  const tld = labels.length > 1 ? labels.pop() : undefined;
  // The TLD is shown as is, so it must look like one (letters, or an IDN A-label), not like a
  // number someone typed where the domain goes.
  if (tld !== undefined && !/^(?:\p{L}[\p{L}\p{M}]{1,62}|xn--[a-z0-9-]{1,59})$/iu.test(tld)) return MASK_PLACEHOLDER;
  const nameChars = Array.from(labels.join('.'));
  const maskedDomain = (nameChars[0] ?? '') + '*'.repeat(nameChars.length - 1) + (tld === undefined ? '' : `.${tld}`);
  return `${first}***@${maskedDomain}`;
}

/**
 * Last three characters of the normalized number (separators removed), the rest as stars: the
 * length stays visible, which helps an agent tell a CPF from a CNPJ. Numbers shorter than 6
 * characters are all stars, so that at most half of a number is ever shown.
 */
function maskDocument(value: unknown): string {
  const s = boundedString(value);
  if (s === undefined) return MASK_PLACEHOLDER;
  let doc: string;
  try {
    doc = normalizeDocument(s);
  } catch {
    return MASK_PLACEHOLDER;
  }
  const shown = doc.length >= 6 ? 3 : 0;
  return '*'.repeat(doc.length - shown) + doc.slice(doc.length - shown);
}

// Lowercase connecting particles of Iberian and Latin American names ("de la", "da", "dos", "y").
const NAME_PARTICLES = new Set(['de', 'del', 'la', 'las', 'los', 'da', 'das', 'do', 'dos', 'e', 'y', 'i']);
const MAX_INITIALS = 6;

/**
 * Initials of the name's words, `María José García` → `M. J. G.`. Connecting particles
 * (`de`, `del`, `la`, `da`, `dos`, `y`...) between other words are skipped:
 * `Ana Maria da Silva` → `A. M. S.`. A word's initial is its first letter, uppercased; words
 * without letters are skipped; at most six initials are shown.
 */
function maskName(value: unknown): string {
  const s = boundedString(value);
  if (s === undefined) return MASK_PLACEHOLDER;
  const words = s.normalize('NFC').split(/[\s\p{Z}]+/u).filter((w) => w.length > 0);
  const initials: string[] = [];
  words.forEach((word, i) => {
    const isParticle = i > 0 && i < words.length - 1 && NAME_PARTICLES.has(word.toLowerCase());
    if (isParticle) return;
    const letter = /\p{L}/u.exec(word)?.[0];
    if (letter !== undefined) initials.push(`${letter.toUpperCase()}.`);
  });
  if (initials.length === 0) return MASK_PLACEHOLDER;
  return initials.slice(0, MAX_INITIALS).join(' ');
}

/** The city of a structured address, trimmed; `***` when there is none. */
function maskAddress(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return MASK_PLACEHOLDER;
  const city: unknown = Object.hasOwn(value, 'city') ? (value as { city?: unknown }).city : undefined;
  if (typeof city !== 'string') return MASK_PLACEHOLDER;
  const trimmed = city.trim().normalize('NFC');
  if (trimmed.length > 100 || !/\p{L}/u.test(trimmed) || /\p{C}/u.test(trimmed)) return MASK_PLACEHOLDER;
  return trimmed;
}

/**
 * Dates are masked completely. The date the vault holds is above all the date of birth, which is
 * a classic answer to "verify your identity" questions (and the dynamic questions of capability 4
 * are built so that the agent never sees the answer): showing even the year would hand the agent
 * part of the answer and narrow a guess to a dozen days a month. The year is also a
 * quasi-identifier that, with a name and a city, singles people out. What an agent legitimately
 * needs from it ("is the caller of age?") is a derived yes/no computed by the service, not a
 * masked date. So a valid date (`YYYY-MM-DD`, an ISO timestamp, or a valid `Date`) shows as
 * `****-**-**`, which still tells the agent a date is on file; anything else as the placeholder.
 */
function maskDate(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? MASK_PLACEHOLDER : DATE_MASK;
  const s = boundedString(value);
  if (s === undefined) return MASK_PLACEHOLDER;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s.trim());
  if (m === null) return MASK_PLACEHOLDER;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  const valid = date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
  return valid ? DATE_MASK : MASK_PLACEHOLDER;
}

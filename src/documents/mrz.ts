/**
 * Machine-readable zones of ICAO Doc 9303 (8th edition, 2021) travel documents:
 * TD3 passports (2 lines of 44, Part 4), TD1 cards (3 lines of 30, Part 5) and TD2 cards
 * (2 lines of 36, Part 6).
 *
 * Check digits (Part 3, 4.9): each character is worth 0-9 for digits, 10-35 for A-Z and 0 for
 * the filler `<`; weights 7, 3, 1 repeat from the left; the digit is the sum modulo 10. Weights
 * prime to 10 make every changed digit show, but a letter and the digit 10 apart (A and 0)
 * weigh the same.
 *
 * Dates are YYMMDD without a century, so one is chosen:
 * - birth: the latest century that does not put the date after the reference day (`now`), so
 *   a birth date is never in the future; `<` in the field (unknown parts, Part 3, 4.6) leaves
 *   `birthDate` null without failing;
 * - expiry: the century that puts the date within 50 years either side of `now`
 *   (from now - 50 years to now + 49 years), which covers any validity period in use.
 * A document is `expired` when its expiry day is before the reference day (it is valid through
 * its expiry date); days are compared in UTC.
 */
import { mrzStateToAlpha2 } from './countries.js';
import { calendarDate } from './curp.js';

export type MrzFormat = 'TD1' | 'TD2' | 'TD3';

/**
 * Why an MRZ is not valid. `format` and `length` stop the parse (the other fields are then
 * empty); the others are collected, so a result may list several.
 */
export type MrzReason =
  | 'format'
  | 'length'
  | 'document_number_check'
  | 'birth_date_check'
  | 'expiry_date_check'
  | 'optional_data_check'
  | 'composite_check'
  | 'birth_date'
  | 'expiry_date'
  | 'expired';

export interface MrzCheckDigits {
  documentNumber: boolean;
  birthDate: boolean;
  expiryDate: boolean;
  /** TD3 only: the check digit over the personal number (optional data). */
  optionalData?: boolean;
  composite: boolean;
}

export interface MrzResult {
  /** Every check digit matches, both dates are real days, and the document has not expired. */
  valid: boolean;
  reasons: MrzReason[];
  format: MrzFormat | null;
  /** The lines as read: upper case, white space removed. */
  lines: string[];
  /** `P<` passport, `I<`/`ID`/`AC`... card; the second character is the issuer's choice. */
  documentCode: string;
  /** Three-letter state code as printed (`UTO`, `D<<`); see `issuingCountry`. */
  issuingState: string;
  /** ISO 3166-1 alpha-2 of the issuing state, `XX` when it has none (ICAO-only codes). */
  issuingCountry: string;
  /** Without fillers; a TD1/TD2 number longer than 9 characters is read from its extension. */
  documentNumber: string;
  nationality: string;
  /** YYMMDD as printed. */
  birthDateRaw: string;
  /** ISO 8601 day, century resolved as described above; null when not a valid or known date. */
  birthDate: string | null;
  /** `X` stands for both `X` and `<` (unspecified). */
  sex: 'M' | 'F' | 'X' | null;
  expiryDateRaw: string;
  expiryDate: string | null;
  /** TD3 personal number, TD2 optional data, TD1 optional data of line 1 (fillers removed). */
  optionalData: string;
  /** TD1 only: optional data of line 2. */
  optionalData2?: string;
  surname: string;
  givenNames: string;
  checks: MrzCheckDigits;
}

/** More than any MRZ needs, so that pasted text with a few spaces is read, not a whole page. */
const MRZ_INPUT_MAX = 200;
const MRZ_CHARS = /^[A-Z0-9<]+$/;

/** Doc 9303 Part 3, 4.9: weights 7, 3, 1; `<` is 0, A-Z are 10-35. */
export function mrzCheckDigit(data: string): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    const value = code === 60 ? 0 : code >= 65 ? code - 55 : code - 48;
    sum += value * (i % 3 === 0 ? 7 : i % 3 === 1 ? 3 : 1);
  }
  return sum % 10;
}

function digitMatches(data: string, check: string): boolean {
  return /^[0-9]$/.test(check) && mrzCheckDigit(data) === Number(check);
}

function splitLines(input: string | string[]): string[] | null {
  const raw = typeof input === 'string' ? input.split(/\r?\n|\r/) : input;
  if (!Array.isArray(raw) || raw.length > 6) return null;
  let total = 0;
  const lines: string[] = [];
  for (const line of raw) {
    if (typeof line !== 'string') return null;
    total += line.length;
    if (total > MRZ_INPUT_MAX) return null;
    const compact = line.replace(/\s/g, '').toUpperCase();
    if (compact !== '') lines.push(compact);
  }
  // A zone pasted as one run of characters: cut it where the format's lines end.
  if (lines.length === 1) {
    const only = lines[0] as string;
    const width = only.length === 88 ? 44 : only.length === 72 ? 36 : only.length === 90 ? 30 : 0;
    if (width > 0) return only.match(new RegExp(`.{${width}}`, 'g')) ?? null;
  }
  return lines;
}

function formatOf(lines: string[]): MrzFormat | null {
  if (lines.length === 3 && lines.every((l) => l.length === 30)) return 'TD1';
  if (lines.length === 2 && lines.every((l) => l.length === 44)) return 'TD3';
  if (lines.length === 2 && lines.every((l) => l.length === 36)) return 'TD2';
  return null;
}

function stripFillers(s: string): string {
  return s.replace(/<+$/, '').replace(/</g, ' ').trim();
}

function names(field: string): { surname: string; givenNames: string } {
  const at = field.indexOf('<<');
  const surname = at < 0 ? field : field.slice(0, at);
  const given = at < 0 ? '' : field.slice(at + 2);
  return {
    surname: stripFillers(surname).replace(/ +/g, ' '),
    givenNames: stripFillers(given).replace(/ +/g, ' '),
  };
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function utcDay(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
}

function birthDateOf(raw: string, now: Date): Date | null | 'unknown' {
  if (raw.includes('<')) return 'unknown';
  if (!/^[0-9]{6}$/.test(raw)) return null;
  const yy = Number(raw.slice(0, 2));
  const month = Number(raw.slice(2, 4));
  const day = Number(raw.slice(4, 6));
  const recent = calendarDate(2000 + yy, month, day);
  if (recent === null) return calendarDate(1900 + yy, month, day);
  return recent.getTime() > utcDay(now) ? calendarDate(1900 + yy, month, day) : recent;
}

function expiryDateOf(raw: string, now: Date): Date | null {
  if (!/^[0-9]{6}$/.test(raw)) return null;
  const yy = Number(raw.slice(0, 2));
  const first = now.getUTCFullYear() - 50;
  const year = first + ((((yy - first) % 100) + 100) % 100);
  return calendarDate(year, Number(raw.slice(2, 4)), Number(raw.slice(4, 6)));
}

/**
 * A document number longer than 9 characters (TD1, TD2): the check-digit position holds `<`
 * and the number goes on in the optional data, ending with its check digit and a filler
 * (Part 5, 4.2.2 note j; Part 6, 4.2.2 note j).
 */
function documentNumberOf(
  principal: string,
  check: string,
  optional: string,
): { number: string; checkData: string; checkDigit: string; optional: string } {
  if (check === '<' && /^[0-9A-Z]/.test(optional)) {
    const end = optional.indexOf('<');
    const extension = end < 0 ? optional : optional.slice(0, end);
    const number = principal + extension.slice(0, -1);
    return {
      number: number.replace(/</g, ''),
      checkData: number,
      checkDigit: extension.slice(-1),
      optional: end < 0 ? '' : optional.slice(end + 1),
    };
  }
  return { number: principal.replace(/</g, ''), checkData: principal, checkDigit: check, optional };
}

function invalidShape(reason: 'format' | 'length', lines: string[]): MrzResult {
  return {
    valid: false,
    reasons: [reason],
    format: null,
    lines,
    documentCode: '',
    issuingState: '',
    issuingCountry: 'XX',
    documentNumber: '',
    nationality: '',
    birthDateRaw: '',
    birthDate: null,
    sex: null,
    expiryDateRaw: '',
    expiryDate: null,
    optionalData: '',
    surname: '',
    givenNames: '',
    checks: { documentNumber: false, birthDate: false, expiryDate: false, composite: false },
  };
}

interface Fields {
  documentCode: string;
  issuingState: string;
  docPrincipal: string;
  docCheck: string;
  optional: string;
  optional2?: string;
  nationality: string;
  birth: string;
  birthCheck: string;
  sex: string;
  expiry: string;
  expiryCheck: string;
  personalCheck?: string;
  compositeData: string;
  compositeCheck: string;
  nameField: string;
}

function fieldsOf(format: MrzFormat, lines: string[]): Fields {
  const [a, b, c] = lines as [string, string, string | undefined];
  if (format === 'TD1') {
    return {
      documentCode: a.slice(0, 2),
      issuingState: a.slice(2, 5),
      docPrincipal: a.slice(5, 14),
      docCheck: a.slice(14, 15),
      optional: a.slice(15, 30),
      optional2: b.slice(18, 29),
      birth: b.slice(0, 6),
      birthCheck: b.slice(6, 7),
      sex: b.slice(7, 8),
      expiry: b.slice(8, 14),
      expiryCheck: b.slice(14, 15),
      nationality: b.slice(15, 18),
      compositeData: a.slice(5, 30) + b.slice(0, 7) + b.slice(8, 15) + b.slice(18, 29),
      compositeCheck: b.slice(29, 30),
      nameField: c as string,
    };
  }
  const width = format === 'TD3' ? 44 : 36;
  const optionalEnd = format === 'TD3' ? 42 : 35;
  return {
    documentCode: a.slice(0, 2),
    issuingState: a.slice(2, 5),
    nameField: a.slice(5, width),
    docPrincipal: b.slice(0, 9),
    docCheck: b.slice(9, 10),
    nationality: b.slice(10, 13),
    birth: b.slice(13, 19),
    birthCheck: b.slice(19, 20),
    sex: b.slice(20, 21),
    expiry: b.slice(21, 27),
    expiryCheck: b.slice(27, 28),
    optional: b.slice(28, optionalEnd),
    ...(format === 'TD3' ? { personalCheck: b.slice(42, 43) } : {}),
    compositeData: b.slice(0, 10) + b.slice(13, 20) + b.slice(21, width - 1),
    compositeCheck: b.slice(width - 1, width),
  };
}

/**
 * Parses and checks an MRZ: the lines as an array, or as one string with line breaks (or with
 * none, when it has exactly the length of a whole zone). Spaces are ignored; case is not.
 *
 * @example
 * ```ts
 * const mrz = parseMrz([
 *   'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
 *   'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
 * ], { now: new Date('2010-01-01') });
 * mrz.valid; // true
 * mrz.documentNumber; // 'L898902C3'
 * mrz.birthDate; // '1974-08-12'
 * ```
 */
export function parseMrz(input: string | string[], options?: { now?: Date }): MrzResult {
  const now = options?.now ?? new Date();
  const lines = splitLines(input);
  if (lines === null) return invalidShape('length', []);
  if (!lines.every((l) => MRZ_CHARS.test(l))) return invalidShape('format', lines);
  const format = formatOf(lines);
  if (format === null) return invalidShape('length', lines);

  const f = fieldsOf(format, lines);
  const reasons: MrzReason[] = [];
  const shapeOk =
    /^[A-Z][A-Z0-9<]$/.test(f.documentCode) &&
    /^[A-Z<]{3}$/.test(f.issuingState) &&
    /^[A-Z<]{3}$/.test(f.nationality) &&
    /^[MFX<]$/.test(f.sex);
  if (!shapeOk) reasons.push('format');

  const doc =
    format === 'TD3'
      ? { number: f.docPrincipal.replace(/</g, ''), checkData: f.docPrincipal, checkDigit: f.docCheck, optional: f.optional }
      : documentNumberOf(f.docPrincipal, f.docCheck, f.optional);

  const checks: MrzCheckDigits = {
    documentNumber: digitMatches(doc.checkData, doc.checkDigit),
    birthDate: digitMatches(f.birth, f.birthCheck),
    expiryDate: digitMatches(f.expiry, f.expiryCheck),
    composite: digitMatches(f.compositeData, f.compositeCheck),
  };
  if (f.personalCheck !== undefined) {
    // Part 4, 4.2.2 note: an unused personal number field may carry `<` as its check digit.
    checks.optionalData =
      (f.personalCheck === '<' && /^<*$/.test(f.optional)) || digitMatches(f.optional, f.personalCheck);
  }
  if (!checks.documentNumber) reasons.push('document_number_check');
  if (!checks.birthDate) reasons.push('birth_date_check');
  if (!checks.expiryDate) reasons.push('expiry_date_check');
  if (checks.optionalData === false) reasons.push('optional_data_check');
  if (!checks.composite) reasons.push('composite_check');

  const birth = birthDateOf(f.birth, now);
  if (birth === null) reasons.push('birth_date');
  const expiry = expiryDateOf(f.expiry, now);
  if (expiry === null) reasons.push('expiry_date');
  else if (expiry.getTime() < utcDay(now)) reasons.push('expired');

  const sex = f.sex === 'M' || f.sex === 'F' ? f.sex : f.sex === 'X' || f.sex === '<' ? 'X' : null;
  return {
    valid: reasons.length === 0,
    reasons,
    format,
    lines,
    documentCode: f.documentCode,
    issuingState: f.issuingState,
    issuingCountry: mrzStateToAlpha2(f.issuingState),
    documentNumber: doc.number,
    nationality: f.nationality,
    birthDateRaw: f.birth,
    birthDate: birth instanceof Date ? isoDay(birth) : null,
    sex,
    expiryDateRaw: f.expiry,
    expiryDate: expiry === null ? null : isoDay(expiry),
    optionalData: stripFillers(doc.optional),
    ...(f.optional2 !== undefined ? { optionalData2: stripFillers(f.optional2) } : {}),
    ...names(f.nameField),
    checks,
  };
}

import { cnpjRule, cpfRule } from './brazil.js';
import { nitRule } from './colombia.js';
import { curpRule } from './curp.js';
import { mrzStateToAlpha2 } from './countries.js';
import { parseMrz, type MrzReason } from './mrz.js';
import { stripSeparators } from './normalize.js';
import { cuitRule, rutRule } from './southern-cone.js';
import { dniRule, nieRule } from './spain.js';
import { ssnRule } from './ssn.js';
import type { DocumentCheck, DocumentInvalidReason, DocumentType, NationalRule } from './types.js';

const NATIONAL: Record<Exclude<DocumentType, 'mrz'>, { rule: NationalRule; country: string }> = {
  cpf: { rule: cpfRule, country: 'BR' },
  cnpj: { rule: cnpjRule, country: 'BR' },
  dni: { rule: dniRule, country: 'ES' },
  nie: { rule: nieRule, country: 'ES' },
  curp: { rule: curpRule, country: 'MX' },
  rut: { rule: rutRule, country: 'CL' },
  cuit: { rule: cuitRule, country: 'AR' },
  nit: { rule: nitRule, country: 'CO' },
  ssn: { rule: ssnRule, country: 'US' },
};

/** The MRZ reasons that a single document reason summarises, most basic first. */
const MRZ_REASON_ORDER: ReadonlyArray<[MrzReason, DocumentInvalidReason]> = [
  ['format', 'format'],
  ['length', 'length'],
  ['document_number_check', 'check_digit'],
  ['birth_date_check', 'check_digit'],
  ['expiry_date_check', 'check_digit'],
  ['optional_data_check', 'check_digit'],
  ['composite_check', 'check_digit'],
  ['birth_date', 'date'],
  ['expiry_date', 'date'],
  ['expired', 'expired'],
];

function assertType(type: DocumentType): void {
  // A caller's mistake, not untrusted input: fail loudly rather than report "invalid".
  if (type !== 'mrz' && !Object.hasOwn(NATIONAL, type)) throw new TypeError(`unknown document type: ${String(type)}`);
}

/**
 * The canonical form of a document number: separators (dots, hyphens, slashes, spaces) removed
 * and letters upper-cased; for an MRZ, its lines joined by `\n`. Returns null when the input is
 * not a string, is longer than any document, or (MRZ) does not have the shape of a zone.
 * Normalizing does not validate: `normalizeDocument('cpf', '123')` is `'123'`.
 *
 * @example
 * ```ts
 * normalizeDocument('cnpj', '12.ABC.345/01DE-35'); // '12ABC34501DE35'
 * ```
 */
export function normalizeDocument(type: DocumentType, input: string): string | null {
  assertType(type);
  if (type === 'mrz') {
    const mrz = parseMrz(input, { now: new Date(0) });
    return mrz.format === null ? null : mrz.lines.join('\n');
  }
  const stripped = stripSeparators(input);
  return stripped === null || stripped === '' ? null : stripped;
}

/**
 * Checks a document number's format, check digits and embedded dates. It says nothing about
 * whether the number was issued or whom it belongs to (see docs/documents.md).
 *
 * `options.now` is the reference day for birth dates (never after it) and MRZ expiry; it
 * defaults to the current time.
 *
 * @example
 * ```ts
 * checkDocument('dni', '12345678-Z'); // { valid: true, type: 'dni', normalized: '12345678Z', country: 'ES' }
 * checkDocument('cpf', '111.111.111-11'); // { valid: false, type: 'cpf', reason: 'reserved' }
 * ```
 */
export function checkDocument(type: DocumentType, input: string, options?: { now?: Date }): DocumentCheck {
  assertType(type);
  const now = options?.now ?? new Date();
  if (type === 'mrz') {
    const mrz = parseMrz(input, { now });
    if (mrz.valid) {
      return { valid: true, type, normalized: mrz.lines.join('\n'), country: mrzStateToAlpha2(mrz.issuingState) };
    }
    const first = MRZ_REASON_ORDER.find(([reason]) => mrz.reasons.includes(reason));
    return { valid: false, type, reason: first === undefined ? 'format' : first[1] };
  }
  const normalized = stripSeparators(input);
  if (normalized === null) return { valid: false, type, reason: 'length' };
  if (normalized === '') return { valid: false, type, reason: 'format' };
  const { rule, country } = NATIONAL[type];
  const reason = rule(normalized, now);
  return reason === null ? { valid: true, type, normalized, country } : { valid: false, type, reason };
}

function validator(type: Exclude<DocumentType, 'mrz'>): (s: string) => boolean {
  const { rule } = NATIONAL[type];
  return (s) => {
    const normalized = stripSeparators(s);
    return normalized !== null && normalized !== '' && rule(normalized, new Date()) === null;
  };
}

/** Brazil CPF, e.g. `111.444.777-35`. */
export const isValidCpf = validator('cpf');
/** Brazil CNPJ, numeric (`11.222.333/0001-81`) or the alphanumeric form issued from 2026. */
export const isValidCnpj = validator('cnpj');
/** Spain DNI, 8 digits and the control letter, e.g. `12345678Z`. */
export const isValidDni = validator('dni');
/** Spain NIE, X/Y/Z, 7 digits and the control letter, e.g. `X1234567L`. */
export const isValidNie = validator('nie');
/** Mexico CURP (18 characters); the birth date must not be after today. */
export const isValidCurp = validator('curp');
/** Chile RUT/RUN, e.g. `12.345.678-5`. */
export const isValidRut = validator('rut');
/** Argentina CUIT/CUIL, e.g. `20-12345678-6`. */
export const isValidCuit = validator('cuit');
/** Colombia NIT with its verification digit, e.g. `800.197.268-4`. */
export const isValidNit = validator('nit');
/** US SSN: format and never-assigned values only (an SSN has no check digit). */
export const isPlausibleSsn = validator('ssn');

/**
 * Identity-document and financial-identifier validators: pure functions, no I/O, no logging, no
 * state. Used by caller verification (does the number a caller reads out look genuine?) and by
 * the redaction detectors (is this run of digits a national id or an IBAN, or just an order
 * number?). What each check proves and what it cannot: docs/documents.md.
 *
 * Inputs are bounded (DOCUMENT_INPUT_MAX) so any function may run on untrusted text; results
 * never echo the input except in `normalized` on success.
 *
 * @example
 * ```ts
 * import { checkDocument, isValidIban, parseMrz } from '../documents/index.js';
 * checkDocument('cpf', '111.444.777-35'); // { valid: true, type: 'cpf', normalized: '11144477735', country: 'BR' }
 * isValidIban('DE89 3704 0044 0532 0130 00'); // true
 * ```
 */
export { luhnValid } from '../vault/card-token.js';
export type { DocumentCheck, DocumentInvalidReason, DocumentType } from './types.js';
export {
  checkDocument,
  isPlausibleSsn,
  isValidCnpj,
  isValidCpf,
  isValidCuit,
  isValidCurp,
  isValidDni,
  isValidNie,
  isValidNit,
  isValidRut,
  normalizeDocument,
} from './check.js';
export { ibanCheck, isValidBic, isValidIban, type IbanCheck } from './iban.js';
export { IBAN_REGISTRY_RELEASE } from './iban-registry.js';
export { mrzCheckDigit, parseMrz, type MrzCheckDigits, type MrzFormat, type MrzReason, type MrzResult } from './mrz.js';
export { DOCUMENT_INPUT_MAX } from './normalize.js';

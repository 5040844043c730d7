/** The languages whose context words, spoken digits and street/name cues the detectors know. */
export type Language = 'es' | 'pt' | 'en';

export const LANGUAGES: readonly Language[] = Object.freeze(['es', 'pt', 'en']);

/** The closed set of entity types the detectors report. */
export type EntityType =
  | 'CARD_NUMBER'
  | 'CARD_CVV'
  | 'CARD_EXPIRY'
  | 'IBAN'
  | 'SWIFT_BIC'
  | 'CPF'
  | 'CNPJ'
  | 'DNI'
  | 'NIE'
  | 'CURP'
  | 'RUT'
  | 'CUIT'
  | 'NIT'
  | 'SSN'
  | 'CEDULA'
  | 'PASSPORT'
  | 'PHONE'
  | 'EMAIL'
  | 'IP_ADDRESS'
  | 'DATE_OF_BIRTH'
  | 'ADDRESS'
  | 'PERSON_NAME';

/**
 * Every entity type, in the order used to break ties when two detections overlap with the same
 * confidence and length (earlier wins): payment data first, because a missed card number is the
 * costliest mistake.
 */
export const ENTITY_TYPES: readonly EntityType[] = Object.freeze([
  'CARD_NUMBER',
  'CARD_CVV',
  'CARD_EXPIRY',
  'IBAN',
  'SWIFT_BIC',
  'CPF',
  'CNPJ',
  'DNI',
  'NIE',
  'CURP',
  'RUT',
  'CUIT',
  'NIT',
  'SSN',
  'CEDULA',
  'PASSPORT',
  'PHONE',
  'EMAIL',
  'IP_ADDRESS',
  'DATE_OF_BIRTH',
  'ADDRESS',
  'PERSON_NAME',
] as const);

/** A detection: `[start, end)` in UTF-16 code units of the input text. */
export interface Span {
  type: EntityType;
  start: number;
  end: number;
  /** 0..1; how sure the rule is (checksums and context words raise it). */
  confidence: number;
  /** Which rule fired, e.g. `card:luhn`, `cpf:checksum`, `phone:libphonenumber`. */
  rule: string;
}

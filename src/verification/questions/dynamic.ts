/**
 * Dynamic questions: asked from what the account already holds, so the customer enrolls nothing.
 * Each generator reads the customer's record (decrypting in the server only) and returns what it
 * expects as a tolerant matcher spec: a normalized place name (one typo forgiven on longer names)
 * or numeric ranges. The spec is sealed into the challenge (seal.ts) and never leaves the server;
 * the agent sees the question text (fixed per language) and, after answering, pass or fail.
 *
 * Generators are pluggable: `last_payment_amount` needs a payments source, which Custodia does
 * not have yet; a deployment that has one registers a {@link DynamicQuestionGenerator} built with
 * {@link lastPaymentGenerator} and its {@link PaymentSource}.
 */
import type { Tx } from '../../db/index.js';
import { type CustomerRecord, decryptFieldValue } from '../../customers/index.js';
import type { Vault } from '../../vault/index.js';
import type { Language } from '../templates.js';
import { editDistanceWithin, normalizeAnswer, parseNumberAnswer } from './normalize.js';

/** What a question expects, in a form that allows tolerant matching. */
export type Expected =
  | { readonly kind: 'place'; readonly value: string }
  | { readonly kind: 'number'; readonly ranges: readonly (readonly [number, number])[] };

export interface GeneratorContext {
  readonly tx: Tx;
  readonly vault: Vault;
  readonly record: CustomerRecord;
  readonly now: Date;
}

export interface DynamicQuestionGenerator {
  /** Stable key, stored in the challenge (lowercase, `_`). */
  readonly key: string;
  readonly text: { readonly [L in Language]: string };
  /** Whether the record has the data (no decryption: used to offer the method). */
  possible(record: CustomerRecord): boolean;
  /** What the answer must match, or undefined when the data turns out to be unusable. */
  expected(context: GeneratorContext): Promise<Expected | undefined>;
}

function hasValue(record: CustomerRecord, key: string): boolean {
  return record.fields.some((f) => f.definition.key === key && f.value !== null);
}

function fieldOfType(record: CustomerRecord, type: string, preferred: string): string | undefined {
  if (record.fields.some((f) => f.definition.key === preferred && f.definition.type === type && f.value !== null)) return preferred;
  return record.fields.find((f) => f.definition.type === type && f.value !== null)?.definition.key;
}

export const billingCityGenerator: DynamicQuestionGenerator = {
  key: 'billing_city',
  text: { es: '¿En qué ciudad está su dirección de facturación?', pt: 'Em que cidade fica o seu endereço de cobrança?', en: 'Which city is your billing address in?' },
  possible: (record) => fieldOfType(record, 'address', 'address') !== undefined,
  async expected({ tx, vault, record }) {
    const key = fieldOfType(record, 'address', 'address');
    if (key === undefined) return undefined;
    const value = await decryptFieldValue(tx, vault, record, key);
    if (value === null || typeof value === 'string') return undefined;
    const city = normalizeAnswer(value.city);
    return city === '' ? undefined : { kind: 'place', value: city };
  },
};

export const birthYearGenerator: DynamicQuestionGenerator = {
  key: 'birth_year',
  text: { es: '¿En qué año nació?', pt: 'Em que ano você nasceu?', en: 'In which year were you born?' },
  possible: (record) => hasValue(record, 'birth_date'),
  async expected({ tx, vault, record }) {
    const value = await decryptFieldValue(tx, vault, record, 'birth_date');
    const year = typeof value === 'string' ? Number(value.slice(0, 4)) : Number.NaN;
    return Number.isInteger(year) ? { kind: 'number', ranges: [[year, year]] } : undefined;
  },
};

const YEAR_MS = 365.2425 * 86_400_000;

/**
 * "How long have you had this account?": years (fractions allowed) within one year of the truth,
 * or the calendar year it was opened, give or take one. People round; a range is what they know.
 */
export const accountAgeGenerator: DynamicQuestionGenerator = {
  key: 'account_age',
  text: {
    es: '¿Desde hace cuántos años es cliente (o en qué año abrió la cuenta)?',
    pt: 'Há quantos anos você é cliente (ou em que ano abriu a conta)?',
    en: 'How many years have you had this account (or in which year did you open it)?',
  },
  possible: () => true,
  expected({ record, now }) {
    const years = (now.getTime() - record.createdAt.getTime()) / YEAR_MS;
    const opened = record.createdAt.getUTCFullYear();
    return Promise.resolve({ kind: 'number', ranges: [[Math.max(0, years - 1), years + 1], [opened - 1, opened + 1]] });
  },
};

/** Where the last payment of a customer comes from (a billing system); none is shipped. */
export interface PaymentSource {
  /** The amount of the customer's last payment in major units, or undefined when none. */
  lastPaymentAmount(tx: Tx, tenantId: string, customerId: string): Promise<number | undefined>;
}

/** The last payment's amount within 20% (callers remember roughly what they paid). */
export function lastPaymentGenerator(source: PaymentSource): DynamicQuestionGenerator {
  return {
    key: 'last_payment_amount',
    text: { es: '¿Por qué importe aproximado fue su último pago?', pt: 'Qual foi o valor aproximado do seu último pagamento?', en: 'Roughly how much was your last payment?' },
    possible: () => true,
    async expected({ tx, record }) {
      const amount = await source.lastPaymentAmount(tx, record.tenantId, record.customerId);
      return amount === undefined || !(amount > 0) ? undefined : { kind: 'number', ranges: [[amount * 0.8, amount * 1.2]] };
    },
  };
}

export const DEFAULT_GENERATORS: readonly DynamicQuestionGenerator[] = Object.freeze([billingCityGenerator, birthYearGenerator, accountAgeGenerator]);

/** Whether what the caller said matches what is expected, tolerantly. */
export function matchesExpected(expected: Expected, answer: string): boolean {
  if (expected.kind === 'place') {
    const given = normalizeAnswer(answer);
    if (given === '') return false;
    if (given === expected.value) return true;
    // One typo forgiven in names long enough that one letter does not make another city.
    return expected.value.length >= 6 && editDistanceWithin(given, expected.value, 1);
  }
  const n = parseNumberAnswer(answer);
  return n !== undefined && expected.ranges.some(([min, max]) => n >= min && n <= max);
}

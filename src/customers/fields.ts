/**
 * What a customer field is: its type (how a value is checked and normalized), its class (how it
 * is protected), its purpose and retention, and whether it can be searched. Pure: no I/O.
 */
import { z } from 'zod';
import type { CustomerFieldClass, CustomerFieldType } from '../db/schema.js';
// The vault's own rule for card-security-code names, so that the schema refuses exactly what the
// vault would refuse to encrypt (vault/index.ts does not export it yet).
import { isCardVerificationCodeField } from '../vault/card-token.js';

export type FieldType = CustomerFieldType;
export type FieldClass = CustomerFieldClass;

export const FIELD_TYPES = ['name', 'phone', 'email', 'document', 'address', 'date', 'card_token', 'free_text', 'number'] as const satisfies readonly FieldType[];
/** Lowest to highest protection. */
export const FIELD_CLASSES = ['public', 'internal', 'confidential', 'restricted', 'payment'] as const satisfies readonly FieldClass[];
/** The types the vault keeps blind indexes for. */
export const SEARCHABLE_TYPES = ['phone', 'email', 'document'] as const satisfies readonly FieldType[];
export type SearchableType = (typeof SEARCHABLE_TYPES)[number];

/** At most this many fields (active) in one tenant's schema. */
export const MAX_FIELDS = 100;

/**
 * Values of these classes are stored only as vault ciphertext. Everything above `internal`:
 * a class added later is encrypted unless it is listed as clear, never the other way round.
 */
export function isEncryptedClass(fieldClass: FieldClass): boolean {
  return fieldClass !== 'public' && fieldClass !== 'internal';
}

export function isSearchableType(type: FieldType): type is SearchableType {
  return (SEARCHABLE_TYPES as readonly string[]).includes(type);
}

/**
 * A field key is the vault's field name (bound into each ciphertext), a ledger detail and a CSV
 * column: lowercase snake_case, at most 40 characters. Never 8 digits in a row: the ledger
 * refuses anything that looks like a phone or document number, and a key is written there.
 */
export const fieldKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'lowercase letters, digits and _, starting with a letter, at most 40 characters')
  .refine((k) => !/[0-9]{8}/.test(k), 'at most 7 digits in a row');

export const purposeSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a purpose code: lowercase letters, digits and _, at most 64 characters');

/** The column of the CSV import (and key of a JSON line) that holds the customer number. */
export const CUSTOMER_NUMBER_KEY = 'customer_number';

export interface FieldDefinition {
  readonly key: string;
  readonly label: string;
  readonly type: FieldType;
  readonly class: FieldClass;
  /** Why the field is kept; shown to the customer on request. */
  readonly purpose: string;
  readonly retentionDays: number;
  /** Keeps a blind index of each value (phone, email and document only). */
  readonly searchable: boolean;
}

/** Shape of one definition as clients send it; the rules across members are in {@link definitionProblem}. */
export const fieldDefinitionSchema = z.strictObject({
  key: fieldKeySchema,
  label: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine((l) => !/\p{C}/u.test(l), 'no control characters'),
  type: z.enum(FIELD_TYPES),
  class: z.enum(FIELD_CLASSES),
  purpose: purposeSchema,
  retentionDays: z.number().int().min(1).max(36_500),
  searchable: z.boolean().default(false),
});

export type FieldDefinitionInput = z.input<typeof fieldDefinitionSchema>;

/** Why a definition is refused (`details.reason` of `customers.invalid_schema`). */
export type SchemaProblem = 'format' | 'duplicate_key' | 'reserved_key' | 'card_security_code' | 'card_token_class' | 'not_searchable_type' | 'too_many_fields';

/** The first rule across members that `definition` breaks, or undefined. */
export function definitionProblem(definition: FieldDefinition): SchemaProblem | undefined {
  if (definition.key === CUSTOMER_NUMBER_KEY) return 'reserved_key';
  // PCI DSS 3.3.1.2: a field meant for a card security code is refused by name or label, before
  // any value arrives (public and internal values never reach the vault's own check).
  if (isCardVerificationCodeField(definition.key) || isCardVerificationCodeField(definition.label)) return 'card_security_code';
  if (definition.type === 'card_token' && definition.class !== 'payment') return 'card_token_class';
  if (definition.searchable && !isSearchableType(definition.type)) return 'not_searchable_type';
  return undefined;
}

/**
 * The schema a tenant starts with (docs/customers.md): identification and contact data, each with
 * its purpose; nothing about cards (add a `card_token` field when the contact center takes
 * payments). Five years of retention is a placeholder each tenant sets from its own legal basis.
 */
export const DEFAULT_FIELDS: readonly FieldDefinition[] = Object.freeze([
  { key: 'full_name', label: 'Full name', type: 'name', class: 'confidential', purpose: 'identification', retentionDays: 1825, searchable: false },
  { key: 'phone', label: 'Phone', type: 'phone', class: 'confidential', purpose: 'contact', retentionDays: 1825, searchable: true },
  { key: 'email', label: 'Email', type: 'email', class: 'confidential', purpose: 'contact', retentionDays: 1825, searchable: true },
  { key: 'document', label: 'Identity document', type: 'document', class: 'restricted', purpose: 'identity_verification', retentionDays: 1825, searchable: true },
  { key: 'birth_date', label: 'Date of birth', type: 'date', class: 'restricted', purpose: 'identity_verification', retentionDays: 1825, searchable: false },
  { key: 'address', label: 'Postal address', type: 'address', class: 'confidential', purpose: 'correspondence', retentionDays: 1825, searchable: false },
  { key: 'preferred_language', label: 'Preferred language', type: 'free_text', class: 'internal', purpose: 'service_preferences', retentionDays: 1825, searchable: false },
] satisfies FieldDefinition[]);

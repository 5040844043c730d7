/**
 * What a ledger entry may hold, and its canonical bytes (the Merkle leaf input).
 *
 * Entries are built to carry no personal data in clear: ids, field names, codes and masked
 * values only. The schema cannot know what is personal, but it refuses the shapes that usually
 * are (an email address, a long run of digits, which catches card, phone and document
 * numbers), so a careless caller fails loudly in tests instead of leaking into a record that can
 * never be deleted.
 *
 * Canonical encoding (docs/ledger.md): JSON with object keys sorted by UTF-16 code units, no
 * whitespace, strings escaped as JSON.stringify does, integers only, absent optional members
 * omitted (never null). This is RFC 8785 (JCS) restricted to values without fractions, so any
 * JCS library re-implements it.
 */
import { z } from 'zod';

/** Ids and codes: no spaces, no `@` (emails), at most 128 characters. */
const token = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:*/-]+$/, 'only letters, digits and _ . : * / -');

/** No personal data in clear (see above): refused shapes. */
function looksPersonal(value: string): boolean {
  // A masked email (`j***@e******.com`) passes: the characters before its `@` are masked.
  // Digits: 8 in a row (DNI, phone numbers) ignoring spaces and dots; 13 ignoring dashes too
  // (card numbers), so that dates such as 2026-11-23 stay allowed.
  return /[A-Za-z0-9._%+-]{2}@[A-Za-z0-9-]/.test(value) || /[0-9]{8,}/.test(value.replace(/[\s.()]/g, '')) || /[0-9]{13,}/.test(value.replace(/[\s.()/-]/g, ''));
}

const safeText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => !looksPersonal(v), 'looks like personal data (an email address or a long number); record ids or masked values instead');

const safeToken = token.refine((v) => !looksPersonal(v.replace(/-/g, '').replace(/[0-9a-f]{32}/gi, '')), 'looks like personal data (a long number)');

const memberName = z.string().regex(/^[a-z][a-zA-Z0-9_]{0,39}$/, 'a short camelCase or snake_case name');

const scalar = z.union([safeText(200), z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER), z.boolean(), z.null()]);

export const actorTypes = ['agent', 'service', 'system', 'platform'] as const;

/** What a caller records. Time, tenant and sequence number are added by the ledger. */
export const ledgerEntryInput = z.strictObject({
  actor: z.strictObject({ type: z.enum(actorTypes), id: safeToken }),
  /** Dotted, lowercase: domain first, e.g. `customer.field.reveal`. */
  action: z
    .string()
    .max(100)
    .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,4}$/, 'dotted lowercase, e.g. customer.field.reveal'),
  /** What was acted on: ids by kind, e.g. `{ customer: <uuid>, field: 'email' }`. */
  targets: z
    .record(memberName, safeToken)
    .refine((t) => Object.keys(t).length <= 16, 'at most 16 targets')
    .default({}),
  /** Why, as a code from the tenant's list of purposes (e.g. `billing_dispute`). */
  purpose: z
    .string()
    .max(64)
    .regex(/^[a-z][a-z0-9_.-]*$/, 'a purpose code')
    .optional(),
  /** Free-text justification (break-glass); no personal data. */
  reason: safeText(500).optional(),
  requestId: safeToken.optional(),
  details: z
    .record(memberName, scalar)
    .refine((d) => Object.keys(d).length <= 32, 'at most 32 details')
    .default({}),
});

export type LedgerEntryInput = z.input<typeof ledgerEntryInput>;
export type ValidLedgerEntry = z.output<typeof ledgerEntryInput>;

/** An entry as stored and hashed. */
export interface LedgerEntry extends ValidLedgerEntry {
  readonly v: 1;
  readonly tenant: string;
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds: when the change was recorded (not when it was sequenced). */
  readonly at: string;
}

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json | undefined };

/** Canonical JSON (see the top of this file). Throws on values it cannot encode exactly. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON here holds safe integers only');
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: Json) => canonicalJson(v)).join(',')}]`;
  const object = value as { readonly [key: string]: Json | undefined };
  // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
  const keys = Object.keys(object)
    .filter((k) => object[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k] as Json)}`).join(',')}}`;
}

/** The canonical text of an entry: what the tree hashes (as UTF-8) and the ledger stores. */
export function encodeEntry(entry: LedgerEntry): string {
  return canonicalJson({
    v: entry.v,
    tenant: entry.tenant,
    seq: entry.seq,
    at: entry.at,
    actor: { type: entry.actor.type, id: entry.actor.id },
    action: entry.action,
    targets: entry.targets,
    purpose: entry.purpose,
    reason: entry.reason,
    requestId: entry.requestId,
    details: entry.details,
  });
}

const storedEntry = ledgerEntryInput.extend({
  v: z.literal(1),
  tenant: z.uuid(),
  seq: z.number().int().min(0),
  at: z.iso.datetime({ precision: 3 }),
});

/**
 * Parses stored canonical text back into an entry, or says why it cannot: not JSON, not an
 * entry, or not in canonical form (so one entry has exactly one byte representation).
 */
export function decodeEntry(text: string): { entry: LedgerEntry } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'not JSON' };
  }
  const result = storedEntry.safeParse(parsed);
  if (!result.success) return { error: `not a ledger entry (${result.error.issues[0]?.path.join('.') ?? ''}: ${result.error.issues[0]?.message ?? ''})` };
  const entry = result.data as LedgerEntry;
  if (encodeEntry(entry) !== text) return { error: 'not in canonical form' };
  return { entry };
}

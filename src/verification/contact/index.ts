/**
 * Contact checks: what the customer's email and phone on file say about trust. The risk engine
 * (src/verification/risk/) calls a {@link ContactSignalsFn}; nothing here decides a level.
 *
 * The phone and email are vault ciphertext, so the function needs the server's vault (and its DNS
 * resolver): build it once with {@link createContactSignals} (setup.ts does, and exposes it as
 * `Verification.contactSignals`), then call it as `contactSignals(tx, { tenantId, customerId, now })`.
 */
import { decryptFieldValue, loadCustomerRecord } from '../../customers/index.js';
import type { Tx } from '../../db/index.js';
import type { Vault } from '../../vault/index.js';
import { isDisposableDomain } from './disposable.js';
import { emailDomain } from './email.js';
import { type MxAnswer, MxChecker } from './mx.js';
import { checkPhone } from './phone.js';

export { disposableDomains, isDisposableDomain, parseDomainList } from './disposable.js';
export { emailDomain, isValidEmailSyntax } from './email.js';
export { dnsServersFromEnv, type MxAnswer, MxChecker, type MxOptions } from './mx.js';
export { checkPhone, type PhoneCheck } from './phone.js';

export interface ContactSignals {
  /** Days since the phone field last changed (created, updated or cleared), if within the window; null otherwise. */
  readonly phoneChangedWithinDays: number | null;
  /** Days since the email field last changed, if within the window; null otherwise. */
  readonly emailChangedWithinDays: number | null;
  /** The email on file is at a known disposable-mail domain. */
  readonly emailDisposable: boolean;
  /** The email domain has a mail exchanger; 'unknown' when DNS did not answer in time (or no email). */
  readonly emailHasMx: boolean | 'unknown';
  /** libphonenumber-js type of the phone on file (MOBILE, FIXED_LINE...), null when none or invalid. */
  readonly phoneType: string | null;
}

export interface ContactSignalsQuery {
  readonly tenantId: string;
  readonly customerId: string;
  readonly now: Date;
}

export type ContactSignalsFn = (tx: Tx, query: ContactSignalsQuery) => Promise<ContactSignals>;

export interface ContactSignalsDeps {
  readonly vault: Vault;
  /** Mail-exchanger lookups (default: the system's resolvers). */
  readonly mx?: { hasMx(domain: string): Promise<MxAnswer> } | undefined;
  /** Changes older than this many days are not reported (default 90; the risk engine applies its own window within it). */
  readonly lookbackDays?: number | undefined;
}

const DAY_MS = 86_400_000;
const CONTACT_TYPES = { phone: 'phone', email: 'email' } as const;

/**
 * Days since the last change of any field of `type` in the customer's history (a value created
 * after the customer was, updated or cleared). The value the customer was created with is not a
 * change: a new customer is not a taken-over one.
 */
async function daysSinceChange(tx: Tx, customerId: string, keys: readonly string[], createdAt: Date, now: Date, lookbackDays: number): Promise<number | null> {
  if (keys.length === 0) return null;
  const since = new Date(now.getTime() - lookbackDays * DAY_MS);
  const row = await tx
    .selectFrom('customer_field_history')
    .select((eb) => eb.fn.max('at').as('at'))
    .where('customer_id', '=', customerId)
    .where('field_key', 'in', keys)
    .where('action', 'in', ['create', 'update', 'clear'])
    .where('at', '>', createdAt)
    .where('at', '>=', since)
    .where('at', '<=', now)
    .executeTakeFirst();
  const at = row?.at;
  if (at === null || at === undefined) return null;
  return Math.floor((now.getTime() - new Date(at).getTime()) / DAY_MS);
}

/** Builds the contact-signals function for a server (its vault and DNS resolver). */
export function createContactSignals(deps: ContactSignalsDeps): ContactSignalsFn {
  const mx = deps.mx ?? new MxChecker();
  const lookbackDays = deps.lookbackDays ?? 90;
  return async function contactSignals(tx, query) {
    const record = await loadCustomerRecord(tx, query.tenantId, query.customerId);
    const keysOf = (type: string) => record.fields.filter((f) => f.definition.type === type).map((f) => f.definition.key);
    const firstValue = async (type: string, preferred: string): Promise<string | null> => {
      const fields = record.fields.filter((f) => f.definition.type === type && f.value !== null);
      const field = fields.find((f) => f.definition.key === preferred) ?? fields[0];
      if (field === undefined) return null;
      const value = await decryptFieldValue(tx, deps.vault, record, field.definition.key);
      return typeof value === 'string' ? value : null;
    };
    const phoneChangedWithinDays = await daysSinceChange(tx, record.customerId, keysOf(CONTACT_TYPES.phone), record.createdAt, query.now, lookbackDays);
    const emailChangedWithinDays = await daysSinceChange(tx, record.customerId, keysOf(CONTACT_TYPES.email), record.createdAt, query.now, lookbackDays);
    const email = await firstValue('email', 'email');
    const phone = await firstValue('phone', 'phone');
    const domain = email === null ? undefined : emailDomain(email);
    return {
      phoneChangedWithinDays,
      emailChangedWithinDays,
      emailDisposable: domain !== undefined && isDisposableDomain(domain),
      emailHasMx: domain === undefined ? (email === null ? 'unknown' : false) : await mx.hasMx(domain),
      phoneType: phone === null ? null : checkPhone(phone).type,
    };
  };
}

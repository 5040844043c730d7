/**
 * Signal collection: the SQL side of the risk engine. Reads counts and flags in the caller's
 * tenant-scoped transaction (one statement: store.ts `readRiskInputs`, with the interaction, the
 * settings and the contact checks' reads folded in), adds the contact checks and the time of day,
 * and hands them to the pure core (score.ts).
 *
 * The calling number is never read or kept in clear: sessions keep its blind index (the vault's
 * HMAC of the normalized E.164 number), which compares directly with the blind index of the
 * phone on the customer's record and with the fraud list. Blind indexes are truncated
 * (CUSTODIA_BLIND_INDEX_BYTES, 8 by default): two numbers share a digest with probability
 * about 2^-64 per pair, negligible for a risk signal.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Tx } from '../../db/index.js';
import type { RiskSignals } from './score.js';
import { outsideBusinessHours, type RiskSettings } from './settings.js';
import { readRiskInputs, type RiskInputs } from './store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * What the risk engine reads about the customer's contact data (src/verification/contact builds
 * it: `createContactSignals`). Declared here, structurally, so the engine depends on the shape
 * only; the composition root (setup.ts) passes the real function.
 */
export interface ContactSignalsLike {
  readonly phoneChangedWithinDays: number | null;
  readonly emailChangedWithinDays: number | null;
  readonly emailDisposable: boolean;
  readonly emailHasMx: boolean | 'unknown';
}

/**
 * Where contact signals come from: an expression the engine puts in its own statement (so a
 * decision costs one round trip) and what turns its value into signals. `createContactSignals`
 * (src/verification/contact) is one.
 */
export interface ContactSignalSource {
  select(query: { readonly tenantId: string; readonly customerId: string | RawBuilder<unknown>; readonly now: Date }): RawBuilder<unknown>;
  /** `want.phoneType: false`: the engine has no phone-type signal, so the phone is not decrypted. */
  fromRow(tx: Tx, row: unknown, query: { readonly tenantId: string; readonly customerId: string; readonly now: Date }, want: { readonly phoneType: false }): Promise<ContactSignalsLike>;
}

/** For a server without contact checks: no contact signal at all. */
export const NO_CONTACT_SIGNALS: ContactSignalSource = {
  select: () => sql`null`,
  fromRow: () => Promise.resolve({ phoneChangedWithinDays: null, emailChangedWithinDays: null, emailDisposable: false, emailHasMx: 'unknown' }),
};

export interface SignalQuery {
  readonly tenantId: string;
  /** Whose signals: this customer, or (undefined) the interaction's own. */
  readonly customerId: string | undefined;
  /** The interaction whose latest session's calling number is used (none: no caller signals). */
  readonly interactionId: string;
  readonly now: Date;
}

/** What one decision read (store.ts `readRiskInputs`), with the query it was read for. */
export interface SignalInputs extends RiskInputs {
  readonly query: SignalQuery;
}

/**
 * Everything a decision reads, in one SQL statement: the interaction, the tenant's settings, the
 * counts and flags, and the contact checks' reads. Windows: the last hour and the last 24 hours
 * before `now`.
 */
export async function readSignalInputs(tx: Tx, query: SignalQuery, contactSignals: ContactSignalSource): Promise<SignalInputs> {
  const { now } = query;
  const inputs = await readRiskInputs(tx, {
    interactionId: query.interactionId,
    customerId: query.customerId,
    dayStart: new Date(now.getTime() - DAY),
    hourStart: new Date(now.getTime() - HOUR),
    contact: (customerId) => contactSignals.select({ tenantId: query.tenantId, customerId, now }),
  });
  return { ...inputs, query };
}

/** The signals of `customerId` from what {@link readSignalInputs} read: the contact checks finish (in `tx`), the clock adds the time of day. */
export async function signalsFrom(tx: Tx, inputs: SignalInputs, customerId: string, settings: RiskSettings, contactSignals: ContactSignalSource): Promise<RiskSignals> {
  const { counts } = inputs;
  const { now } = inputs.query;
  const contact = await contactSignals.fromRow(tx, counts.contact, { tenantId: inputs.query.tenantId, customerId, now }, { phoneType: false });
  const within = (days: number | null) => (days !== null && days <= settings.contactChangeDays ? days : null);
  return {
    customerFailuresHour: counts.customerFailuresHour,
    customerFailuresDay: counts.customerFailuresDay,
    callerFailuresHour: counts.callerFailuresHour,
    callerFailuresDay: counts.callerFailuresDay,
    callerCustomersDay: counts.callerCustomersDay,
    phoneChangedWithinDays: within(contact.phoneChangedWithinDays),
    emailChangedWithinDays: within(contact.emailChangedWithinDays),
    emailDisposable: contact.emailDisposable,
    emailHasMx: contact.emailHasMx,
    knownFraudNumber: counts.knownFraudNumber,
    callerIdMismatch: counts.hasCaller && counts.phonesOnFile > 0 ? !counts.callerIsPhoneOnFile : null,
    outsideBusinessHours: outsideBusinessHours(settings.businessHours, now),
  };
}

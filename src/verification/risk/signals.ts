/**
 * Signal collection: the SQL side of the risk engine. Reads counts and flags in the caller's
 * tenant-scoped transaction (one statement: store.ts `collectRiskCounts`, with the contact
 * checks' reads folded in), adds the contact checks and the time of day, and hands them to the pure core (score.ts). Windows: the last hour
 * and the last 24 hours before `now`.
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
import { collectRiskCounts } from './store.js';

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
  select(query: { readonly tenantId: string; readonly customerId: string; readonly now: Date }): RawBuilder<unknown>;
  fromRow(tx: Tx, row: unknown, query: { readonly tenantId: string; readonly customerId: string; readonly now: Date }): Promise<ContactSignalsLike>;
}

/** For a server without contact checks: no contact signal at all. */
export const NO_CONTACT_SIGNALS: ContactSignalSource = {
  select: () => sql`null`,
  fromRow: () => Promise.resolve({ phoneChangedWithinDays: null, emailChangedWithinDays: null, emailDisposable: false, emailHasMx: 'unknown' }),
};

export interface SignalQuery {
  readonly tenantId: string;
  readonly customerId: string;
  /** The interaction whose latest session's calling number is used (none: no caller signals). */
  readonly interactionId: string;
  readonly now: Date;
}

/** Every signal for one decision: one SQL statement (the contact checks' reads in it), and the clock. */
export async function collectSignals(tx: Tx, query: SignalQuery, settings: RiskSettings, contactSignals: ContactSignalSource): Promise<RiskSignals> {
  const { customerId, now } = query;
  const contactQuery = { tenantId: query.tenantId, customerId, now };
  const counts = await collectRiskCounts(tx, { customerId, interactionId: query.interactionId, dayStart: new Date(now.getTime() - DAY), hourStart: new Date(now.getTime() - HOUR), contact: contactSignals.select(contactQuery) });
  const contact = await contactSignals.fromRow(tx, counts.contact, contactQuery);
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

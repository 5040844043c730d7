/**
 * The risk engine's pure core: signals in, a score, a band and each signal's contribution out.
 * No database, no clock, no settings store: collection (signals.ts) and policy (settings.ts) are
 * elsewhere, so this can be read, table-tested and benchmarked on its own.
 *
 * Every signal contributes `min(max, points * units)` points, where `units` is a count (failed
 * attempts, other customers) or 1 for a yes/no signal; the score is the sum, capped at 100. The
 * band comes from the tenant's thresholds, and the band raises the level an action needs
 * ({@link stepUp}).
 *
 * Explanations name signals and counts only: never a phone number, an address, an id or a value.
 *
 * @example
 * ```ts
 * const r = scoreRisk({ ...NO_SIGNALS, callerIdMismatch: true, outsideBusinessHours: true }, DEFAULT_RISK_WEIGHTS);
 * r.score; // 30
 * r.band; // 'elevated'
 * r.contributions.map((c) => c.signal); // ['caller_id_mismatch', 'unusual_time']
 * ```
 */
import type { AssuranceLevel } from '../levels.js';

/** What collection found for one decision. Counts are over the windows signals.ts documents. */
export interface RiskSignals {
  /** Failed verification results of this customer in the last hour. */
  readonly customerFailuresHour: number;
  /** ... in the last 24 hours (the last hour included). */
  readonly customerFailuresDay: number;
  /** Failed results of sessions whose caller called from this number, last hour (0: no number). */
  readonly callerFailuresHour: number;
  /** ... in the last 24 hours (the last hour included). */
  readonly callerFailuresDay: number;
  /** Distinct customers whose verification started from this number in the last 24 hours. */
  readonly callerCustomersDay: number;
  /** Days since the phone on file changed, when within the window; null otherwise. */
  readonly phoneChangedWithinDays: number | null;
  /** Days since the email on file changed, when within the window; null otherwise. */
  readonly emailChangedWithinDays: number | null;
  readonly emailDisposable: boolean;
  /** The email domain has no mail exchanger (false); 'unknown' and true are not a signal. */
  readonly emailHasMx: boolean | 'unknown';
  /** The calling number is on the tenant's list of known fraud numbers. */
  readonly knownFraudNumber: boolean;
  /** The calling number is not the phone on file; null when either is missing (chat, withheld). */
  readonly callerIdMismatch: boolean | null;
  /** Now is outside the tenant's business hours, in its time zone. */
  readonly outsideBusinessHours: boolean;
}

export const NO_SIGNALS: RiskSignals = Object.freeze({
  customerFailuresHour: 0,
  customerFailuresDay: 0,
  callerFailuresHour: 0,
  callerFailuresDay: 0,
  callerCustomersDay: 0,
  phoneChangedWithinDays: null,
  emailChangedWithinDays: null,
  emailDisposable: false,
  emailHasMx: 'unknown',
  knownFraudNumber: false,
  callerIdMismatch: null,
  outsideBusinessHours: false,
});

export const RISK_SIGNALS = [
  'customer_failures_hour',
  'customer_failures_day',
  'caller_failures_hour',
  'caller_failures_day',
  'caller_velocity',
  'phone_changed_recently',
  'email_changed_recently',
  'email_disposable',
  'email_no_mx',
  'known_fraud_number',
  'caller_id_mismatch',
  'unusual_time',
] as const;
export type RiskSignal = (typeof RISK_SIGNALS)[number];

/** Points per unit, and the most the signal can add. */
export interface SignalWeight {
  readonly points: number;
  readonly max: number;
}

export type RiskWeights = { readonly [S in RiskSignal]: SignalWeight };

/**
 * Shipped weights (docs/verification.md, "Risk"). A known fraud number alone reaches the high
 * band; a caller ID mismatch alone stays low; a recently changed phone with a mismatching caller
 * ID (the SIM-swap pattern) is elevated.
 */
export const DEFAULT_RISK_WEIGHTS: RiskWeights = Object.freeze({
  customer_failures_hour: { points: 8, max: 40 },
  // Failures earlier in the day (the last hour is counted above, not twice).
  customer_failures_day: { points: 3, max: 15 },
  caller_failures_hour: { points: 8, max: 40 },
  caller_failures_day: { points: 3, max: 15 },
  // Per customer beyond the first from one number: one fraudster working through a list.
  caller_velocity: { points: 15, max: 45 },
  phone_changed_recently: { points: 25, max: 25 },
  email_changed_recently: { points: 15, max: 15 },
  email_disposable: { points: 10, max: 10 },
  email_no_mx: { points: 5, max: 5 },
  known_fraud_number: { points: 60, max: 60 },
  caller_id_mismatch: { points: 20, max: 20 },
  unusual_time: { points: 10, max: 10 },
});

export const RISK_BANDS = ['low', 'elevated', 'high'] as const;
export type RiskBand = (typeof RISK_BANDS)[number];

/** Scores at or above `elevated` are elevated, at or above `high` high. */
export interface RiskThresholds {
  readonly elevated: number;
  readonly high: number;
}

export const DEFAULT_RISK_THRESHOLDS: RiskThresholds = Object.freeze({ elevated: 30, high: 60 });

export interface Contribution {
  readonly signal: RiskSignal;
  /** The count (or 1) the signal's points were multiplied by. */
  readonly units: number;
  /** Points added to the score (after the signal's cap). */
  readonly points: number;
  /** One plain sentence; counts and days only, never data. */
  readonly reason: string;
}

export interface RiskScore {
  /** 0..100, an integer (the ledger keeps integers only). */
  readonly score: number;
  readonly band: RiskBand;
  /** Signals that added points, largest first (ties in {@link RISK_SIGNALS} order). */
  readonly contributions: readonly Contribution[];
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Each signal's units and sentence, from the signals (0 units: the signal is absent). */
function units(signals: RiskSignals): { readonly [S in RiskSignal]: [number, string] } {
  const earlierCustomer = Math.max(0, signals.customerFailuresDay - signals.customerFailuresHour);
  const earlierCaller = Math.max(0, signals.callerFailuresDay - signals.callerFailuresHour);
  const otherCustomers = Math.max(0, signals.callerCustomersDay - 1);
  const phoneDays = signals.phoneChangedWithinDays;
  const emailDays = signals.emailChangedWithinDays;
  return {
    customer_failures_hour: [signals.customerFailuresHour, `${plural(signals.customerFailuresHour, 'failed verification', 'failed verifications')} of this customer in the last hour`],
    customer_failures_day: [earlierCustomer, `${plural(earlierCustomer, 'failed verification', 'failed verifications')} of this customer earlier in the last 24 hours`],
    caller_failures_hour: [signals.callerFailuresHour, `${plural(signals.callerFailuresHour, 'failed verification', 'failed verifications')} from this calling number in the last hour`],
    caller_failures_day: [earlierCaller, `${plural(earlierCaller, 'failed verification', 'failed verifications')} from this calling number earlier in the last 24 hours`],
    caller_velocity: [otherCustomers, `this calling number tried to verify as ${plural(otherCustomers, 'other customer', 'other customers')} in the last 24 hours`],
    phone_changed_recently: [phoneDays === null ? 0 : 1, `the phone on file changed ${phoneDays === 0 ? 'today' : `${plural(phoneDays ?? 0, 'day', 'days')} ago`}`],
    email_changed_recently: [emailDays === null ? 0 : 1, `the email on file changed ${emailDays === 0 ? 'today' : `${plural(emailDays ?? 0, 'day', 'days')} ago`}`],
    email_disposable: [signals.emailDisposable ? 1 : 0, 'the email on file is at a disposable-mail domain'],
    email_no_mx: [signals.emailHasMx === false ? 1 : 0, 'the domain of the email on file receives no mail'],
    known_fraud_number: [signals.knownFraudNumber ? 1 : 0, 'the calling number is on the list of known fraud numbers'],
    caller_id_mismatch: [signals.callerIdMismatch === true ? 1 : 0, 'the calling number is not the phone on file'],
    unusual_time: [signals.outsideBusinessHours ? 1 : 0, 'the call is outside business hours'],
  };
}

export function bandOf(score: number, thresholds: RiskThresholds = DEFAULT_RISK_THRESHOLDS): RiskBand {
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.elevated) return 'elevated';
  return 'low';
}

/**
 * The score of `signals` under `weights` and its band under `thresholds`.
 *
 * @example
 * ```ts
 * scoreRisk({ ...NO_SIGNALS, knownFraudNumber: true }, DEFAULT_RISK_WEIGHTS); // { score: 60, band: 'high', ... }
 * ```
 */
export function scoreRisk(signals: RiskSignals, weights: RiskWeights, thresholds: RiskThresholds = DEFAULT_RISK_THRESHOLDS): RiskScore {
  const table = units(signals);
  const contributions: Contribution[] = [];
  let total = 0;
  for (const signal of RISK_SIGNALS) {
    const [n, reason] = table[signal];
    if (!(n > 0)) continue;
    const weight = weights[signal];
    const points = Math.min(weight.max, Math.round(weight.points * n));
    if (points <= 0) continue;
    total += points;
    contributions.push({ signal, units: n, points, reason });
  }
  // Stable: equal points keep RISK_SIGNALS order.
  contributions.sort((a, b) => b.points - a.points);
  const score = Math.min(100, total);
  return { score, band: bandOf(score, thresholds), contributions };
}

/** A plain-language paragraph for the agent: the score, the band and why. */
export function explainRisk(risk: RiskScore): string {
  if (risk.contributions.length === 0) return `Risk ${risk.score} of 100 (${risk.band}): no risk signal.`;
  const reasons = risk.contributions.map((c) => `${c.reason} (+${c.points})`).join('; ');
  const capped = risk.contributions.reduce((sum, c) => sum + c.points, 0) > 100 ? ' (capped at 100)' : '';
  return `Risk ${risk.score} of 100 (${risk.band})${capped}: ${reasons}.`;
}

/** Levels a band adds to what an action needs, by default: elevated one, high two. */
export const DEFAULT_BAND_STEP_UP: { readonly [B in RiskBand]: number } = Object.freeze({ low: 0, elevated: 1, high: 2 });

/** The level an action needs under a risk band: its base raised by the band's step, at most 3. */
export function stepUp(base: AssuranceLevel, band: RiskBand, steps: { readonly [B in RiskBand]: number } = DEFAULT_BAND_STEP_UP): AssuranceLevel {
  return Math.min(3, Math.max(base, base + steps[band])) as AssuranceLevel;
}

/**
 * A tenant's risk rules: weights, band thresholds, how much each band raises a level, the level
 * each action needs, and business hours. Kept as the `risk` member of the verification settings
 * (settings.ts), so `PUT /v1/verification/settings` sets them with the rest, and every member has
 * a default (the shipped behaviour).
 */
import { z } from 'zod';
import type { AssuranceLevel } from '../levels.js';
import { DEFAULT_BAND_STEP_UP, DEFAULT_RISK_THRESHOLDS, DEFAULT_RISK_WEIGHTS, RISK_SIGNALS, type RiskSignal, type RiskWeights } from './score.js';

/** What an agent may do that needs the caller verified; `reveal` is a field reveal (src/access). */
export const RISK_ACTIONS = ['view_balance', 'change_address', 'change_phone', 'take_payment', 'export_data', 'reveal'] as const;
export type RiskAction = (typeof RISK_ACTIONS)[number];

/**
 * Levels actions need at low risk. Changing the phone or email is what an account takeover is
 * after (the next codes go to the attacker), so it needs as much as a payment; exporting the
 * customer's data hands over everything at once, so it needs high assurance.
 */
export const DEFAULT_ACTION_LEVELS: { readonly [A in RiskAction]: AssuranceLevel } = Object.freeze({
  view_balance: 1,
  change_address: 2,
  change_phone: 2,
  take_payment: 2,
  export_data: 3,
  reveal: 1,
});

const level = z.number().int().min(0).max(3);
const weight = z.strictObject({ points: z.number().int().min(0).max(100), max: z.number().int().min(0).max(100) });
const hhmm = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'a 24-hour time HH:MM');

function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const businessHoursSchema = z.strictObject({
  /** IANA time zone of the contact center (business hours are local wall-clock times). */
  timeZone: z.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9_+\-/]*$/, 'an IANA time zone such as America/Bogota').refine(isZone, 'unknown time zone').default('UTC'),
  days: z.array(z.enum(WEEKDAYS)).max(7).refine((d) => new Set(d).size === d.length, 'each day once').default(['mon', 'tue', 'wed', 'thu', 'fri', 'sat']),
  /** Opening time, inclusive. */
  start: hhmm.default('08:00'),
  /** Closing time, exclusive; earlier than `start` means the hours run past midnight. */
  end: hhmm.default('21:00'),
});
export type BusinessHours = z.output<typeof businessHoursSchema>;

const weightsShape = Object.fromEntries(RISK_SIGNALS.map((s) => [s, weight.default(DEFAULT_RISK_WEIGHTS[s])])) as { [S in RiskSignal]: z.ZodDefault<typeof weight> };

export const riskSettingsSchema = z
  .strictObject({
    weights: z.strictObject(weightsShape).prefault({}),
    thresholds: z
      .strictObject({ elevated: z.number().int().min(1).max(100).default(DEFAULT_RISK_THRESHOLDS.elevated), high: z.number().int().min(1).max(100).default(DEFAULT_RISK_THRESHOLDS.high) })
      .refine((t) => t.high > t.elevated, 'high must be above elevated')
      .prefault({}),
    /** Levels an elevated or high band adds to an action's level (the result is at most 3). */
    stepUp: z.strictObject({ elevated: z.number().int().min(0).max(3).default(DEFAULT_BAND_STEP_UP.elevated), high: z.number().int().min(0).max(3).default(DEFAULT_BAND_STEP_UP.high) }).prefault({}),
    actions: z.strictObject(Object.fromEntries(RISK_ACTIONS.map((a) => [a, level.default(DEFAULT_ACTION_LEVELS[a])])) as { [A in RiskAction]: z.ZodDefault<typeof level> }).prefault({}),
    businessHours: businessHoursSchema.prefault({}),
    /** A phone or email changed within this many days is a signal (the SIM-swap window). */
    contactChangeDays: z.number().int().min(1).max(365).default(30),
  })
  .prefault({});

export type RiskSettings = z.output<typeof riskSettingsSchema>;

export const DEFAULT_RISK_SETTINGS: RiskSettings = riskSettingsSchema.parse({});

export function weightsOf(settings: RiskSettings): RiskWeights {
  return settings.weights;
}

interface LocalTime {
  /** The UTC minute (ms / 60,000) this was computed for. */
  readonly utcMinute: number;
  readonly weekday: string;
  /** Minutes since local midnight. */
  readonly minute: number;
}

/** Per zone: its formatter, and the local time of the last UTC minute asked (a decision asks every time). */
const zones = new Map<string, { readonly format: Intl.DateTimeFormat; last: LocalTime | undefined }>();

// Every offset in the time-zone database since 1972 is a whole number of minutes, so from then on
// a UTC minute is one local minute, and formatting once per minute per zone is exact. (Older
// offsets had seconds: Africa/Monrovia was UTC-0:44:30 until 1972.)
const WHOLE_MINUTE_OFFSETS_SINCE = Date.UTC(1973, 0, 1);

function localTime(zone: string, now: Date): LocalTime {
  let entry = zones.get(zone);
  if (entry === undefined) {
    const format = new Intl.DateTimeFormat('en-US-u-ca-gregory-nu-latn', { timeZone: zone, weekday: 'short', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    if (zones.size >= 1_000) zones.clear();
    entry = { format, last: undefined };
    zones.set(zone, entry);
  }
  const t = now.getTime();
  const utcMinute = Math.floor(t / 60_000);
  if (entry.last !== undefined && entry.last.utcMinute === utcMinute && t >= WHOLE_MINUTE_OFFSETS_SINCE) return entry.last;
  let weekday = 'mon';
  let minute = 0;
  for (const part of entry.format.formatToParts(now)) {
    if (part.type === 'weekday') weekday = part.value.toLowerCase();
    else if (part.type === 'hour') minute += Number(part.value) * 60;
    else if (part.type === 'minute') minute += Number(part.value);
  }
  const local = { utcMinute, weekday, minute };
  entry.last = local;
  return local;
}

const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/**
 * Whether `now` falls outside `hours` in their time zone. Hours that run past midnight belong to
 * the day they open on (a Friday 22:00-02:00 covers Saturday 01:00).
 */
export function outsideBusinessHours(hours: BusinessHours, now: Date): boolean {
  const { weekday, minute } = localTime(hours.timeZone, now);
  const start = minutes(hours.start);
  const end = minutes(hours.end);
  const today = WEEKDAYS.indexOf(weekday as Weekday);
  const open = (day: number) => hours.days.includes(WEEKDAYS[(day + 7) % 7] as Weekday);
  if (start === end) return !open(today);
  if (start < end) return !(open(today) && minute >= start && minute < end);
  // Past midnight: the evening part today, or the early part of yesterday's hours.
  return !((open(today) && minute >= start) || (open(today - 1) && minute < end));
}

/**
 * Shift schedules: when an agent may touch customer data. Outside a shift, or during a break, access
 * is refused; a supervisor may grant a timed overtime exception that allows access whatever the
 * schedule says.
 *
 * Schedules are written in the agent's local wall-clock time (`timeZone`, an IANA zone) and
 * evaluated by converting each local interval to real instants with `Intl.DateTimeFormat`, so
 * daylight-saving changes are honoured: a 01:00-04:00 shift in Madrid lasts 2 real hours on the
 * spring-forward day and 4 on the fall-back day.
 *
 * Everything here is pure: time comes from the `now` argument, never from the system clock.
 */
import { z } from 'zod';

/** Day keys of `weekly`, Monday first (ISO order). */
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

/** At most this many intervals per day. */
export const MAX_INTERVALS_PER_DAY = 8;
/** At most this many break rules per schedule. */
export const MAX_BREAKS = 32;
/** How far ahead `shiftStatus` looks for the end of the current state (`until`). */
export const LOOKAHEAD_MS = 8 * 86_400_000;

const MINUTES_PER_DAY = 1440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

// `Date#getUTCDay()` (0 = Sunday) to our keys.
const DAY_OF_UTC_DAY: readonly Day[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const hhmm = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'Expected a 24-hour time HH:MM between 00:00 and 24:00');

/** Minutes since local midnight of an already validated `HH:MM`. */
function toMinutes(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/**
 * `[start, end)` in minutes from the local midnight of the day the interval is listed under; `end`
 * may exceed 1440 when the interval runs past midnight (`end` earlier than `start`).
 */
function span(interval: { start: string; end: string }): [number, number] {
  const start = toMinutes(interval.start);
  const end = toMinutes(interval.end);
  return [start, end > start ? end : end + MINUTES_PER_DAY];
}

const intervalSchema = z
  .strictObject({ start: hhmm, end: hhmm })
  .superRefine((value, ctx) => {
    if (value.start === '24:00') {
      ctx.addIssue({ code: 'custom', path: ['start'], message: 'An interval cannot start at 24:00; use 00:00 of the next day' });
    } else if (value.start === value.end) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `Zero-length interval ${value.start}-${value.end}` });
    }
  });
export type Interval = z.infer<typeof intervalSchema>;

function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  // IANA names only (`Area/Location`, `UTC`, `Etc/GMT+3`): no offsets such as `+01:00`, which
  // Intl may accept but which carry no DST rules.
  .regex(/^[A-Za-z][A-Za-z0-9_+\-/]*$/, 'Expected an IANA time zone such as America/Bogota')
  .refine(isZone, { message: 'Unknown time zone' });

const dayIntervals = z.array(intervalSchema).max(MAX_INTERVALS_PER_DAY);

const breakSchema = z
  .strictObject({
    /** The days the break applies to (the day it starts on); all days when absent. */
    days: z
      .array(z.enum(DAYS))
      .min(1)
      .max(DAYS.length)
      .refine((days) => new Set(days).size === days.length, { message: 'Duplicate day' })
      .optional(),
    start: hhmm,
    end: hhmm,
  })
  .superRefine((value, ctx) => {
    if (value.start === '24:00') {
      ctx.addIssue({ code: 'custom', path: ['start'], message: 'A break cannot start at 24:00; use 00:00' });
    } else if (value.start === value.end) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `Zero-length break ${value.start}-${value.end}` });
    }
  });

/**
 * A weekly shift schedule in the agent's local time.
 *
 * - `timeZone`: an IANA zone (`America/Sao_Paulo`), checked against the runtime's time-zone data.
 * - `weekly`: per day, up to 8 `{ start, end }` intervals in 24-hour `HH:MM` (00:00-24:00), start
 *   inclusive and end exclusive. An `end` earlier than `start` means the interval runs past
 *   midnight into the next day: a 22:00-06:00 night shift is listed under the day it starts.
 *   Overlapping intervals are rejected, including a night shift that spills into the next day's
 *   first interval (and Sunday night into Monday). Touching intervals (09:00-12:00, 12:00-18:00)
 *   are allowed and behave as one.
 * - `breaks`: times inside a shift when access is refused; `days` (default: every day) names the
 *   day each break starts on. A break outside every shift changes nothing.
 *
 * Input and output types are the same (no defaults are filled in), so a stored schedule
 * round-trips unchanged.
 *
 * @example
 * shiftScheduleSchema.parse({
 *   timeZone: 'America/Bogota',
 *   weekly: { mon: [{ start: '08:00', end: '17:00' }], fri: [{ start: '22:00', end: '06:00' }] },
 *   breaks: [{ days: ['mon'], start: '12:00', end: '13:00' }],
 * });
 */
export const shiftScheduleSchema = z
  .strictObject({
    timeZone: timeZoneSchema,
    weekly: z.strictObject({
      mon: dayIntervals.optional(),
      tue: dayIntervals.optional(),
      wed: dayIntervals.optional(),
      thu: dayIntervals.optional(),
      fri: dayIntervals.optional(),
      sat: dayIntervals.optional(),
      sun: dayIntervals.optional(),
    }),
    breaks: z.array(breakSchema).max(MAX_BREAKS).optional(),
  })
  .superRefine((schedule, ctx) => {
    // Every interval as [start, end) in minutes of the week (Monday 00:00 = 0). An interval that
    // runs past Sunday midnight also gets its wrapped part at the start of the week.
    const segments: { day: Day; index: number; interval: Interval; start: number; end: number }[] = [];
    // Zod runs this refinement even when a field failed its own check, so skip malformed
    // intervals (already reported) instead of computing with them.
    const wellFormed = (i: { start: unknown; end: unknown }): boolean =>
      hhmm.safeParse(i.start).success && hhmm.safeParse(i.end).success && i.start !== '24:00' && i.start !== i.end;
    DAYS.forEach((day, dayIndex) => {
      const intervals: unknown = schedule.weekly?.[day];
      if (!Array.isArray(intervals)) return;
      (intervals as Interval[]).forEach((interval, index) => {
        if (typeof interval !== 'object' || interval === null || !wellFormed(interval)) return;
        const [start, end] = span(interval);
        const base = dayIndex * MINUTES_PER_DAY;
        segments.push({ day, index, interval, start: base + start, end: base + end });
        if (base + end > MINUTES_PER_WEEK) segments.push({ day, index, interval, start: 0, end: base + end - MINUTES_PER_WEEK });
      });
    });
    const reported = new Set<string>();
    for (let i = 0; i < segments.length; i++) {
      for (let j = i + 1; j < segments.length; j++) {
        const a = segments[i]!;
        const b = segments[j]!;
        if (a.day === b.day && a.index === b.index) continue;
        if (a.start < b.end && b.start < a.end) {
          // Report on the later-listed interval, once.
          const [first, second] = DAYS.indexOf(a.day) * 100 + a.index <= DAYS.indexOf(b.day) * 100 + b.index ? [a, b] : [b, a];
          const key = `${second.day}.${second.index}`;
          if (reported.has(key)) continue;
          reported.add(key);
          const describe = (x: typeof a): string => `${x.interval.start}-${x.interval.end}`;
          ctx.addIssue({
            code: 'custom',
            path: ['weekly', second.day, second.index],
            message:
              first.day === second.day
                ? `Interval ${describe(second)} overlaps ${describe(first)} on ${first.day}`
                : `Interval ${describe(second)} on ${second.day} overlaps ${describe(first)} on ${first.day} (an interval ending past midnight runs into the next day)`,
          });
        }
      }
    }
  });
export type ShiftSchedule = z.infer<typeof shiftScheduleSchema>;

/** A supervisor's timed permission to work outside the schedule: access in `[from, until)`. */
export type ShiftException = { from: Date; until: Date; kind: 'overtime' };

export type ShiftReason = 'no_schedule' | 'on_shift' | 'on_break' | 'off_shift' | 'overtime';

export interface ShiftStatus {
  /** Whether the agent may access customer data now. */
  allowed: boolean;
  reason: ShiftReason;
  /**
   * The first instant after `now` at which `reason` would change (end of the shift, break or
   * exception; start of the next shift, break or exception when off shift), or null when there is
   * none within {@link LOOKAHEAD_MS}. For `overtime` it is the end of the exception (of the run of
   * touching or overlapping exceptions), however far away.
   */
  until: Date | null;
}

// ---------------------------------------------------------------------------------------------
// Time-zone arithmetic

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    // Throws RangeError for an unknown zone; cached only once it is known to be valid.
    formatter = new Intl.DateTimeFormat('en-US-u-ca-gregory-nu-latn', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // Zone names are case-insensitive, so the spellings are many; the bound only caps memory.
    if (formatters.size >= 1_000) formatters.clear();
    formatters.set(zone, formatter);
  }
  return formatter;
}

/**
 * The local wall-clock time of instant `ms` in `zone`, encoded as if that wall time were UTC
 * (milliseconds, whole seconds). The difference from `ms` is the zone's offset at that instant.
 */
function wallClock(zone: string, ms: number): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(zone).formatToParts(ms)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
    }
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** The zone's offset from UTC at instant `ms`, in milliseconds (east positive). */
function offsetAt(zone: string, ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClock(zone, whole) - whole;
}

/**
 * The instant at which the wall clocks of `zone` show `y-m-d hh:mm` (month 1-12). Out-of-range
 * fields roll over as in `Date.UTC`, so `hh = 24` is midnight of the next day.
 *
 * - A local time that does not exist (the hour skipped when clocks spring forward) moves forward
 *   to the first instant that does exist, the moment of the change: 02:30 in Madrid on 29 March
 *   2026 gives 03:00 CEST (01:00Z).
 * - A local time that happens twice (the hour repeated when clocks fall back) gives the earlier
 *   instant: 02:30 in Madrid on 25 October 2026 gives 02:30 CEST (00:30Z), not CET.
 *
 * Throws RangeError for an unknown zone.
 *
 * @example
 * zonedTimeToInstant('America/Bogota', 2026, 3, 2, 8, 0); // 2026-03-02T13:00:00.000Z
 */
export function zonedTimeToInstant(zone: string, y: number, m: number, d: number, hh: number, mm: number): Date {
  const target = Date.UTC(y, m - 1, d, hh, mm);
  if (!Number.isFinite(target)) throw new TypeError('zonedTimeToInstant needs finite date fields');
  const key = `${zone}|${target}`;
  let instant = instants.get(key);
  if (instant === undefined) {
    instant = resolveWallTime(zone, target);
    // Time-zone rules do not change while the process runs; the bound only caps memory.
    if (instants.size >= MAX_CACHED_INSTANTS) instants.clear();
    instants.set(key, instant);
  }
  return new Date(instant);
}

// Wall times already resolved, by zone and wall time: a status check converts about twenty of
// them, mostly the same ones as the previous check for the same schedule.
const instants = new Map<string, number>();
const MAX_CACHED_INSTANTS = 10_000;

/** {@link zonedTimeToInstant} for a wall time encoded as UTC milliseconds. */
function resolveWallTime(zone: string, target: number): number {
  // The offsets a day either side bound the offsets the target could have (zones change offset at
  // most once in two days, in practice); the offset at the target itself is the fallback.
  const before = offsetAt(zone, target - 86_400_000);
  const after = offsetAt(zone, target + 86_400_000);
  const candidates = new Set([before, after]);
  const pick = (): number | undefined => {
    let best: number | undefined;
    for (const offset of candidates) {
      const instant = target - offset;
      if (wallClock(zone, instant) === target && (best === undefined || instant < best)) best = instant;
    }
    return best;
  };
  let best = pick();
  if (best === undefined && before === after) {
    candidates.add(offsetAt(zone, target));
    best = pick();
  }
  if (best !== undefined) return best;

  // In a gap: instants before the change show an earlier wall time, instants after it a later
  // one. Find the change (to the second) by bisection.
  const offsets = [...candidates];
  let lo = (target - Math.max(...offsets)) / 1000; // wall time < target
  let hi = (target - Math.min(...offsets)) / 1000; // wall time > target
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClock(zone, mid * 1000) >= target) hi = mid;
    else lo = mid;
  }
  return hi * 1000;
}

// ---------------------------------------------------------------------------------------------
// Status

type Span = { from: number; until: number };

function covers(spans: readonly Span[], t: number): boolean {
  return spans.some((s) => s.from <= t && t < s.until);
}

/**
 * Local intervals as real instants, for every local date from the day before `now` to nine days
 * after (enough for the look-ahead plus a night shift started the day before).
 */
function expand(schedule: ShiftSchedule, now: number): { shifts: Span[]; breaks: Span[] } {
  const zone = schedule.timeZone;
  const today = new Date(wallClock(zone, now));
  const shifts: Span[] = [];
  const breaks: Span[] = [];
  for (let offset = -1; offset <= 9; offset++) {
    const date = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset));
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    const day = DAY_OF_UTC_DAY[date.getUTCDay()]!;
    const toSpan = (interval: { start: string; end: string }): Span | undefined => {
      const [start, end] = span(interval);
      const from = zonedTimeToInstant(zone, y, m, d, 0, start).getTime();
      const until = zonedTimeToInstant(zone, y, m, d, 0, end).getTime();
      // A short interval inside a skipped hour has no real time at all.
      return until > from ? { from, until } : undefined;
    };
    for (const interval of schedule.weekly[day] ?? []) {
      const s = toSpan(interval);
      if (s) shifts.push(s);
    }
    for (const rule of schedule.breaks ?? []) {
      if (rule.days && !rule.days.includes(day)) continue;
      const s = toSpan(rule);
      if (s) breaks.push(s);
    }
  }
  return { shifts, breaks };
}

function reasonAt(t: number, exceptions: readonly Span[], shifts: readonly Span[], breaks: readonly Span[]): ShiftReason {
  if (covers(exceptions, t)) return 'overtime';
  if (!covers(shifts, t)) return 'off_shift';
  return covers(breaks, t) ? 'on_break' : 'on_shift';
}

function result(reason: ShiftReason, until: number | null): ShiftStatus {
  return { allowed: reason === 'on_shift' || reason === 'overtime' || reason === 'no_schedule', reason, until: until === null ? null : new Date(until) };
}

/**
 * Whether an agent may access customer data at `now`, why, and until when.
 *
 * Precedence: an overtime exception covering `now` (`from` inclusive, `until` exclusive) allows
 * access whatever the schedule (`overtime`); otherwise a null schedule means the tenant set none
 * (`no_schedule`, allowed: the caller decides whether schedules are required, and overtime still
 * wins over a required-but-missing schedule); otherwise `on_shift` (allowed), `on_break` or
 * `off_shift` (refused). Shift and break intervals include their start and exclude their end.
 *
 * Exceptions with an invalid date or `until <= from` cover nothing.
 *
 * @example
 * const schedule = shiftScheduleSchema.parse({ timeZone: 'America/Bogota', weekly: { mon: [{ start: '08:00', end: '17:00' }] } });
 * shiftStatus(schedule, [], new Date('2026-03-02T14:00:00Z'));
 * // { allowed: true, reason: 'on_shift', until: 2026-03-02T22:00:00.000Z }
 */
export function shiftStatus(schedule: ShiftSchedule | null, exceptions: readonly ShiftException[], now: Date): ShiftStatus {
  const t = now.getTime();
  if (Number.isNaN(t)) throw new TypeError('shiftStatus needs a valid `now`');

  const overtime: Span[] = exceptions
    .filter((e) => e.kind === 'overtime')
    .map((e) => ({ from: e.from.getTime(), until: e.until.getTime() }))
    .filter((e) => e.from < e.until); // false for NaN too

  if (covers(overtime, t)) {
    // The end of the run of exceptions covering now: extend while another one covers the end.
    let end = t;
    while (covers(overtime, end)) {
      end = Math.max(...overtime.filter((e) => e.from <= end && end < e.until).map((e) => e.until));
    }
    return result('overtime', end);
  }
  if (schedule === null) return result('no_schedule', null);

  const { shifts, breaks } = expand(schedule, t);
  const reason = reasonAt(t, overtime, shifts, breaks);
  // The reason is constant between consecutive boundaries, so the first boundary after now at
  // which it differs is where the current state ends.
  const horizon = t + LOOKAHEAD_MS;
  const boundaries = [...new Set([...shifts, ...breaks, ...overtime].flatMap((s) => [s.from, s.until]))]
    .filter((b) => b > t && b <= horizon)
    .sort((a, b) => a - b);
  const until = boundaries.find((b) => reasonAt(b, overtime, shifts, breaks) !== reason) ?? null;
  return result(reason, until);
}

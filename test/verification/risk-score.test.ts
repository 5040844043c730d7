/**
 * The risk engine's pure core, table-driven: each row's expected score, band and contributions
 * are written out by hand from the shipped weights (docs/verification.md, "Risk"), so a change of
 * weight or rule shows up here as a diff of numbers. Also business hours across time zones and
 * midnight, the step-up rule, and settings parsing.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RISK_SETTINGS,
  DEFAULT_RISK_WEIGHTS,
  explainRisk,
  NO_SIGNALS,
  outsideBusinessHours,
  type RiskSignals,
  riskSettingsSchema,
  scoreRisk,
  stepUp,
} from '../../src/verification/risk/index.js';
import { levelFor } from '../../src/verification/risk/service.js';
import { DEFAULT_VERIFICATION_SETTINGS, parseVerificationSettings, parseVerificationSettingsText } from '../../src/verification/index.js';

type Row = [name: string, signals: Partial<RiskSignals>, score: number, band: 'low' | 'elevated' | 'high', contributions: [string, number][]];

const ROWS: Row[] = [
  ['no signal at all', {}, 0, 'low', []],
  ['a caller ID that is not the phone on file', { callerIdMismatch: true }, 20, 'low', [['caller_id_mismatch', 20]]],
  ['no caller ID (chat, withheld): no mismatch signal', { callerIdMismatch: null }, 0, 'low', []],
  ['mismatch outside business hours', { callerIdMismatch: true, outsideBusinessHours: true }, 30, 'elevated', [['caller_id_mismatch', 20], ['unusual_time', 10]]],
  ['SIM swap: phone changed 2 days ago, caller ID mismatch', { phoneChangedWithinDays: 2, callerIdMismatch: true }, 45, 'elevated', [['phone_changed_recently', 25], ['caller_id_mismatch', 20]]],
  ['phone changed today counts (0 days)', { phoneChangedWithinDays: 0 }, 25, 'low', [['phone_changed_recently', 25]]],
  ['a known fraud number alone is high', { knownFraudNumber: true }, 60, 'high', [['known_fraud_number', 60]]],
  ['2 failures this hour (8 each)', { customerFailuresHour: 2, customerFailuresDay: 2 }, 16, 'low', [['customer_failures_hour', 16]]],
  ['2 this hour, 5 in the day: 3 earlier (3 each)', { customerFailuresHour: 2, customerFailuresDay: 5 }, 25, 'low', [['customer_failures_hour', 16], ['customer_failures_day', 9]]],
  ['failures capped: 9 this hour -> 40, 20 earlier -> 15', { customerFailuresHour: 9, customerFailuresDay: 29 }, 55, 'elevated', [['customer_failures_hour', 40], ['customer_failures_day', 15]]],
  ['calling number failures', { callerFailuresHour: 3, callerFailuresDay: 4 }, 27, 'low', [['caller_failures_hour', 24], ['caller_failures_day', 3]]],
  ['velocity: one number, 3 customers (2 others, 15 each)', { callerCustomersDay: 3 }, 30, 'elevated', [['caller_velocity', 30]]],
  ['velocity: one customer is no velocity', { callerCustomersDay: 1 }, 0, 'low', []],
  ['velocity capped at 45', { callerCustomersDay: 10 }, 45, 'elevated', [['caller_velocity', 45]]],
  ['email: changed, disposable, no MX', { emailChangedWithinDays: 5, emailDisposable: true, emailHasMx: false }, 30, 'elevated', [['email_changed_recently', 15], ['email_disposable', 10], ['email_no_mx', 5]]],
  ['MX unknown (DNS timeout) is not a signal', { emailHasMx: 'unknown' }, 0, 'low', []],
  [
    'everything: capped at 100',
    { knownFraudNumber: true, callerIdMismatch: true, phoneChangedWithinDays: 1, customerFailuresHour: 5, customerFailuresDay: 5 },
    100,
    'high',
    [['known_fraud_number', 60], ['customer_failures_hour', 40], ['phone_changed_recently', 25], ['caller_id_mismatch', 20]],
  ],
];

describe('scoreRisk with the shipped weights', () => {
  it.each(ROWS)('%s', (_name, partial, score, band, contributions) => {
    const result = scoreRisk({ ...NO_SIGNALS, ...partial }, DEFAULT_RISK_WEIGHTS);
    expect(result.score).toBe(score);
    expect(result.band).toBe(band);
    expect(result.contributions.map((c) => [c.signal, c.points])).toEqual(contributions);
  });

  it('tenant weights change the score: a tenant that ignores the time of day', () => {
    const weights = { ...DEFAULT_RISK_WEIGHTS, unusual_time: { points: 0, max: 0 }, caller_id_mismatch: { points: 35, max: 35 } };
    const result = scoreRisk({ ...NO_SIGNALS, callerIdMismatch: true, outsideBusinessHours: true }, weights);
    expect(result).toMatchObject({ score: 35, band: 'elevated' });
    expect(result.contributions.map((c) => c.signal)).toEqual(['caller_id_mismatch']);
  });

  it('tenant thresholds change the band', () => {
    expect(scoreRisk({ ...NO_SIGNALS, callerIdMismatch: true }, DEFAULT_RISK_WEIGHTS, { elevated: 15, high: 20 }).band).toBe('high');
  });

  it('explains each contribution in plain words, without any value', () => {
    const result = scoreRisk({ ...NO_SIGNALS, phoneChangedWithinDays: 3, callerIdMismatch: true, customerFailuresHour: 1, customerFailuresDay: 1 }, DEFAULT_RISK_WEIGHTS);
    expect(explainRisk(result)).toBe(
      'Risk 53 of 100 (elevated): the phone on file changed 3 days ago (+25); the calling number is not the phone on file (+20); 1 failed verification of this customer in the last hour (+8).',
    );
    expect(explainRisk(scoreRisk(NO_SIGNALS, DEFAULT_RISK_WEIGHTS))).toBe('Risk 0 of 100 (low): no risk signal.');
    const capped = scoreRisk({ ...NO_SIGNALS, knownFraudNumber: true, callerCustomersDay: 4 }, DEFAULT_RISK_WEIGHTS);
    expect(explainRisk(capped)).toBe('Risk 100 of 100 (high) (capped at 100): the calling number is on the list of known fraud numbers (+60); this calling number tried to verify as 3 other customers in the last 24 hours (+45).');
  });
});

describe('step-up', () => {
  it.each([
    [1, 'low', 1],
    [1, 'elevated', 2],
    [1, 'high', 3],
    [2, 'elevated', 3],
    [2, 'high', 3],
    [3, 'high', 3],
    [0, 'high', 2],
  ] as const)('an action needing %i under %s risk needs %i', (base, band, expected) => {
    expect(stepUp(base, band)).toBe(expected);
  });

  it('actions name their levels; the tenant can change the level and the step', () => {
    expect(levelFor(DEFAULT_RISK_SETTINGS, 'view_balance', 'low')).toEqual({ base: 1, required: 1 });
    expect(levelFor(DEFAULT_RISK_SETTINGS, 'change_phone', 'elevated')).toEqual({ base: 2, required: 3 });
    expect(levelFor(DEFAULT_RISK_SETTINGS, 'export_data', 'low')).toEqual({ base: 3, required: 3 });
    const custom = riskSettingsSchema.parse({ actions: { view_balance: 2 }, stepUp: { elevated: 0 } });
    expect(levelFor(custom, 'view_balance', 'elevated')).toEqual({ base: 2, required: 2 });
    expect(levelFor(custom, 'view_balance', 'high')).toEqual({ base: 2, required: 3 });
  });
});

describe('business hours', () => {
  const hours = (over: object) => riskSettingsSchema.parse({ businessHours: over }).businessHours;

  it.each([
    // Monday 2026-11-23.
    ['2026-11-23T09:00:00Z', { timeZone: 'UTC' }, false],
    ['2026-11-23T07:59:00Z', { timeZone: 'UTC' }, true],
    ['2026-11-23T21:00:00Z', { timeZone: 'UTC' }, true],
    // 09:00 UTC is 04:00 in Bogotá (UTC-5): closed.
    ['2026-11-23T09:00:00Z', { timeZone: 'America/Bogota' }, true],
    ['2026-11-23T14:00:00Z', { timeZone: 'America/Bogota' }, false],
    // Sunday is closed by default.
    ['2026-11-22T12:00:00Z', { timeZone: 'UTC' }, true],
    // Hours past midnight: Friday 22:00-02:00 covers Saturday 01:00, not Sunday 01:00.
    ['2026-11-28T01:00:00Z', { timeZone: 'UTC', days: ['fri'], start: '22:00', end: '02:00' }, false],
    ['2026-11-29T01:00:00Z', { timeZone: 'UTC', days: ['fri'], start: '22:00', end: '02:00' }, true],
    ['2026-11-27T23:30:00Z', { timeZone: 'UTC', days: ['fri'], start: '22:00', end: '02:00' }, false],
  ] as const)('%s with %j: outside %s', (at, over, outside) => {
    expect(outsideBusinessHours(hours(over), new Date(at))).toBe(outside);
  });

  // The local time is computed once per UTC minute and zone: every answer must be the one a fresh
  // formatter gives, across DST changes, within a minute and between zones asked in turn.
  it('answers as a fresh formatter would, second by second across DST changes', () => {
    const fresh = (zone: string, at: Date) => {
      const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(at);
      const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
      return { weekday: get('weekday').toLowerCase(), minute: Number(get('hour')) * 60 + Number(get('minute')) };
    };
    const reference = (h: ReturnType<typeof hours>, at: Date) => {
      const { weekday, minute } = fresh(h.timeZone, at);
      const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
      const open = (d: number) => (h.days as readonly string[]).includes(days[(d + 7) % 7] as string);
      const toMin = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
      const [start, end, today] = [toMin(h.start), toMin(h.end), days.indexOf(weekday)];
      if (start === end) return !open(today);
      if (start < end) return !(open(today) && minute >= start && minute < end);
      return !((open(today) && minute >= start) || (open(today - 1) && minute < end));
    };
    // Madrid leaves summer time at 03:00 local on 2026-10-25 (01:00 UTC); Santiago enters it on
    // 2026-09-06 (04:00 UTC). Hours that open or close at the changed hour.
    const cases = [
      { h: hours({ timeZone: 'Europe/Madrid', days: ['sun'], start: '02:00', end: '02:30' }), from: Date.UTC(2026, 9, 24, 23, 50) },
      { h: hours({ timeZone: 'America/Santiago', days: ['sat', 'sun'], start: '23:59', end: '00:01' }), from: Date.UTC(2026, 8, 6, 3, 50) },
      // Before 1972 Monrovia was UTC-0:44:30: its local minutes do not start on UTC minutes.
      { h: hours({ timeZone: 'Africa/Monrovia', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '10:00', end: '10:01' }), from: Date.UTC(1970, 0, 1, 10, 40) },
    ];
    let changes = 0;
    for (const { h, from } of cases) {
      let last: boolean | undefined;
      for (let t = from; t < from + 3 * 3_600_000; t += 7_000) {
        const at = new Date(t);
        const got = outsideBusinessHours(h, at);
        expect(got, `${h.timeZone} ${at.toISOString()}`).toBe(reference(h, at));
        // Another zone in between, so a per-zone memo cannot answer for the wrong zone.
        expect(outsideBusinessHours(hours({ timeZone: 'Asia/Kolkata' }), at)).toBe(reference(hours({ timeZone: 'Asia/Kolkata' }), at));
        if (last !== undefined && last !== got) changes += 1;
        last = got;
      }
    }
    // The hours open and close inside the windows: the test sees the answer change.
    expect(changes).toBeGreaterThanOrEqual(4);
  });

  it('refuses an unknown time zone and a high threshold not above the elevated one', () => {
    expect(riskSettingsSchema.safeParse({ businessHours: { timeZone: 'Mars/Olympus' } }).success).toBe(false);
    expect(riskSettingsSchema.safeParse({ thresholds: { elevated: 50, high: 40 } }).success).toBe(false);
  });

  it('verification settings carry the risk defaults when a tenant set none', () => {
    expect(parseVerificationSettings(null).risk).toEqual(DEFAULT_RISK_SETTINGS);
    expect(parseVerificationSettings({ risk: { weights: { unusual_time: { points: 0, max: 0 } } } }).risk.weights.caller_id_mismatch).toEqual({ points: 20, max: 20 });
  });

  it('stored settings text parses once per text: the same frozen value again, a changed text anew, a broken member back to its default', () => {
    const text = JSON.stringify({ codeDigits: 8, risk: { actions: { view_balance: 2 } } });
    const first = parseVerificationSettingsText(text);
    expect(first).toEqual(parseVerificationSettings(JSON.parse(text) as Record<string, unknown>));
    expect(parseVerificationSettingsText(text)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.risk.actions) && Object.isFrozen(first.methodOrder)).toBe(true);
    expect(() => {
      (first.risk.actions as { view_balance: number }).view_balance = 0;
    }).toThrow(TypeError);
    const changed = parseVerificationSettingsText(JSON.stringify({ codeDigits: 7 }));
    expect(changed.codeDigits).toBe(7);
    expect(changed.risk.actions.view_balance).toBe(DEFAULT_VERIFICATION_SETTINGS.risk.actions.view_balance);
    expect(parseVerificationSettingsText(JSON.stringify({ codeDigits: 99, maxAttempts: 3 }))).toMatchObject({ codeDigits: 6, maxAttempts: 3 });
    expect(parseVerificationSettingsText(null)).toBe(DEFAULT_VERIFICATION_SETTINGS);
  });
});

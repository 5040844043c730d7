import { describe, expect, it } from 'vitest';
import { type ShiftException, type ShiftSchedule, shiftScheduleSchema, shiftStatus, zonedTimeToInstant } from './shifts.js';

const at = (iso: string): Date => new Date(iso);
const HOUR = 3_600_000;
const weekdays = (start: string, end: string): ShiftSchedule['weekly'] => {
  const interval = [{ start, end }];
  return { mon: interval, tue: interval, wed: interval, thu: interval, fri: interval };
};
const schedule = (input: unknown): ShiftSchedule => shiftScheduleSchema.parse(input);
const overtime = (from: string, until: string): ShiftException => ({ from: at(from), until: at(until), kind: 'overtime' });

function issues(input: unknown): { path: PropertyKey[]; message: string }[] {
  const result = shiftScheduleSchema.safeParse(input);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((i) => ({ path: i.path, message: i.message }));
}

// Calendar used below (all 2026): 2 March and 6 July are Mondays; 29 March and 25 October (the
// European DST changes) are Sundays; 5 January is a Monday.

describe('zonedTimeToInstant', () => {
  it('converts wall times in fixed-offset zones', () => {
    expect(zonedTimeToInstant('America/Sao_Paulo', 2026, 3, 2, 9, 0).toISOString()).toBe('2026-03-02T12:00:00.000Z');
    expect(zonedTimeToInstant('America/Bogota', 2026, 3, 2, 8, 0).toISOString()).toBe('2026-03-02T13:00:00.000Z');
    expect(zonedTimeToInstant('UTC', 2026, 3, 2, 24, 0).toISOString()).toBe('2026-03-03T00:00:00.000Z');
  });

  it('follows the offset in force on the day (Europe/Madrid, CET and CEST)', () => {
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 1, 15, 9, 0).toISOString()).toBe('2026-01-15T08:00:00.000Z');
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 7, 15, 9, 0).toISOString()).toBe('2026-07-15T07:00:00.000Z');
  });

  it('moves a time skipped by spring-forward to the moment of the change (29 March 2026, 02:00 -> 03:00)', () => {
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 3, 29, 1, 59).toISOString()).toBe('2026-03-29T00:59:00.000Z');
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 3, 29, 2, 0).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 3, 29, 2, 30).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 3, 29, 3, 0).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 3, 29, 3, 1).toISOString()).toBe('2026-03-29T01:01:00.000Z');
  });

  it('takes the earlier instant for a time repeated by fall-back (25 October 2026, 03:00 -> 02:00)', () => {
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 10, 25, 1, 59).toISOString()).toBe('2026-10-24T23:59:00.000Z');
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 10, 25, 2, 0).toISOString()).toBe('2026-10-25T00:00:00.000Z');
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 10, 25, 2, 30).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(zonedTimeToInstant('Europe/Madrid', 2026, 10, 25, 3, 0).toISOString()).toBe('2026-10-25T02:00:00.000Z');
  });

  it('handles zones east of UTC by more than half a day (Pacific/Auckland, NZDT +13 and NZST +12)', () => {
    expect(zonedTimeToInstant('Pacific/Auckland', 2026, 1, 5, 9, 0).toISOString()).toBe('2026-01-04T20:00:00.000Z');
    expect(zonedTimeToInstant('Pacific/Auckland', 2026, 7, 6, 9, 0).toISOString()).toBe('2026-07-05T21:00:00.000Z');
    expect(zonedTimeToInstant('Pacific/Kiritimati', 2026, 3, 2, 0, 0).toISOString()).toBe('2026-03-01T10:00:00.000Z');
  });

  it('refuses an unknown zone', () => {
    expect(() => zonedTimeToInstant('Mars/Olympus_Mons', 2026, 3, 2, 9, 0)).toThrow(RangeError);
  });
});

describe('shiftScheduleSchema', () => {
  it('accepts a full schedule and returns it unchanged (no defaults filled in)', () => {
    const input = {
      timeZone: 'America/Bogota',
      weekly: { ...weekdays('08:00', '17:00'), sat: [{ start: '09:00', end: '12:00' }, { start: '12:00', end: '13:00' }], sun: [{ start: '22:00', end: '06:00' }] },
      breaks: [{ start: '12:00', end: '13:00' }, { days: ['sat'], start: '10:00', end: '10:15' }],
    };
    expect(shiftScheduleSchema.parse(input)).toEqual(input);
  });

  it('accepts whole days (00:00-24:00) and an empty week', () => {
    expect(shiftScheduleSchema.safeParse({ timeZone: 'UTC', weekly: { mon: [{ start: '00:00', end: '24:00' }], tue: [{ start: '00:00', end: '24:00' }] } }).success).toBe(true);
    expect(shiftScheduleSchema.safeParse({ timeZone: 'UTC', weekly: {} }).success).toBe(true);
  });

  it('rejects an unknown time zone and offsets that are not IANA names', () => {
    expect(issues({ timeZone: 'Mars/Olympus_Mons', weekly: {} })).toEqual([{ path: ['timeZone'], message: 'Unknown time zone' }]);
    expect(issues({ timeZone: '+01:00', weekly: {} })[0]?.path).toEqual(['timeZone']);
    expect(issues({ timeZone: '', weekly: {} })[0]?.path).toEqual(['timeZone']);
  });

  it('rejects times outside 00:00-24:00 and intervals starting at 24:00', () => {
    expect(issues({ timeZone: 'UTC', weekly: { mon: [{ start: '25:00', end: '26:00' }] } }).map((i) => i.path)).toEqual([
      ['weekly', 'mon', 0, 'start'],
      ['weekly', 'mon', 0, 'end'],
    ]);
    expect(issues({ timeZone: 'UTC', weekly: { mon: [{ start: '09:60', end: '10:00' }] } })[0]?.path).toEqual(['weekly', 'mon', 0, 'start']);
    expect(issues({ timeZone: 'UTC', weekly: { mon: [{ start: '9:00', end: '10:00' }] } })[0]?.path).toEqual(['weekly', 'mon', 0, 'start']);
    expect(issues({ timeZone: 'UTC', weekly: { mon: [{ start: '24:00', end: '02:00' }] } })).toEqual([
      { path: ['weekly', 'mon', 0, 'start'], message: 'An interval cannot start at 24:00; use 00:00 of the next day' },
    ]);
  });

  it('rejects zero-length intervals and breaks', () => {
    expect(issues({ timeZone: 'UTC', weekly: { mon: [{ start: '09:00', end: '09:00' }] } })).toEqual([
      { path: ['weekly', 'mon', 0, 'end'], message: 'Zero-length interval 09:00-09:00' },
    ]);
    expect(issues({ timeZone: 'UTC', weekly: {}, breaks: [{ start: '12:00', end: '12:00' }] })).toEqual([
      { path: ['breaks', 0, 'end'], message: 'Zero-length break 12:00-12:00' },
    ]);
  });

  it('rejects overlapping intervals on the same day, once per offending interval', () => {
    expect(
      issues({ timeZone: 'UTC', weekly: { tue: [{ start: '09:00', end: '12:00' }, { start: '11:00', end: '13:00' }, { start: '08:00', end: '14:00' }] } }),
    ).toEqual([
      { path: ['weekly', 'tue', 1], message: 'Interval 11:00-13:00 overlaps 09:00-12:00 on tue' },
      { path: ['weekly', 'tue', 2], message: 'Interval 08:00-14:00 overlaps 09:00-12:00 on tue' },
    ]);
    // A night shift overlaps a later interval of the same day too.
    expect(issues({ timeZone: 'UTC', weekly: { tue: [{ start: '22:00', end: '06:00' }, { start: '23:00', end: '23:30' }] } })[0]?.path).toEqual(['weekly', 'tue', 1]);
  });

  it('rejects a night shift running into the next day’s first interval, Sunday into Monday included', () => {
    expect(issues({ timeZone: 'UTC', weekly: { mon: [{ start: '22:00', end: '06:00' }], tue: [{ start: '05:00', end: '09:00' }] } })).toEqual([
      { path: ['weekly', 'tue', 0], message: 'Interval 05:00-09:00 on tue overlaps 22:00-06:00 on mon (an interval ending past midnight runs into the next day)' },
    ]);
    expect(issues({ timeZone: 'UTC', weekly: { mon: [{ start: '05:00', end: '09:00' }], sun: [{ start: '22:00', end: '06:00' }] } })[0]?.path).toEqual([
      'weekly',
      'sun',
      0,
    ]);
    // Touching is not overlapping.
    expect(shiftScheduleSchema.safeParse({ timeZone: 'UTC', weekly: { mon: [{ start: '06:00', end: '09:00' }], sun: [{ start: '22:00', end: '06:00' }] } }).success).toBe(true);
  });

  it('rejects more than 8 intervals a day', () => {
    const nine = Array.from({ length: 9 }, (_, i) => ({ start: `0${i}:00`, end: `0${i}:30` }));
    expect(issues({ timeZone: 'UTC', weekly: { wed: nine } })[0]?.path).toEqual(['weekly', 'wed']);
    expect(shiftScheduleSchema.safeParse({ timeZone: 'UTC', weekly: { wed: nine.slice(0, 8) } }).success).toBe(true);
  });

  it('rejects unknown keys at every level', () => {
    expect(issues({ timeZone: 'UTC', weekly: {}, holidays: [] })).toEqual([{ path: [], message: 'Unrecognized key: "holidays"' }]);
    expect(issues({ timeZone: 'UTC', weekly: { monday: [] } })[0]?.path).toEqual(['weekly']);
    expect(issues({ timeZone: 'UTC', weekly: { mon: [{ start: '09:00', end: '10:00', label: 'x' }] } })[0]?.path).toEqual(['weekly', 'mon', 0]);
    expect(issues({ timeZone: 'UTC', weekly: {}, breaks: [{ start: '09:00', end: '10:00', paid: true }] })[0]?.path).toEqual(['breaks', 0]);
  });

  it('rejects unknown and repeated break days', () => {
    expect(issues({ timeZone: 'UTC', weekly: {}, breaks: [{ days: ['mon', 'funday'], start: '12:00', end: '13:00' }] })[0]?.path).toEqual(['breaks', 0, 'days', 1]);
    expect(issues({ timeZone: 'UTC', weekly: {}, breaks: [{ days: ['mon', 'mon'], start: '12:00', end: '13:00' }] })).toEqual([
      { path: ['breaks', 0, 'days'], message: 'Duplicate day' },
    ]);
  });
});

describe('shiftStatus', () => {
  describe('weekday shifts', () => {
    // 09:00-18:00 at UTC-3 is 12:00Z-21:00Z.
    const saoPaulo = schedule({ timeZone: 'America/Sao_Paulo', weekly: weekdays('09:00', '18:00') });

    it('America/Sao_Paulo: on shift from the first millisecond to the last', () => {
      expect(shiftStatus(saoPaulo, [], at('2026-03-02T11:59:59.999Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-02T12:00:00Z') });
      expect(shiftStatus(saoPaulo, [], at('2026-03-02T12:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-02T21:00:00Z') });
      expect(shiftStatus(saoPaulo, [], at('2026-03-02T20:59:59.999Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-02T21:00:00Z') });
      expect(shiftStatus(saoPaulo, [], at('2026-03-02T21:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-03T12:00:00Z') });
    });

    it('America/Sao_Paulo: off shift over the weekend until Monday', () => {
      expect(shiftStatus(saoPaulo, [], at('2026-03-06T21:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-09T12:00:00Z') });
      expect(shiftStatus(saoPaulo, [], at('2026-03-08T12:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-09T12:00:00Z') });
    });

    it('America/Bogota: the local day decides, not the UTC day', () => {
      const bogota = schedule({ timeZone: 'America/Bogota', weekly: { fri: [{ start: '20:00', end: '23:00' }] } });
      // Friday 6 March 22:00 in Bogota is Saturday 03:00Z.
      expect(shiftStatus(bogota, [], at('2026-03-07T03:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-07T04:00:00Z') });
      // Saturday 7 March 20:00-23:00Z is 15:00-18:00 local, Saturday: off.
      expect(shiftStatus(bogota, [], at('2026-03-07T21:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-14T01:00:00Z') });
    });

    it('Pacific/Auckland: Monday morning there is Sunday in UTC, at +13 in summer and +12 in winter', () => {
      const auckland = schedule({ timeZone: 'Pacific/Auckland', weekly: { mon: [{ start: '09:00', end: '17:00' }] } });
      expect(shiftStatus(auckland, [], at('2026-01-04T19:59:59Z')).reason).toBe('off_shift');
      expect(shiftStatus(auckland, [], at('2026-01-04T20:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-01-05T04:00:00Z') });
      expect(shiftStatus(auckland, [], at('2026-07-05T21:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-07-06T05:00:00Z') });
      expect(shiftStatus(auckland, [], at('2026-07-05T20:59:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-07-05T21:00:00Z') });
    });
  });

  describe('Europe/Madrid on the DST change days of 2026', () => {
    const madrid = schedule({ timeZone: 'Europe/Madrid', weekly: { sun: [{ start: '01:00', end: '04:00' }] } });

    it('a 01:00-04:00 shift lasts 2 real hours on 29 March (spring forward)', () => {
      const start = at('2026-03-29T00:00:00Z'); // 01:00 CET
      const status = shiftStatus(madrid, [], start);
      expect(status).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-29T02:00:00Z') }); // 04:00 CEST
      expect(status.until!.getTime() - start.getTime()).toBe(2 * HOUR);
      expect(shiftStatus(madrid, [], at('2026-03-29T01:59:59.999Z')).reason).toBe('on_shift');
      expect(shiftStatus(madrid, [], at('2026-03-29T02:00:00Z')).reason).toBe('off_shift');
    });

    it('the same shift lasts 4 real hours on 25 October (fall back), through both 02:00-03:00 hours', () => {
      const start = at('2026-10-24T23:00:00Z'); // 01:00 CEST
      const status = shiftStatus(madrid, [], start);
      expect(status).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-10-25T03:00:00Z') }); // 04:00 CET
      expect(status.until!.getTime() - start.getTime()).toBe(4 * HOUR);
      expect(shiftStatus(madrid, [], at('2026-10-25T00:30:00Z')).reason).toBe('on_shift'); // 02:30 CEST
      expect(shiftStatus(madrid, [], at('2026-10-25T01:30:00Z')).reason).toBe('on_shift'); // 02:30 CET
      expect(shiftStatus(madrid, [], at('2026-10-24T22:59:59Z'))).toEqual({ allowed: false, reason: 'off_shift', until: start });
    });

    it('a shift starting in the skipped hour starts when the clocks jump', () => {
      const gap = schedule({ timeZone: 'Europe/Madrid', weekly: { sun: [{ start: '02:30', end: '05:00' }] } });
      expect(shiftStatus(gap, [], at('2026-03-29T00:59:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-29T01:00:00Z') });
      expect(shiftStatus(gap, [], at('2026-03-29T01:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-29T03:00:00Z') });
    });

    it('a break in the repeated hour is taken the first time round', () => {
      const night = schedule({ timeZone: 'Europe/Madrid', weekly: { sun: [{ start: '00:00', end: '06:00' }] }, breaks: [{ start: '02:00', end: '02:30' }] });
      expect(shiftStatus(night, [], at('2026-10-25T00:10:00Z'))).toEqual({ allowed: false, reason: 'on_break', until: at('2026-10-25T00:30:00Z') }); // 02:10 CEST
      expect(shiftStatus(night, [], at('2026-10-25T01:10:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-10-25T05:00:00Z') }); // 02:10 CET
    });
  });

  describe('night shifts past midnight', () => {
    // Sunday 22:00 - Monday 06:00 at UTC-3: Monday 01:00Z - 09:00Z.
    const night = schedule({ timeZone: 'America/Sao_Paulo', weekly: { sun: [{ start: '22:00', end: '06:00' }] } });

    it('is on shift at Monday 05:59 and off at 06:00 local', () => {
      expect(shiftStatus(night, [], at('2026-03-02T08:59:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-02T09:00:00Z') });
      expect(shiftStatus(night, [], at('2026-03-02T09:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-09T01:00:00Z') });
    });

    it('starts on Sunday 22:00 local', () => {
      expect(shiftStatus(night, [], at('2026-03-02T00:59:59Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-02T01:00:00Z') });
      expect(shiftStatus(night, [], at('2026-03-02T01:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-02T09:00:00Z') });
    });

    it('runs on into a touching Monday interval as one shift', () => {
      const longer = schedule({ timeZone: 'America/Sao_Paulo', weekly: { sun: [{ start: '22:00', end: '06:00' }], mon: [{ start: '06:00', end: '10:00' }] } });
      expect(shiftStatus(longer, [], at('2026-03-02T08:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-02T13:00:00Z') });
    });
  });

  describe('breaks', () => {
    // 08:00-17:00 at UTC-5 is 13:00Z-22:00Z; lunch 12:00-13:00 is 17:00Z-18:00Z.
    const bogota = schedule({
      timeZone: 'America/Bogota',
      weekly: weekdays('08:00', '17:00'),
      breaks: [{ start: '12:00', end: '13:00' }, { days: ['fri'], start: '16:30', end: '18:00' }],
    });

    it('refuses access during a break and ends the shift state when the break starts', () => {
      expect(shiftStatus(bogota, [], at('2026-03-02T16:59:59Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-02T17:00:00Z') });
      expect(shiftStatus(bogota, [], at('2026-03-02T17:00:00Z'))).toEqual({ allowed: false, reason: 'on_break', until: at('2026-03-02T18:00:00Z') });
      expect(shiftStatus(bogota, [], at('2026-03-02T18:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: at('2026-03-02T22:00:00Z') });
    });

    it('applies a day-restricted break on its days only, and ends it with the shift', () => {
      expect(shiftStatus(bogota, [], at('2026-03-02T21:45:00Z')).reason).toBe('on_shift'); // Monday 16:45
      expect(shiftStatus(bogota, [], at('2026-03-06T21:45:00Z'))).toEqual({ allowed: false, reason: 'on_break', until: at('2026-03-06T22:00:00Z') }); // Friday 16:45
      expect(shiftStatus(bogota, [], at('2026-03-06T22:30:00Z')).reason).toBe('off_shift');
    });

    it('a break outside every shift changes nothing', () => {
      const weekendBreak = schedule({ timeZone: 'UTC', weekly: { mon: [{ start: '09:00', end: '17:00' }] }, breaks: [{ days: ['sat'], start: '10:00', end: '11:00' }] });
      expect(shiftStatus(weekendBreak, [], at('2026-03-07T10:30:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-09T09:00:00Z') });
    });
  });

  describe('overtime exceptions', () => {
    const saoPaulo = schedule({ timeZone: 'America/Sao_Paulo', weekly: weekdays('09:00', '18:00'), breaks: [{ start: '12:00', end: '13:00' }] });

    it('allow access off shift until the exception ends (end exclusive)', () => {
      const extra = [overtime('2026-03-02T21:00:00Z', '2026-03-02T23:00:00Z')];
      expect(shiftStatus(saoPaulo, extra, at('2026-03-02T22:00:00Z'))).toEqual({ allowed: true, reason: 'overtime', until: at('2026-03-02T23:00:00Z') });
      expect(shiftStatus(saoPaulo, extra, at('2026-03-02T23:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-03T12:00:00Z') });
    });

    it('allow access during a break', () => {
      const extra = [overtime('2026-03-02T15:00:00Z', '2026-03-02T15:30:00Z')];
      expect(shiftStatus(saoPaulo, extra, at('2026-03-02T15:10:00Z'))).toEqual({ allowed: true, reason: 'overtime', until: at('2026-03-02T15:30:00Z') });
      expect(shiftStatus(saoPaulo, extra, at('2026-03-02T15:30:00Z'))).toEqual({ allowed: false, reason: 'on_break', until: at('2026-03-02T16:00:00Z') });
    });

    it('run together when they touch or overlap, however long', () => {
      const extra = [overtime('2026-03-07T00:00:00Z', '2026-03-07T02:00:00Z'), overtime('2026-03-07T02:00:00Z', '2026-03-20T00:00:00Z'), overtime('2026-03-10T00:00:00Z', '2026-03-25T00:00:00Z')];
      expect(shiftStatus(saoPaulo, extra, at('2026-03-07T01:00:00Z'))).toEqual({ allowed: true, reason: 'overtime', until: at('2026-03-25T00:00:00Z') });
    });

    it('end the off-shift state when one starts later', () => {
      const extra = [overtime('2026-03-02T23:00:00Z', '2026-03-03T01:00:00Z')];
      expect(shiftStatus(saoPaulo, extra, at('2026-03-02T22:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-02T23:00:00Z') });
    });

    it('apply without a schedule, so callers that require schedules still honour them', () => {
      const extra = [overtime('2026-03-02T00:00:00Z', '2026-03-02T02:00:00Z')];
      expect(shiftStatus(null, extra, at('2026-03-02T01:00:00Z'))).toEqual({ allowed: true, reason: 'overtime', until: at('2026-03-02T02:00:00Z') });
      expect(shiftStatus(null, extra, at('2026-03-02T02:00:00Z'))).toEqual({ allowed: true, reason: 'no_schedule', until: null });
    });

    it('cover nothing when empty, reversed or invalid', () => {
      const bad = [
        overtime('2026-03-02T22:00:00Z', '2026-03-02T22:00:00Z'),
        overtime('2026-03-02T23:00:00Z', '2026-03-02T21:00:00Z'),
        { from: new Date(Number.NaN), until: at('2026-03-03T00:00:00Z'), kind: 'overtime' as const },
      ];
      expect(shiftStatus(saoPaulo, bad, at('2026-03-02T22:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: at('2026-03-03T12:00:00Z') });
    });
  });

  describe('until', () => {
    it('is null when the state does not change within the look-ahead', () => {
      const always = schedule({ timeZone: 'UTC', weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start: '00:00', end: '24:00' }]])) });
      expect(shiftStatus(always, [], at('2026-03-02T12:00:00Z'))).toEqual({ allowed: true, reason: 'on_shift', until: null });
      const never = schedule({ timeZone: 'UTC', weekly: {} });
      expect(shiftStatus(never, [], at('2026-03-02T12:00:00Z'))).toEqual({ allowed: false, reason: 'off_shift', until: null });
    });

    it('finds a shift a week away', () => {
      const monday = schedule({ timeZone: 'UTC', weekly: { mon: [{ start: '09:00', end: '10:00' }] } });
      expect(shiftStatus(monday, [], at('2026-03-02T10:00:00Z')).until).toEqual(at('2026-03-09T09:00:00Z'));
    });
  });

  it('allows access without a schedule (the caller decides whether one is required)', () => {
    expect(shiftStatus(null, [], at('2026-03-02T12:00:00Z'))).toEqual({ allowed: true, reason: 'no_schedule', until: null });
  });

  it('refuses an invalid `now` as a caller mistake', () => {
    expect(() => shiftStatus(null, [], new Date(Number.NaN))).toThrow(TypeError);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkDocument, mrzCheckDigit, normalizeDocument, parseMrz } from '../../src/documents/index.js';
import { icaoCheckDigit, singleDigitAlterations } from './helpers.js';

interface Vector {
  part: string;
  format: 'TD1' | 'TD2' | 'TD3';
  lines: string[];
  documentCode: string;
  issuingState: string;
  documentNumber: string;
  nationality: string;
  birthDate: string;
  sex: string;
  expiryDate: string;
  optionalData: string;
  surname: string;
  givenNames: string;
}
const { vectors } = JSON.parse(readFileSync(new URL('../vectors/icao9303-mrz.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

/** Before the specimens' 2012 expiry. */
const BEFORE_EXPIRY = new Date('2011-06-01T00:00:00Z');

describe('ICAO Doc 9303 specimens (test/vectors/icao9303-mrz.json)', () => {
  it.each(vectors)('$part: every check digit passes and the fields are read', (v) => {
    const mrz = parseMrz(v.lines, { now: BEFORE_EXPIRY });
    expect(mrz.reasons).toEqual([]);
    expect(mrz.valid).toBe(true);
    expect(mrz).toMatchObject({
      format: v.format,
      documentCode: v.documentCode,
      issuingState: v.issuingState,
      issuingCountry: 'XX',
      documentNumber: v.documentNumber,
      nationality: v.nationality,
      birthDate: v.birthDate,
      sex: v.sex,
      expiryDate: v.expiryDate,
      optionalData: v.optionalData,
      surname: v.surname,
      givenNames: v.givenNames,
    });
    expect(Object.values(mrz.checks).every((c) => c === true)).toBe(true);
    expect(mrz.checks.optionalData !== undefined).toBe(v.format === 'TD3');
  });

  it.each(vectors)('$part: read from one string, with line breaks or without', (v) => {
    expect(parseMrz(v.lines.join('\r\n'), { now: BEFORE_EXPIRY }).valid).toBe(true);
    expect(parseMrz(v.lines.join(''), { now: BEFORE_EXPIRY }).valid).toBe(true);
    expect(parseMrz(v.lines.map((l) => ` ${l.toLowerCase()} `), { now: BEFORE_EXPIRY }).valid).toBe(true);
  });

  it.each(vectors)('$part: expired after 15 April 2012 (valid through its expiry day)', (v) => {
    expect(parseMrz(v.lines, { now: new Date('2012-04-15T23:59:59Z') }).valid).toBe(true);
    const later = parseMrz(v.lines, { now: new Date('2012-04-16T00:00:00Z') });
    expect(later.valid).toBe(false);
    expect(later.reasons).toEqual(['expired']);
    expect(checkDocument('mrz', v.lines.join('\n'), { now: new Date('2026-01-01') })).toEqual({ valid: false, type: 'mrz', reason: 'expired' });
  });

  it.each(vectors)('$part: every single-digit alteration fails a check digit (weights 7,3,1 are prime to 10)', (v) => {
    const joined = v.lines.join('\n');
    const nameLine = v.format === 'TD1' ? 2 : 0;
    const positions: number[] = [];
    let offset = 0;
    v.lines.forEach((line, index) => {
      if (index !== nameLine && !(v.format !== 'TD1' && index === 0)) {
        for (let i = 0; i < line.length; i++) positions.push(offset + i);
      }
      offset += line.length + 1;
    });
    let tried = 0;
    for (const { value } of singleDigitAlterations(joined, positions)) {
      const mrz = parseMrz(value, { now: BEFORE_EXPIRY });
      expect(mrz.valid, value).toBe(false);
      tried++;
    }
    expect(tried).toBeGreaterThan(100);
  });
});

describe('MRZ check digit', () => {
  it('matches the Doc 9303 Part 3 worked examples and an independent table computation', () => {
    expect(mrzCheckDigit('L898902C3')).toBe(6);
    expect(mrzCheckDigit('740812')).toBe(2);
    expect(mrzCheckDigit('120415')).toBe(9);
    expect(mrzCheckDigit('ZE184226B<<<<<')).toBe(1);
    for (const data of ['D23145890', 'ABCDEF<<<123', '<<<<<<', 'Z9Y8X7W6V5']) {
      expect(String(mrzCheckDigit(data))).toBe(icaoCheckDigit(data));
    }
  });
});

describe('MRZ dates and failures', () => {
  const td3 = vectors.find((v) => v.format === 'TD3') as Vector;
  function withLine2(line2: string): string[] {
    return [td3.lines[0] as string, line2];
  }
  function rebuild(birth: string, expiry: string): string[] {
    const docField = 'L898902C36';
    const nat = 'UTO';
    const personal = 'ZE184226B<<<<<';
    const b = birth + icaoCheckDigit(birth);
    const e = expiry + icaoCheckDigit(expiry);
    const pcd = icaoCheckDigit(personal);
    const composite = icaoCheckDigit(docField + b + e + personal + pcd);
    return withLine2(`${docField}${nat}${b}F${e}${personal}${pcd}${composite}`);
  }

  it('rebuilding the specimen with the independent check digits gives the printed line', () => {
    expect(rebuild('740812', '120415')).toEqual(td3.lines);
  });

  it('puts a birth date in the last 100 years, never after now', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    expect(parseMrz(rebuild('250101', '300101'), { now }).birthDate).toBe('2025-01-01');
    expect(parseMrz(rebuild('260302', '300101'), { now }).birthDate).toBe('1926-03-02');
    expect(parseMrz(rebuild('260301', '300101'), { now }).birthDate).toBe('2026-03-01');
  });

  it('puts an expiry date within 50 years of now', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    expect(parseMrz(rebuild('800101', '751231'), { now }).expiryDate).toBe('2075-12-31');
    expect(parseMrz(rebuild('800101', '770101'), { now }).expiryDate).toBe('1977-01-01');
    expect(parseMrz(rebuild('800101', '360101'), { now }).valid).toBe(true);
  });

  it('an impossible date fails as date even with correct check digits', () => {
    const mrz = parseMrz(rebuild('740230', '360101'), { now: new Date('2026-01-01') });
    expect(mrz.reasons).toEqual(['birth_date']);
    expect(checkDocument('mrz', rebuild('740230', '360101').join('\n'), { now: new Date('2026-01-01') })).toMatchObject({ reason: 'date' });
    expect(parseMrz(rebuild('740812', '361301'), { now: new Date('2026-01-01') }).reasons).toEqual(['expiry_date']);
  });

  it('lists each failed check digit', () => {
    const line2 = td3.lines[1] as string;
    const bad = line2.slice(0, 9) + '7' + line2.slice(10);
    const mrz = parseMrz(withLine2(bad), { now: BEFORE_EXPIRY });
    expect(mrz.reasons).toEqual(['document_number_check', 'composite_check']);
    expect(mrz.checks).toMatchObject({ documentNumber: false, birthDate: true, expiryDate: true, optionalData: true, composite: false });
  });

  it('refuses wrong line lengths, unknown characters and oversized input without parsing', () => {
    expect(parseMrz([td3.lines[0] as string, (td3.lines[1] as string).slice(1)]).reasons).toEqual(['length']);
    expect(parseMrz([td3.lines[0] as string, (td3.lines[1] as string).replace('<', '*')]).reasons).toEqual(['format']);
    expect(parseMrz('P<UTO'.repeat(100)).reasons).toEqual(['length']);
    expect(checkDocument('mrz', 'not an mrz')).toEqual({ valid: false, type: 'mrz', reason: 'length' });
    expect(normalizeDocument('mrz', 'not an mrz')).toBeNull();
  });

  it('reports the issuing country as ISO alpha-2 when the state has one (D is Germany)', () => {
    const line1 = (td3.lines[0] as string).replace('UTO', 'D<<');
    const mrz = parseMrz([line1, td3.lines[1] as string], { now: BEFORE_EXPIRY });
    expect(mrz.issuingCountry).toBe('DE');
    expect(checkDocument('mrz', [line1, td3.lines[1]].join('\n'), { now: BEFORE_EXPIRY })).toEqual({
      valid: true,
      type: 'mrz',
      normalized: `${line1}\n${td3.lines[1]}`,
      country: 'DE',
    });
    const esp = parseMrz([(td3.lines[0] as string).replace('UTO', 'ESP'), td3.lines[1] as string], { now: BEFORE_EXPIRY });
    expect(esp.issuingCountry).toBe('ES');
  });

  it('reads a TD1 document number longer than 9 characters from its extension (Part 5 note j)', () => {
    const number = 'D23145890123';
    const extension = number.slice(9) + icaoCheckDigit(number);
    const line1 = `I<UTO${number.slice(0, 9)}<${extension}<`.padEnd(30, '<');
    const line2head = '7408122F1204159UTO';
    const optional2 = '<<<<<<<<<<<';
    const composite = icaoCheckDigit(line1.slice(5, 30) + line2head.slice(0, 7) + line2head.slice(8, 15) + optional2);
    const mrz = parseMrz([line1, `${line2head}${optional2}${composite}`, 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'], { now: BEFORE_EXPIRY });
    expect(mrz.reasons).toEqual([]);
    expect(mrz.documentNumber).toBe(number);
  });
});

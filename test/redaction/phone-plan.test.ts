/**
 * src/redaction/detectors/phone-plan.ts answers "is this a valid phone number?" from
 * libphonenumber-js's metadata without the library's per-call cost, and reads parts of that
 * metadata that are not in the library's type declarations. So it must agree with the library
 * itself wherever it answers: checked here on numbers built around each country's example
 * numbers (valid ones and near misses) and on random digits, national for every country the
 * detector tries and international for calling codes across the plan. An upgrade of
 * libphonenumber-js that changes what this module relies on fails here.
 */
import { type CountryCode, getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { internationalValid, nationalValid } from '../../src/redaction/detectors/phone-plan.js';
import { seededRandom } from '../../src/platform/seeded-random.js';

const DETECTOR_COUNTRIES: readonly CountryCode[] = ['ES', 'PT', 'BR', 'MX', 'CO', 'AR', 'CL', 'PE', 'US'];
// Calling codes beyond the detector's countries, shared ones (+1, +7, +44) and non-geographic ones included.
const MORE_COUNTRIES: readonly CountryCode[] = ['GB', 'FR', 'DE', 'IT', 'CA', 'PR', 'RU', 'KZ', 'IN', 'CN', 'JP', 'AU', 'NZ', 'ZA', 'NG', 'EG', 'MA', 'UY', 'PY', 'BO', 'EC', 'VE', 'GT', 'CR', 'PA', 'DO', 'CU', 'GG', 'JE', 'IM'];

const random = seededRandom(20261123);
const digit = () => String(Math.floor(random() * 10));
const digits = (n: number) => Array.from({ length: n }, digit).join('');

/** The example number, with its last `k` digits replaced at random (k = 0: the example itself). */
function nearExample(country: CountryCode, k: number): string {
  const national = getExampleNumber(country, examples)?.nationalNumber ?? digits(9);
  return national.slice(0, national.length - k) + digits(Math.min(k, national.length));
}

interface Tally {
  modelled: number;
  valid: number;
  invalid: number;
}

function checkNational(country: CountryCode, candidate: string, tally: Tally): void {
  const ours = nationalValid(candidate, country);
  if (ours === undefined) return;
  const library = parsePhoneNumberFromString(candidate, country)?.isValid() === true;
  expect(ours, `${country} ${candidate}`).toBe(library);
  tally.modelled += 1;
  if (library) tally.valid += 1;
  else tally.invalid += 1;
}

function checkInternational(e164: string, tally: Tally): void {
  const ours = internationalValid(e164);
  if (ours === undefined) return;
  const library = parsePhoneNumberFromString(`+${e164}`)?.isValid() === true;
  expect(ours, `+${e164}`).toBe(library);
  tally.modelled += 1;
  if (library) tally.valid += 1;
  else tally.invalid += 1;
}

describe('phone-plan agrees with libphonenumber-js', () => {
  it('on national numbers of every country the detector tries', () => {
    for (const country of DETECTOR_COUNTRIES) {
      const tally: Tally = { modelled: 0, valid: 0, invalid: 0 };
      for (let i = 0; i < 1_500; i += 1) {
        checkNational(country, nearExample(country, i % 7), tally);
        checkNational(country, digits(8 + (i % 6)), tally);
        // The national prefix and trunk forms the library strips or keeps.
        checkNational(country, `0${nearExample(country, 1 + (i % 4))}`, tally);
        // International numbers written without their +, which the library may read as such
        // ("1 212 555 0123", "34 612 345 678"), with and without a trunk digit after the code.
        const code = getCountryCallingCode(country);
        checkNational(country, `${code}${nearExample(country, i % 5)}`, tally);
        checkNational(country, `${code}0${nearExample(country, 1 + (i % 3))}`, tally);
        checkNational(country, `${code}${digits(6 + (i % 7))}`, tally);
        checkNational(country, `1${nearExample(country, i % 4)}`, tally);
      }
      // It answers most of them itself (or it would not be worth having), valid and invalid alike.
      expect(tally.modelled, country).toBeGreaterThan(4_000);
      expect(tally.valid, country).toBeGreaterThan(100);
      expect(tally.invalid, country).toBeGreaterThan(100);
    }
  });

  it('on international numbers across calling codes', () => {
    const tally: Tally = { modelled: 0, valid: 0, invalid: 0 };
    for (const country of [...DETECTOR_COUNTRIES, ...MORE_COUNTRIES]) {
      const code = getCountryCallingCode(country);
      for (let i = 0; i < 300; i += 1) {
        checkInternational(`${code}${nearExample(country, i % 6)}`, tally);
        checkInternational(`${code}${digits(6 + (i % 8))}`, tally);
      }
    }
    for (let i = 0; i < 5_000; i += 1) checkInternational(`${1 + Math.floor(random() * 9)}${digits(7 + (i % 8))}`, tally);
    expect(tally.modelled).toBeGreaterThan(10_000);
    expect(tally.valid).toBeGreaterThan(1_000);
    expect(tally.invalid).toBeGreaterThan(1_000);
  });
});

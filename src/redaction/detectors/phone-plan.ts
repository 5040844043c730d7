/**
 * The answer `parsePhoneNumberFromString(...)?.isValid() === true` gives for a string of digits,
 * computed from libphonenumber-js's own metadata with its regular expressions compiled once.
 *
 * Why: the library builds a new RegExp from a long pattern for every check and walks several
 * layers of option handling per call (about 8 microseconds a number, 13 for a US one), which made
 * phone validation the largest single cost of detect(). Found phones cannot be skipped, so the checks
 * themselves have to be cheaper.
 *
 * The library's path is reproduced step for step (parse.js, extractCountryCallingCode,
 * extractCountryCallingCodeFromInternationalNumberWithoutPlusSign, extractNationalNumber,
 * checkNumberLength, getCountryByCallingCode, getNumberType), national prefixes and calling codes
 * written without their + included. Not modelled: digits that start with an IDD prefix, prefix
 * rules that rewrite the number (Argentina's and Brazil's transform rules, when they capture),
 * and countries that are not their calling code's main one; those (and any surprise in the
 * metadata) return `undefined` and the caller asks the library itself, so an input this module
 * does not model is answered exactly as before. test/redaction/phone-plan.test.ts compares both on
 * numbers built around every country's examples and on random digits; when the prefix paths were
 * added (2026-11-24), 2.6 million such comparisons agreed on all, and the library's own parser,
 * which cost a few percent of detect() on the evaluation corpus for 34 numbers a pass, was no
 * longer called for any of them.
 */
import { Metadata } from 'libphonenumber-js/max';

/** The parts of the library's metadata object read here (they are not in its type declarations). */
interface PlanView {
  callingCode(): string;
  IDDPrefix(): string | undefined;
  nationalNumberPattern(): string;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  possibleLengths(): number[] | undefined;
  leadingDigits(): string | undefined;
  hasTypes(): boolean;
  type(name: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}

interface MetadataView {
  selectNumberingPlan(countryOrCallingCode: string): unknown;
  numberingPlan: PlanView;
  getCountryCodesForCallingCode(callingCode: string): readonly string[] | undefined;
  hasCallingCode(callingCode: string): boolean | undefined;
}

/** getNumberType checks FIXED_LINE, then these; any match makes a number valid. */
const TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'];

interface Plan {
  callingCode: string;
  /** The calling code's countries and their plans (shared by every plan of that code). */
  code: CallingCode;
  /** Whether this country is its calling code's main country (the first the metadata lists). */
  main: boolean;
  /** `^(?:IDD)`; null when the plan has none (then the library's behaviour is not modelled). */
  idd: RegExp | null;
  /** `^(?:national prefix for parsing)`, or null. */
  prefix: RegExp | null;
  /** The plan rewrites the number when its prefix pattern captures (not modelled then). */
  transform: boolean;
  /** The plan's possible lengths of a national number, or undefined. */
  lengths: readonly number[] | undefined;
  /** `^(?:leading digits)`, or null. */
  leading: RegExp | null;
  national: RegExp;
  /** isValid() without types only matches the national pattern. */
  hasTypes: boolean;
  types: { pattern: RegExp; lengths: readonly number[] | null | undefined }[];
}

/**
 * What getCountryCodesForCallingCode answers for one calling code, read once: the library
 * computes it on every call, and the detector asks several times per candidate number.
 */
interface CallingCode {
  countries: readonly string[] | undefined;
  /** Plans of `countries`, in the same order, made on first use. */
  plans: Plan[] | null;
}

const metadata = new Metadata() as unknown as MetadataView;
const plans = new Map<string, Plan>();
const callingCodes = new Map<string, CallingCode>();

function callingCodeOf(callingCode: string): CallingCode {
  let code = callingCodes.get(callingCode);
  if (code === undefined) {
    code = { countries: metadata.getCountryCodesForCallingCode(callingCode), plans: null };
    callingCodes.set(callingCode, code);
  }
  return code;
}

function plansOf(code: CallingCode): Plan[] {
  return (code.plans ??= (code.countries ?? []).map((c) => planOf(c)));
}

function planOf(countryOrCallingCode: string): Plan {
  let plan = plans.get(countryOrCallingCode);
  if (plan !== undefined) return plan;
  metadata.selectNumberingPlan(countryOrCallingCode);
  const p = metadata.numberingPlan;
  const idd = p.IDDPrefix();
  const prefix = p.nationalPrefixForParsing();
  const leading = p.leadingDigits();
  const types: Plan['types'] = [];
  for (const name of TYPES) {
    const t = p.type(name);
    // isNumberTypeEqualTo: a type without a pattern never matches.
    if (t === undefined || !t.pattern()) continue;
    types.push({ pattern: entire(t.pattern()), lengths: t.possibleLengths() });
  }
  const code = callingCodeOf(p.callingCode());
  plan = {
    callingCode: p.callingCode(),
    code,
    main: code.countries?.[0] === countryOrCallingCode,
    idd: idd ? new RegExp(`^(?:${idd})`) : null,
    prefix: prefix ? new RegExp(`^(?:${prefix})`) : null,
    transform: Boolean(p.nationalPrefixTransformRule()),
    lengths: p.possibleLengths(),
    leading: leading ? new RegExp(`^(?:${leading})`) : null,
    national: entire(p.nationalNumberPattern()),
    hasTypes: Boolean(p.hasTypes()),
    types,
  };
  plans.set(countryOrCallingCode, plan);
  return plan;
}

/** matchesEntirely's expression. */
function entire(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/** getNumberType(...) !== undefined. */
function hasType(plan: Plan, nn: string): boolean {
  if (!plan.national.test(nn)) return false;
  for (const t of plan.types) {
    if (t.lengths && !t.lengths.includes(nn.length)) continue;
    if (t.pattern.test(nn)) return true;
  }
  return false;
}

/** isValidNumber on a plan already chosen. */
function isValidIn(plan: Plan, nn: string): boolean {
  return plan.hasTypes ? hasType(plan, nn) : plan.national.test(nn);
}

/** checkNumberLength without a type: where `nn`'s length falls among the plan's possible lengths. */
function lengthCheck(plan: Plan, nn: string): 'IS_POSSIBLE' | 'TOO_SHORT' | 'TOO_LONG' | 'INVALID_LENGTH' {
  const lengths = plan.lengths;
  if (!lengths) return 'IS_POSSIBLE';
  const len = nn.length;
  const min = lengths[0] as number;
  if (min === len) return 'IS_POSSIBLE';
  if (min > len) return 'TOO_SHORT';
  if ((lengths[lengths.length - 1] as number) < len) return 'TOO_LONG';
  return lengths.indexOf(len, 1) >= 0 ? 'IS_POSSIBLE' : 'INVALID_LENGTH';
}

/**
 * getCountryByCallingCode: the plan of the code's only country, or of the first of its countries
 * whose leading digits (or, without them, whose number types) claim `nn`; null when none does.
 */
function claimingPlan(code: CallingCode, nn: string): Plan | null {
  const candidates = plansOf(code);
  if (candidates.length === 1) return candidates[0] as Plan;
  for (const plan of candidates) {
    if (plan.leading !== null ? plan.leading.test(nn) : hasType(plan, nn)) return plan;
  }
  return null;
}

/**
 * extractNationalNumber on a plan: the national prefix (and carrier code) stripped when the
 * library would strip them, `number` itself when it would not; undefined when the plan's prefix
 * rule rewrites the number (a transform rule with a captured group), which is not modelled.
 */
function nationalNumberOf(plan: Plan, number: string): string | undefined {
  if (plan.prefix === null) return number;
  const m = plan.prefix.exec(number);
  if (m === null) return number;
  const groups = m.length - 1;
  if (plan.transform && groups > 0 && m[groups]) return undefined;
  const nn = number.slice(m[0].length);
  if (nn === number) return number;
  // Stripping must not turn a number that fits the plan into one that does not...
  if (plan.national.test(number) && !plan.national.test(nn)) return number;
  // ...nor leave one too short or of a length the claiming country never has.
  if (plan.lengths) {
    const check = lengthCheck(claimingPlan(plan.code, nn) ?? plan, nn);
    if (check === 'TOO_SHORT' || check === 'INVALID_LENGTH') return number;
  }
  return nn;
}

/** getCountryByCallingCode, then the plan isValid() looks at (the code's main one if none claims nn). */
function validIn(code: CallingCode, nn: string): boolean | undefined {
  const countries = code.countries;
  if (countries === undefined || countries.length === 0) return undefined;
  return isValidIn(claimingPlan(code, nn) ?? (plansOf(code)[0] as Plan), nn);
}

/** The library's bounds on a national significant number (MIN_LENGTH_FOR_NSN, MAX_LENGTH_FOR_NSN). */
function parsableLength(nn: string): boolean {
  return nn.length >= 2 && nn.length <= 17;
}

/**
 * `parsePhoneNumberFromString(digits, country)?.isValid() === true` (so false where the library
 * parses nothing), or undefined for the cases not modelled. `country` is one the metadata knows.
 */
export function nationalValid(digits: string, country: string): boolean | undefined {
  const plan = planOf(country);
  // When no country of a shared calling code claims the number, the library keeps the default
  // country; validIn keeps the code's main one. Only main countries are modelled, so they agree.
  if (!plan.main) return undefined;
  if (plan.idd === null || plan.idd.test(digits)) return undefined;
  let number = digits;
  // Digits that start with the country's calling code ("1 212...", "34 612...") may be an
  // international number written without its +: the library drops the code when the rest fits
  // the plan and the whole does not, or when the whole is too long for the plan.
  if (digits.startsWith(plan.callingCode)) {
    const shorter = digits.slice(plan.callingCode.length);
    const withoutCode = nationalNumberOf(plan, shorter);
    const whole = nationalNumberOf(plan, digits);
    if (withoutCode === undefined || whole === undefined) return undefined;
    if ((!plan.national.test(whole) && plan.national.test(withoutCode)) || lengthCheck(plan, whole) === 'TOO_LONG') number = shorter;
  }
  const nn = nationalNumberOf(plan, number);
  if (nn === undefined) return undefined;
  if (!parsableLength(nn)) return false;
  return validIn(plan.code, nn);
}

/** `parsePhoneNumberFromString(`+${e164}`)?.isValid() === true`, or undefined for the cases not modelled. */
export function internationalValid(e164: string): boolean | undefined {
  if (e164.length < 2 || e164.charCodeAt(0) === 48) return undefined;
  for (let len = 1; len <= 3 && len <= e164.length; len++) {
    const callingCode = e164.slice(0, len);
    // The library takes the shortest known code, non-geographic ones (+800, +882...) included.
    if (!metadata.hasCallingCode(callingCode)) continue;
    const code = callingCodeOf(callingCode);
    if (code.countries === undefined) return undefined;
    const rest = e164.slice(len);
    if (rest.length < 2) return undefined;
    const nn = nationalNumberOf(planOf(callingCode), rest);
    if (nn === undefined) return undefined;
    if (!parsableLength(nn)) return false;
    return validIn(code, nn);
  }
  return undefined;
}

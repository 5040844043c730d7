/**
 * The answer `parsePhoneNumberFromString(...)?.isValid()` gives for a string of digits, computed
 * from libphonenumber-js's own metadata with its regular expressions compiled once.
 *
 * Why: the library builds a new RegExp from a long pattern for every check and walks several
 * layers of option handling per call (about 8 microseconds a number, 13 for a US one), which made
 * phone validation the largest single cost of detect(). Found phones cannot be skipped, so the checks
 * themselves have to be cheaper.
 *
 * Only the library's common path is reproduced, step for step (parse.js, extractCountryCallingCode,
 * extractNationalNumber, getCountryByCallingCode, getNumberType): digits that are not an IDD
 * prefix, not the country's calling code, and that no national prefix would be stripped from.
 * Everything else (and any surprise in the metadata) returns `undefined` and the caller asks the
 * library itself, so an input this module does not model is answered exactly as before. When this
 * was written, both were compared on millions of random digit strings (national ones for every
 * country the detector tries, international ones for every calling code) and agreed on all.
 */
import { Metadata } from 'libphonenumber-js/max';

/** The parts of the library's metadata object read here (they are not in its type declarations). */
interface PlanView {
  callingCode(): string;
  IDDPrefix(): string | undefined;
  nationalNumberPattern(): string;
  nationalPrefixForParsing(): string | undefined;
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

/**
 * Whether extractNationalNumber would leave `digits` as they are: the national prefix pattern
 * does not match, or matches nothing and captures nothing.
 */
function keepsDigits(plan: Plan, digits: string): boolean {
  if (plan.prefix === null) return true;
  const m = plan.prefix.exec(digits);
  if (m === null) return true;
  return m[0] === '' && !(m.length > 1 && m[m.length - 1]);
}

/** getCountryByCallingCode, then the plan isValid() looks at. */
function validIn(code: CallingCode, nn: string): boolean | undefined {
  const countries = code.countries;
  if (countries === undefined || countries.length === 0) return undefined;
  const candidates = plansOf(code);
  let exact = candidates[0] as Plan;
  if (candidates.length > 1) {
    for (const plan of candidates) {
      if (plan.leading !== null ? plan.leading.test(nn) : hasType(plan, nn)) {
        exact = plan;
        break;
      }
    }
  }
  return isValidIn(exact, nn);
}

/** parsePhoneNumberFromString(digits, country)?.isValid(), or undefined for the cases not modelled. */
export function nationalValid(digits: string, country: string): boolean | undefined {
  const plan = planOf(country);
  // When no country of a shared calling code claims the number, the library keeps the default
  // country; validIn keeps the code's main one. Only main countries are modelled, so they agree.
  if (!plan.main) return undefined;
  if (plan.idd === null || plan.idd.test(digits)) return undefined;
  if (digits.startsWith(plan.callingCode)) return undefined;
  if (!keepsDigits(plan, digits)) return undefined;
  return validIn(plan.code, digits);
}

/** parsePhoneNumberFromString(`+${e164}`)?.isValid(), or undefined for the cases not modelled. */
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
    if (!keepsDigits(planOf(callingCode), rest)) return undefined;
    return validIn(code, rest);
  }
  return undefined;
}

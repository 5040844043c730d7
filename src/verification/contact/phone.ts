/**
 * Phone validity and type with libphonenumber-js's complete metadata: `MOBILE`, `FIXED_LINE`,
 * `FIXED_LINE_OR_MOBILE`, `VOIP`, `TOLL_FREE`, `PREMIUM_RATE`... A VoIP or premium-rate number
 * on file is a weaker anchor for a code than a mobile line.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

export interface PhoneCheck {
  readonly valid: boolean;
  /** libphonenumber-js's type, or null when invalid or not determinable. */
  readonly type: string | null;
  readonly country: string | null;
}

export function checkPhone(input: string, defaultCountry?: CountryCode): PhoneCheck {
  if (input.length > 64) return { valid: false, type: null, country: null };
  const parsed = parsePhoneNumberFromString(input, defaultCountry);
  if (parsed === undefined || !parsed.isValid()) return { valid: false, type: null, country: null };
  return { valid: true, type: parsed.getType() ?? null, country: parsed.country ?? null };
}

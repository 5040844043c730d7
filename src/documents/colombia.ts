/**
 * Colombia: NIT (Número de Identificación Tributaria) with its DIAN verification digit (DV).
 *
 * The digits before the DV, from the right, are weighted 3, 7, 13, 17, 19, 23, 29, 37, 41, 43,
 * 47, 53, 59, 67, 71; r = sum mod 11; DV = r when r is 0 or 1, else 11 - r (the DIAN's
 * rule for the DV printed on the RUT, as documented by python-stdnum `co.nit`). Companies have a 9-digit base; persons use their cédula (6 to 10 digits), so the
 * base is accepted from 7 to 15 digits (8 to 16 with the DV, as python-stdnum does).
 *
 * Remainders 1 and 10 both give DV 1, so unlike the other rules here a single changed digit is
 * not always detected.
 */
import type { DocumentInvalidReason } from './types.js';
import { digitAt } from './normalize.js';

const NIT_WEIGHTS = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71] as const;
const NIT_FORMAT = /^[0-9]{8,16}$/;

export function nitCheckDigit(base: string): number {
  let sum = 0;
  for (let i = 0; i < base.length; i++) sum += digitAt(base, base.length - 1 - i) * (NIT_WEIGHTS[i] as number);
  const r = sum % 11;
  return r < 2 ? r : 11 - r;
}

export function nitRule(s: string): DocumentInvalidReason | null {
  if (!NIT_FORMAT.test(s)) return /^[0-9]+$/.test(s) ? 'length' : 'format';
  return nitCheckDigit(s.slice(0, -1)) === digitAt(s, s.length - 1) ? null : 'check_digit';
}

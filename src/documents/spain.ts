/**
 * Spain: DNI (8 digits + control letter) and NIE (X, Y or Z + 7 digits + control letter).
 *
 * The letter is the number modulo 23 looked up in TRWAGMYFPDXBNJZSQVHLCKE; for a NIE the
 * leading X, Y, Z count as 0, 1, 2 (Ministerio del Interior, "Cálculo del dígito de control del
 * NIF/NIE"; Real Decreto 1553/2005, art. 11). Worked example given there: 12345678 -> Z.
 * I, Ñ, O and U never appear as control letters.
 */
import type { DocumentInvalidReason } from './types.js';

export const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

const DNI_FORMAT = /^[0-9]{8}[A-Z]$/;
const NIE_FORMAT = /^[XYZ][0-9]{7}[A-Z]$/;

function letterFor(digits: string): string {
  return DNI_LETTERS[Number(digits) % 23] as string;
}

export function dniRule(s: string): DocumentInvalidReason | null {
  if (!DNI_FORMAT.test(s)) return /^[0-9]+[A-Z]$/.test(s) ? 'length' : 'format';
  return letterFor(s.slice(0, 8)) === s[8] ? null : 'check_digit';
}

export function nieRule(s: string): DocumentInvalidReason | null {
  if (!NIE_FORMAT.test(s)) return /^[XYZ][0-9]+[A-Z]$/.test(s) ? 'length' : 'format';
  const prefix = String('XYZ'.indexOf(s[0] as string));
  return letterFor(prefix + s.slice(1, 8)) === s[8] ? null : 'check_digit';
}

/**
 * Chile's RUT/RUN and Argentina's CUIT/CUIL: mod-11 check digits over small fixed weights.
 *
 * RUT (Servicio de Registro Civil e Identificación / SII): body of 7 or 8 digits; digits from
 * the right weighted 2,3,4,5,6,7,2,3...; check = 11 - (sum mod 11), 11 giving 0 and 10 giving K.
 * Bodies under 1.000.000 exist only for long-deceased holders and are refused as `length`.
 *
 * CUIT/CUIL (AFIP): 2-digit type (20, 23, 24, 27 persons; 30, 33, 34 entities), 8-digit number
 * (the DNI for persons), check digit; weights 5,4,3,2,7,6,5,4,3,2; check = 11 - (sum mod 11),
 * 11 giving 0. A result of 10 has no digit: AFIP then issues the number under type 23 (or 33)
 * instead, whose check digit follows from the same rule, so a number that needs a 10 is
 * refused (es.wikipedia, "Clave Única de Identificación Tributaria", section "Procedimiento
 * para obtener el dígito verificador"). Some libraries accept 9 there; that value never fits
 * a number AFIP issued under the original type.
 */
import type { DocumentInvalidReason } from './types.js';
import { digitAt } from './normalize.js';

const RUT_FORMAT = /^[0-9]{7,8}[0-9K]$/;
const CUIT_FORMAT = /^[0-9]{11}$/;
const CUIT_TYPES = new Set(['20', '23', '24', '27', '30', '33', '34']);
const CUIT_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;

export function rutCheckCharacter(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += digitAt(body, body.length - 1 - i) * (2 + (i % 6));
  const r = 11 - (sum % 11);
  return r === 11 ? '0' : r === 10 ? 'K' : String(r);
}

export function rutRule(s: string): DocumentInvalidReason | null {
  if (!RUT_FORMAT.test(s)) return /^[0-9]+[0-9K]$/.test(s) ? 'length' : 'format';
  return rutCheckCharacter(s.slice(0, -1)) === s[s.length - 1] ? null : 'check_digit';
}

export function cuitRule(s: string): DocumentInvalidReason | null {
  if (!CUIT_FORMAT.test(s)) return /^[0-9]+$/.test(s) ? 'length' : 'format';
  if (!CUIT_TYPES.has(s.slice(0, 2))) return 'format';
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += digitAt(s, i) * (CUIT_WEIGHTS[i] as number);
  const r = 11 - (sum % 11);
  const check = r === 11 ? 0 : r;
  return check === digitAt(s, 10) ? null : 'check_digit';
}

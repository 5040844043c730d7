/**
 * Brazil: CPF (individuals) and CNPJ (legal entities), both with two mod-11 check digits.
 *
 * CPF: 9 digits + 2 check digits. First: sum of the digits weighted 10..2, then 11 - (sum mod 11),
 * 10 and 11 giving 0; second: the 9 digits and the first check digit weighted 11..2, same rule
 * (the Receita Federal's mod-11 rule, as documented by python-stdnum `br.cpf` and the
 * pt.wikipedia article "Cadastro de Pessoas Físicas"). Numbers of one repeated digit pass
 * the arithmetic but are never issued, so they are `reserved`.
 *
 * CNPJ: 12 characters (8 root + 4 branch) + 2 check digits, weights 5,4,3,2,9,8,7,6,5,4,3,2 for
 * the first and 6,5,4,3,2,9,8,7,6,5,4,3,2 for the second, remainder 0 or 1 giving 0.
 * From July 2026 the Receita Federal also issues alphanumeric CNPJs (Instrução Normativa RFB
 * nº 2.229/2024; Nota Técnica COCAD/SUARA/RFB nº 49/2024; SERPRO, "Cálculo dos dígitos
 * verificadores de CNPJ alfanumérico"): the 12 first characters may be 0-9 or A-Z, the check
 * digits stay numeric, and each character is worth its ASCII code minus 48 (0-9 keep their
 * value, A = 17 ... Z = 42), so every numeric CNPJ keeps its check digits. Both forms are
 * accepted here.
 */
import type { DocumentInvalidReason } from './types.js';
import { allSameCharacter, digitAt } from './normalize.js';

const CPF_FORMAT = /^[0-9]{11}$/;
const CNPJ_FORMAT = /^[0-9A-Z]{12}[0-9]{2}$/;
const CNPJ_CHARS = /^[0-9A-Z]+$/;
const CNPJ_WEIGHTS_1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] as const;
const CNPJ_WEIGHTS_2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] as const;

function cpfCheckDigit(s: string, count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += digitAt(s, i) * (count + 1 - i);
  const r = 11 - (sum % 11);
  return r >= 10 ? 0 : r;
}

export function cpfRule(s: string): DocumentInvalidReason | null {
  if (s.length !== 11) return /^[0-9]+$/.test(s) ? 'length' : 'format';
  if (!CPF_FORMAT.test(s)) return 'format';
  if (cpfCheckDigit(s, 9) !== digitAt(s, 9) || cpfCheckDigit(s, 10) !== digitAt(s, 10)) return 'check_digit';
  if (allSameCharacter(s)) return 'reserved';
  return null;
}

function cnpjCheckDigit(s: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (s.charCodeAt(i) - 48) * (weights[i] as number);
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

export function cnpjRule(s: string): DocumentInvalidReason | null {
  if (s.length !== 14) return CNPJ_CHARS.test(s) ? 'length' : 'format';
  if (!CNPJ_FORMAT.test(s)) return 'format';
  if (cnpjCheckDigit(s, CNPJ_WEIGHTS_1) !== digitAt(s, 12) || cnpjCheckDigit(s, CNPJ_WEIGHTS_2) !== digitAt(s, 13)) {
    return 'check_digit';
  }
  if (allSameCharacter(s)) return 'reserved';
  return null;
}

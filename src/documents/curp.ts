/**
 * Mexico: CURP (Clave Única de Registro de Población), 18 characters.
 *
 * Structure (RENAPO, "Instructivo normativo para la asignación de la CURP"; the same pattern is
 * used by the gob.mx CURP form): first surname initial and its first inner vowel (X when none),
 * second surname initial, first given name initial; birth date YYMMDD; sex H or M; birth state
 * (two letters, NE for born abroad); the first inner consonants of the two surnames and the given
 * name; a differentiator assigned by RENAPO, a digit for births up to 1999 and a letter from 2000;
 * a check digit.
 *
 * Check digit: each of the first 17 characters takes its index in 0-9 A-N Ñ O-Z (0..36), weighted
 * 18 down to 2; the digit is (10 - sum mod 10) mod 10.
 *
 * First four letters that spell an "inconvenient word" are never issued (RENAPO replaces their
 * second letter with X; instructivo, anexo 2, list as kept by python-stdnum `mx.curp`): `reserved`.
 * Not checked: whether the initials match the holder's name (a caller-verification step compares
 * those).
 */
import type { DocumentInvalidReason } from './types.js';

const CURP_ALPHABET = '0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ';

/** The 32 federal entities' codes plus NE (nacido en el extranjero). */
const CURP_STRUCTURE =
  /^[A-ZÑ][AEIOUX][A-ZÑ]{2}[0-9]{6}[HM](?:AS|B[CS]|C[CLMSH]|D[FG]|G[TR]|HG|JC|M[CNS]|N[ETL]|OC|PL|Q[TR]|S[PLR]|T[CSL]|VZ|YN|ZS)[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z][0-9]$/;
const CURP_CHARS = /^[0-9A-ZÑ]+$/;
const INCONVENIENT_WORDS = new Set(
  (
    'BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COGI COJA COJE COJI COJO COLA CULO ' +
    'FALO FETO GETA GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO KOGE KOGI KOJA KOJE KOJI ' +
    'KOJO KOLA KULO LILO LOCA LOCO LOKA LOKO MAME MAMO MEAR MEAS MEON MIAR MION MOCO MOKO MULA ' +
    'MULO NACA NACO PEDA PEDO PENE PIPI PITO POPO PUTA PUTO QULO RATA ROBA ROBE ROBO RUIN SENO ' +
    'TETA VACA VAGA VAGO VAKA VUEI VUEY WUEI WUEY'
  ).split(' '),
);

export function curpCheckDigit(s: string): number {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CURP_ALPHABET.indexOf(s[i] as string) * (18 - i);
  return (10 - (sum % 10)) % 10;
}

/** Birth date from positions 5-10, the century read from the differentiator at position 17. */
export function curpBirthDate(s: string): Date | null {
  const yy = Number(s.slice(4, 6));
  const year = (/[0-9]/.test(s[16] as string) ? 1900 : 2000) + yy;
  return calendarDate(year, Number(s.slice(6, 8)), Number(s.slice(8, 10)));
}

/** A UTC date when year/month/day name a real day (no 31 April, 29 February only in leap years). */
export function calendarDate(year: number, month: number, day: number): Date | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date;
}

export function curpRule(s: string, now: Date): DocumentInvalidReason | null {
  if (s.length !== 18) return CURP_CHARS.test(s) ? 'length' : 'format';
  if (!CURP_STRUCTURE.test(s)) return 'format';
  const birth = curpBirthDate(s);
  if (birth === null || birth.getTime() > now.getTime()) return 'date';
  if (curpCheckDigit(s) !== s.charCodeAt(17) - 48) return 'check_digit';
  return INCONVENIENT_WORDS.has(s.slice(0, 4)) ? 'reserved' : null;
}

/**
 * National identifiers written with digits: CPF, CNPJ (Brazil), DNI (Spain), RUT (Chile), CUIT
 * (Argentina), NIT (Colombia), SSN (United States), and cédula numbers. Each is recognised by its
 * usual layouts and confirmed by its check digits (src/documents); a bare run of digits of the
 * right length counts only with a context word, or with lower confidence for the layouts that
 * are unambiguous on their own. Cédulas have no common checksum: they need a context word.
 */
import { isPlausibleSsn, isValidCnpj, isValidCpf, isValidCuit, isValidDni, isValidNit, isValidRut } from '../../documents/index.js';
import { CEDULA_CUES, CNPJ_CUES, CPF_CUES, CUIT_CUES, DNI_CUES, NIT_CUES, REFERENCE_CUES, RUT_CUES, SSN_CUES } from '../cues.js';
import { cueBefore, tokenAtOrAfter, tokenText } from '../text.js';
import { type Chunk, type DetectContext, digitCount, emit, hasDigits, joinGroups } from './chunks.js';

const DNI_LETTERS = 'trwagmyfpdxbnjzsqvhlcke';

export function detectNumericIds(ctx: DetectContext): void {
  for (const ch of ctx.chunks) {
    if (ch.gluedLeft) continue;
    const last = ch.groups.length - 1;
    for (let g = 0; g <= last; g++) {
      // Ids start at a group that follows a space (or the chunk start): "CPF 123.456.789-09".
      if (g > 0 && !(ch.seps[g] as string).includes(' ')) continue;
      // No identifier here has fewer than 7 digits.
      if (!hasDigits(ch, g, 7)) break;
      matchAt(ctx, ch, g);
    }
  }
}

function cue(ctx: DetectContext, pos: number, set: typeof CPF_CUES): boolean {
  return cueBefore(ctx.s, pos, set[ctx.lang], 5, 60);
}

/** Whether groups g.. have exactly the digit counts `lens`, joined by the separators allowed. */
function layout(ch: Chunk, g: number, lens: readonly number[], seps: readonly (readonly string[])[]): boolean {
  if (g + lens.length > ch.groups.length) return false;
  for (let k = 0; k < lens.length; k++) {
    if ((ch.groups[g + k] as string).length !== lens[k]) return false;
    if (k > 0 && !(seps[k - 1] as readonly string[]).includes(ch.seps[g + k] as string)) return false;
  }
  return true;
}

/** The value ends at group j: the chunk ends there or a space follows. */
function endsAt(ch: Chunk, j: number): boolean {
  return j === ch.groups.length - 1 || (ch.seps[j + 1] as string).includes(' ');
}

const DOT = ['.'];
const DASH = ['-'];
const SPACE = [' '];
const SLASH = ['/'];
const CPF_LAST = ['-', '.', '/'];
// Layouts as constants: array literals in the calls were allocated afresh for every chunk.
const LENS_3_3_3_2: readonly number[] = [3, 3, 3, 2];
const LENS_2_3_3_4_2: readonly number[] = [2, 3, 3, 4, 2];
const LENS_3_3_3_1: readonly number[] = [3, 3, 3, 1];
const LENS_2_3_3_1: readonly number[] = [2, 3, 3, 1];
const LENS_1_3_3_1: readonly number[] = [1, 3, 3, 1];
const LENS_2_3_3: readonly number[] = [2, 3, 3];
const LENS_1_3_3: readonly number[] = [1, 3, 3];
const LENS_2_8_1: readonly number[] = [2, 8, 1];
const LENS_3_2_4: readonly number[] = [3, 2, 4];
const SEPS_DOT_DOT_CPFLAST: readonly (readonly string[])[] = [DOT, DOT, CPF_LAST];
const SEPS_SPACE_SPACE_SPACE: readonly (readonly string[])[] = [SPACE, SPACE, SPACE];
const SEPS_DOT_DOT_SLASH_DASH: readonly (readonly string[])[] = [DOT, DOT, SLASH, DASH];
const SEPS_DOT_DOT_DASH: readonly (readonly string[])[] = [DOT, DOT, DASH];
const SEPS_DOT_DOT: readonly (readonly string[])[] = [DOT, DOT];
const SEPS_DASH_DASH: readonly (readonly string[])[] = [DASH, DASH];

function matchAt(ctx: DetectContext, ch: Chunk, g: number): void {
  const last = ch.groups.length - 1;
  const start = ch.groupStart[g] as number;
  const ends = endsAt(ch, g);

  // CPF 000.000.000-00
  if (layout(ch, g, LENS_3_3_3_2, SEPS_DOT_DOT_CPFLAST) && endsAt(ch, g + 3)) {
    const digits = joinGroups(ch, g, g + 3);
    if (isValidCpf(digits)) emit(ctx, 'CPF', start, (ch.groupEnd[g + 3] as number), 0.98, 'cpf:layout+checksum');
    return;
  }
  // CPF 000 000 000 00, after its name only (four space-separated groups are also phone-like).
  if (layout(ch, g, LENS_3_3_3_2, SEPS_SPACE_SPACE_SPACE) && endsAt(ch, g + 3) && cue(ctx, start, CPF_CUES)) {
    const digits = joinGroups(ch, g, g + 3);
    if (isValidCpf(digits)) {
      emit(ctx, 'CPF', start, (ch.groupEnd[g + 3] as number), 0.97, 'cpf:spaced+checksum+context');
      return;
    }
  }
  // CNPJ 00.000.000/0000-00
  if (layout(ch, g, LENS_2_3_3_4_2, SEPS_DOT_DOT_SLASH_DASH) && endsAt(ch, g + 4)) {
    const digits = joinGroups(ch, g, g + 4);
    if (isValidCnpj(digits)) emit(ctx, 'CNPJ', start, (ch.groupEnd[g + 4] as number), 0.98, 'cnpj:layout+checksum');
    return;
  }
  // NIT 000.000.000-0 (Colombia; the check digit after the dash)
  if (layout(ch, g, LENS_3_3_3_1, SEPS_DOT_DOT_DASH) && endsAt(ch, g + 3)) {
    const body = joinGroups(ch, g, g + 2);
    if (isValidNit(`${body}-${ch.groups[g + 3]}`)) emit(ctx, 'NIT', start, (ch.groupEnd[g + 3] as number), cue(ctx, start, NIT_CUES) ? 0.98 : 0.9, 'nit:layout+checksum');
    return;
  }
  // RUT 12.345.678-5 / 1.234.567-K / 12345678-5 / 12345678-K
  if ((layout(ch, g, LENS_2_3_3_1, SEPS_DOT_DOT_DASH) || layout(ch, g, LENS_1_3_3_1, SEPS_DOT_DOT_DASH)) && endsAt(ch, g + 3)) {
    const body = joinGroups(ch, g, g + 2);
    if (isValidRut(`${body}-${ch.groups[g + 3]}`)) emit(ctx, 'RUT', start, (ch.groupEnd[g + 3] as number), 0.97, 'rut:layout+checksum');
    return;
  }
  if ((layout(ch, g, LENS_2_3_3, SEPS_DOT_DOT) || layout(ch, g, LENS_1_3_3, SEPS_DOT_DOT)) && g + 2 === last && ch.suffix?.letter === 'k') {
    const body = joinGroups(ch, g, g + 2);
    if (isValidRut(`${body}-K`)) emit(ctx, 'RUT', start, ch.suffix.end, 0.97, 'rut:layout+checksum');
    return;
  }
  // DNI 12.345.678-Z
  if (layout(ch, g, LENS_2_3_3, SEPS_DOT_DOT) && g + 2 === last && ch.suffix !== null && DNI_LETTERS.includes(ch.suffix.letter)) {
    if (isValidDni(joinGroups(ch, g, g + 2) + ch.suffix.letter.toUpperCase())) emit(ctx, 'DNI', start, ch.suffix.end, 0.97, 'dni:layout+checksum');
    return;
  }
  // CUIT 20-12345678-6
  if (layout(ch, g, LENS_2_8_1, SEPS_DASH_DASH) && endsAt(ch, g + 2)) {
    if (isValidCuit(joinGroups(ch, g, g + 2))) emit(ctx, 'CUIT', start, (ch.groupEnd[g + 2] as number), 0.97, 'cuit:layout+checksum');
    return;
  }
  // SSN 123-45-6789
  if (layout(ch, g, LENS_3_2_4, SEPS_DASH_DASH) && endsAt(ch, g + 2)) {
    const digits = joinGroups(ch, g, g + 2);
    if (isPlausibleSsn(`${digits.slice(0, 3)}-${digits.slice(3, 5)}-${digits.slice(5)}`)) {
      emit(ctx, 'SSN', start, (ch.groupEnd[g + 2] as number), cue(ctx, start, SSN_CUES) ? 0.97 : 0.85, 'ssn:layout+rules');
    }
    return;
  }
  const one = ch.groups[g] as string;
  // Two-group layouts: 12345678-5 (RUT), 900123456-7 (NIT)
  if (g + 1 <= last && (ch.groups[g + 1] as string).length === 1 && ch.seps[g + 1] === '-' && endsAt(ch, g + 1)) {
    if ((one.length === 7 || one.length === 8) && isValidRut(`${one}-${ch.groups[g + 1]}`)) {
      emit(ctx, 'RUT', start, (ch.groupEnd[g + 1] as number), cue(ctx, start, RUT_CUES) ? 0.97 : 0.9, 'rut:checksum');
      return;
    }
    if (one.length === 9 && isValidNit(`${one}-${ch.groups[g + 1]}`)) {
      emit(ctx, 'NIT', start, (ch.groupEnd[g + 1] as number), cue(ctx, start, NIT_CUES) ? 0.97 : 0.85, 'nit:checksum');
      return;
    }
  }
  if (!ends || ch.gluedRight) return;
  // Single group with a letter: DNI 12345678Z, RUT 12345678K
  // A letter after a space counts only in upper case: "12345678 Z", not "12345678 y el...".
  const suffix = ch.suffix !== null && (!ch.suffix.spaced || isUpper(ctx, ch.suffix.end - 1)) ? ch.suffix : null;
  if (g === last && suffix !== null) {
    if (one.length === 8 && DNI_LETTERS.includes(suffix.letter) && isValidDni(one + suffix.letter.toUpperCase())) {
      emit(ctx, 'DNI', start, suffix.end, 0.97, 'dni:checksum');
      return;
    }
    if ((one.length === 7 || one.length === 8) && suffix.letter === 'k' && isValidRut(`${one}-K`)) {
      emit(ctx, 'RUT', start, suffix.end, 0.9, 'rut:checksum');
      return;
    }
  }
  // Bare digits: the checksum plus a context word, or the checksum alone with less confidence.
  if (one.length === 11) {
    if (isValidCpf(one)) {
      const c = cue(ctx, start, CPF_CUES);
      if (c || !cue(ctx, start, CUIT_CUES)) emit(ctx, 'CPF', start, (ch.groupEnd[g] as number), c ? 0.97 : 0.85, 'cpf:checksum');
    }
    if (isValidCuit(one) && cue(ctx, start, CUIT_CUES)) emit(ctx, 'CUIT', start, (ch.groupEnd[g] as number), 0.97, 'cuit:checksum+context');
  } else if (one.length === 14 && isValidCnpj(one)) {
    // After its name, a bare CNPJ outranks a card (0.99): one in twenty also passes a 14-digit
    // card's issuer range and Luhn, and "CNPJ: 36178889000149" is a company's number, not a card.
    emit(ctx, 'CNPJ', start, (ch.groupEnd[g] as number), cue(ctx, start, CNPJ_CUES) ? 0.995 : 0.8, 'cnpj:checksum');
  } else if (one.length === 9 && cue(ctx, start, SSN_CUES) && isPlausibleSsn(`${one.slice(0, 3)}-${one.slice(3, 5)}-${one.slice(5)}`)) {
    emit(ctx, 'SSN', start, (ch.groupEnd[g] as number), 0.9, 'ssn:rules+context');
  } else if (one.length === 10 && cue(ctx, start, NIT_CUES) && isValidNit(`${one.slice(0, 9)}-${one.slice(9)}`)) {
    emit(ctx, 'NIT', start, (ch.groupEnd[g] as number), 0.95, 'nit:checksum+context');
  } else if (one.length === 8 && cueBefore(ctx.s, start, DNI_CUES[ctx.lang], 3, 40) && !cueBefore(ctx.s, start, REFERENCE_CUES[ctx.lang], 3, 30) && g === last && suffix === null) {
    // A DNI number given without its letter is still the person's DNI.
    emit(ctx, 'DNI', start, (ch.groupEnd[g] as number), 0.75, 'dni:context');
  }
}

function isUpper(ctx: DetectContext, i: number): boolean {
  const c = ctx.s.text.charCodeAt(i);
  return c >= 65 && c <= 90;
}

/** "C.C." (cédula de ciudadanía, Colombia) right before the number: two one-letter tokens. */
function ccBefore(ctx: DetectContext, pos: number): boolean {
  const s = ctx.s;
  const t = tokenAtOrAfter(s, pos) - 1;
  if (t < 1) return false;
  return tokenText(s, t) === 'c' && tokenText(s, t - 1) === 'c' && pos - (s.tokStart[t - 1] as number) <= 6;
}

/** Cédula numbers: 6-10 digits (dots allowed) right after a cédula context word. */
export function detectCedulas(ctx: DetectContext): void {
  const cues = CEDULA_CUES[ctx.lang];
  for (const ch of ctx.chunks) {
    if (ch.plus || ch.gluedRight || ch.gluedLeft) continue;
    const last = ch.groups.length - 1;
    let j = 0;
    while (j < last && (ch.seps[j + 1] === '.' || ch.seps[j + 1] === '-')) j++;
    const total = digitCount(ch, 0, j);
    if (total < 6 || total > 11) continue;
    if (!cueBefore(ctx.s, ch.start, cues, 4, 50) && !ccBefore(ctx, ch.start)) continue;
    // "documento 123... y el pedido 456": the nearer word decides.
    if (cueBefore(ctx.s, ch.start, REFERENCE_CUES[ctx.lang], 3, 30)) continue;
    emit(ctx, 'CEDULA', ch.start, ch.groupEnd[j] as number, 0.8, 'cedula:context');
  }
}

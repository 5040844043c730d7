/**
 * Longest input any check looks at. The longest document here (a TD1 MRZ, 90 characters) with
 * separators and line breaks fits well within it; anything longer is refused before any work, so
 * a detector may call these functions on every candidate without a cost that grows with input.
 */
export const DOCUMENT_INPUT_MAX = 128;

/**
 * Separators people and forms put inside document numbers: dots, hyphens (ASCII and the Unicode
 * dashes a word processor substitutes), slashes (CNPJ), and any white space including no-break
 * spaces. Only these are removed: any other character makes the input invalid rather than being
 * silently dropped, so `CPF: 123` is never read as `123`.
 */
const SEPARATORS = /[\s.\-/\u2010-\u2015\u2212]/g;

/** Removes separators and upper-cases, or returns null for a non-string or an over-long input. */
export function stripSeparators(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > DOCUMENT_INPUT_MAX) return null;
  // Bare digits and capitals (what the redaction detectors pass) come back as they are, without
  // the two copies; anything else takes the general path.
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90))) return input.replace(SEPARATORS, '').toUpperCase();
  }
  return input;
}

/** Digit value of the character at `index` (the caller has checked it is an ASCII digit). */
export function digitAt(s: string, index: number): number {
  return s.charCodeAt(index) - 48;
}

/** True when every character of `s` is the same (`00000000000`), which several issuers never assign. */
export function allSameCharacter(s: string): boolean {
  for (let i = 1; i < s.length; i++) if (s[i] !== s[0]) return false;
  return true;
}

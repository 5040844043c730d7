/**
 * Independent reference computations for the document tests: written from the published rules
 * in a different style from src/documents (whole-number arithmetic with BigInt, explicit weight
 * tables), so that a shared mistake is unlikely. Only used to make extra valid samples.
 */

export { seededRandom as prng } from '../../src/platform/seeded-random.js';

export function randomDigits(random: () => number, n: number): string {
  return Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');
}

function weighted(values: number[], weights: number[]): number {
  return values.reduce((sum, v, i) => sum + v * (weights[i] ?? Number.NaN), 0);
}

const digitsOf = (s: string): number[] => [...s].map(Number);

/** CPF: appends both check digits (10 * sum mod 11, 10 -> 0). */
export function makeCpf(nine: string): string {
  const d1 = ((weighted(digitsOf(nine), [10, 9, 8, 7, 6, 5, 4, 3, 2]) * 10) % 11) % 10;
  const d2 = ((weighted(digitsOf(nine + d1), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]) * 10) % 11) % 10;
  return `${nine}${d1}${d2}`;
}

/** CNPJ (numeric or alphanumeric body of 12): character value = ASCII code - 48. */
export function makeCnpj(twelve: string): string {
  const values = (s: string) => [...s].map((c) => (c.codePointAt(0) as number) - 48);
  const dv = (s: string, w: number[]) => {
    const r = weighted(values(s), w) % 11;
    return r < 2 ? 0 : 11 - r;
  };
  const d1 = dv(twelve, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = dv(twelve + d1, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return `${twelve}${d1}${d2}`;
}

export function makeDni(eight: string): string {
  return eight + 'TRWAGMYFPDXBNJZSQVHLCKE'.charAt(Number(BigInt(eight) % 23n));
}

export function makeNie(prefix: 'X' | 'Y' | 'Z', seven: string): string {
  const n = BigInt({ X: '0', Y: '1', Z: '2' }[prefix] + seven);
  return prefix + seven + 'TRWAGMYFPDXBNJZSQVHLCKE'.charAt(Number(n % 23n));
}

/** RUT: the classic "multiply by 2..7 from the right" with 11 -> 0, 10 -> K. */
export function makeRut(body: string): string {
  const weights = [...body].reverse().map((_, i) => [2, 3, 4, 5, 6, 7][i % 6] as number);
  const r = 11 - (weighted(digitsOf([...body].reverse().join('')), weights) % 11);
  return body + (r === 11 ? '0' : r === 10 ? 'K' : String(r));
}

/** CUIT, or null when the rule yields 10 (no such number is issued). */
export function makeCuit(ten: string): string | null {
  const r = 11 - (weighted(digitsOf(ten), [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11);
  if (r === 10) return null;
  return ten + (r === 11 ? '0' : String(r));
}

export function nitRemainder(base: string): number {
  const primes = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
  return weighted(digitsOf([...base].reverse().join('')), primes) % 11;
}

export function makeNit(base: string): string {
  const r = nitRemainder(base);
  return base + String(r <= 1 ? r : 11 - r);
}

/** IBAN check digits by ISO 7064 MOD 97-10 over BigInt: 98 - (BBAN + country + "00") mod 97. */
export function makeIban(country: string, bban: string): string {
  const numeric = (bban + country + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  const check = 98n - (BigInt(numeric) % 97n);
  return country + check.toString().padStart(2, '0') + bban;
}

/** ICAO 9303 check digit via a character table rather than arithmetic on codes. */
export function icaoCheckDigit(data: string): string {
  const table = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let sum = 0;
  [...data].forEach((c, i) => {
    sum += (c === '<' ? 0 : table.indexOf(c)) * ([7, 3, 1][i % 3] as number);
  });
  return String(sum % 10);
}

/** Every string that differs from `s` by one digit replaced with another digit. */
export function singleDigitAlterations(s: string, positions?: number[]): Array<{ at: number; value: string }> {
  const out: Array<{ at: number; value: string }> = [];
  for (const at of positions ?? Array.from({ length: s.length }, (_, i) => i)) {
    const c = s[at] as string;
    if (!/[0-9]/.test(c)) continue;
    for (let d = 0; d < 10; d++) {
      if (String(d) !== c) out.push({ at, value: s.slice(0, at) + d + s.slice(at + 1) });
    }
  }
  return out;
}

/** CURP check digit: index in 0-9 A-N Ñ O-Z, weights 18..2, (10 - sum mod 10) mod 10. */
export function makeCurp(seventeen: string): string {
  const alphabet = [...'0123456789ABCDEFGHIJKLMN', 'Ñ', ...'OPQRSTUVWXYZ'];
  const sum = [...seventeen].reduce((acc, c, i) => acc + alphabet.indexOf(c) * (18 - i), 0);
  return seventeen + String((10 - (sum % 10)) % 10);
}

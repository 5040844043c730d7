/**
 * One spelling per answer, so that the caller is not failed for how the agent typed what they
 * said: "José  María", "jose maria" and "JOSÉ-MARÍA!" are the same answer. Pure.
 *
 * Compatibility folding (NFKC: full-width letters, ligatures), then decomposition (NFD) with every
 * combining mark dropped (accents, cedillas, tildes: "ñ" reads as "n", as agents often type it),
 * lower case, punctuation and symbols as spaces, runs of spaces collapsed, trimmed.
 *
 * @example
 * ```ts
 * normalizeAnswer('  São   Paulo! '); // 'sao paulo'
 * normalizeAnswer("O'Brien-Núñez");   // 'o brien nunez'
 * ```
 */
export function normalizeAnswer(input: string): string {
  return input
    .normalize('NFKC')
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\p{C}\s]+/gu, ' ')
    .trim();
}

/** Longest answer taken before normalizing: a sentence, not a document. */
export const ANSWER_INPUT_MAX = 200;

/**
 * Levenshtein distance, stopping early once it exceeds `limit` (the callers only ask "at most
 * one typo?"). Used for names of places, never for static answers (those are hashed).
 */
export function editDistanceWithin(a: string, b: string, limit: number): boolean {
  if (Math.abs(a.length - b.length) > limit) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return false;
    previous = current;
  }
  return previous[b.length]! <= limit;
}

/**
 * The first number in an answer ("3", "unos 3 años", "1.250,50", "2019"), or undefined. A comma
 * followed by one or two digits at the end of the number is a decimal comma; other dots and
 * commas between digit groups are thousands separators.
 */
export function parseNumberAnswer(input: string): number | undefined {
  const m = /[0-9][0-9.,\s]*/.exec(input.normalize('NFKC'));
  if (m === null) return undefined;
  let text = m[0].replace(/\s+/g, '').replace(/[.,]$/, '');
  const decimal = /[.,]([0-9]{1,2})$/.exec(text);
  let fraction = '';
  if (decimal !== null && !/^[0-9]{1,3}[.,][0-9]{3}$/.test(text)) {
    fraction = decimal[1]!;
    text = text.slice(0, decimal.index);
  }
  const integer = text.replace(/[.,]/g, '');
  if (!/^[0-9]{1,15}$/.test(integer)) return undefined;
  return Number(fraction === '' ? integer : `${integer}.${fraction}`);
}

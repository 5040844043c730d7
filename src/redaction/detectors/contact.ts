/**
 * E-mail addresses (scanned outwards from each `@`, bounded by the RFC 5321 lengths) and IP
 * addresses (IPv4 from number chunks, IPv6 from runs of hex digits and colons; both confirmed by
 * node:net isIP).
 */
import { isIP } from 'node:net';
import { cueBefore, isDigitCode, type ScanText, TOK_LETTER, tokenText, WordSet } from '../text.js';
import { type DetectContext, emit } from './chunks.js';

const VERSION_CUES = new WordSet(['v', 'version', 'versao', 'build', 'release']);

function isLocalCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

function isDomainCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 45;
}

export function detectEmails(ctx: DetectContext): void {
  const codes = ctx.s.codes;
  const n = codes.length;
  let from = 0;
  for (;;) {
    const at = ctx.s.folded.indexOf('@', from);
    if (at < 0) return;
    from = at + 1;
    let l = at;
    while (l > 0 && at - l < 64 && isLocalCode(codes[l - 1] as number)) l--;
    while (l < at && (codes[l] === 46 || codes[l] === 45)) l++;
    if (l === at || codes[at - 1] === 46) continue;
    let r = at + 1;
    while (r < n && r - at <= 253 && isDomainCode(codes[r] as number)) r++;
    while (r > at + 1 && (codes[r - 1] === 46 || codes[r - 1] === 45)) r--;
    // The last label must be a top-level domain: two or more letters.
    let dot = r - 1;
    while (dot > at && codes[dot] !== 46) dot--;
    if (dot <= at + 1 || r - dot - 1 < 2) continue;
    let tld = true;
    for (let k = dot + 1; k < r; k++) if (!((codes[k] as number) >= 97 && (codes[k] as number) <= 122)) tld = false;
    if (!tld) continue;
    emit(ctx, 'EMAIL', l, r, 0.99, 'email:syntax');
    from = r;
  }
}

/**
 * Whether groups g..g+3 are 1-3 digits of at most 255 each: what isIP needs of them, checked
 * first because most dotted numbers (versions, amounts) fail here and isIP on a string that is
 * not IPv4 runs its long IPv6 expression. Folded digits are the digits NFKC gives.
 */
function octets(groups: readonly string[], g: number): boolean {
  for (let k = g; k <= g + 3; k++) {
    const d = groups[k] as string;
    if (d.length > 3 || Number(d) > 255) return false;
  }
  return true;
}

export function detectIpAddresses(ctx: DetectContext): void {
  const s = ctx.s;
  for (const ch of ctx.chunks) {
    const last = ch.groups.length - 1;
    for (let g = 0; g + 3 <= last; g++) {
      if (g > 0 && ch.seps[g] === '.') continue;
      let ok = true;
      for (let k = 1; k <= 3; k++) if (ch.seps[g + k] !== '.') ok = false;
      if (!ok || (g + 4 <= last && ch.seps[g + 4] === '.')) continue;
      const start = ch.groupStart[g] as number;
      const end = ch.groupEnd[g + 3] as number;
      if (g + 3 === last && ch.gluedRight) continue;
      if (!octets(ch.groups, g)) continue;
      if (isIP(s.text.slice(start, end).normalize('NFKC')) !== 4) continue;
      if (cueBefore(s, start, VERSION_CUES, 2, 20)) continue;
      emit(ctx, 'IP_ADDRESS', start, end, 0.9, 'ip:v4');
    }
  }
  // IPv6: a run of hex digits, colons and dots (embedded IPv4) with at least two colons.
  const codes = s.codes;
  const n = codes.length;
  let i = s.folded.indexOf(':');
  while (i >= 0 && i < n) {
    let l = i;
    while (l > 0 && isHexColon(codes[l - 1] as number)) l--;
    let r = i;
    while (r < n && (isHexColon(codes[r] as number) || codes[r] === 46)) r++;
    if (r - l > 45) {
      i = s.folded.indexOf(':', r);
      continue;
    }
    while (r > l && (codes[r - 1] === 46 || (codes[r - 1] === 58 && codes[r - 2] !== 58))) r--;
    const before = l > 0 ? (codes[l - 1] as number) : 32;
    const after = r < n ? (codes[r] as number) : 32;
    let colons = 0;
    let hex = 0;
    let compressed = false;
    for (let k = l; k < r; k++) {
      if (codes[k] === 58) {
        colons++;
        if (k > l && codes[k - 1] === 58) compressed = true;
      } else if (codes[k] !== 46) hex++;
    }
    const boundary = !isWordCode(before) && !isWordCode(after);
    // Every IPv6 form has six colons or more, or a "::": times such as 00:01:07 never reach isIP.
    const shaped = colons >= 6 || compressed;
    if (boundary && colons >= 2 && hex >= 2 && shaped && isIP(s.folded.slice(l, r)) === 6) {
      emit(ctx, 'IP_ADDRESS', l, r, 0.95, 'ip:v6');
    }
    i = s.folded.indexOf(':', Math.max(r, i + 1));
  }
}

function isHexColon(c: number): boolean {
  return isDigitCode(c) || (c >= 97 && c <= 102) || c === 58;
}

function isWordCode(c: number): boolean {
  return isDigitCode(c) || (c >= 97 && c <= 122);
}

// With a presence bit: most texts have neither word, and then no word needs a look.
const AT_WORDS = new WordSet(['arroba', 'at'], { presence: true });
const DOT_WORDS = new Set(['punto', 'ponto', 'dot']);
const LOCAL_JOINERS = new Set(['punto', 'ponto', 'dot', 'guion', 'hifen', 'underscore', 'dash']);
const TLDS = new Set(['com', 'net', 'org', 'edu', 'gov', 'es', 'pt', 'br', 'mx', 'co', 'ar', 'cl', 'pe', 'us', 'uk', 'io', 'info', 'biz']);

function spaced(s: ScanText, t: number): boolean {
  return t + 1 < s.tokenCount && (s.tokStart[t + 1] as number) - (s.tokEnd[t] as number) === 1 && s.codes[s.tokEnd[t] as number] === 32;
}

/**
 * E-mail addresses read aloud: "juan punto perez arroba gmail punto com", "john dot smith at
 * gmail dot com". The domain must end in a known top-level domain after a "dot" word, so "at
 * home" or "arroba" alone never match.
 */
export function detectSpokenEmails(ctx: DetectContext): void {
  const s = ctx.s;
  if (!AT_WORDS.occursIn(s)) return;
  for (let t = 1; t + 3 < s.tokenCount; t++) {
    if (!((s.tokFlags[t] as number) & TOK_LETTER) || !AT_WORDS.hasToken(s, t)) continue;
    if (!spaced(s, t - 1) || !spaced(s, t)) continue;
    // Domain: label (dot label)+, ending in a TLD.
    let u = t + 1;
    let end = -1;
    while (u + 2 < s.tokenCount && spaced(s, u) && spaced(s, u + 1) && DOT_WORDS.has(tokenText(s, u + 1)) && u - t < 8) {
      u += 2;
      if (TLDS.has(tokenText(s, u))) end = u;
    }
    if (end < 0) continue;
    // Local part: label (joiner label)*.
    let l = t - 1;
    while (l >= 2 && l > t - 8 && spaced(s, l - 2) && spaced(s, l - 1) && LOCAL_JOINERS.has(tokenText(s, l - 1))) l -= 2;
    if (AT_WORDS.has(tokenText(s, l)) || DOT_WORDS.has(tokenText(s, l))) continue;
    emit(ctx, 'EMAIL', s.tokStart[l] as number, s.tokEnd[end] as number, 0.85, 'email:spoken');
    t = end;
  }
}

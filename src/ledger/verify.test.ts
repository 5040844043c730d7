/**
 * The verifier's quick reader of entry text must never accept what decodeEntry would call
 * non-canonical: it may only say "not sure" (and leave the entry to decodeEntry). Checked on
 * real entries of every shape and on thousands of small corruptions of them (whitespace, key
 * order, escapes, numbers, surrogates, duplicated members).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, decodeEntry, encodeEntry, type LedgerEntry } from './entry.js';
import { isoMillis, scanCanonicalEntry } from './verify.js';

const tenant = randomUUID();

const entries: LedgerEntry[] = [
  { v: 1, tenant, seq: 0, at: '2026-11-23T09:00:00.000Z', actor: { type: 'agent', id: 'a1' }, action: 'customer.field.reveal', targets: { customer: randomUUID(), field: 'email' }, purpose: 'billing_dispute', details: { masked: 'j***@e******.com' } },
  { v: 1, tenant, seq: 12, at: '2026-01-02T03:04:05.678Z', actor: { type: 'system', id: 'job:rotate' }, action: 'vault.key.rotate', targets: {}, details: {} },
  {
    v: 1,
    tenant,
    seq: 9_007_199_254_740_991,
    at: '2026-11-23T09:00:00.000Z',
    actor: { type: 'platform', id: 'platform-token:x' },
    action: 'tenant.break_glass.open',
    targets: { customer: 'not-a-uuid', field: 'iban' },
    reason: 'caller said "urgent"\n\tback\\slash, ünïcödé, 😀, \u0001 control',
    requestId: 'req-1',
    details: { count: -42, zero: 0, flag: true, off: false, none: null, text: 'quoted "x"' },
  },
];

const texts = entries.map((e) => encodeEntry(e));

/** True when decodeEntry's canonical check (re-encoding) agrees the text is canonical JSON. */
function canonical(text: string): boolean {
  try {
    return canonicalJson(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}

const pieces = [' ', '\n', '"', '\\', '\\u0041', '\\/', '\\n', '0', '-0', '01', '1.0', '1e2', '-', ',', ':', '{', '}', '[', ']', 'true', 'null', '\ud800', '\udc00', '\u0000', 'é', '"v":1,'];

function mutations(text: string, count: number, seed: number): string[] {
  let state = seed;
  const random = (n: number): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % n;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = random(text.length + 1);
    const piece = pieces[random(pieces.length)] as string;
    switch (random(4)) {
      case 0:
        out.push(text.slice(0, at) + piece + text.slice(at));
        break;
      case 1:
        out.push(text.slice(0, at) + text.slice(at + 1 + random(3)));
        break;
      case 2:
        out.push(text.slice(0, at) + piece + text.slice(at + piece.length));
        break;
      default: {
        // Two members swapped, or one repeated.
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const keys = Object.keys(parsed);
        const a = keys[random(keys.length)] as string;
        const b = keys[random(keys.length)] as string;
        const members = keys.map((k) => `${JSON.stringify(k === a ? b : k === b ? a : k)}:${JSON.stringify(parsed[k === a ? b : k === b ? a : k])}`);
        if (random(2) === 0) members.splice(random(members.length), 0, members[random(members.length)] as string);
        out.push(`{${members.join(',')}}`);
      }
    }
  }
  return out;
}

describe('scanCanonicalEntry', () => {
  it('reads real entries of every shape, exactly as decodeEntry does', () => {
    for (const [i, text] of texts.entries()) {
      const decoded = decodeEntry(text);
      if (!('entry' in decoded)) throw new Error(decoded.error);
      const view = scanCanonicalEntry(text);
      // The third entry's control character is written as \u0001: left to decodeEntry.
      if (text.includes('\\u')) {
        expect(view).toBeUndefined();
        continue;
      }
      expect(view, `entry ${i}`).toEqual({
        tenant,
        seq: decoded.entry.seq,
        at: decoded.entry.at,
        atMs: Date.parse(decoded.entry.at),
        action: decoded.entry.action,
        actorType: decoded.entry.actor.type,
        actorId: decoded.entry.actor.id,
        customer: decoded.entry.targets.customer ?? null,
      });
    }
  });

  it('never accepts a text that is not canonical (10,000 corruptions)', () => {
    let accepted = 0;
    for (const [i, text] of texts.entries()) {
      for (const mutated of mutations(text, 3_400, i + 1)) {
        if (scanCanonicalEntry(mutated) === undefined) continue;
        accepted += 1;
        expect(canonical(mutated), mutated).toBe(true);
      }
    }
    // Some corruptions stay canonical (a digit for a digit, a letter in a string): they are
    // accepted, and the hash, not the reader, tells them apart.
    expect(accepted).toBeGreaterThan(0);
  });

  it('refuses the non-canonical forms one by one', () => {
    const base = texts[0] as string;
    for (const bad of [
      base.replace('{"action"', '{ "action"'),
      base.replace('"v":1}', '"v":1.0}'),
      base.replace('"v":1}', '"v":01}'),
      base.replace('"seq":0', '"seq":-0'),
      base.replace('"purpose":"billing_dispute",', '').replace('"v":1}', '"v":1,"purpose":"billing_dispute"}'),
      base.replace('"v":1}', '"v":1,"v":1}'),
      base.replace('billing_dispute', 'billing\\/dispute'),
      base.replace('billing_dispute', 'billing\\u005fdispute'),
      base.replace('"v":1}', '"v":1} '),
      base.replace('"v":1}', '"v":1,"extra":1}'),
      base.replace('"v":1', '"v":2'),
      base.replace('2026-11-23T09:00:00.000Z', '2026-11-23T09:00:00Z'),
      base.replace(/"details":\{[^}]*\}/, '"details":[]'),
    ]) {
      expect(scanCanonicalEntry(bad), bad).toBeUndefined();
    }
  });
});

describe('isoMillis', () => {
  // What the scanner asked before: the format, then Date.parse (which decides which values exist).
  const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  const expected = (text: string) => (ISO_MS.test(text) ? Date.parse(text) : Number.NaN);
  const two = (n: number) => String(n).padStart(2, '0');

  it('answers as the format check and Date.parse together, on every boundary of every field', () => {
    const years = ['0000', '0001', '0099', '0100', '1600', '1899', '1900', '1969', '1970', '2000', '2024', '2026', '2100', '2400', '9999'];
    const times = ['00:00:00.000', '23:59:59.999', '24:00:00.000', '24:00:00.001', '24:00:01.000', '24:01:00.000', '23:60:00.000', '23:59:60.000', '25:00:00.000', '12:34:56.789'];
    for (const year of years) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          for (const time of times) {
            const text = `${year}-${two(month)}-${two(day)}T${time}Z`;
            expect(isoMillis(text), text).toBe(expected(text));
          }
        }
      }
    }
  });

  it('refuses every other shape, as the format check did', () => {
    const base = '2026-11-23T09:00:00.000Z';
    const variants = [base.slice(0, -1), `${base} `, base.replace('Z', 'z'), base.replace('T', ' '), base.replace('.000', ''), `+${base}`, base.replace('2026', '２026'), base.replace('-11-', '/11/')];
    for (let i = 0; i < base.length; i++) for (const c of ['a', '-', ':', '.', '0', ' ', '\u0660']) variants.push(base.slice(0, i) + c + base.slice(i + 1));
    for (const text of variants) expect(isoMillis(text), text).toBe(expected(text));
  });
});

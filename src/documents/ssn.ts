/**
 * United States: Social Security number, AAA-GG-SSSS. It has no check digit, so only the
 * Social Security Administration's structural rules apply (SSA, "Social Security Number
 * Randomization", 2011): area 000, 666 and 900-999 are never assigned,
 * nor group 00 or serial 0000. Two numbers printed on sample cards and later voided by the SSA
 * are refused too: 078-05-1120 (the 1938 Woolworth wallet insert) and 219-09-9999 (a 1940 SSA
 * pamphlet) (SSA History, "Social Security Cards Issued by Woolworth" / "Misused SSNs"). A plausible SSN may still be
 * unassigned or belong to someone else.
 */
import type { DocumentInvalidReason } from './types.js';

const SSN_FORMAT = /^[0-9]{9}$/;
const ADVERTISED = new Set(['078051120', '219099999']);

export function ssnRule(s: string): DocumentInvalidReason | null {
  if (!SSN_FORMAT.test(s)) return /^[0-9]+$/.test(s) ? 'length' : 'format';
  const area = s.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return 'reserved';
  if (s.slice(3, 5) === '00' || s.slice(5) === '0000') return 'reserved';
  if (ADVERTISED.has(s)) return 'reserved';
  return null;
}

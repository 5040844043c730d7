/** The one mapping from passed methods to the assurance level (docs/verification.md). */
import { describe, expect, it } from 'vitest';
import { assuranceLevel, METHOD_IDS, methodsThatRaise, reachable } from '../../src/verification/index.js';

describe('assuranceLevel', () => {
  it.each([
    [[], 0],
    [['otp_sms'], 1],
    [['questions_static'], 1],
    [['otp_sms', 'otp_voice'], 1],
    [['questions_static', 'questions_dynamic', 'document'], 1],
    [['otp_sms', 'questions_static'], 2],
    [['otp_email', 'document'], 2],
    [['otp_sms', 'otp_email'], 2],
    [['biometric_voice', 'ivr_pin'], 2],
    [['otp_sms', 'questions_static', 'document'], 2],
    [['otp_sms', 'otp_email', 'document'], 3],
    [['otp_sms', 'document', 'biometric_face'], 3],
    [['biometric_voice', 'biometric_face', 'ivr_pin'], 2],
  ] as const)('%j -> %i', (passed, level) => {
    expect(assuranceLevel(passed)).toBe(level);
  });

  it('never goes down when a method is added', () => {
    for (const a of METHOD_IDS) for (const b of METHOD_IDS) expect(assuranceLevel([a, b])).toBeGreaterThanOrEqual(assuranceLevel([a]));
  });

  it('offers only methods that raise the level, in the given order', () => {
    expect(methodsThatRaise(['otp_sms'], ['otp_sms', 'otp_voice', 'otp_email', 'questions_static'], ['questions_static', 'otp_email'])).toEqual(['questions_static', 'otp_email']);
    expect(reachable([], ['questions_static', 'document'], 2)).toBe(false);
    expect(reachable([], ['otp_sms', 'otp_email', 'document'], 3)).toBe(true);
  });
});

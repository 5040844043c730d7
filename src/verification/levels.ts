/**
 * Verification methods and the one mapping from the methods a caller passed to the assurance
 * level they reached (docs/verification.md explains and justifies it). Pure: no database, no
 * clock, so the mapping can be read, tested and explained on its own.
 *
 * Every method belongs to one kind of evidence. Methods of the same evidence are not independent:
 * a code by SMS and a code by voice call both prove the same SIM (SIM swap defeats both), and two
 * kinds of questions both prove knowledge that a data breach can teach. The level counts
 * independent evidence, not methods.
 */

/** Every method a verification session knows; other modules report results for theirs. */
export const METHOD_IDS = [
  'otp_sms',
  'otp_voice',
  'otp_email',
  'ivr_pin',
  'questions_static',
  'questions_dynamic',
  'document',
  'biometric_face',
  'biometric_voice',
] as const;
export type MethodId = (typeof METHOD_IDS)[number];

/**
 * What a method proves. `possession_phone` and `possession_email` are separate evidence (different
 * accounts an attacker must take over); `knowledge` covers what the caller knows or was told;
 * `document` a match of an identity document against the stored one; `inherence` a biometric match.
 */
export type Evidence = 'possession_phone' | 'possession_email' | 'knowledge' | 'document' | 'inherence';

export interface MethodDescriptor {
  readonly id: MethodId;
  readonly evidence: Evidence;
  /** One line for the agent: what the method asks of the caller (never what the answer is). */
  readonly label: string;
}

export const METHODS: { readonly [M in MethodId]: MethodDescriptor } = {
  otp_sms: { id: 'otp_sms', evidence: 'possession_phone', label: 'Code sent by SMS to the phone on file' },
  otp_voice: { id: 'otp_voice', evidence: 'possession_phone', label: 'Code read out by a call to the phone on file' },
  otp_email: { id: 'otp_email', evidence: 'possession_email', label: 'Code sent by email to the address on file' },
  ivr_pin: { id: 'ivr_pin', evidence: 'knowledge', label: 'Telephone PIN typed on the keypad' },
  questions_static: { id: 'questions_static', evidence: 'knowledge', label: 'Security questions chosen by the customer' },
  questions_dynamic: { id: 'questions_dynamic', evidence: 'knowledge', label: 'Questions about the account' },
  document: { id: 'document', evidence: 'document', label: 'Identity document number matching the one on file' },
  biometric_face: { id: 'biometric_face', evidence: 'inherence', label: 'Face match' },
  biometric_voice: { id: 'biometric_voice', evidence: 'inherence', label: 'Voice match' },
};

export type AssuranceLevel = 0 | 1 | 2 | 3;

export function isMethodId(value: string): value is MethodId {
  return (METHOD_IDS as readonly string[]).includes(value);
}

/** The independent kinds of evidence among `passed`. */
export function evidenceOf(passed: Iterable<MethodId>): Set<Evidence> {
  const out = new Set<Evidence>();
  for (const method of passed) out.add(METHODS[method].evidence);
  return out;
}

/**
 * THE mapping (docs/verification.md, "Assurance levels"). With E the independent evidence passed:
 *
 * - 0 (none): nothing passed.
 * - 1 (low): any one piece of evidence.
 * - 2 (substantial): two or more, at least one of them possession or inherence. Knowledge and a
 *   document number alone never give 2: both can be learnt from the same breach or stolen wallet.
 * - 3 (high): three or more, including inherence, or including both possession channels (phone
 *   and email: two accounts to take over).
 *
 * @example
 * ```ts
 * assuranceLevel(['otp_sms']);                       // 1
 * assuranceLevel(['otp_sms', 'questions_static']);   // 2
 * assuranceLevel(['otp_sms', 'otp_voice']);          // 1: the same phone twice
 * assuranceLevel(['otp_sms', 'document', 'biometric_voice']); // 3
 * ```
 */
export function assuranceLevel(passed: Iterable<MethodId>): AssuranceLevel {
  const evidence = evidenceOf(passed);
  const n = evidence.size;
  if (n === 0) return 0;
  const possession = evidence.has('possession_phone') || evidence.has('possession_email');
  const inherence = evidence.has('inherence');
  if (n >= 3 && (inherence || (evidence.has('possession_phone') && evidence.has('possession_email')))) return 3;
  if (n >= 2 && (possession || inherence)) return 2;
  return 1;
}

/**
 * Methods among `available` that would raise the level reached with `passed`, best first in the
 * tenant's `order`: a method whose evidence is already proven raises nothing and is not offered
 * (the caller is not asked twice for the same thing).
 */
export function methodsThatRaise(passed: readonly MethodId[], available: readonly MethodId[], order: readonly MethodId[]): MethodId[] {
  const current = assuranceLevel(passed);
  const rank = (m: MethodId) => {
    const i = order.indexOf(m);
    return i < 0 ? order.length : i;
  };
  return available.filter((m) => !passed.includes(m) && assuranceLevel([...passed, m]) > current).sort((a, b) => rank(a) - rank(b));
}

/**
 * Whether `target` can still be reached from `passed` with methods in `available` (searching the
 * small set of combinations: nine methods at most).
 */
export function reachable(passed: readonly MethodId[], available: readonly MethodId[], target: AssuranceLevel): boolean {
  const candidates = available.filter((m) => !passed.includes(m));
  const total = 1 << candidates.length;
  for (let mask = 0; mask < total; mask += 1) {
    const chosen = candidates.filter((_, i) => (mask & (1 << i)) !== 0);
    if (assuranceLevel([...passed, ...chosen]) >= target) return true;
  }
  return false;
}

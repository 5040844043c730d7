import { defineErrors } from '../platform/errors.js';

/**
 * Failures of caller verification. None of them says which code was expected, whether a contact
 * exists beyond what the method list shows, or anything the caller typed.
 */
export const VerificationErrors = defineErrors('verification', {
  // One answer for an unknown id, another tenant's id and a session the caller may not act on.
  not_found: { status: 404, title: 'Verification session not found' },
  // The interaction is not linked to a customer (or to another one than asked), or is not open.
  interaction_not_ready: { status: 409, title: 'The interaction is not open or not linked to this customer' },
  session_closed: { status: 409, title: 'The verification session is no longer open' },
  method_unavailable: { status: 409, title: 'This verification method is not available for this customer' },
  // No code was sent in this session, or it was used, voided or exhausted.
  no_active_code: { status: 409, title: 'There is no active code in this session: send a new one' },
  otp_expired: { status: 409, title: 'The code has expired: send a new one' },
  resend_cooldown: { status: 429, title: 'A code was sent moments ago: wait before sending another' },
  customer_locked: { status: 423, title: 'Verification of this customer is locked after too many failures' },
  not_locked: { status: 409, title: 'Verification of this customer is not locked' },
  invalid_release: { status: 400, title: 'A lock release needs its reason' },
  invalid_settings: { status: 400, title: 'The verification settings are invalid' },
  // Security questions (src/verification/questions/): enrollment and challenges.
  invalid_answers: { status: 400, title: 'The security question answers cannot be enrolled' },
  no_open_questions: { status: 409, title: 'There are no open questions with this id in this session: ask new ones' },
  questions_exhausted: { status: 409, title: 'The questions of this method were asked as often as a session allows' },
  // Risk (risk/): the tenant's list of known fraud numbers.
  fraud_number_exists: { status: 409, title: 'This number is already on the list of fraud numbers' },
  fraud_number_not_found: { status: 404, title: 'Fraud number entry not found' },
  // Biometrics (biometrics/). One 404 for an unknown id and another contact center's.
  biometric_not_found: { status: 404, title: 'Biometric consent or enrollment not found' },
  biometric_consent_required: { status: 409, title: 'The customer has not given (or has withdrawn) consent to this biometric enrollment' },
  biometric_not_enrolled: { status: 409, title: 'The customer has no biometric enrollment of this kind' },
  biometric_invalid_sample: { status: 400, title: 'The biometric sample is not usable' },
});

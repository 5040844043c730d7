import { AppError, defineErrors } from '../platform/errors.js';

export const AgentErrors = defineErrors('agents', {
  // One answer for unknown, expired, revoked and used links: nobody learns which links exist.
  invitation_invalid: { status: 404, title: 'This invitation link is not valid' },
  // One answer for an unknown tenant, an unknown address and a wrong password.
  invalid_credentials: { status: 401, title: 'The contact center, address or password is not correct' },
  too_many_attempts: { status: 429, title: 'Too many attempts; wait before trying again' },
  unauthenticated: { status: 401, title: 'Sign-in required' },
  csrf_failed: { status: 403, title: 'Missing or wrong CSRF token' },
  forbidden: { status: 403, title: 'Your role does not allow this' },
  second_factor_required: { status: 403, title: 'Confirm your sign-in with your second factor first' },
  invalid_second_factor: { status: 401, title: 'The code or security key was not accepted' },
  second_factor_replayed: { status: 401, title: 'This code was already used; wait for the next one' },
  session_locked: { status: 423, title: 'The session is locked; confirm it is you with your second factor' },
  off_shift: { status: 403, title: 'Outside your shift: no access to customer data' },
  training_required: { status: 403, title: 'Security training or code-of-conduct acknowledgement missing or expired' },
  network_not_allowed: { status: 403, title: 'Sign-in from this network is not allowed for this contact center' },
  weak_password: { status: 422, title: 'Choose a stronger password' },
  not_found: { status: 404, title: 'Agent not found' },
  session_not_found: { status: 404, title: 'Session not found' },
  factor_conflict: { status: 409, title: 'This second factor is already registered' },
  step_up_required: { status: 403, title: 'Confirm it is you with your second factor first (changing second factors needs a recent proof)' },
  factor_not_found: { status: 404, title: 'Second factor not found' },
  last_factor: { status: 409, title: 'This is your last second factor; register another one first' },
  no_enrollment: { status: 409, title: 'No second-factor enrollment is in progress' },
  api_key_not_found: { status: 404, title: 'API key not found' },
  invalid_shift_schedule: { status: 400, title: 'The shift schedule is not valid' },
  invalid_device_proof: { status: 400, title: 'The device proof was not accepted (wrong signature, clock too far off, or used before)' },
  device_required: { status: 403, title: 'Customer data is available only from a registered device' },
  device_not_approved: { status: 403, title: 'This device waits for a supervisor to approve it' },
  network_not_approved: { status: 403, title: 'Sign-ins from this network wait for a supervisor to approve it' },
  device_not_bound: { status: 422, title: 'This passkey does not identify one device' },
  device_conflict: { status: 409, title: 'This device is already registered' },
  device_not_found: { status: 404, title: 'Device not found' },
  invalid_phone: { status: 400, title: 'This phone number cannot receive codes' },
  sms_unavailable: { status: 409, title: 'SMS codes are not available here' },
  last_admin: { status: 409, title: 'This would leave the contact center without an active tenant administrator' },
  alert_not_found: { status: 404, title: 'Alert not found' },
});

/** 429 with `Retry-After` (whole seconds, at least 1). */
export function tooManyAttempts(retryAfterMs: number): AppError {
  return new AppError(AgentErrors.too_many_attempts, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1_000))) } });
}

import { defineErrors } from '../platform/errors.js';

export const AccessErrors = defineErrors('access', {
  invalid_policy: { status: 400, title: 'The access policy is not valid' },
  // One answer for a customer who does not exist, one of another tenant, and one the agent has
  // no interaction with: nobody learns which customers exist by trying ids.
  no_interaction: { status: 403, title: 'Open a customer record through an active interaction assigned to you' },
  not_revealable: { status: 403, title: 'This field cannot be revealed to you now' },
  verification_required: { status: 403, title: 'The caller must be verified to a higher level first' },
  reason_required: { status: 400, title: 'Give a reason from the list (and, for "other", a few words)' },
  field_not_found: { status: 404, title: 'This customer record has no such field' },
  break_glass_not_found: { status: 404, title: 'Emergency access grant not found' },
  review_conflict: { status: 409, title: 'This emergency access grant was already reviewed' },
});

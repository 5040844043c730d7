import { defineErrors } from '../platform/errors.js';

export const AgentErrors = defineErrors('agents', {
  // One answer for unknown, expired, revoked and used links: nobody learns which links exist.
  invitation_invalid: { status: 404, title: 'This invitation link is not valid' },
});

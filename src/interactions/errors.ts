import { defineErrors } from '../platform/errors.js';

export const InteractionErrors = defineErrors('interactions', {
  // One answer for an unknown id, another tenant's id and an interaction the caller may not see
  // (another agent's): nobody learns which interactions exist.
  not_found: { status: 404, title: 'Interaction not found' },
  invalid_transition: { status: 409, title: 'The interaction cannot move from its state to that one' },
  not_open: { status: 409, title: 'The interaction is in wrap-up or closed: it can no longer be assigned, transferred or linked' },
  unassigned: { status: 409, title: 'The interaction needs an assigned agent to become active' },
  external_ref_conflict: { status: 409, title: 'Another interaction already has this external reference' },
  // One answer for an unknown agent, another tenant's agent, a suspended member and a role that
  // does not handle interactions.
  invalid_assignee: { status: 422, title: 'This agent cannot be assigned interactions in this contact center' },
  // One answer for an unknown customer and another tenant's customer.
  customer_not_found: { status: 404, title: 'Customer not found' },
});

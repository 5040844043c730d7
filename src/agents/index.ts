export { AgentErrors } from './errors.js';
export {
  type InvitationSummary,
  type IssuedInvitation,
  insertInvitation,
  lookupInvitation,
  maskEmail,
  revokeOpenInvitations,
  tenantOfInvitationToken,
} from './invitations.js';
export { ROLES, type Role, roleSchema } from './roles.js';
export { registerInvitationRoutes } from './routes.js';

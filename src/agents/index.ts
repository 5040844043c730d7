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
export { assertDataAccess, type DataAccessVerdict } from './access-gate.js';
export { registerAgentAdminRoutes } from './admin-routes.js';
export { ALERT_CHANNEL } from './alerts.js';
export { type AuthService, createAuthService, type SignInResult } from './auth-service.js';
export { registerAuthRoutes } from './auth-routes.js';
export { type Authenticate, createAuthenticator, SESSION_COOKIE_NAME } from './http-auth.js';
export { DEFAULT_PASSWORD_PARAMS, type PasswordParams } from './password.js';
export { type IssuedSession, type Session, SESSION_CHANNEL, SessionService } from './sessions.js';
export { DEFAULT_SECURITY_SETTINGS, type SecuritySettings, securitySettingsSchema } from './settings.js';
export { API_KEY_SCOPES, type ApiKeyScope, type AuthenticateService, createServiceAuthenticator, type ServicePrincipal } from './api-keys.js';
export { registerApiKeyRoutes } from './api-key-routes.js';
export { registerDeviceRoutes } from './device-routes.js';
export { registerSmsRoutes } from './sms-routes.js';
export { registerMembershipRoutes } from './membership-routes.js';
export { type RelyingParty, relyingPartyOf, type WebAuthnFactors } from './webauthn.js';

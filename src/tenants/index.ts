export { PlatformErrors, TenantErrors } from './errors.js';
export {
  type IssuedPlatformToken,
  issueFirstPlatformToken,
  issuePlatformToken,
  listPlatformTokens,
  type PlatformTokenInfo,
  revokePlatformToken,
  verifyPlatformToken,
} from './platform-tokens.js';
export { registerTenantRoutes, type TenantRouteDeps } from './routes.js';
export { type CreateTenantInput, createTenantService, type Tenant, type TenantService } from './service.js';
export { isValidTenantSlug, tenantSlugSchema } from './slug.js';

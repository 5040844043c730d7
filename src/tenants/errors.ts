import { defineErrors } from '../platform/errors.js';

export const TenantErrors = defineErrors('tenants', {
  not_found: { status: 404, title: 'Tenant not found' },
  slug_taken: { status: 409, title: 'This tenant slug is already in use' },
  not_suspended: { status: 409, title: 'Only a suspended tenant can be deleted' },
  key_version_not_found: { status: 404, title: 'No active key-encryption key version with that number' },
});

export const PlatformErrors = defineErrors('platform', {
  // One answer for missing, malformed, unknown, expired and revoked tokens.
  token_invalid: { status: 401, title: 'A valid platform administrator token is required' },
});

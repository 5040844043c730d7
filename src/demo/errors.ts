import { defineErrors } from '../platform/errors.js';

export const DemoErrors = defineErrors('demo', {
  refused_in_production: { status: 400, title: 'The demo tenant cannot be created in production' },
  not_seeded: { status: 404, title: 'There is no demo tenant to reissue invitations for' },
});

import { z } from 'zod';
import type { Database } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import { lookupInvitation } from './invitations.js';
import { roleSchema } from './roles.js';

const lookupBody = z.strictObject({
  token: z.string().min(1).max(200).describe('The token from the invitation link (after `#`).'),
});

const invitationView = z.object({
  tenant: z.object({ slug: z.string(), name: z.string() }),
  role: roleSchema,
  emailHint: z.string().describe('The invited address, masked.'),
  expiresAt: z.iso.datetime(),
});

export function registerInvitationRoutes(app: HttpApp, deps: { db: Database; clock: Clock }): void {
  app.post(
    '/v1/invitations/lookup',
    {
      schema: {
        tags: ['agents'],
        summary: 'Describe an invitation without using it',
        description:
          'The token travels in the body, never in a URL, so it does not reach access logs. Unknown, expired, revoked and used invitations give the same 404.',
        body: lookupBody,
        response: { 200: invitationView, ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const found = await lookupInvitation(deps.db, request.body.token, deps.clock.now());
      return {
        tenant: { slug: found.tenant.slug, name: found.tenant.name },
        role: found.role,
        emailHint: found.emailHint,
        expiresAt: found.expiresAt.toISOString(),
      };
    },
  );
}

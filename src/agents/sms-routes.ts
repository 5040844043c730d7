/**
 * HTTP surface of the SMS fallback second factor (sms-factor.ts): registering a phone, asking for
 * a code to sign in or unlock, removing the phone. Presenting a code is `POST
 * /v1/auth/second-factor` with `method: "sms"`.
 */
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import { type HttpApp, problemResponses } from '../platform/http.js';
import type { AuthService } from './auth-service.js';
import { type Authenticate, requireOpenIfSignedIn } from './http-auth.js';
import type { SessionService } from './sessions.js';

export interface SmsRouteDeps {
  readonly clock: Clock;
  readonly auth: AuthService;
  readonly sessions: SessionService;
  readonly authenticate: Authenticate;
}

const TAG = ['auth'];
const security: { [scheme: string]: string[] }[] = [{ agentSession: [] }, { agentBearer: [] }];
const sentView = z.object({ sentTo: z.string().describe('The last two digits of the phone.'), expiresAt: z.iso.datetime() });

export function registerSmsRoutes(app: HttpApp, deps: SmsRouteDeps): void {
  const { auth, authenticate, clock, sessions } = deps;

  app.post(
    '/v1/auth/sms/enrollment',
    {
      schema: {
        tags: TAG,
        summary: 'Register a phone for SMS codes (a fallback second factor)',
        description:
          'Only where the contact center allows the SMS fallback and the server has an SMS gateway; only from a session confirmed with a second factor in the last 5 minutes. A code is sent to the phone; confirm it to activate the phone.',
        security,
        body: z.strictObject({ phone: z.string().trim().min(3).max(32).describe('A mobile number, in international form (+34 612 345 678).') }),
        response: { 200: sentView, ...problemResponses(400, 401, 403, 409, 423, 429, 502, 503) },
      },
    },
    async (request) => {
      const session = await authenticate(request);
      await requireOpenIfSignedIn(sessions, session, clock.now());
      const sent = await auth.sms.startEnrollment(session, request.body);
      return { sentTo: sent.sentTo, expiresAt: sent.expiresAt.toISOString() };
    },
  );

  app.post(
    '/v1/auth/sms/enrollment/confirm',
    {
      schema: {
        tags: TAG,
        summary: 'Confirm the phone with the code it received',
        security,
        body: z.strictObject({ code: z.string().min(1).max(64) }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 423, 429) },
      },
    },
    async (request, reply) => {
      const session = await authenticate(request);
      await requireOpenIfSignedIn(sessions, session, clock.now());
      await auth.sms.confirmEnrollment(session, request.body);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/v1/auth/sms',
    {
      schema: { tags: TAG, summary: 'Remove your phone', security, response: { 204: z.null(), ...problemResponses(401, 403, 404, 423) } },
    },
    async (request, reply) => {
      const session = await authenticate(request);
      await requireOpenIfSignedIn(sessions, session, clock.now());
      await auth.sms.remove(session);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/sms/send',
    {
      schema: {
        tags: TAG,
        summary: 'Send me a code by SMS (to complete a sign-in or unlock)',
        description: 'One a minute and five an hour per agent. Present the code with `POST /v1/auth/second-factor` and `method: "sms"` within 5 minutes.',
        security,
        response: { 200: sentView, ...problemResponses(401, 403, 409, 429, 502, 503) },
      },
    },
    async (request) => {
      const session = await authenticate(request, { stage: 'signin' });
      const sent = await auth.sms.send(session);
      return { sentTo: sent.sentTo, expiresAt: sent.expiresAt.toISOString() };
    },
  );
}

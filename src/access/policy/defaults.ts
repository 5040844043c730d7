/**
 * The policy every tenant starts with: least privilege for a contact center. A tenant may replace
 * it with its own document; the guards and the payment cap apply to every policy whatever it says.
 *
 * Written in three layers, which is how a first-match policy stays reviewable:
 * 1. prohibitions (`hidden`) first, so nothing below can loosen them;
 * 2. then narrowings (no reveals after the call; card data masked);
 * 3. then the grants, one idea per rule, disjoint from each other.
 *
 * Rules only ever see a live interaction (active or wrap-up) or a break-glass grant; the guard
 * hides everything else before they are read. So a grant without `interactionStates` reads "during
 * an active interaction, or under break-glass in any state". For agents, senior agents and
 * supervisors break-glass stands in for the missing interaction and grants what an active one
 * would - the caller's verification is still required. Security officers reveal only under
 * break-glass, and without asking for caller verification (an investigation has no caller).
 *
 * Any change here changes the literal tables in test/access/policy-defaults.test.ts.
 */
import { parsePolicy, type Policy } from './parse.js';
import type { PolicyDocument } from './schema.js';

const FRONT_LINE = ['agent', 'senior_agent', 'supervisor'] as const;

const DOCUMENT: PolicyDocument = {
  version: 1,
  rules: [
    // 1. Prohibitions.
    {
      id: 'agent-restricted-hidden',
      description: 'Front-line agents never see restricted data, not even masked: the service they give does not need it.',
      when: { roles: ['agent'], classes: ['restricted'] },
      decision: 'hidden',
    },
    {
      id: 'admin-sensitive-hidden',
      description: 'Tenant administrators configure the tenant; they do not read confidential, restricted or card data.',
      when: { roles: ['tenant_admin'], classes: ['confidential', 'restricted', 'payment'] },
      decision: 'hidden',
    },
    {
      id: 'auditor-data-hidden',
      description: 'Auditors read the ledger, not customer data: only public fields are shown to them, masked.',
      when: { roles: ['auditor'], classes: ['internal', 'confidential', 'restricted', 'payment'] },
      decision: 'hidden',
    },
    // 2. Narrowings.
    {
      id: 'wrap-up-masked',
      description: 'After the call, during wrap-up, values stay masked and no new reveal starts: the customer is no longer on the line.',
      when: { roles: [...FRONT_LINE], interactionStates: ['wrap_up'], breakGlass: false, classes: ['public', 'internal', 'confidential', 'restricted'] },
      decision: 'masked',
    },
    {
      id: 'card-data-masked',
      description: 'Card data is held only as tokens: its masked form (last four digits) is enough to talk about a payment.',
      when: { roles: [...FRONT_LINE, 'security_officer'], classes: ['payment'] },
      decision: 'masked',
    },
    // 3. Grants.
    {
      id: 'public-reveal',
      description: 'Public data may be revealed to the caller whatever their verification.',
      when: { roles: [...FRONT_LINE], classes: ['public'] },
      decision: 'revealable',
      revealRequires: { verificationLevel: 0, reasons: ['customer_request', 'identity_check', 'data_correction', 'other'] },
    },
    {
      id: 'internal-reveal',
      description: 'Internal data may be revealed once the caller is verified to at least low assurance.',
      when: { roles: [...FRONT_LINE], classes: ['internal'] },
      decision: 'revealable',
      revealRequires: { verificationLevel: 1, reasons: ['customer_request', 'data_correction', 'billing_dispute', 'other'] },
    },
    {
      id: 'agent-confidential-reveal',
      description: 'Agents may reveal confidential data to a caller verified to substantial assurance, for a service reason.',
      when: { roles: ['agent'], classes: ['confidential'] },
      decision: 'revealable',
      revealRequires: { verificationLevel: 2, reasons: ['customer_request', 'data_correction', 'billing_dispute', 'other'] },
    },
    {
      id: 'escalation-confidential-reveal',
      description: 'Senior agents and supervisors handle escalations: confidential data to a caller verified to substantial assurance, also for fraud and legal reasons.',
      when: { roles: ['senior_agent', 'supervisor'], classes: ['confidential'] },
      decision: 'revealable',
      revealRequires: {
        verificationLevel: 2,
        reasons: ['customer_request', 'data_correction', 'billing_dispute', 'fraud_investigation', 'legal_obligation', 'other'],
      },
    },
    {
      id: 'senior-restricted-reveal',
      description: 'Senior agents may reveal restricted data only to a caller verified to high assurance.',
      when: { roles: ['senior_agent'], classes: ['restricted'] },
      decision: 'revealable',
      revealRequires: { verificationLevel: 3, reasons: ['customer_request', 'fraud_investigation', 'legal_obligation', 'other'] },
    },
    {
      id: 'supervisor-restricted-masked',
      description: 'Supervisors monitor and coach; restricted data stays masked for them.',
      when: { roles: ['supervisor'], classes: ['restricted'] },
      decision: 'masked',
    },
    {
      id: 'officer-break-glass-reveal',
      description: 'Security officers reveal customer data only under a break-glass grant, which is justified, time-limited and alerts.',
      when: { roles: ['security_officer'], breakGlass: true, classes: ['public', 'internal', 'confidential', 'restricted'] },
      decision: 'revealable',
      revealRequires: { verificationLevel: 0, reasons: ['fraud_investigation', 'legal_obligation', 'other'] },
    },
    {
      id: 'officer-masked',
      description: 'Without break-glass, security officers see customer data masked.',
      when: { roles: ['security_officer'], breakGlass: false, classes: ['public', 'internal', 'confidential', 'restricted'] },
      decision: 'masked',
    },
    {
      id: 'admin-masked',
      description: 'Tenant administrators see public and internal data masked, enough to check a configuration.',
      when: { roles: ['tenant_admin'], classes: ['public', 'internal'] },
      decision: 'masked',
    },
    {
      id: 'auditor-public-masked',
      description: 'Auditors see public data masked.',
      when: { roles: ['auditor'], classes: ['public'] },
      decision: 'masked',
    },
  ],
};

function build(): Policy {
  const result = parsePolicy(DOCUMENT);
  if (!result.ok) throw new Error(`the default policy is invalid: ${result.errors.map((e) => `${e.pointer}: ${e.message}`).join('; ')}`);
  if (result.warnings.length > 0) throw new Error(`the default policy has warnings: ${result.warnings.map((w) => w.message).join('; ')}`);
  return result.policy;
}

/**
 * What a tenant without its own policy is evaluated against; also the document to start a tenant's
 * own policy from (`JSON.stringify(DEFAULT_POLICY)`).
 */
export const DEFAULT_POLICY: Policy = build();

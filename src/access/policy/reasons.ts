/**
 * Reason codes for a just-in-time reveal. The set is closed on purpose: the codes are stored in the
 * ledger and shown to customers in their access report, so each must keep one meaning across
 * tenants and releases. `other` exists for what the list does not cover and needs free text; the
 * reveal service enforces the text (this module only says which codes need it).
 */

export const REVEAL_REASONS = [
  'customer_request',
  'identity_check',
  'data_correction',
  'billing_dispute',
  'fraud_investigation',
  'legal_obligation',
  'other',
] as const;
export type RevealReason = (typeof REVEAL_REASONS)[number];

export interface RevealReasonInfo {
  /** Plain-language label, as the customer's access report shows it. */
  readonly label: string;
  /** The agent must add free text explaining the reveal. */
  readonly requiresText: boolean;
}

export const REVEAL_REASON_INFO: Readonly<Record<RevealReason, RevealReasonInfo>> = Object.freeze({
  customer_request: Object.freeze({ label: 'The customer asked for it', requiresText: false }),
  identity_check: Object.freeze({ label: "Checking the caller's identity", requiresText: false }),
  data_correction: Object.freeze({ label: "Confirming or correcting the customer's data", requiresText: false }),
  billing_dispute: Object.freeze({ label: 'Resolving a billing dispute', requiresText: false }),
  fraud_investigation: Object.freeze({ label: 'Investigating suspected fraud', requiresText: false }),
  legal_obligation: Object.freeze({ label: 'A legal obligation (court order, regulator)', requiresText: false }),
  other: Object.freeze({ label: 'Another reason, explained by the agent', requiresText: true }),
});

const KNOWN = new Set<string>(REVEAL_REASONS);

/** Narrows untrusted input (a request body, a CLI flag) to a reason code. */
export function isRevealReason(value: unknown): value is RevealReason {
  return typeof value === 'string' && KNOWN.has(value);
}

/**
 * Whether the agent must explain the reveal in free text when choosing `code`.
 *
 * @example
 * ```ts
 * revealReasonRequiresText('other'); // true
 * revealReasonRequiresText('customer_request'); // false
 * ```
 */
export function revealReasonRequiresText(code: RevealReason): boolean {
  if (!isRevealReason(code)) throw new TypeError('unknown reveal reason code');
  return REVEAL_REASON_INFO[code].requiresText;
}

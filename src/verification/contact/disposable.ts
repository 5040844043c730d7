/**
 * Disposable-mail domains: the shipped list (data/disposable-domains.txt, one domain a line, `#`
 * comments; source and update command in its header and in docs/verification.md). A subdomain of
 * a listed domain is disposable too.
 */
import { readFileSync } from 'node:fs';

/** src/verification/contact and dist/verification/contact are both three levels below the repository root. */
export const DISPOSABLE_DOMAINS_FILE = new URL('../../../src/verification/contact/data/disposable-domains.txt', import.meta.url);

let shipped: ReadonlySet<string> | undefined;

export function parseDomainList(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const domain = line.replace(/#.*/, '').trim().toLowerCase();
    if (domain !== '') out.add(domain);
  }
  return out;
}

/** The shipped list, read once. */
export function disposableDomains(): ReadonlySet<string> {
  shipped ??= parseDomainList(readFileSync(DISPOSABLE_DOMAINS_FILE, 'utf8'));
  return shipped;
}

export function isDisposableDomain(domain: string, list: ReadonlySet<string> = disposableDomains()): boolean {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  for (let i = 0; i < labels.length - 1; i += 1) if (list.has(labels.slice(i).join('.'))) return true;
  return false;
}

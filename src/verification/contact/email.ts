/**
 * Email address syntax, the practical subset of RFC 5321 §4.1.2 / RFC 5322 §3.4.1 that mail
 * systems accept in practice: a dot-atom local part (no quoted strings, no comments), at most 64
 * octets; a domain of LDH labels (RFC 1035, internationalized names as their A-labels or in
 * Unicode letters), at least two labels, each 1-63 characters, no leading or trailing hyphen, a
 * top-level label that is not all digits; at most 254 characters in all. Address literals
 * (`user@[192.0.2.1]`) are refused: no customer of a contact center has one.
 */
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+$/u;
const LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

export function isValidEmailSyntax(input: string): boolean {
  if (input.length === 0 || input.length > 254) return false;
  const at = input.lastIndexOf('@');
  if (at <= 0 || at === input.length - 1) return false;
  const local = input.slice(0, at);
  const domain = input.slice(at + 1);
  if (new TextEncoder().encode(local).length > 64) return false;
  if (!local.split('.').every((atom) => atom.length > 0 && ATEXT.test(atom))) return false;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return false;
  return !/^[0-9]+$/.test(labels.at(-1)!);
}

/** The domain of an address (lower case), or undefined when the syntax is not valid. */
export function emailDomain(input: string): string | undefined {
  return isValidEmailSyntax(input) ? input.slice(input.lastIndexOf('@') + 1).toLowerCase() : undefined;
}

/**
 * The mail server as one URL, so it fits one setting (a secret: it holds a password):
 *
 * ```
 * smtp://USER:PASSWORD@HOST[:PORT]    submission with STARTTLS (port 587 by default)
 * smtps://USER:PASSWORD@HOST[:PORT]   TLS from the first byte (port 465 by default)
 * ```
 *
 * User and password are percent-decoded. Errors never repeat any part of the URL.
 */
export interface SmtpUrlSettings {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (`smtps:`). */
  readonly implicitTls: boolean;
  readonly user?: string;
  readonly password?: string;
}

export function parseSmtpUrl(value: string): SmtpUrlSettings {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('SMTP URL: not a URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new TypeError('SMTP URL: the scheme must be smtp:// or smtps://');
  if (url.hostname === '') throw new TypeError('SMTP URL: no host');
  if (url.search !== '' || url.hash !== '' || (url.pathname !== '' && url.pathname !== '/')) throw new TypeError('SMTP URL: only user, password, host and port are read');
  const implicitTls = url.protocol === 'smtps:';
  let user: string | undefined;
  let password: string | undefined;
  try {
    user = url.username === '' ? undefined : decodeURIComponent(url.username);
    password = url.password === '' ? undefined : decodeURIComponent(url.password);
  } catch {
    throw new TypeError('SMTP URL: user or password is not validly percent-encoded');
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === '' ? (implicitTls ? 465 : 587) : Number(url.port), implicitTls, ...(user === undefined ? {} : { user }), ...(password === undefined ? {} : { password }) };
}

/**
 * The SMPP gateway as one URL, so it fits one setting:
 *
 * ```
 * smpp://SYSTEM_ID:PASSWORD@HOST[:PORT]?source=SENDER[&system_type=..][&source_ton=N&source_npi=N][&max_per_second=N][&plaintext=allowed]
 * smpps://...   (TLS; `ssmpp://`, the spelling of the smpp package, is accepted too)
 * ```
 *
 * User and password are percent-decoded (`p%40ss` is `p@ss`); the port defaults to 2775, or 3550
 * with TLS. Unknown parameters are refused, so a misspelt one is noticed rather than ignored.
 *
 * The URL holds a password: errors say what is wrong with it without repeating any of it (and
 * without the `URL` parser's own error as their cause, whose `input` is the whole URL).
 */
import { assertSmppConfig, SMPP_DEFAULTS } from './smpp-config.js';

/** What a URL says: the connection part of an {@link SmppSmsSenderConfig}. */
export interface SmppUrlSettings {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly systemId: string;
  readonly password: string;
  readonly systemType?: string;
  readonly sourceAddr: string;
  readonly sourceTon?: number;
  readonly sourceNpi?: number;
  readonly maxPerSecond?: number;
}

const SCHEMES: Readonly<Record<string, boolean>> = { 'smpp:': false, 'smpps:': true, 'ssmpp:': true };
const PARAMETERS = new Set(['source', 'system_type', 'source_ton', 'source_npi', 'max_per_second', 'plaintext']);

/** Hosts where plain SMPP never leaves the machine. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function problem(message: string): TypeError {
  return new TypeError(`SMPP URL: ${message}`);
}

function decode(part: string, name: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw problem(`the ${name} has a malformed percent-escape (write % itself as %25)`);
  }
}

function integer(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^[0-9]{1,6}$/.test(raw)) throw problem(`${name} must be a whole number`);
  return Number(raw);
}

/**
 * Parses an SMPP URL into settings for {@link SmppSmsSender}.
 *
 * @example
 * ```ts
 * const sender = new SmppSmsSender({ ...parseSmppUrl('smpp://custodia:s3cr%40t@smsc.example:2775?source=Custodia'), logger });
 * ```
 */
export function parseSmppUrl(url: string): SmppUrlSettings {
  if (typeof url !== 'string' || url.trim() === '') throw problem('empty');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*:)\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined || !(scheme in SCHEMES)) throw problem('must start with smpp:// or smpps://');
  const tls = SCHEMES[scheme] === true;

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not the parser's error: its `input` property is the URL, password included.
    throw problem('not a valid URL (check the port, and percent-encode @ : / ? # % in the user and password, e.g. @ as %40)');
  }
  if (parsed.hostname === '') throw problem('the host is missing');
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw problem('must not have a path');
  if (parsed.hash !== '') throw problem('must not have a #fragment');
  if (parsed.username === '') throw problem('the system id is missing (smpp://SYSTEM_ID:PASSWORD@host)');

  const params = parsed.searchParams;
  for (const name of new Set(params.keys())) {
    if (!PARAMETERS.has(name)) throw problem(`unknown parameter "${name.slice(0, 32)}" (known: ${[...PARAMETERS].join(', ')})`);
    if (params.getAll(name).length > 1) throw problem(`parameter "${name}" is given more than once`);
  }
  const sourceAddr = params.get('source');
  if (sourceAddr === null || sourceAddr === '') throw problem('the source parameter is missing (?source=NAME or ?source=+NUMBER: the sender recipients see)');

  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const settings: SmppUrlSettings = {
    // IPv6 literals come bracketed ("[::1]"); net.connect wants them bare.
    host,
    port: parsed.port === '' ? (tls ? SMPP_DEFAULTS.tlsPort : SMPP_DEFAULTS.port) : Number(parsed.port),
    tls,
    systemId: decode(parsed.username, 'system id'),
    password: decode(parsed.password, 'password'),
    sourceAddr,
    ...optional('systemType', params.get('system_type') ?? undefined),
    ...optional('sourceTon', integer(params, 'source_ton')),
    ...optional('sourceNpi', integer(params, 'source_npi')),
    ...optional('maxPerSecond', integer(params, 'max_per_second')),
  };
  try {
    assertSmppConfig(settings);
  } catch (error) {
    throw problem((error as Error).message);
  }
  // Plain SMPP carries the bind password, the one-time codes and the phone numbers in clear:
  // only to this machine, or when the operator says the link is protected otherwise (a VPN).
  const plaintext = params.get('plaintext');
  if (plaintext !== null && plaintext !== 'allowed') throw problem('plaintext may only be "allowed"');
  if (!tls && !isLoopback(host) && plaintext !== 'allowed') {
    throw problem('smpp:// sends the password and the codes in clear; use smpps:// (TLS), or add ?plaintext=allowed when the link is protected otherwise (VPN, private line)');
  }
  return settings;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Does an email domain receive mail? A mail-exchanger lookup (RFC 5321 §5.1: MX records, else an
 * address record stands in as implicit MX) through node:dns's Resolver, with its servers set by
 * the `dnsServers` setting (CUSTODIA_DNS_SERVERS; default: the system's), cached with a
 * TTL, and tolerant: a timeout or a server failure is `'unknown'`, never "no MX" (a DNS outage
 * must not make every customer look suspicious). Only NXDOMAIN and NODATA answers say false.
 */
import { Resolver } from 'node:dns/promises';

export type MxAnswer = boolean | 'unknown';

export interface MxOptions {
  /** `ip` or `ip:port` (IPv6 in brackets with a port); empty: the system's resolvers. */
  readonly servers?: readonly string[] | undefined;
  /** Per-query timeout (node:dns `timeout`), default 2000 ms. */
  readonly timeoutMs?: number;
  /** Retries per query (node:dns `tries`), default 1. */
  readonly tries?: number;
  /** How long an answer is kept, default 1 hour; 'unknown' is kept 1 minute. */
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

const NEGATIVE = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

export class MxChecker {
  readonly #resolver: Resolver;
  readonly #cache = new Map<string, { answer: MxAnswer; until: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MxOptions = {}) {
    this.#resolver = new Resolver({ timeout: options.timeoutMs ?? 2_000, tries: options.tries ?? 1 });
    if (options.servers !== undefined && options.servers.length > 0) this.#resolver.setServers([...options.servers]);
    this.#ttlMs = options.ttlMs ?? 3_600_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `domain` has a mail exchanger (or an address that acts as one). */
  async hasMx(domain: string): Promise<MxAnswer> {
    const key = domain.toLowerCase().replace(/\.$/, '');
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.until > this.#now()) return cached.answer;
    const answer = await this.#lookup(key);
    if (this.#cache.size >= this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, { answer, until: this.#now() + (answer === 'unknown' ? 60_000 : this.#ttlMs) });
    return answer;
  }

  async #lookup(domain: string): Promise<MxAnswer> {
    try {
      const records = await this.#resolver.resolveMx(domain);
      // RFC 7505: a single MX of "." with preference 0 says the domain accepts no mail.
      if (records.length === 1 && records[0]!.exchange === '' ) return false;
      if (records.length > 0) return true;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (code === 'ENOTFOUND' || code === 'NXDOMAIN') return false;
      if (!NEGATIVE.has(code)) return 'unknown';
    }
    // No MX records: an address record is the implicit MX (RFC 5321 §5.1).
    try {
      return (await this.#resolver.resolve4(domain)).length > 0;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      return NEGATIVE.has(code) ? false : 'unknown';
    }
  }
}

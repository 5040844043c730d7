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

function keyOf(domain: string): string {
  return domain.toLowerCase().replace(/\.$/, '');
}

export class MxChecker {
  readonly #resolver: Resolver;
  readonly #cache = new Map<string, { answer: MxAnswer; until: number }>();
  readonly #inFlight = new Map<string, Promise<MxAnswer>>();
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
    const key = keyOf(domain);
    const cached = this.#fresh(key);
    if (cached !== undefined) return cached;
    // One query per domain at a time: callers that ask meanwhile share its answer.
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#lookup(key).then((answer) => {
        if (this.#cache.size >= this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value as string);
        this.#cache.set(key, { answer, until: this.#now() + (answer === 'unknown' ? 60_000 : this.#ttlMs) });
        return answer;
      });
      const forget = () => this.#inFlight.delete(key);
      pending.then(forget, forget);
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  /**
   * The cached answer for `domain` without waiting: 'unknown' when there is none yet, and then a
   * lookup starts in the background so that a later call has it. For callers inside a database
   * transaction, which must not hold it (and a connection) while DNS takes up to its timeout.
   */
  answerNow(domain: string): MxAnswer {
    const key = keyOf(domain);
    const cached = this.#fresh(key);
    if (cached !== undefined) return cached;
    // #lookup never rejects (every failure is an answer); the catch is for the unexpected.
    this.hasMx(key).catch(() => undefined);
    return 'unknown';
  }

  #fresh(key: string): MxAnswer | undefined {
    const cached = this.#cache.get(key);
    return cached !== undefined && cached.until > this.#now() ? cached.answer : undefined;
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

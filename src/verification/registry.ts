/**
 * The method registry: which methods this server can run for a customer. One-time codes register
 * themselves (when a sender is configured and the customer has the contact on file); the modules
 * that run questions, document checks and biometrics register theirs the same way, and report
 * results through `reportMethodResult` (service.ts). The level they add is decided by the one
 * mapping in levels.ts, never by the method.
 */
import type { Tx } from '../db/index.js';
import type { MethodId } from './levels.js';

export interface MethodAvailabilityQuery {
  readonly tenantId: string;
  readonly customerId: string;
}

export interface MethodProvider {
  readonly id: MethodId;
  /** Whether the method can run for this customer now (a sender configured, data on file...). */
  available(tx: Tx, query: MethodAvailabilityQuery): Promise<boolean>;
}

export class MethodRegistry {
  readonly #providers = new Map<MethodId, MethodProvider>();

  /** Registers a method; a second registration of the same id is a programming error. */
  register(provider: MethodProvider): this {
    if (this.#providers.has(provider.id)) throw new TypeError(`verification method registered twice: ${provider.id}`);
    this.#providers.set(provider.id, provider);
    return this;
  }

  has(id: MethodId): boolean {
    return this.#providers.has(id);
  }

  /** Registered methods available for the customer, in registration order. */
  async available(tx: Tx, query: MethodAvailabilityQuery): Promise<MethodId[]> {
    const out: MethodId[] = [];
    for (const provider of this.#providers.values()) if (await provider.available(tx, query)) out.push(provider.id);
    return out;
  }
}

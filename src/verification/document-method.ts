/**
 * The `document` method: the caller reads out their identity document number (or the agent types
 * the MRZ lines of the document they show on video); it must be a valid number of its type
 * (src/documents: format, check digits; an MRZ also its dates and expiry) and match the document
 * on the customer's record.
 *
 * The match goes through the vault's blind index of the record's document field, compared in
 * constant time; because blind indexes are truncated (CUSTODIA_BLIND_INDEX_BYTES), a digest match
 * is confirmed against the stored value inside the server, also in constant time. Nothing of the
 * stored document, nor of what was typed, is in the answer, a log or the ledger: pass or fail.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type CustomerRecord, decryptFieldValue, loadCustomerRecord } from '../customers/index.js';
import type { Tx } from '../db/index.js';
import { checkDocument, type DocumentType, parseMrz } from '../documents/index.js';
import type { InteractionActor } from '../interactions/index.js';
import { AppError } from '../platform/errors.js';
import { VerificationErrors } from './errors.js';
import { type MethodDeps, publishAlert } from './questions/service.js';
import type { MethodProvider, MethodRegistry } from './registry.js';
import { type CheckResult, reportMethodResult, usableSession } from './service.js';

export const NATIONAL_DOCUMENT_TYPES = ['cpf', 'cnpj', 'dni', 'nie', 'curp', 'rut', 'cuit', 'nit', 'ssn'] as const satisfies readonly DocumentType[];
export type NationalDocumentType = (typeof NATIONAL_DOCUMENT_TYPES)[number];

/** A customer field saying which type the document on file is (clear text, e.g. `dni`). */
export const DOCUMENT_TYPE_FIELD = 'document_type';

export type DocumentInput = { readonly number: string; readonly type?: NationalDocumentType | undefined } | { readonly mrz: string };

/** The record's document field: `document` if it has a value, else the first document-type field with one. */
function documentField(record: CustomerRecord): string | undefined {
  const withValue = record.fields.filter((f) => f.definition.type === 'document' && f.value !== null);
  return (withValue.find((f) => f.definition.key === 'document') ?? withValue[0])?.definition.key;
}

function typeOnFile(record: CustomerRecord): NationalDocumentType | undefined {
  const field = record.fields.find((f) => f.definition.key === DOCUMENT_TYPE_FIELD);
  const text = field?.value?.protection === 'clear' ? field.value.stored.trim().toLowerCase() : undefined;
  return (NATIONAL_DOCUMENT_TYPES as readonly string[]).includes(text ?? '') ? (text as NationalDocumentType) : undefined;
}

/**
 * The canonical document number the input stands for, or undefined when it is not a valid
 * document: of the type given, else the type on file, else any national type it is valid as.
 */
export function documentNumberOf(input: DocumentInput, typeFromRecord: NationalDocumentType | undefined, now: Date): string | undefined {
  if ('mrz' in input) {
    const mrz = parseMrz(input.mrz, { now });
    // Valid means every check digit, real dates, and not expired on `now`.
    return mrz.valid && mrz.documentNumber !== '' ? mrz.documentNumber : undefined;
  }
  const type = input.type ?? typeFromRecord;
  const types = type === undefined ? NATIONAL_DOCUMENT_TYPES : [type];
  for (const t of types) {
    const check = checkDocument(t, input.number, { now });
    if (check.valid) return check.normalized;
  }
  return undefined;
}

// Equal-length digests of both sides, so the comparison takes the same time whatever the lengths.
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a, 'utf8').digest(), createHash('sha256').update(b, 'utf8').digest());
}

async function matchesOnFile(tx: Tx, deps: MethodDeps, record: CustomerRecord, field: string, candidate: string): Promise<boolean> {
  const digest = await deps.vault.blindIndex(tx, record.tenantId, 'document', candidate);
  const row = await tx
    .selectFrom('blind_indexes')
    .select('digest')
    .where('tenant_id', '=', record.tenantId)
    .where('owner_table', '=', 'customers')
    .where('owner_id', '=', record.customerId)
    .where('field', '=', field)
    .executeTakeFirst();
  if (row !== undefined) {
    const stored = Buffer.from(row.digest);
    if (stored.length !== digest.length || !timingSafeEqual(stored, digest)) return false;
  }
  // A digest match (or a field kept without a blind index) is confirmed on the value itself.
  const value = await decryptFieldValue(tx, deps.vault, record, field);
  return typeof value === 'string' && sameText(value, candidate);
}

export function documentMethodProvider(): MethodProvider {
  return {
    id: 'document',
    async available(tx, query) {
      return documentField(await loadCustomerRecord(tx, query.tenantId, query.customerId)) !== undefined;
    },
  };
}

export function createDocumentMethod(deps: MethodDeps & { readonly registry: MethodRegistry }) {
  return {
    /** Checks the document the caller gave against the one on file: pass or fail, and the status. */
    async check(actor: InteractionActor, sessionId: string, input: DocumentInput): Promise<CheckResult> {
      const outcome = await deps.db.withTenant(actor.tenantId, async (tx) => {
        const now = deps.clock.now();
        const session = await usableSession(tx, actor, sessionId, now);
        if (!deps.registry.has('document')) throw new AppError(VerificationErrors.method_unavailable, { details: { method: 'document' } });
        const record = await loadCustomerRecord(tx, session.tenant_id, session.customer_id);
        const field = documentField(record);
        if (field === undefined) throw new AppError(VerificationErrors.method_unavailable, { details: { method: 'document' } });
        const candidate = documentNumberOf(input, typeOnFile(record), now);
        const passed = candidate !== undefined && (await matchesOnFile(tx, deps, record, field, candidate));
        return reportMethodResult(tx, { actor, sessionId: session.id, method: 'document', passed, now, registry: deps.registry }).then((r) => ({ passed, ...r }));
      });
      await publishAlert(deps, outcome.alert);
      return { passed: outcome.passed, status: outcome.status };
    },
  };
}

export type DocumentMethod = ReturnType<typeof createDocumentMethod>;

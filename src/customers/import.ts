/**
 * Importing customers from a CSV or JSON-lines file (docs/customers.md, "Import").
 *
 * - Rows are read and checked one by one; good rows are written in batches, one transaction per
 *   batch, so an interruption loses at most the batch in flight and a re-run picks up from there.
 * - A bad row is rejected with its line number and a reason code (never its values); the other
 *   rows of its batch are written.
 * - Idempotent by customer number: a customer that exists is skipped (default) or updated with
 *   the row's values (`existing: 'update'`: only values that differ are written, and a card
 *   already on file is kept). Running the same file twice creates nothing the second time and
 *   reports the same rejected rows.
 * - A customer number that appears twice in one file: the second row is rejected
 *   (`duplicate_in_file`), whatever happened to the first.
 * - Values go through the same checks, encryption, tokenization, history and ledger entries as
 *   the API; the actor is whoever runs the import (`platform`, `cli:customers-import`).
 */
import { statSync } from 'node:fs';
import type { Database, Tx } from '../db/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError, isAppError } from '../platform/errors.js';
import { type CustomerActor, recordCustomerEntry } from './audit.js';
import { CustomerErrors } from './errors.js';
import { ensureFieldSchema } from './field-schema.js';
import { CUSTOMER_NUMBER_KEY, type FieldDefinition } from './fields.js';
import { csvRecords, jsonRecords, type RecordProblem, readLines } from './import-source.js';
import { type CustomerDeps, customerNumberSchema, lockFieldDefinitions, normalizeFields, writeCustomerValues } from './service.js';
import { findCustomerIdsByNumber, insertCustomer } from './store.js';
import type { NormalizedValue } from './values.js';

export type ImportFormat = 'csv' | 'jsonl';
/** What to do with a row whose customer number exists already. */
export type ExistingPolicy = 'skip' | 'update';

export const DEFAULT_BATCH_SIZE = 200;

/** One rejected row. `code` and `reason` are from closed lists (docs/customers.md). */
export interface RowError {
  readonly line: number;
  readonly code: 'malformed_record' | 'column_count' | 'missing_customer_number' | 'invalid_customer_number' | 'duplicate_in_file' | 'unknown_field' | 'invalid_value';
  /** The field key, when the problem is in one field (and the name is a valid key). */
  readonly field?: string;
  /** `malformed_record`: a {@link RecordProblem}; `invalid_value`: the value problem (values.ts). */
  readonly reason?: string;
  /** `duplicate_in_file`: the line of the first row with that customer number. */
  readonly firstLine?: number;
  readonly message: string;
}

export interface ImportSummary {
  /** Rows read (good and bad), not counting the CSV header and blank lines. */
  rows: number;
  created: number;
  /** Existing customers with at least one value changed (`existing: 'update'`). */
  updated: number;
  /** Existing customers left as they were: skipped, or nothing differed. */
  skipped: number;
  rejected: number;
  batches: number;
}

export interface ImportProgress extends Readonly<ImportSummary> {
  readonly bytesRead: number;
  readonly totalBytes: number;
}

export interface ImportOptions {
  readonly tenantId: string;
  readonly file: string;
  readonly format: ImportFormat;
  readonly existing: ExistingPolicy;
  readonly batchSize?: number;
  readonly actor: CustomerActor;
  /** Called for each rejected row, in line order. */
  readonly onRowError: (error: RowError) => void | Promise<void>;
  /** Called after each committed batch (and as the file is read). */
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportDeps extends CustomerDeps {
  readonly db: Database;
  readonly clock: Clock;
}

interface Row {
  readonly line: number;
  readonly customerNumber: unknown;
  readonly fields: Record<string, unknown>;
}

type Item = { readonly row: Row; readonly error?: undefined } | { readonly error: RowError; readonly row?: undefined };

const KEY_SHAPE = /^[a-z][a-z0-9_]{0,39}$/;

const MALFORMED_TEXT: Record<RecordProblem, string> = {
  too_long: 'the line is longer than 1 MiB',
  encoding: 'the line is not valid UTF-8',
  csv_quotes: 'the record has a stray or unclosed double quote (reading resumed on the next line)',
  json: 'the line is not valid JSON',
  not_an_object: 'the line is not a JSON object',
};

function malformed(line: number, reason: RecordProblem): RowError {
  return { line, code: 'malformed_record', reason, message: MALFORMED_TEXT[reason] };
}

/** Checks the CSV header: `customer_number` once, and only active field keys, each once. */
function headerColumns(cells: readonly string[], definitions: ReadonlyMap<string, FieldDefinition>): string[] {
  const columns = cells.map((c) => c.trim());
  const seen = new Set<string>();
  for (const [index, name] of columns.entries()) {
    // A column is named back only when it looks like a key: a header row of data must not be echoed.
    const label = KEY_SHAPE.test(name) ? `column ${index + 1} (${name})` : `column ${index + 1}`;
    if (seen.has(name)) throw new AppError(CustomerErrors.invalid_import, { detail: `The header names ${label} twice` });
    seen.add(name);
    if (name !== CUSTOMER_NUMBER_KEY && !definitions.has(name)) throw new AppError(CustomerErrors.invalid_import, { detail: `The header's ${label} is not a field of the customer schema` });
  }
  if (!seen.has(CUSTOMER_NUMBER_KEY)) throw new AppError(CustomerErrors.invalid_import, { detail: `The header has no ${CUSTOMER_NUMBER_KEY} column` });
  return columns;
}

/** The rows of the file, as items in line order: a row to write, or a row already rejected. */
async function* items(options: ImportOptions, definitions: ReadonlyMap<string, FieldDefinition>, onBytes: (n: number) => void): AsyncGenerator<Item> {
  const lines = readLines(options.file, onBytes);
  if (options.format === 'jsonl') {
    for await (const record of jsonRecords(lines)) {
      if (record.problem !== undefined) {
        yield { error: malformed(record.line, record.problem) };
        continue;
      }
      const fields: Record<string, unknown> = {};
      let unknown: string | undefined;
      for (const [key, value] of Object.entries(record.value)) {
        if (key === CUSTOMER_NUMBER_KEY) continue;
        if (!definitions.has(key)) {
          unknown = key;
          break;
        }
        // Keys are checked against the schema before being used as property names (no __proto__).
        fields[key] = value;
      }
      if (unknown !== undefined) {
        const safe = KEY_SHAPE.test(unknown);
        yield { error: { line: record.line, code: 'unknown_field', ...(safe ? { field: unknown } : {}), message: safe ? `${unknown} is not a field of the customer schema` : 'a member is not a field of the customer schema' } };
        continue;
      }
      yield { row: { line: record.line, customerNumber: record.value[CUSTOMER_NUMBER_KEY], fields } };
    }
    return;
  }
  let columns: string[] | undefined;
  for await (const record of csvRecords(lines)) {
    if (columns === undefined) {
      if (record.problem !== undefined) throw new AppError(CustomerErrors.invalid_import, { detail: `The header (line ${record.line}) cannot be read: ${MALFORMED_TEXT[record.problem]}` });
      columns = headerColumns(record.value, definitions);
      continue;
    }
    if (record.problem !== undefined) {
      yield { error: malformed(record.line, record.problem) };
      continue;
    }
    if (record.value.length !== columns.length) {
      yield { error: { line: record.line, code: 'column_count', message: `the row has ${record.value.length} cells; the header has ${columns.length}` } };
      continue;
    }
    const fields: Record<string, unknown> = {};
    let customerNumber: unknown;
    for (const [index, name] of columns.entries()) {
      const cell = record.value[index] ?? '';
      if (name === CUSTOMER_NUMBER_KEY) customerNumber = cell;
      // An empty cell is no value: an import never clears a field.
      else if (cell.trim().length > 0) fields[name] = cell;
    }
    yield { row: { line: record.line, customerNumber, fields } };
  }
  if (columns === undefined) throw new AppError(CustomerErrors.invalid_import, { detail: 'The file is empty: a CSV import starts with a header line' });
}

/** A row's problem as a row error; anything that is not a checked-input problem is rethrown. */
function rowErrorOf(line: number, error: unknown): RowError {
  if (isAppError(error, CustomerErrors.invalid_value)) {
    const d = error.details ?? {};
    return { line, code: 'invalid_value', field: String(d.field), reason: String(d.reason), message: error.detail };
  }
  if (isAppError(error, CustomerErrors.unknown_field)) {
    const field = error.details?.field;
    return { line, code: 'unknown_field', ...(typeof field === 'string' ? { field } : {}), message: error.detail };
  }
  throw error;
}

/**
 * Imports `options.file` into the tenant. Rejected rows go to `onRowError`; the summary counts
 * what was committed. A failure other than a bad row (the database, the vault) stops the import
 * with the batches before it committed; re-running resumes idempotently.
 */
export async function importCustomers(deps: ImportDeps, options: ImportOptions): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new TypeError('batchSize must be 1..10000');
  const totalBytes = statSync(options.file).size;
  const { tenantId, actor } = options;
  const schema = await deps.db.withTenant(tenantId, (tx) => ensureFieldSchema(tx, tenantId, deps.clock.now()));
  const definitions = new Map(schema.fields.map((f) => [f.key, f]));
  const summary: ImportSummary = { rows: 0, created: 0, updated: 0, skipped: 0, rejected: 0, batches: 0 };
  let bytesRead = 0;
  const progress = (): void => options.onProgress?.({ ...summary, bytesRead, totalBytes });
  // Customer numbers met so far in this file, with their first line.
  const seen = new Map<string, number>();
  let batch: Item[] = [];

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    const errors: RowError[] = [];
    const counts = { created: 0, updated: 0, skipped: 0 };
    await deps.db.withTenant(tenantId, (tx) => writeBatch(tx, deps, options, current, seen, errors, counts));
    // Counted after the commit: a batch that rolled back counts for nothing.
    summary.created += counts.created;
    summary.updated += counts.updated;
    summary.skipped += counts.skipped;
    summary.rejected += errors.length;
    summary.batches += 1;
    for (const error of errors.sort((a, b) => a.line - b.line)) await options.onRowError(error);
    progress();
  };

  for await (const item of items(options, definitions, (n) => (bytesRead = n))) {
    summary.rows += 1;
    batch.push(item);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  await deps.db.withTenant(tenantId, (tx) =>
    recordCustomerEntry(
      tx,
      tenantId,
      { actor, action: 'customer.import', targets: {}, details: { format: options.format, existing: options.existing, rows: summary.rows, created: summary.created, updated: summary.updated, skipped: summary.skipped, rejected: summary.rejected } },
      deps.clock.now(),
    ),
  );
  return summary;
}

/**
 * One batch, in one transaction. Every row is checked (pure) before anything of it is written,
 * so a bad row never leaves half a customer behind and never aborts the transaction.
 */
async function writeBatch(
  tx: Tx,
  deps: ImportDeps,
  options: ImportOptions,
  batch: readonly Item[],
  seen: Map<string, number>,
  errors: RowError[],
  counts: { created: number; updated: number; skipped: number },
): Promise<void> {
  const { tenantId, actor } = options;
  const now = deps.clock.now();
  // Locked for this transaction: the schema cannot change under the batch.
  const definitions = await lockFieldDefinitions(tx, tenantId, [...new Set(batch.flatMap((i) => (i.row === undefined ? [] : Object.keys(i.row.fields))))]);
  const ready: { line: number; customerNumber: string; values: Map<string, NormalizedValue | null> }[] = [];
  for (const item of batch) {
    if (item.error !== undefined) {
      errors.push(item.error);
      continue;
    }
    const { row } = item;
    if (row.customerNumber === undefined || row.customerNumber === null || (typeof row.customerNumber === 'string' && row.customerNumber.trim().length === 0)) {
      errors.push({ line: row.line, code: 'missing_customer_number', message: 'the row has no customer number' });
      continue;
    }
    const parsed = customerNumberSchema.safeParse(row.customerNumber);
    if (!parsed.success) {
      errors.push({ line: row.line, code: 'invalid_customer_number', message: `the customer number must have ${parsed.error.issues[0]?.message ?? 'the right format'}` });
      continue;
    }
    const customerNumber = parsed.data;
    const first = seen.get(customerNumber);
    if (first !== undefined) {
      errors.push({ line: row.line, code: 'duplicate_in_file', firstLine: first, message: `the customer number is already on line ${first} of this file` });
      continue;
    }
    seen.set(customerNumber, row.line);
    try {
      ready.push({ line: row.line, customerNumber, values: normalizeFields(row.fields, definitions, deps) });
    } catch (error) {
      errors.push(rowErrorOf(row.line, error));
    }
  }

  const existing = await findCustomerIdsByNumber(tx, tenantId, ready.map((r) => r.customerNumber));
  for (const row of ready) {
    let id = existing.get(row.customerNumber);
    if (id === undefined) {
      id = await insertCustomer(tx, tenantId, row.customerNumber, now);
      if (id !== undefined) {
        const changes = await writeCustomerValues(tx, deps, tenantId, id, definitions, row.values, actor, now, { created: true });
        await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.create', targets: { customer: id }, lists: { set: changes.set }, details: { confirmed: false, source: 'import' } }, now);
        counts.created += 1;
        continue;
      }
      // Created by someone else since the lookup: treat it as existing.
      id = (await findCustomerIdsByNumber(tx, tenantId, [row.customerNumber])).get(row.customerNumber);
      if (id === undefined) throw new Error('importCustomers: a customer number is taken but not found');
    }
    if (options.existing === 'skip') {
      counts.skipped += 1;
      continue;
    }
    const changes = await writeCustomerValues(tx, deps, tenantId, id, definitions, row.values, actor, now, { skipUnchanged: true });
    if (changes.set.length === 0) {
      counts.skipped += 1;
      continue;
    }
    await recordCustomerEntry(tx, tenantId, { actor, action: 'customer.update', targets: { customer: id }, lists: { set: changes.set, cleared: changes.cleared }, details: { confirmed: false, source: 'import' } }, now);
    counts.updated += 1;
  }
}

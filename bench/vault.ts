/**
 * vault: what field encryption and blind-index lookups cost, each against a baseline measured in
 * the same run on the same machine and the same core (PGlite runs in this thread too).
 *
 * (a) Throughput of encrypt + decrypt of a typical 10-field customer record, in fields per second
 *     (one field = encrypted once and decrypted once), against raw node:crypto AES-256-GCM on the
 *     same plaintexts (random 96-bit nonce, an AAD string of the same shape as the vault's,
 *     plaintext encoded from and decoded to a string, ciphertext kept as Buffers). Variants:
 *     - `cipher`: the vault's RecordCipher alone (format, AAD, checks, AES-GCM), data key in hand,
 *       no database: the pure crypto path, one cipher opened per phase as a transaction would;
 *     - `record_tx_warm`: what a domain does: one tenant transaction opens the record
 *       (`withRecord`) and encrypts its 10 fields, a second one opens it and decrypts them; the key
 *       cache is warm, so each opening costs one `data_keys` row read and no unwrapping;
 *     - `field_api_warm`: the same through `encryptField` / `decryptField`, one call per field
 *       (each call reads the data-key row again);
 *     - `record_tx_uncached` / `field_api_uncached`: the same with the key cache disabled
 *       (CUSTODIA_VAULT_KEY_CACHE_ENTRIES=0): every opening unwraps the tenant KEK through the key
 *       provider (`env`) and then the data key;
 *     - `tx_only`: the two tenant transactions with the `data_keys` read and no cryptography, to
 *       show how much of the database variants is the transaction itself.
 *     Every run cycles through the same pool of `--records` records for `--seconds`. In each of
 *     `--rounds` rounds every variant runs once, paired with a raw run just before or after it
 *     (alternating); the ratio to raw is the median of the per-pair ratios, rates are medians of
 *     the runs. Target (issue): the warm-cache path at >= 50% of the raw AES-GCM rate.
 * (b) Blind-index lookups by phone: `--customers` phone blind indexes in one tenant (digests
 *     computed with the vault's construction from the tenant's index key and checked against
 *     `vault.blindIndex`; rows inserted in bulk), then lookups through `findByBlindIndex` (90%
 *     existing phones written differently than stored, 10% absent), each in its own tenant
 *     transaction, alternating with the baseline: a primary-key read
 *     `select 1 from tenants where id = $1` in the same kind of tenant transaction. Measured twice:
 *     as deployed (`--unanalyzed-lookups`; the table never analyzed, as on PGlite, which runs no
 *     autovacuum daemon) and after the server's statistics refresh (`--lookups`), each with the plan the
 *     database picked. Reports p50/p95/p99 per lookup and the ratios to the baseline, then a
 *     breakdown of one lookup's steps. Target (issue): under 2 ms at 100k customers on PGlite.
 *
 * Output: one JSON object per line on stdout. Usage:
 *   npm run bench -- vault [--records 2000] [--seconds 1] [--rounds 5] [--customers 100000]
 *                          [--lookups 2000] [--unanalyzed-lookups 200] [--storage memory|disk]
 *                          [--only throughput|lookup]
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/index.js';
import { type Database, migrate, openDatabase, refreshPlannerStatistics } from '../src/db/index.js';
import { systemClock } from '../src/platform/clock.js';
import { newId } from '../src/platform/ids.js';
import { createLogger } from '../src/platform/logger.js';
import { createVault, type DataKey, type FieldLocation, type KeyOwner, RecordCipher, type Vault } from '../src/vault/index.js';
import { hkdfSha256, hmacSha256 } from '../src/vault/kdf.js';
import { SecretKey } from '../src/vault/secret-key.js';
import { normalizeForIndex } from '../src/vault/vault.js';
import { emitter, median, now, percentile, round2, round3 } from './lib/stats.js';
import { seededRandom } from '../src/platform/seeded-random.js';

const BENCH = 'vault';
const emit = emitter(BENCH);

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    customers: { type: 'string', default: '100000' },
    lookups: { type: 'string', default: '2000' },
    'unanalyzed-lookups': { type: 'string', default: '200' },
    storage: { type: 'string', default: 'memory' },
    only: { type: 'string' },
  },
});
const RECORDS = positiveInt('records', args.records);
const SECONDS = Number(args.seconds);
const ROUNDS = positiveInt('rounds', args.rounds);
const CUSTOMERS = positiveInt('customers', args.customers);
const LOOKUPS = positiveInt('lookups', args.lookups);
const UNANALYZED_LOOKUPS = positiveInt('unanalyzed-lookups', args['unanalyzed-lookups']);
const STORAGE = args.storage;
if (!(SECONDS > 0)) throw new Error('--seconds must be a positive number');
if (STORAGE !== 'memory' && STORAGE !== 'disk') throw new Error('--storage is memory or disk');
if (args.only !== undefined && args.only !== 'throughput' && args.only !== 'lookup') throw new Error('--only is throughput or lookup');

/** The targets. */
const TARGET_RATIO = 0.5;
const TARGET_LOOKUP_MS = 2;
/** The configuration defaults (key cache size and TTL, blind-index length). */
const DEFAULTS = loadConfig({ env: {} });

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}


const prng = seededRandom;

// ---------------------------------------------------------------------------------------------
// database, tenant, vaults

const rootKey = `1:${randomBytes(32).toString('base64')}`;

function newVault(options: { cacheEntries?: number | undefined; defaultPhoneCountry?: string } = {}): Vault {
  const env: Record<string, string> = { NODE_ENV: 'development', LOG_LEVEL: 'silent', CUSTODIA_KEY_PROVIDER: 'env', CUSTODIA_KEYS: rootKey };
  if (options.cacheEntries !== undefined) env.CUSTODIA_VAULT_KEY_CACHE_ENTRIES = String(options.cacheEntries);
  if (options.defaultPhoneCountry !== undefined) env.CUSTODIA_DEFAULT_PHONE_COUNTRY = options.defaultPhoneCountry;
  return createVault(loadConfig({ env }), { clock: systemClock, logger: createLogger('silent') });
}

async function createTenant(db: Database, slug: string): Promise<string> {
  const id = newId();
  const at = new Date();
  await db.withPlatform((tx) => tx.insertInto('tenants').values({ id, slug, name: slug, status: 'active', created_at: at, updated_at: at }).execute());
  return id;
}

async function openBenchDatabase(): Promise<{ db: Database; close: () => Promise<void> }> {
  const started = now();
  const dir = STORAGE === 'disk' ? mkdtempSync(path.join(tmpdir(), 'custodia-bench-vault-')) : undefined;
  const db = await openDatabase({ dataDir: dir ?? 'memory://' });
  await migrate(db);
  emit({ kind: 'setup', phase: 'database', storage: STORAGE, ms: Math.round(now() - started) });
  return {
    db,
    async close() {
      await db.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (a) throughput

/** A typical customer record: ten sensitive fields, fixed strings (notes ~200 characters). */
const FIELDS: readonly (readonly [string, string])[] = [
  ['full_name', 'María Fernanda Gutiérrez Olmedo'],
  ['phone', '+34 612 34 56 78'],
  ['secondary_phone', '+34 915 55 01 23'],
  ['email', 'maria.gutierrez.olmedo@example.com'],
  ['document_number', '12345678Z'],
  ['address', 'Calle de Alcalá 123, 4º B, 28009 Madrid, España'],
  ['date_of_birth', '1987-03-14'],
  ['card_token_ref', '4111119384720012'],
  ['iban', 'ES91 2100 0418 4502 0005 1332'],
  [
    'notes',
    'Prefers to be called in the afternoon; asked twice about the March invoice and a refund for the duplicated charge. Hearing difficulty: speak slowly. Do not offer the premium plan again.',
  ],
];
const FIELD_COUNT = FIELDS.length;
const PLAINTEXT_BYTES = FIELDS.reduce((sum, [, v]) => sum + Buffer.byteLength(v, 'utf8'), 0);

interface BenchRecord {
  readonly id: string;
  readonly owner: KeyOwner;
  readonly locations: readonly FieldLocation[];
}

/** Time spent (ms) encrypting and decrypting one record. */
interface Phases {
  readonly encMs: number;
  readonly decMs: number;
}

interface Variant {
  readonly name: string;
  readonly description: string;
  /** Compared with the target (a warm-cache path). */
  readonly warm: boolean;
  run(record: BenchRecord): Promise<Phases> | Phases;
}

function check(record: BenchRecord, decrypted: readonly string[]): void {
  for (let i = 0; i < FIELD_COUNT; i += 1) {
    if (decrypted[i] !== (FIELDS[i] as readonly [string, string])[1]) throw new Error(`${record.id}: field ${i} did not round-trip`);
  }
}

interface RawSealed {
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

function rawEncrypt(key: Buffer, plaintext: string, aad: Buffer): RawSealed {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(plaintext, 'utf8')), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

function rawDecrypt(key: Buffer, sealed: RawSealed, aad: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce, { authTagLength: 16 });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}

function variants(db: Database, tenantId: string, warmVault: Vault, coldVault: Vault, dataKeys: ReadonlyMap<string, DataKey>): Variant[] {
  const rawKey = randomBytes(32);
  const rawKeyRef = newId();
  /** Same shape and length as the vault's field AAD: purpose, key reference, tenant, table, record, field. */
  const rawAad = (location: FieldLocation) => Buffer.from(`custodia.field.v1|${rawKeyRef}|${tenantId}|${location.table}|${location.recordId}|${location.field}`, 'utf8');

  const raw: Variant = {
    name: 'raw',
    description: 'node:crypto AES-256-GCM, random 96-bit nonce, AAD, string in/out (baseline)',
    warm: false,
    run(record) {
      const t0 = now();
      const sealed: RawSealed[] = [];
      for (let i = 0; i < FIELD_COUNT; i += 1) {
        sealed.push(rawEncrypt(rawKey, (FIELDS[i] as readonly [string, string])[1], rawAad(record.locations[i] as FieldLocation)));
      }
      const t1 = now();
      const out: string[] = [];
      for (let i = 0; i < FIELD_COUNT; i += 1) out.push(rawDecrypt(rawKey, sealed[i] as RawSealed, rawAad(record.locations[i] as FieldLocation)));
      const t2 = now();
      check(record, out);
      return { encMs: t1 - t0, decMs: t2 - t1 };
    },
  };

  const cipher: Variant = {
    name: 'cipher',
    description: 'vault RecordCipher with the data key in hand, no database (pure crypto path)',
    warm: true,
    run(record) {
      const dataKey = dataKeys.get(record.id) as DataKey;
      const t0 = now();
      const writer = new RecordCipher(tenantId, record.owner, dataKey);
      const ciphertexts: string[] = [];
      for (let i = 0; i < FIELD_COUNT; i += 1) ciphertexts.push(writer.encrypt(record.locations[i] as FieldLocation, (FIELDS[i] as readonly [string, string])[1]));
      writer.close();
      const t1 = now();
      const reader = new RecordCipher(tenantId, record.owner, dataKey);
      const out: string[] = [];
      for (let i = 0; i < FIELD_COUNT; i += 1) out.push(reader.decrypt(record.locations[i] as FieldLocation, ciphertexts[i] as string));
      reader.close();
      const t2 = now();
      check(record, out);
      return { encMs: t1 - t0, decMs: t2 - t1 };
    },
  };

  const recordTx = (vault: Vault) => async (record: BenchRecord): Promise<Phases> => {
    const t0 = now();
    const ciphertexts = await db.withTenant(tenantId, (tx) =>
      vault.withRecord(tx, tenantId, record.owner, (c) => FIELDS.map(([, value], i) => c.encrypt(record.locations[i] as FieldLocation, value))),
    );
    const t1 = now();
    const out = await db.withTenant(tenantId, (tx) =>
      vault.withRecord(tx, tenantId, record.owner, (c) => ciphertexts.map((ct, i) => c.decrypt(record.locations[i] as FieldLocation, ct))),
    );
    const t2 = now();
    check(record, out);
    return { encMs: t1 - t0, decMs: t2 - t1 };
  };

  const fieldApi = (vault: Vault) => async (record: BenchRecord): Promise<Phases> => {
    const t0 = now();
    const ciphertexts = await db.withTenant(tenantId, async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < FIELD_COUNT; i += 1) {
        out.push(await vault.encryptField(tx, tenantId, record.owner, record.locations[i] as FieldLocation, (FIELDS[i] as readonly [string, string])[1]));
      }
      return out;
    });
    const t1 = now();
    const out = await db.withTenant(tenantId, async (tx) => {
      const clear: string[] = [];
      for (let i = 0; i < FIELD_COUNT; i += 1) clear.push(await vault.decryptField(tx, tenantId, record.locations[i] as FieldLocation, ciphertexts[i] as string));
      return clear;
    });
    const t2 = now();
    check(record, out);
    return { encMs: t1 - t0, decMs: t2 - t1 };
  };

  const readDataKeyRow = (record: BenchRecord) =>
    db.withTenant(tenantId, (tx) =>
      tx
        .selectFrom('data_keys')
        .select(['id', 'owner_table', 'owner_id', 'kek_version', 'wrapped_key'])
        .where('owner_table', '=', record.owner.table)
        .where('owner_id', '=', record.owner.id)
        .executeTakeFirst(),
    );

  return [
    raw,
    cipher,
    { name: 'record_tx_warm', description: 'withRecord: 1 tenant tx encrypts the 10 fields, 1 tenant tx decrypts them; warm key cache', warm: true, run: recordTx(warmVault) },
    { name: 'field_api_warm', description: 'encryptField x10 in 1 tenant tx, decryptField x10 in 1 tenant tx; warm key cache', warm: true, run: fieldApi(warmVault) },
    { name: 'record_tx_uncached', description: 'withRecord as record_tx_warm; key cache disabled (KEK and DEK unwrapped per opening)', warm: false, run: recordTx(coldVault) },
    { name: 'field_api_uncached', description: 'encryptField/decryptField as field_api_warm; key cache disabled (KEK and DEK unwrapped per call)', warm: false, run: fieldApi(coldVault) },
    {
      name: 'tx_only',
      description: 'the 2 tenant transactions with the data_keys row read and no cryptography (what the database part costs)',
      warm: false,
      async run(record) {
        const t0 = now();
        if ((await readDataKeyRow(record)) === undefined) throw new Error('data key row missing');
        const t1 = now();
        if ((await readDataKeyRow(record)) === undefined) throw new Error('data key row missing');
        return { encMs: t1 - t0, decMs: now() - t1 };
      },
    },
  ];
}

interface RunResult {
  readonly records: number;
  readonly encMs: number;
  readonly decMs: number;
}

/** Runs `variant` over the record pool (cycling) for `seconds`. */
async function runFor(variant: Variant, pool: readonly BenchRecord[], seconds: number, start: number): Promise<RunResult> {
  const deadline = now() + seconds * 1000;
  let records = 0;
  let encMs = 0;
  let decMs = 0;
  let i = start;
  do {
    const phases = await variant.run(pool[i % pool.length] as BenchRecord);
    encMs += phases.encMs;
    decMs += phases.decMs;
    records += 1;
    i += 1;
  } while (now() < deadline);
  return { records, encMs, decMs };
}

const fieldsPerS = (records: number, ms: number) => (records * FIELD_COUNT * 1000) / ms;

async function throughput(db: Database): Promise<void> {
  const tenantId = await createTenant(db, 'bench-vault-fields');
  // The production default cache size, unless the pool would not fit (then "warm" would not be).
  const warmEntries = RECORDS + 16 > DEFAULTS.vaultKeyCacheEntries ? RECORDS + 16 : undefined;
  const warmVault = newVault({ cacheEntries: warmEntries });
  const coldVault = newVault({ cacheEntries: 0 });

  // The pool of records, with their data keys created (and cached by the warm vault).
  const started = now();
  const pool: BenchRecord[] = Array.from({ length: RECORDS }, () => {
    const id = newId();
    return { id, owner: { table: 'customers', id }, locations: FIELDS.map(([field]) => ({ table: 'customers', recordId: id, field })) };
  });
  const dataKeys = new Map<string, DataKey>();
  for (let offset = 0; offset < pool.length; offset += 500) {
    await db.withTenant(tenantId, async (tx) => {
      for (const record of pool.slice(offset, offset + 500)) {
        const key = await warmVault.keyring.dataKeyFor(tx, tenantId, record.owner);
        // Our own copy: the cache may expire and zero its copy during a long run.
        dataKeys.set(record.id, { ...key, key: new SecretKey(Buffer.from(key.key.bytes())) });
      }
    });
  }
  emit({
    kind: 'setup',
    phase: 'throughput',
    records: RECORDS,
    fields_per_record: FIELD_COUNT,
    plaintext_bytes_per_record: PLAINTEXT_BYTES,
    warm_cache_entries: warmEntries ?? DEFAULTS.vaultKeyCacheEntries,
    cache_ttl_ms: DEFAULTS.vaultKeyCacheTtlMs,
    data_keys_created_ms: Math.round(now() - started),
  });

  const all = variants(db, tenantId, warmVault, coldVault, dataKeys);
  // Warm-up: JIT, and every variant over part of the pool.
  for (const variant of all) await runFor(variant, pool, Math.min(0.5, SECONDS / 2), 0);

  // Each variant runs in a pair with a raw run (which goes first alternates), so that its ratio
  // is taken against the raw rate of the same moment; the ratios reported are the medians of the
  // per-pair ratios (robust to load that drifts during the run), next to the medians of the rates.
  const raw = all[0] as Variant;
  const ours = all.slice(1);
  const runs = new Map<string, RunResult[]>(all.map((v) => [v.name, []]));
  const pairs = new Map<string, { fields: number; encrypt: number; decrypt: number }[]>(ours.map((v) => [v.name, []]));
  const rates = (r: RunResult) => ({
    fields: fieldsPerS(r.records, r.encMs + r.decMs),
    encrypt: fieldsPerS(r.records, r.encMs),
    decrypt: fieldsPerS(r.records, r.decMs),
  });
  let cursor = 0;
  const measure = async (variant: Variant, round: number, pairedWith?: string): Promise<RunResult> => {
    const result = await runFor(variant, pool, SECONDS, cursor);
    cursor += result.records;
    (runs.get(variant.name) as RunResult[]).push(result);
    const r = rates(result);
    emit({
      kind: 'run',
      metric: 'throughput',
      variant: variant.name,
      ...(pairedWith !== undefined ? { paired_with: pairedWith } : {}),
      round,
      records: result.records,
      fields_per_s: Math.round(r.fields),
      encrypt_fields_per_s: Math.round(r.encrypt),
      decrypt_fields_per_s: Math.round(r.decrypt),
    });
    return result;
  };
  for (let round = 1; round <= ROUNDS; round += 1) {
    // Rotate the order of the variants too, so that none always runs right after the slowest.
    for (let k = 0; k < ours.length; k += 1) {
      const variant = ours[(k + round - 1) % ours.length] as Variant;
      let mine: RunResult;
      let base: RunResult;
      if ((round + k) % 2 === 0) {
        base = await measure(raw, round, variant.name);
        mine = await measure(variant, round);
      } else {
        mine = await measure(variant, round);
        base = await measure(raw, round, variant.name);
      }
      const m = rates(mine);
      const b = rates(base);
      (pairs.get(variant.name) as { fields: number; encrypt: number; decrypt: number }[]).push({ fields: m.fields / b.fields, encrypt: m.encrypt / b.encrypt, decrypt: m.decrypt / b.decrypt });
    }
  }

  const summary = (name: string) => {
    const r = runs.get(name) as RunResult[];
    return {
      fields_per_s: median(r.map((x) => rates(x).fields)),
      encrypt_fields_per_s: median(r.map((x) => rates(x).encrypt)),
      decrypt_fields_per_s: median(r.map((x) => rates(x).decrypt)),
      record_roundtrip_us: median(r.map((x) => ((x.encMs + x.decMs) * 1000) / x.records)),
      runs: r.length,
    };
  };
  const rawSummary = summary(raw.name);
  for (const variant of all) {
    const s = summary(variant.name);
    emit({
      kind: 'result',
      metric: 'throughput',
      variant: variant.name,
      description: variant.description,
      fields_per_s: Math.round(s.fields_per_s),
      encrypt_fields_per_s: Math.round(s.encrypt_fields_per_s),
      decrypt_fields_per_s: Math.round(s.decrypt_fields_per_s),
      record_roundtrip_us: round2(s.record_roundtrip_us),
      runs: s.runs,
      seconds_per_run: SECONDS,
    });
  }
  for (const variant of ours) {
    const p = pairs.get(variant.name) as { fields: number; encrypt: number; decrypt: number }[];
    const ratio = median(p.map((x) => x.fields));
    emit({
      kind: 'ratio',
      metric: 'throughput',
      variant: variant.name,
      over: 'raw',
      fields_per_s_ratio: round3(ratio),
      encrypt_ratio: round3(median(p.map((x) => x.encrypt))),
      decrypt_ratio: round3(median(p.map((x) => x.decrypt))),
      pair_ratio_min: round3(Math.min(...p.map((x) => x.fields))),
      pair_ratio_max: round3(Math.max(...p.map((x) => x.fields))),
      ratio_of_medians: round3(summary(variant.name).fields_per_s / rawSummary.fields_per_s),
      pairs: p.length,
      ...(variant.warm ? { target: TARGET_RATIO, meets: ratio >= TARGET_RATIO } : {}),
    });
  }
  for (const key of dataKeys.values()) key.key.destroy();
}

// ---------------------------------------------------------------------------------------------
// (b) blind-index lookups

/** Customer n's Spanish mobile number (612 000 000 + n), as stored and as looked up. */
function phoneDigits(n: number): string {
  return String(612_000_000 + n);
}
const storedPhone = (d: string) => `+34 ${d.slice(0, 3)} ${d.slice(3, 5)} ${d.slice(5, 7)} ${d.slice(7)}`;
const LOOKUP_SPELLINGS = [(d: string) => `0034${d}`, (d: string) => `+34 ${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`, (d: string) => `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`];
const lookupPhone = (d: string, n: number) => (LOOKUP_SPELLINGS[n % LOOKUP_SPELLINGS.length] as (d: string) => string)(d);

interface Latencies {
  /** Whole tenant transaction (what a request sees), ms. */
  readonly tx: number[];
  /** The call inside the transaction, ms. */
  readonly call: number[];
}

function latencySummary(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50_ms: round3(percentile(sorted, 50)),
    p95_ms: round3(percentile(sorted, 95)),
    p99_ms: round3(percentile(sorted, 99)),
    mean_ms: round3(sorted.reduce((s, v) => s + v, 0) / sorted.length),
    max_ms: round3(sorted[sorted.length - 1] as number),
  };
}

interface Query {
  readonly value: string;
  readonly expected: string | undefined;
}

async function lookups(db: Database): Promise<void> {
  const tenantId = await createTenant(db, 'bench-vault-lookups');
  // A Spanish contact center: national spellings ("612 345 678", "0034...") are Spanish numbers.
  const vault = newVault({ defaultPhoneCountry: 'ES' });
  const blindIndexBytes = DEFAULTS.blindIndexBytes;
  const owners: string[] = Array.from({ length: CUSTOMERS }, () => newId());

  // Setup. vault.blindIndex reads the tenant's index-key row on every call (about one query), which
  // would make 100k digests take minutes on PGlite; so the digests are computed here with the
  // construction vault.ts documents (HKDF of the index key, HMAC-SHA256, truncated), from the
  // tenant's index key, and checked against vault.blindIndex on a sample (and every lookup below
  // checks that it finds the right customer).
  let started = now();
  const derived = await db.withTenant(tenantId, async (tx) => {
    const indexKey = await vault.keyring.indexKey(tx, tenantId);
    return hkdfSha256(indexKey.bytes(), Buffer.alloc(0), Buffer.from('custodia.blind-index.v1.phone'), 32);
  });
  const digestOf = (n: number) => hmacSha256(derived, Buffer.from(normalizeForIndex('phone', storedPhone(phoneDigits(n)), 'ES'), 'utf8')).subarray(0, blindIndexBytes);
  await db.withTenant(tenantId, async (tx) => {
    for (let n = 0; n < Math.min(CUSTOMERS, 50); n += 1) {
      const theirs = await vault.blindIndex(tx, tenantId, 'phone', storedPhone(phoneDigits(n)));
      if (!theirs.equals(digestOf(n))) throw new Error('the bench computes blind indexes differently from vault.blindIndex; update bench/vault.ts');
    }
  });
  const BATCH = 20_000;
  const CHUNK = 2_000;
  for (let offset = 0; offset < CUSTOMERS; offset += BATCH) {
    await db.withTenant(tenantId, async (tx) => {
      const rows: { tenant_id: string; kind: 'phone'; digest: Uint8Array; owner_table: string; owner_id: string; field: string }[] = [];
      for (let n = offset; n < Math.min(CUSTOMERS, offset + BATCH); n += 1) {
        rows.push({ tenant_id: tenantId, kind: 'phone', digest: digestOf(n), owner_table: 'customers', owner_id: owners[n] as string, field: 'phone' });
      }
      for (let i = 0; i < rows.length; i += CHUNK) await tx.insertInto('blind_indexes').values(rows.slice(i, i + CHUNK)).execute();
    });
  }
  derived.fill(0);
  const setupMs = now() - started;
  const count = await db.withTenant(tenantId, (tx) => tx.selectFrom('blind_indexes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow());
  emit({ kind: 'setup', phase: 'lookup', customers: CUSTOMERS, blind_index_rows: Number(count.n), ms: Math.round(setupMs) });

  // The lookups: 90% existing customers (spelled differently than stored), 10% absent numbers.
  const random = prng(0xc0ffee);
  const queries: Query[] = Array.from({ length: LOOKUPS }, () => {
    const exists = random() < 0.9;
    const n = exists ? Math.floor(random() * CUSTOMERS) : CUSTOMERS + Math.floor(random() * CUSTOMERS);
    return { value: lookupPhone(phoneDigits(n), n), expected: exists ? (owners[n] as string) : undefined };
  });

  const lookupOnce = async (q: Query, into?: Latencies) => {
    const t0 = now();
    let call = 0;
    const found = await db.withTenant(tenantId, async (tx) => {
      const c0 = now();
      const ids = await vault.findByBlindIndex(tx, tenantId, 'phone', q.value, 'customers');
      call = now() - c0;
      return ids;
    });
    const total = now() - t0;
    // 64-bit digests: a false match among 100k rows has probability ~1e-14; a miss is a bug.
    if (q.expected !== undefined ? found.length !== 1 || found[0] !== q.expected : found.length !== 0) {
      throw new Error(`lookup of ${q.value}: expected ${q.expected ?? 'nothing'}, found ${JSON.stringify(found)}`);
    }
    into?.tx.push(total);
    into?.call.push(call);
  };
  const baselineOnce = async (into?: Latencies) => {
    const t0 = now();
    let call = 0;
    const rows = await db.withTenant(tenantId, async (tx) => {
      const c0 = now();
      const r = await sql<{ one: number }>`select 1 as one from tenants where id = ${tenantId}`.execute(tx);
      call = now() - c0;
      return r.rows;
    });
    const total = now() - t0;
    if (rows.length !== 1) throw new Error('baseline: the tenant row is not visible');
    into?.tx.push(total);
    into?.call.push(call);
  };

  /** The plan PostgreSQL picks for findByBlindIndex's select (same SQL), as the app role. */
  const explain = async (): Promise<string[]> => {
    const digest = digestOf(0);
    const plan = await db.withTenant(tenantId, (tx) =>
      sql<{ 'QUERY PLAN': string }>`explain select distinct owner_id from blind_indexes where kind = ${'phone'} and digest = ${digest} and owner_table = ${'customers'}`.execute(tx),
    );
    return plan.rows.map((r) => r['QUERY PLAN']);
  };
  /** The planner's row count for the table: -1 until it is first analyzed or vacuumed. */
  const reltuples = async (): Promise<number> =>
    db.withRawSession(async (s) => Number((await s.query<{ n: number }>(`select reltuples::float8 as n from pg_class where relname = 'blind_indexes'`))[0]?.n));

  /** `count` lookups alternating with the baseline (which goes first alternates too). */
  const measure = async (variant: string, description: string, count: number): Promise<void> => {
    const warmup = Math.min(50, count);
    for (let i = 0; i < warmup; i += 1) {
      await lookupOnce(queries[queries.length - 1 - i] as Query);
      await baselineOnce();
    }
    const ours: Latencies = { tx: [], call: [] };
    const base: Latencies = { tx: [], call: [] };
    const t0 = now();
    for (let i = 0; i < count; i += 1) {
      const q = queries[i] as Query;
      if (i % 2 === 0) {
        await lookupOnce(q, ours);
        await baselineOnce(base);
      } else {
        await baselineOnce(base);
        await lookupOnce(q, ours);
      }
    }
    const loopMs = now() - t0;
    const oursTx = latencySummary(ours.tx);
    const baseTx = latencySummary(base.tx);
    emit({ kind: 'result', metric: 'lookup', variant, description, customers: CUSTOMERS, lookups: count, ...oursTx, in_tx_call: latencySummary(ours.call) });
    emit({
      kind: 'result',
      metric: 'lookup',
      variant: `${variant}:baseline_pk`,
      description: 'withTenant tx + select 1 from tenants where id = $1 (interleaved with the lookups above)',
      lookups: count,
      ...baseTx,
      in_tx_call: latencySummary(base.call),
    });
    emit({
      kind: 'ratio',
      metric: 'lookup',
      variant,
      over: 'baseline_pk',
      p50_ratio: round2(oursTx.p50_ms / baseTx.p50_ms),
      p95_ratio: round2(oursTx.p95_ms / baseTx.p95_ms),
      p99_ratio: round2(oursTx.p99_ms / baseTx.p99_ms),
      targetMs: TARGET_LOOKUP_MS,
      p95_ms: oursTx.p95_ms,
      meets: oursTx.p95_ms < TARGET_LOOKUP_MS,
      loop_ms: Math.round(loopMs),
    });
  };

  // 1. Rows just loaded, never analyzed (PGlite has no autovacuum daemon): what a server sees
  //    between a bulk import and its next statistics refresh (at start, then hourly).
  emit({ kind: 'plan', metric: 'lookup', variant: 'find_by_blind_index', analyzed: false, reltuples: await reltuples(), plan: await explain() });
  await measure(
    'find_by_blind_index',
    'withTenant tx + vault.findByBlindIndex(phone), 90% hits / 10% misses; table never analyzed',
    Math.min(LOOKUPS, UNANALYZED_LOOKUPS),
  );

  // 2. The same after the statistics refresh the server runs on PGlite (src/db/maintenance.ts),
  //    as autovacuum does on a PostgreSQL server.
  started = now();
  await refreshPlannerStatistics(db, createLogger('silent'));
  emit({ kind: 'setup', phase: 'analyze', ms: Math.round(now() - started) });
  emit({ kind: 'plan', metric: 'lookup', variant: 'find_by_blind_index_analyzed', analyzed: true, reltuples: await reltuples(), plan: await explain() });
  await measure('find_by_blind_index_analyzed', 'as find_by_blind_index, after refreshPlannerStatistics (ANALYZE)', LOOKUPS);

  // Where a lookup's time goes (after ANALYZE): each step alone, many times in one transaction.
  const REPS = Math.min(500, LOOKUPS);
  const perCall = async (fn: (i: number) => unknown): Promise<number> => {
    const t0 = now();
    for (let i = 0; i < REPS; i += 1) await fn(i);
    return round2(((now() - t0) * 1000) / REPS);
  };
  const value = (i: number) => (queries[i % queries.length] as Query).value;
  const breakdown = {
    normalize_phone_us: await perCall((i) => normalizeForIndex('phone', value(i), 'ES')),
    ...(await db.withTenant(tenantId, async (tx) => ({
      blind_index_digest_us: await perCall((i) => vault.blindIndex(tx, tenantId, 'phone', value(i))),
      index_key_row_select_us: await perCall(() => tx.selectFrom('tenant_keys').select(['wrapped_key']).where('purpose', '=', 'index').where('version', '=', 1).executeTakeFirst()),
      find_by_blind_index_us: await perCall((i) => vault.findByBlindIndex(tx, tenantId, 'phone', value(i), 'customers')),
      baseline_pk_select_us: await perCall(() => sql`select 1 as one from tenants where id = ${tenantId}`.execute(tx)),
    }))),
    empty_tenant_tx_us: await perCall(() => db.withTenant(tenantId, async () => undefined)),
  };
  emit({ kind: 'breakdown', metric: 'lookup', analyzed: true, reps: REPS, unit: 'microseconds per call', ...breakdown });
}

// ---------------------------------------------------------------------------------------------

emit({
  kind: 'environment',
  node: process.version,
  cpus: availableParallelism(),
  cpu_model: cpus()[0]?.model ?? 'unknown',
  date: new Date().toISOString(),
  // Other work on the machine skews every number; the load average says how much there was.
  loadavg_1m_start: round2(loadavg()[0] ?? 0),
});
const { db, close } = await openBenchDatabase();
try {
  if (args.only === undefined || args.only === 'throughput') await throughput(db);
  if (args.only === undefined || args.only === 'lookup') await lookups(db);
} finally {
  await close();
}
emit({ kind: 'environment', loadavg_1m_end: round2(loadavg()[0] ?? 0) });

/**
 * verification: caller verification by one-time code end to end, and the risk engine's cost per
 * decision (issue 7, "Measure"), each against a baseline measured in the same run.
 *
 * (a) OTP flow, through the real application (src/server/app.ts on createContext, system clock)
 *     with `app.inject`: the IVR's API key starts a session on an interaction (with the calling
 *     number), asks for a code by SMS (queued in the job table, then sent right after commit by
 *     the real SMPP sender to a real SMSC: the `smpp` package's server, started here, which
 *     answers every submit_sm), the code is read from the submit_sm PDU the SMSC received, and
 *     checked. One verification = those three requests, `passed: true` required. `--concurrency`
 *     flows in flight for `--seconds`, `--rounds` rounds alternating with GET /healthz of the same
 *     app at the same concurrency (the baseline), after a `--warmup` of each. Reported:
 *     verifications/s and their ratio to /healthz requests/s (medians of the rounds), p50/p99 of
 *     a whole verification. The SMPP sender's throttle is set to `--smpp-rate` submissions/s
 *     (default 1000: the contracted rate of an SMSC account is what limits a deployment).
 * (b) Risk engine, per decision, in tenant transactions over the data (a) left (sessions with
 *     calling numbers, results, codes), once its ledger backlog is sequenced and the planner has
 *     statistics (as a running server would have them), after `--risk-warmup` decisions not
 *     counted: `--risk-samples` decisions, each timing inside its
 *     transaction (i) the session lookup alone (the baseline: what any verification request
 *     pays), (ii) signal collection + scoring (`risk.assess`), (iii) the full decision
 *     (`risk.requiredLevel`: one statement reading the interaction, settings and signals; score;
 *     ledger entry). And (iv) the
 *     pure score (`scoreRisk` + explanation) alone, `--pure-samples` times. Target (issue): the
 *     added p99 of a decision under 2 ms.
 *
 * Databases: PGlite in memory (default), or `--backend postgres` on a fresh scratch database
 * (`--pg-url`, default postgres://postgres@127.0.0.1:5432/postgres or BENCH_DATABASE_URL), dropped
 * at the end. Benchmarks never assert: JSON lines on stdout, progress on stderr. Usage:
 *   npm run bench -- verification [--backend pglite|postgres] [--pg-url URL] [--customers 300]
 *                                 [--concurrency 4] [--seconds 4] [--warmup 1] [--rounds 3]
 *                                 [--risk-samples 2000] [--risk-warmup 200] [--pure-samples 100000]
 *                                 [--smpp-rate 1000]
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import smpp, { type DecodedMessage, type PDU, type Session } from 'smpp';
import { createApiKey } from '../src/agents/api-keys.js';
import { loadConfig } from '../src/config/index.js';
import { createCustomer } from '../src/customers/index.js';
import { refreshPlannerStatistics } from '../src/db/index.js';
import { startLedgerSequencer } from '../src/ledger/index.js';
import type { HttpApp } from '../src/platform/http.js';
import { newId } from '../src/platform/ids.js';
import { createLogger } from '../src/platform/logger.js';
import { buildApp } from '../src/server/app.js';
import { type AppContext, createContext } from '../src/server/context.js';
import { issuePlatformToken } from '../src/tenants/index.js';
import { createVerification, type Verification } from '../src/verification/index.js';
import { createRiskEngine, explainRisk, NO_CONTACT_SIGNALS, NO_SIGNALS, type RiskSignals, scoreRisk } from '../src/verification/risk/index.js';
import { saveVerificationSettings, verificationSettingsSchema } from '../src/verification/settings.js';
import { findSession } from '../src/verification/store.js';
import { openBenchDatabase, withAdmin } from './lib/database.js';
import { emitter, median, now, percentile, progressReporter, round1, round2, round3, round4 } from './lib/stats.js';

const BENCH = 'verification';
const emit = emitter(BENCH);
const progress = progressReporter(BENCH);

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'pglite' },
    'pg-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    customers: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    'risk-samples': { type: 'string', default: '2000' },
    'risk-warmup': { type: 'string', default: '200' },
    'pure-samples': { type: 'string', default: '100000' },
    'smpp-rate': { type: 'string', default: '1000' },
    'pool-max': { type: 'string', default: '10' },
  },
});

function positive(name: string, value: string | undefined, allowZero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  return n;
}

const BACKEND = args.backend;
if (BACKEND !== 'pglite' && BACKEND !== 'postgres') throw new Error('--backend is pglite or postgres');
const CUSTOMERS = Math.floor(positive('customers', args.customers));
const CONCURRENCY = Math.floor(positive('concurrency', args.concurrency));
const SECONDS = positive('seconds', args.seconds);
const WARMUP_S = positive('warmup', args.warmup, true);
const ROUNDS = Math.floor(positive('rounds', args.rounds));
const RISK_SAMPLES = Math.floor(positive('risk-samples', args['risk-samples']));
const RISK_WARMUP = Math.floor(positive('risk-warmup', args['risk-warmup'], true));
const PURE_SAMPLES = Math.floor(positive('pure-samples', args['pure-samples']));
const SMPP_RATE = Math.floor(positive('smpp-rate', args['smpp-rate']));
const POOL_MAX = Math.floor(positive('pool-max', args['pool-max']));
const TARGET_P99_MS = 2;

// ---------------------------------------------------------------------------------------------
// A real SMSC: the smpp package's server, accepting binds with the right credentials and every
// submit_sm; it keeps the last code sent to each destination.

interface Smsc {
  readonly port: number;
  /** Destination (as sent) -> waiters for the next code to it. */
  nextCode(destination: string): Promise<string>;
  submits: number;
  close(): Promise<void>;
}

async function startSmsc(systemId: string, password: string): Promise<Smsc> {
  const sessions = new Set<Session>();
  const waiting = new Map<string, ((code: string) => void)[]>();
  const arrived = new Map<string, string[]>();
  const deliver = (to: string, code: string) => {
    const queue = waiting.get(to);
    const waiter = queue?.shift();
    if (waiter !== undefined) waiter(code);
    else arrived.set(to, [...(arrived.get(to) ?? []), code]);
  };
  const server = smpp.createServer((session: Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
    session.on('pdu', (pdu: PDU) => {
      if (pdu.command === 'bind_transmitter' || pdu.command === 'bind_transceiver') {
        const ok = pdu.system_id === systemId && pdu.password === password;
        session.send(pdu.response(ok ? { system_id: 'bench-smsc' } : { command_status: smpp.errors.ESME_RINVPASWD }));
        if (!ok) session.close();
      } else if (pdu.command === 'submit_sm') {
        smsc.submits += 1;
        session.send(pdu.response({ message_id: `m${smsc.submits}` }));
        const body = (pdu.message_payload ?? pdu.short_message) as DecodedMessage;
        const text = typeof body.message === 'string' ? body.message : body.message.toString();
        const code = /^(\d{6,8}) /.exec(text)?.[1];
        if (code !== undefined) deliver(String(pdu.destination_addr), code);
      } else if (pdu.command === 'enquire_link' || pdu.command === 'unbind') {
        session.send(pdu.response());
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const smsc: Smsc = {
    port: (server.address() as AddressInfo).port,
    submits: 0,
    nextCode(destination) {
      const ready = arrived.get(destination)?.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve) => waiting.set(destination, [...(waiting.get(destination) ?? []), resolve]));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  return smsc;
}

// ---------------------------------------------------------------------------------------------

type Body = Record<string, unknown>;

async function api(app: HttpApp, method: 'GET' | 'POST' | 'PUT', url: string, options: { token?: string; payload?: object } = {}): Promise<Body> {
  const res = await app.inject({ method, url, headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }, ...(options.payload === undefined ? {} : { payload: options.payload }) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res.body.length > 0 ? (JSON.parse(res.body) as Body) : {};
}

interface RunResult {
  readonly completed: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

/** `concurrency` loops calling `op` for `seconds`; each op's duration recorded. */
async function closedLoop(seconds: number, op: (worker: number) => Promise<void>): Promise<RunResult> {
  const durations: number[] = [];
  const end = now() + seconds * 1000;
  const started = now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      while (now() < end) {
        const s = now();
        await op(worker);
        durations.push(now() - s);
      }
    }),
  );
  const elapsed = (now() - started) / 1000;
  durations.sort((a, b) => a - b);
  return { completed: durations.length, seconds: round2(elapsed), perSecond: durations.length / elapsed, p50: percentile(durations, 50), p99: percentile(durations, 99) };
}

function summary(values: number[]): { p50: number; p99: number; mean: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round4(percentile(sorted, 50)), p99: round4(percentile(sorted, 99)), mean: round4(sorted.reduce((a, b) => a + b, 0) / sorted.length), max: round3(sorted.at(-1) ?? 0) };
}

// ---------------------------------------------------------------------------------------------

emit({ kind: 'info', backend: BACKEND, cpus: cpus().length, loadavg: loadavg().map(round2), node: process.version, concurrency: CONCURRENCY, seconds: SECONDS, rounds: ROUNDS, customers: CUSTOMERS, smpp_max_per_second: SMPP_RATE });

const database = await openBenchDatabase({ backend: BACKEND, pgUrl: args['pg-url'] as string, prefix: 'custodia_bench_verification', poolMax: POOL_MAX, emit, progress });
const smsc = await startSmsc('custodia', 'bench-pass');
let ctx: AppContext | undefined;
let app: HttpApp | undefined;
let verification: Verification | undefined;
let sequencer: { stop(): Promise<void> } | undefined;
try {
  emit({ kind: 'info', database: database.description });
  const logger = createLogger('silent');
  const config = loadConfig({
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      CUSTODIA_KEY_PROVIDER: 'env',
      CUSTODIA_KEYS: `1:${randomBytes(32).toString('base64')}`,
      CUSTODIA_SMPP_URL: `smpp://custodia:bench-pass@127.0.0.1:${smsc.port}?source=Custodia&max_per_second=${SMPP_RATE}`,
      CUSTODIA_JOB_POLL_INTERVAL_MS: '0',
    },
  });
  ctx = await createContext(config, { db: database.db, logger, migrate: false });
  app = await buildApp(ctx);
  // The server's ledger sequencer, as `custodia serve` runs it.
  sequencer = startLedgerSequencer({ db: ctx.db, ledger: ctx.ledger, logger, pollIntervalMs: config.ledgerSequenceIntervalMs });
  const c = ctx;

  progress('tenant, customers, API key, interactions');
  const setupStarted = now();
  const run = randomBytes(3).toString('hex');
  const platform = await issuePlatformToken(c.db, { name: `bench-${run}`, now: new Date() });
  const created = await api(app, 'POST', '/v1/platform/tenants', { token: platform.token, payload: { slug: `bench-verify-${run}`, name: `Bench ${run}`, adminEmail: `admin@bench-verify-${run}.example` } });
  const tenantId = String((created.tenant as Body).id);
  const phones = Array.from({ length: CUSTOMERS }, (_, i) => `+346${String(10_000_000 + i).padStart(8, '0')}`);
  const setupActor = newId();
  const { customers, ivrKey } = await c.db.withTenant(tenantId, async (tx) => {
    const ids: string[] = [];
    for (const [i, phone] of phones.entries()) {
      const made = await createCustomer(tx, { vault: c.vault }, tenantId, { customerNumber: `B-${i + 1}`, fields: { full_name: `Cliente ${i + 1}`, phone } }, { type: 'system', id: 'bench' }, new Date());
      ids.push(made.id);
    }
    const key = await createApiKey(tx, { tenantId, name: 'ivr', scopes: ['verification:write', 'interactions:write'], expiresInDays: 1, createdBy: setupActor, now: new Date() });
    // Room in the hourly budget of codes for every flow of the run.
    await saveVerificationSettings(tx, tenantId, verificationSettingsSchema.parse({ sendsPerHour: 50, resendCooldownSeconds: 10 }), setupActor, new Date());
    return { customers: ids, ivrKey: key.key };
  });
  const interactions: string[] = [];
  for (const customerId of customers) {
    const made = await api(app, 'POST', '/v1/interactions', { token: ivrKey, payload: { channel: 'call', direction: 'inbound', customerId } });
    interactions.push(String(made.id));
  }
  emit({ kind: 'setup', phase: 'tenant_customers_interactions', customers: CUSTOMERS, ms: Math.round(now() - setupStarted) });

  // (a) OTP flow end to end.
  let next = 0;
  let failed = 0;
  const steps = { start: [] as number[], send: [] as number[], check: [] as number[] };
  const sessionIds: string[] = [];
  const verify = async () => {
    const i = next++ % CUSTOMERS;
    const phone = phones[i] as string;
    // One caller in ten calls from another number (the risk engine has mismatches to see).
    const callerNumber = i % 10 === 0 ? '+34699000000' : phone;
    let t0 = now();
    const started = await api(a, 'POST', '/v1/verifications', { token: ivrKey, payload: { interactionId: interactions[i], targetLevel: 2, callerNumber } });
    steps.start.push(now() - t0);
    t0 = now();
    const id = String(started.id);
    sessionIds.push(id);
    const code = smsc.nextCode(phone.replace(/^\+/, ''));
    const sent = await api(a, 'POST', `/v1/verifications/${id}/codes`, { token: ivrKey, payload: { method: 'otp_sms' } });
    if ((sent.code as Body | null)?.delivery !== 'sent') throw new Error(`code not sent: ${JSON.stringify(sent.code)}`);
    const received = await code;
    steps.send.push(now() - t0);
    t0 = now();
    const checked = await api(a, 'POST', `/v1/verifications/${id}/codes/check`, { token: ivrKey, payload: { code: received } });
    steps.check.push(now() - t0);
    if (checked.passed !== true) failed += 1;
  };
  const a = app;
  const healthz = async () => {
    const res = await a.inject({ method: 'GET', url: '/healthz' });
    if (res.statusCode !== 200) throw new Error(`/healthz ${res.statusCode}`);
  };
  progress('warm-up');
  if (WARMUP_S > 0) {
    await closedLoop(WARMUP_S, verify);
    await closedLoop(WARMUP_S, healthz);
  }
  const flows: RunResult[] = [];
  const bases: RunResult[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    progress(`round ${r + 1}/${ROUNDS}`);
    const order = r % 2 === 0 ? ['flow', 'healthz'] : ['healthz', 'flow'];
    for (const which of order) {
      if (which === 'flow') flows.push(await closedLoop(SECONDS, verify));
      else bases.push(await closedLoop(SECONDS, healthz));
    }
  }
  for (const [r, f] of flows.entries()) emit({ kind: 'round', round: r + 1, otp_verifications_per_s: round1(f.perSecond), healthz_per_s: round1((bases[r] as RunResult).perSecond), verification_p50_ms: round2(f.p50), verification_p99_ms: round2(f.p99), completed: f.completed });
  const flowRate = median(flows.map((f) => f.perSecond));
  const baseRate = median(bases.map((b) => b.perSecond));
  emit({
    kind: 'result',
    name: 'otp_flow',
    note: 'start session + send code (job table, real SMPP sender, real SMSC) + read code from the received PDU + check, via app.inject',
    backend: BACKEND,
    concurrency: CONCURRENCY,
    verifications_per_s: round1(flowRate),
    baseline: 'GET /healthz, same app, same concurrency',
    healthz_per_s: round1(baseRate),
    ratio_to_healthz: round4(flowRate / baseRate),
    verification_p50_ms: round2(median(flows.map((f) => f.p50))),
    verification_p99_ms: round2(median(flows.map((f) => f.p99))),
    requests_per_verification: 3,
    step_ms: { start: summary(steps.start), send_and_receive: summary(steps.send), check: summary(steps.check) },
    sms_submitted: smsc.submits,
    not_passed: failed,
  });

  // (b) Risk engine per decision, over planner statistics of the data (a) left: what `custodia
  // serve` refreshes on PGlite (at start, every hour, and within a minute for a table that grew:
  // src/db/maintenance.ts), and autovacuum on PostgreSQL. Without them the planner cannot tell a
  // tenant's 300 rows from 3 million. The ledger entries (a) queued are sequenced first, so that
  // the sequencer running beside the decisions has their own entries to keep up with, not the
  // flow's backlog.
  {
    let s = now();
    await c.ledger.sequenceAll(tenantId);
    emit({ kind: 'setup', phase: 'ledger_sequence_backlog', note: 'ledger.sequenceAll(tenant) over the entries of the OTP flow', ms: Math.round(now() - s) });
    s = now();
    if (BACKEND === 'pglite') await refreshPlannerStatistics(c.db, logger);
    else await withAdmin(args['pg-url'] as string, (client) => client.query('ANALYZE'), database.name);
    emit({ kind: 'setup', phase: 'analyze', note: BACKEND === 'pglite' ? 'refreshPlannerStatistics (what serve runs)' : 'ANALYZE (what autovacuum would do)', ms: Math.round(now() - s) });
  }
  progress('risk engine');
  verification = createVerification({ config, db: c.db, clock: c.clock, vault: c.vault, logger, bus: c.bus });
  const risk = verification.risk;
  // The engine without contact signals: the risk module's own SQL (contact checks decrypt the
  // customer's phone and email, src/verification/contact, and are reported apart).
  const ownOnly = createRiskEngine({ vault: c.vault, contactSignals: NO_CONTACT_SIGNALS });
  const own: number[] = [];
  const lookup: number[] = [];
  const assess: number[] = [];
  const decision: number[] = [];
  const txBase: number[] = [];
  const txRisk: number[] = [];
  // Warm-up, not counted: each pooled connection plans a prepared statement afresh for its first
  // five runs (PostgreSQL's custom plans) before it settles on the generic plan, and V8 compiles
  // the engine's code.
  for (let k = 0; k < RISK_WARMUP; k += 1) {
    const id = sessionIds[(k * 104_729) % sessionIds.length] as string;
    await c.db.withTenant(tenantId, async (tx) => {
      const session = await findSession(tx, id);
      if (session === undefined) throw new Error('session vanished');
      await risk.requiredLevel(tx, { tenantId, interactionId: session.interaction_id, action: 'change_phone', now: new Date() });
    });
  }
  for (let k = 0; k < RISK_SAMPLES; k += 1) {
    const id = sessionIds[(k * 7919) % sessionIds.length] as string;
    // Baseline transaction: the session lookup alone.
    let s = now();
    await c.db.withTenant(tenantId, async (tx) => {
      const t0 = now();
      await findSession(tx, id);
      lookup.push(now() - t0);
    });
    txBase.push(now() - s);
    s = now();
    await c.db.withTenant(tenantId, async (tx) => {
      const session = await findSession(tx, id);
      if (session === undefined) throw new Error('session vanished');
      const t1 = now();
      await risk.assess(tx, { tenantId, customerId: session.customer_id, interactionId: session.interaction_id, now: new Date() }, verificationSettingsSchema.parse({}).risk);
      assess.push(now() - t1);
      const t3 = now();
      await ownOnly.assess(tx, { tenantId, customerId: session.customer_id, interactionId: session.interaction_id, now: new Date() }, verificationSettingsSchema.parse({}).risk);
      own.push(now() - t3);
      const t2 = now();
      await risk.requiredLevel(tx, { tenantId, interactionId: session.interaction_id, action: 'change_phone', now: new Date() });
      decision.push(now() - t2);
    });
    txRisk.push(now() - s);
  }
  const signals: RiskSignals = { ...NO_SIGNALS, customerFailuresHour: 2, customerFailuresDay: 5, callerFailuresHour: 1, callerFailuresDay: 3, callerCustomersDay: 4, phoneChangedWithinDays: 3, callerIdMismatch: true, outsideBusinessHours: true };
  const pure: number[] = [];
  const weights = verificationSettingsSchema.parse({}).risk.weights;
  let sink = 0;
  for (let k = 0; k < PURE_SAMPLES; k += 1) {
    const t0 = now();
    const scored = scoreRisk(signals, weights);
    sink += explainRisk(scored).length + scored.score;
    pure.push(now() - t0);
  }
  const look = summary(lookup);
  const collected = summary(assess);
  const full = summary(decision);
  emit({ kind: 'result', name: 'risk_session_lookup_baseline', note: 'findSession inside a tenant transaction (what every verification request pays)', samples: RISK_SAMPLES, ms: look });
  emit({ kind: 'result', name: 'risk_pure_score', note: 'scoreRisk + explainRisk, 8 signals present', samples: PURE_SAMPLES, ms: summary(pure), checksum: sink % 997 });
  const ownStats = summary(own);
  emit({ kind: 'result', name: 'risk_collect_and_score_without_contact', note: 'risk.assess with no contact signals: the risk module\'s own SQL (caller digest, failure counts, velocity, fraud list, phone digest) + business hours + score', samples: RISK_SAMPLES, ms: ownStats, p99_ratio_to_lookup: round2(ownStats.p99 / look.p99) });
  emit({ kind: 'result', name: 'risk_collect_and_score', note: 'risk.assess: the decision\'s read (its interaction and settings too), contact signals, business hours, score', samples: RISK_SAMPLES, ms: collected, p99_ratio_to_lookup: round2(collected.p99 / look.p99) });
  emit({ kind: 'result', name: 'risk_decision', note: 'risk.requiredLevel: one read (interaction, settings, counts, contact checks) + contact finish + score + step-up + ledger entry', samples: RISK_SAMPLES, ms: full, p99_ratio_to_lookup: round2(full.p99 / look.p99) });
  const base = summary(txBase);
  const withRisk = summary(txRisk);
  emit({ kind: 'result', name: 'risk_transactions', note: 'whole tenant transactions: lookup alone vs lookup + assess + requiredLevel', baseline_ms: base, with_risk_ms: withRisk });
  emit({ kind: 'target', name: 'risk_added_p99_ms', target_ms: TARGET_P99_MS, added_p99_ms_own_signals_and_score: ownStats.p99, added_p99_ms_collect_and_score: collected.p99, added_p99_ms_decision_with_ledger: full.p99, met: full.p99 < TARGET_P99_MS, backend: BACKEND });
} finally {
  await verification?.close();
  await sequencer?.stop();
  await app?.close();
  await ctx?.close();
  await smsc.close();
  await database.close();
}

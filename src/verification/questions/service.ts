/**
 * Security questions as verification methods: `questions_static` (answers the customer enrolled,
 * kept as Argon2id hashes) and `questions_dynamic` (asked from account data, dynamic.ts).
 *
 * A challenge is a set of questions chosen here with the CSPRNG and stored with the session; the
 * agent gets the question texts, reads them out, types what the caller says, and gets back pass
 * or fail for the whole set (N right of M asked, tenant setting): never which answer was wrong,
 * never an expected answer. Each challenge is answered once; a session gets `attemptsPerSession`
 * challenges per method; every failed set is a failed result, counting toward the customer lockout.
 */
import { randomInt } from 'node:crypto';
import { DEFAULT_PASSWORD_PARAMS, dummyVerify, hashPassword, verifyPassword } from '../../agents/password.js';
import { announceAlert, type RaisedAlert } from '../../agents/alerts.js';
import { loadCustomerRecord } from '../../customers/index.js';
import type { Tx } from '../../db/index.js';
import type { InteractionActor } from '../../interactions/index.js';
import { recordEntry } from '../../ledger/record.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { VerificationErrors } from '../errors.js';
import type { MethodProvider, MethodRegistry } from '../registry.js';
import { type CheckResult, reportMethodResult, usableSession } from '../service.js';
import { loadVerificationSettings } from '../settings.js';
import type { Language } from '../templates.js';
import type { DynamicQuestionGenerator, Expected } from './dynamic.js';
import { matchesExpected } from './dynamic.js';
import { normalizeAnswer } from './normalize.js';
import { openExpected, sealExpected } from './seal.js';
import { type CatalogueQuestion, catalogueOf } from './settings.js';
import {
  type ChallengeQuestion,
  closeChallenge,
  countChallenges,
  findAnswerHashes,
  findChallenge,
  insertChallenge,
  type QuestionMethod,
  replaceAnswers,
  voidOpenChallenges,
} from './store.js';
import type { Database } from '../../db/index.js';
import type { Clock } from '../../platform/clock.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { Vault } from '../../vault/index.js';

/** What the question and document methods need from the server. */
export interface MethodDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly vault: Vault;
  readonly logger: Logger;
  readonly bus: EventBus;
}

export const QUESTION_METHODS = ['questions_static', 'questions_dynamic'] as const satisfies readonly QuestionMethod[];

/** Fewest characters of a normalized static answer: one letter is guessed in a few tries. */
export const MIN_ANSWER_LENGTH = 2;
export const MAX_ENROLLED = 10;

export interface AskedQuestion {
  readonly id: string;
  readonly text: string;
}

export interface Challenge {
  readonly challengeId: string;
  readonly method: QuestionMethod;
  readonly questions: readonly AskedQuestion[];
  readonly required: number;
  readonly expiresAt: Date;
  /** Challenges of this method the session has left after this one. */
  readonly attemptsLeft: number;
}

/** `count` distinct items of `items`, chosen uniformly with the CSPRNG (partial Fisher-Yates). */
export function pickRandom<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  const n = Math.min(count, pool.length);
  for (let i = 0; i < n; i += 1) {
    const j = i + randomInt(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

function ledgerActor(actor: InteractionActor) {
  return actor.type === 'agent' ? ({ type: 'agent', id: actor.agentId } as const) : ({ type: 'service', id: actor.keyId } as const);
}

async function enrolledInCatalogue(tx: Tx, customerId: string, catalogue: readonly CatalogueQuestion[]) {
  const ids = new Set(catalogue.map((q) => q.id));
  return (await findAnswerHashes(tx, customerId)).filter((r) => ids.has(r.question_id));
}

async function possibleGenerators(tx: Tx, generators: readonly DynamicQuestionGenerator[], tenantId: string, customerId: string): Promise<DynamicQuestionGenerator[]> {
  const record = await loadCustomerRecord(tx, tenantId, customerId);
  return generators.filter((g) => g.possible(record));
}

export function questionMethodProviders(generators: readonly DynamicQuestionGenerator[]): MethodProvider[] {
  return [
    {
      id: 'questions_static',
      async available(tx, query) {
        const settings = await loadVerificationSettings(tx);
        return (await enrolledInCatalogue(tx, query.customerId, catalogueOf(settings.questions))).length >= settings.questions.staticAsked;
      },
    },
    {
      id: 'questions_dynamic',
      async available(tx, query) {
        const settings = await loadVerificationSettings(tx);
        return (await possibleGenerators(tx, generators, query.tenantId, query.customerId)).length >= settings.questions.dynamicRequired;
      },
    },
  ];
}

export interface EnrollInput {
  readonly questionId: string;
  readonly answer: string;
}

export function createQuestionMethods(deps: MethodDeps & { readonly registry: MethodRegistry; readonly generators: readonly DynamicQuestionGenerator[] }) {
  const { db, clock, vault, registry, generators } = deps;

  return {
    /** The tenant's catalogue of static questions, every language. */
    async catalogue(tenantId: string): Promise<readonly CatalogueQuestion[]> {
      return db.withTenant(tenantId, async (tx) => catalogueOf((await loadVerificationSettings(tx)).questions));
    },

    /**
     * Replaces the customer's enrolled answers (a service key with `customers:write`: the
     * customer's own channel). Answers are normalized and hashed with Argon2id, each with its own
     * salt; the ledger records which questions, never an answer.
     */
    async enroll(principal: { tenantId: string; keyId: string }, customerId: string, answers: readonly EnrollInput[]): Promise<{ questionIds: string[]; enrolledAt: Date }> {
      return db.withTenant(principal.tenantId, async (tx) => {
        const now = clock.now();
        await loadCustomerRecord(tx, principal.tenantId, customerId);
        const settings = await loadVerificationSettings(tx);
        const catalogue = new Set(catalogueOf(settings.questions).map((q) => q.id));
        const refuse = (reason: string, questionId?: string) =>
          new AppError(VerificationErrors.invalid_answers, { details: { reason, ...(questionId === undefined ? {} : { questionId }) } });
        if (answers.length < settings.questions.minEnrolled || answers.length > MAX_ENROLLED) throw refuse('count');
        const seen = new Set<string>();
        const normalized: { questionId: string; text: string }[] = [];
        for (const a of answers) {
          if (!catalogue.has(a.questionId)) throw refuse('unknown_question', a.questionId);
          if (seen.has(a.questionId)) throw refuse('duplicate_question', a.questionId);
          seen.add(a.questionId);
          const text = normalizeAnswer(a.answer);
          if ([...text.replace(/ /g, '')].length < MIN_ANSWER_LENGTH) throw refuse('too_short', a.questionId);
          normalized.push({ questionId: a.questionId, text });
        }
        // The same answer to every question would make one guess answer them all.
        if (new Set(normalized.map((n) => n.text)).size < normalized.length) throw refuse('repeated_answer');
        const rows = [];
        for (const n of normalized) rows.push({ question_id: n.questionId, answer_hash: await hashPassword(n.text, DEFAULT_PASSWORD_PARAMS) });
        const replaced = await replaceAnswers(tx, principal.tenantId, customerId, rows, now);
        await recordEntry(
          tx,
          principal.tenantId,
          { actor: { type: 'service', id: principal.keyId }, action: 'verification.questions.enroll', targets: { customer: customerId }, details: { questions: rows.map((r) => r.question_id).join(' '), count: rows.length, replaced } },
          now,
        );
        return { questionIds: rows.map((r) => r.question_id), enrolledAt: now };
      });
    },

    /**
     * Puts a new set of questions to the caller (voiding an unanswered one, which still counted
     * as an attempt): their texts in the session's language and how many must be right.
     */
    async ask(actor: InteractionActor, sessionId: string, method: QuestionMethod): Promise<Challenge> {
      return db.withTenant(actor.tenantId, async (tx) => {
        const now = clock.now();
        const session = await usableSession(tx, actor, sessionId, now);
        if (!registry.has(method)) throw new AppError(VerificationErrors.method_unavailable, { details: { method } });
        const settings = await loadVerificationSettings(tx);
        const q = settings.questions;
        const used = await countChallenges(tx, session.id, method);
        if (used >= q.attemptsPerSession) throw new AppError(VerificationErrors.questions_exhausted, { details: { method, attempts: used } });
        const language: Language = session.language;
        const challengeId = newId();
        let asked: ChallengeQuestion[];
        let texts: string[];
        let required: number;
        let sealed: string | null = null;
        if (method === 'questions_static') {
          const catalogue = catalogueOf(q);
          const enrolled = await enrolledInCatalogue(tx, session.customer_id, catalogue);
          if (enrolled.length < q.staticAsked) throw new AppError(VerificationErrors.method_unavailable, { details: { method } });
          const chosen = pickRandom(enrolled, q.staticAsked);
          asked = chosen.map((c, i) => ({ id: `q${i + 1}`, key: c.question_id }));
          texts = chosen.map((c) => catalogue.find((x) => x.id === c.question_id)!.text[language]);
          required = q.staticRequired;
        } else {
          const record = await loadCustomerRecord(tx, session.tenant_id, session.customer_id);
          const candidates: { generator: DynamicQuestionGenerator; expected: Expected }[] = [];
          for (const generator of generators.filter((g) => g.possible(record))) {
            const expected = await generator.expected({ tx, vault, record, now });
            if (expected !== undefined) candidates.push({ generator, expected });
          }
          const chosen = pickRandom(candidates, q.dynamicAsked);
          if (chosen.length < q.dynamicRequired) throw new AppError(VerificationErrors.method_unavailable, { details: { method } });
          asked = chosen.map((c, i) => ({ id: `q${i + 1}`, key: c.generator.key }));
          texts = chosen.map((c) => c.generator.text[language]);
          required = q.dynamicRequired;
          sealed = await sealExpected(tx, vault, session.tenant_id, challengeId, Object.fromEntries(chosen.map((c, i) => [`q${i + 1}`, c.expected])));
        }
        await voidOpenChallenges(tx, session.id, method, now);
        const expiresAt = new Date(Math.min(now.getTime() + q.answerMinutes * 60_000, session.expires_at.getTime()));
        await insertChallenge(tx, { id: challengeId, tenant_id: session.tenant_id, session_id: session.id, method, questions: asked, sealed_expected: sealed, required, state: 'open', created_at: now, expires_at: expiresAt, updated_at: now });
        await recordEntry(
          tx,
          session.tenant_id,
          {
            actor: ledgerActor(actor),
            action: 'verification.questions.ask',
            targets: { session: session.id, interaction: session.interaction_id, customer: session.customer_id, challenge: challengeId },
            details: { method, asked: asked.length, required, questions: asked.map((a) => a.key).join(' ') },
          },
          now,
        );
        return { challengeId, method, questions: asked.map((a, i) => ({ id: a.id, text: texts[i]! })), required, expiresAt, attemptsLeft: q.attemptsPerSession - used - 1 };
      });
    },

    /**
     * Checks what the caller said to an open challenge of the session: passed when at least
     * `required` answers are right. Every question is checked (a missing answer is wrong) so the
     * time taken does not say which one failed.
     */
    async answer(actor: InteractionActor, sessionId: string, challengeId: string, answers: readonly { id: string; answer: string }[]): Promise<CheckResult> {
      const outcome = await db.withTenant(actor.tenantId, async (tx) => {
        const now = clock.now();
        const session = await usableSession(tx, actor, sessionId, now);
        const challenge = await findChallenge(tx, challengeId, true);
        if (challenge === undefined || challenge.session_id !== session.id || challenge.state !== 'open') throw new AppError(VerificationErrors.no_open_questions);
        if (challenge.expires_at <= now) {
          await closeChallenge(tx, challenge.id, 'void', now);
          return { error: new AppError(VerificationErrors.no_open_questions, { detail: 'The questions expired: ask new ones' }) };
        }
        const given = new Map<string, string>();
        for (const a of answers) if (!given.has(a.id)) given.set(a.id, a.answer);
        let right = 0;
        if (challenge.method === 'questions_static') {
          const hashes = new Map((await findAnswerHashes(tx, session.customer_id)).map((r) => [r.question_id, r.answer_hash]));
          for (const question of challenge.questions) {
            const hash = hashes.get(question.key);
            const text = normalizeAnswer(given.get(question.id) ?? '');
            const ok = hash === undefined || text === '' ? (await dummyVerify(text, DEFAULT_PASSWORD_PARAMS)).ok : (await verifyPassword(hash, text, DEFAULT_PASSWORD_PARAMS)).ok;
            if (ok) right += 1;
          }
        } else {
          const expected = challenge.sealed_expected === null ? {} : ((await openExpected(tx, vault, session.tenant_id, challenge.id, challenge.sealed_expected)) as Record<string, Expected>);
          for (const question of challenge.questions) {
            const e = expected[question.id];
            if (e !== undefined && matchesExpected(e, given.get(question.id) ?? '')) right += 1;
          }
        }
        const passed = right >= challenge.required;
        await closeChallenge(tx, challenge.id, passed ? 'passed' : 'failed', now);
        const result = await reportMethodResult(tx, { actor, sessionId: session.id, method: challenge.method, passed, now, registry });
        return { passed, status: result.status, alert: result.alert };
      });
      if ('error' in outcome) throw outcome.error;
      await publishAlert(deps, outcome.alert);
      return { passed: outcome.passed, status: outcome.status };
    },
  };
}

export type QuestionMethods = ReturnType<typeof createQuestionMethods>;

export async function publishAlert(deps: Pick<MethodDeps, 'bus' | 'logger'>, alert: RaisedAlert | undefined): Promise<void> {
  if (alert === undefined) return;
  await announceAlert(deps.bus, deps.logger, alert);
}

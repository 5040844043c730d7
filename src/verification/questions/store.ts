/**
 * SQL for security questions (migration 0014 is the source of truth for these rows). Callers
 * pass a transaction scoped to the tenant: row-level security keeps every query inside it.
 */
import type { ColumnType, Selectable } from 'kysely';
import type { Tx } from '../../db/index.js';

export type QuestionMethod = 'questions_static' | 'questions_dynamic';
export type ChallengeState = 'open' | 'passed' | 'failed' | 'void';

/** One question of a challenge as stored: its position id and what it is (catalogue id or generator key). */
export interface ChallengeQuestion {
  readonly id: string;
  readonly key: string;
}

export interface QuestionAnswersTable {
  tenant_id: string;
  customer_id: string;
  question_id: string;
  answer_hash: string;
  created_at: Date;
}

export interface QuestionChallengesTable {
  id: string;
  tenant_id: string;
  session_id: string;
  method: QuestionMethod;
  questions: ColumnType<ChallengeQuestion[], string, string>;
  sealed_expected: string | null;
  required: number;
  state: ChallengeState;
  created_at: Date;
  expires_at: Date;
  updated_at: Date;
}

export type QuestionTables = {
  verification_question_answers: QuestionAnswersTable;
  verification_question_challenges: QuestionChallengesTable;
};

function tables(tx: Tx) {
  return tx.withTables<QuestionTables>();
}

export type ChallengeRow = Selectable<QuestionChallengesTable>;

export async function findAnswerHashes(tx: Tx, customerId: string): Promise<{ question_id: string; answer_hash: string; created_at: Date }[]> {
  return tables(tx).selectFrom('verification_question_answers').select(['question_id', 'answer_hash', 'created_at']).where('customer_id', '=', customerId).orderBy('question_id').execute();
}

/** Replaces the customer's enrolled answers with `rows`. */
export async function replaceAnswers(tx: Tx, tenantId: string, customerId: string, rows: readonly { question_id: string; answer_hash: string }[], now: Date): Promise<number> {
  const removed = await tables(tx).deleteFrom('verification_question_answers').where('customer_id', '=', customerId).executeTakeFirst();
  if (rows.length > 0) {
    await tables(tx)
      .insertInto('verification_question_answers')
      .values(rows.map((r) => ({ tenant_id: tenantId, customer_id: customerId, question_id: r.question_id, answer_hash: r.answer_hash, created_at: now })))
      .execute();
  }
  return Number(removed.numDeletedRows);
}

export async function insertChallenge(tx: Tx, row: Omit<ChallengeRow, 'questions'> & { questions: readonly ChallengeQuestion[] }): Promise<void> {
  await tables(tx)
    .insertInto('verification_question_challenges')
    .values({ ...row, questions: JSON.stringify(row.questions) })
    .execute();
}

export async function findOpenChallenge(tx: Tx, sessionId: string, method: QuestionMethod, lock = false): Promise<ChallengeRow | undefined> {
  let query = tables(tx).selectFrom('verification_question_challenges').selectAll().where('session_id', '=', sessionId).where('method', '=', method).where('state', '=', 'open');
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findChallenge(tx: Tx, id: string, lock = false): Promise<ChallengeRow | undefined> {
  let query = tables(tx).selectFrom('verification_question_challenges').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Challenges asked in a session for `method`, answered or not (the attempt budget). */
export async function countChallenges(tx: Tx, sessionId: string, method: QuestionMethod): Promise<number> {
  const row = await tables(tx)
    .selectFrom('verification_question_challenges')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('session_id', '=', sessionId)
    .where('method', '=', method)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Closes a challenge; what it expected is dropped with it. */
export async function closeChallenge(tx: Tx, id: string, state: Exclude<ChallengeState, 'open'>, now: Date): Promise<void> {
  await tables(tx).updateTable('verification_question_challenges').set({ state, sealed_expected: null, updated_at: now }).where('id', '=', id).execute();
}

export async function voidOpenChallenges(tx: Tx, sessionId: string, method: QuestionMethod, now: Date): Promise<void> {
  await tables(tx)
    .updateTable('verification_question_challenges')
    .set({ state: 'void', sealed_expected: null, updated_at: now })
    .where('session_id', '=', sessionId)
    .where('method', '=', method)
    .where('state', '=', 'open')
    .execute();
}
